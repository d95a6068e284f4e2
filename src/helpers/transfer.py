"""Cross-lingual transfer of English-only mitigation (Neplenbroek et al. 2025): per language, the relative reduction
of a harm metric against the baseline, regressed on the language's share of pretraining data (and on its English
vocabulary overlap where the world records it).

Transfer in language L is 1 - harm(method, L) / harm(baseline, L), so 1 means the harm is gone and 0 means no
change. Each language's value has a paired bootstrap CI (items and seeds resampled). The slope of transfer on
share (least squares over the languages; English, where the mitigation was trained, is left out by default) gets
two intervals:
- the bootstrap interval (items resampled within each language, each arm's training runs resampled once for all
  languages): the uncertainty of the measurement, for the languages the study has. The verdict uses it: the
  languages and their shares are the design (in the synthetic world they are set by parameters), what is uncertain
  is how much each language's harm fell;
- the t interval of ordinary least squares over languages (statsmodels), as if the languages were a sample of
  languages: wider, and with five or six languages rarely conclusive. Pearson's r (the statistic Neplenbroek et al.
  report) comes with its Fisher interval on the same footing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers import stats
from helpers.comparisons import Comparison, IntervalOptions, ItemValues, compare, models_by_method
from helpers.study_results import StudyResults, ground_truth_series, language_shares, pretraining_parent

MIN_LANGUAGES = 3  # a slope with a t interval needs at least one residual degree of freedom


@dataclass
class TransferResult:
    """Per-language transfer of one method on one metric, and its regression on pretraining share."""

    method: str
    metric: str
    per_language: pd.DataFrame  # language, share, overlap, baseline_mean, treated_mean, transfer, low, high, n_items
    share_source: str
    regression_languages: list[str]
    slope: float = math.nan
    slope_low: float = math.nan  # bootstrap over items and seeds (the verdict's interval)
    slope_high: float = math.nan
    slope_low_languages: float = math.nan  # OLS t interval, languages as the sample
    slope_high_languages: float = math.nan
    slope_p: float = math.nan  # OLS, languages as the sample
    intercept: float = math.nan
    pearson_r: float = math.nan
    r_low: float = math.nan
    r_high: float = math.nan
    overlap_model: dict[str, dict[str, float]] = field(default_factory=dict)
    reason: str = ""  # why no regression was fitted

    @property
    def fitted(self) -> bool:
        """True when the regression on share was fitted."""
        return math.isfinite(self.slope)

    def summary_row(self) -> dict[str, object]:
        """One line for a table of transfer results."""
        row: dict[str, object] = {"method": self.method, "metric": self.metric,
                                  "languages": " ".join(self.regression_languages), "slope": self.slope,
                                  "slope_low": self.slope_low, "slope_high": self.slope_high,
                                  "slope_low_languages": self.slope_low_languages,
                                  "slope_high_languages": self.slope_high_languages, "slope_p": self.slope_p,
                                  "pearson_r": self.pearson_r, "r_low": self.r_low, "r_high": self.r_high,
                                  "share_source": self.share_source, "reason": self.reason}
        for term, values in self.overlap_model.items():
            row[f"{term}_coef"] = values["estimate"]
            row[f"{term}_low"] = values["low"]
            row[f"{term}_high"] = values["high"]
        return row


def transfer_analysis(values: ItemValues, results: StudyResults, method: str, metric: str, baseline_method: str,
                      options: IntervalOptions, include_english: bool = False, share_source: str = "pretraining"
                      ) -> TransferResult:
    """Per-language relative reduction of `metric` after `method`, regressed on pretraining share."""
    groups = models_by_method(results.models, values.table(metric).columns)
    if method not in groups or baseline_method not in groups:
        missing = [m for m in (method, baseline_method) if m not in groups]
        return TransferResult(method, metric, pd.DataFrame(), "", [], reason=f"no evaluated model of {missing}")
    treated, baseline = tuple(groups[method]), tuple(groups[baseline_method])
    parent = pretraining_parent(results, treated[0]) or baseline[0]
    shares, source = language_shares(results, parent, share_source)
    languages = values.languages(metric)
    overlap = ground_truth_series(results, "english_vocabulary_overlap", languages)
    rows = []
    for language in languages:
        row = compare(values, Comparison(metric, treated, baseline, (language,), "relative_reduction"), options)
        rows.append({"language": language, "share": shares.get(language, math.nan),
                     "overlap": overlap.get(language, math.nan), "baseline_mean": row["baseline_mean"],
                     "treated_mean": row["treated_mean"], "transfer": row["estimate"], "low": row["low"],
                     "high": row["high"], "n_items": row["n_items"]})
    per_language = pd.DataFrame(rows)
    result = TransferResult(method, metric, per_language, source, [])
    usable = per_language[np.isfinite(per_language["share"]) & np.isfinite(per_language["transfer"])]
    if not include_english:
        usable = usable[usable["language"] != "en"]
    result.regression_languages = list(usable["language"])
    if len(usable) < MIN_LANGUAGES:
        result.reason = (f"{len(usable)} languages with a share and a finite transfer "
                         f"(need {MIN_LANGUAGES}; shares from {source})")
        return result
    if usable["share"].nunique() < 2:
        result.reason = "every language has the same pretraining share"
        return result
    _fit_share(result, usable, options.level)
    _bootstrap_slope(result, values, metric, treated, baseline, usable, options)
    if usable["overlap"].notna().all() and usable["overlap"].nunique() > 1 and len(usable) >= 4:
        result.overlap_model = _fit_terms(usable, ["share", "overlap"], options.level)
    return result


def _fit_terms(frame: pd.DataFrame, terms: list[str], level: float) -> dict[str, dict[str, float]]:
    import statsmodels.api as sm

    fit = sm.OLS(frame["transfer"].to_numpy(), sm.add_constant(frame[terms].to_numpy(), has_constant="add")).fit()
    interval = fit.conf_int(alpha=1 - level)
    return {term: {"estimate": float(fit.params[i + 1]), "low": float(interval[i + 1][0]),
                   "high": float(interval[i + 1][1]), "p_value": float(fit.pvalues[i + 1])}
            for i, term in enumerate(terms)}


def _fit_share(result: TransferResult, usable: pd.DataFrame, level: float) -> None:
    import statsmodels.api as sm
    from scipy import stats as scipy_stats

    fit = sm.OLS(usable["transfer"].to_numpy(), sm.add_constant(usable["share"].to_numpy())).fit()
    low, high = fit.conf_int(alpha=1 - level)[1]
    result.slope, result.slope_low_languages, result.slope_high_languages = float(fit.params[1]), float(low), float(high)
    result.slope_p, result.intercept = float(fit.pvalues[1]), float(fit.params[0])
    if usable["transfer"].nunique() > 1:
        pearson = scipy_stats.pearsonr(usable["share"], usable["transfer"])
        result.pearson_r = float(pearson.statistic)
        if len(usable) > 3:  # Fisher's z interval needs n > 3
            interval = pearson.confidence_interval(confidence_level=level)
            result.r_low, result.r_high = float(interval.low), float(interval.high)


def _bootstrap_slope(result: TransferResult, values: ItemValues, metric: str, treated: tuple[str, ...],
                     baseline: tuple[str, ...], usable: pd.DataFrame, options: IntervalOptions) -> None:
    """The slope's interval with the items of each language and the training runs resampled."""
    pairs = [values.pair(metric, treated, baseline, (language,)) for language in usable["language"]]
    centred = usable["share"].to_numpy() - usable["share"].mean()

    def slope(treated_means: np.ndarray, baseline_means: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            reduction = 1.0 - treated_means / baseline_means
        deviation = reduction - reduction.mean(axis=-1, keepdims=True)
        return (deviation * centred).sum(axis=-1) / (centred ** 2).sum()

    estimate, low, high = stats.stratified_paired_interval([t for t, _, _ in pairs], [b for _, b, _ in pairs], slope,
                                                           resamples=options.resamples, level=options.level,
                                                           method=options.method, seed=options.seed)
    result.slope, result.slope_low, result.slope_high = estimate, low, high


def fitted_line(result: TransferResult, level: float = 0.95, points: int = 50) -> pd.DataFrame:
    """The regression line of transfer on share with its confidence band, for the figure."""
    import statsmodels.api as sm

    usable = result.per_language[result.per_language["language"].isin(result.regression_languages)]
    fit = sm.OLS(usable["transfer"].to_numpy(), sm.add_constant(usable["share"].to_numpy())).fit()
    grid = np.linspace(usable["share"].min(), usable["share"].max(), points)
    prediction = fit.get_prediction(sm.add_constant(grid, has_constant="add")).summary_frame(alpha=1 - level)
    return pd.DataFrame({"share": grid, "transfer": prediction["mean"].to_numpy(),
                         "low": prediction["mean_ci_lower"].to_numpy(), "high": prediction["mean_ci_upper"].to_numpy()})


def transfer_verdict(result: TransferResult) -> str:
    """'transfer grows with share' judged by the slope's CI."""
    if not result.fitted:
        return "not run"
    return stats.verdict(result.slope_low, result.slope_high, ">", 0.0)
