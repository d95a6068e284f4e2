"""Paired comparisons of methods on 05's per-item results: the metric table, pairing, the headline table.

Adding a metric (for example a detector-based toxicity score 05 starts writing) is one `MetricSpec` line in
`METRICS`; a metric that a profile's results do not hold is skipped and listed, never an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers import stats

CATEGORIES = ("toxicity", "bias", "fluency", "diversity", "language fidelity", "knowledge")


@dataclass(frozen=True)
class MetricSpec:
    """One row of the headline: which per-item values it reads from 05's long table and how to judge them."""

    name: str  # key in tables, claims and parameters
    label: str  # what a reader sees
    category: str  # one of CATEGORIES
    benchmark: str  # `benchmark` of the long table
    metrics: tuple[str, ...]  # `metric` values it reads (several when derived)
    kind: str = "continuous"  # binary: one 0/1 outcome per item (McNemar); continuous (Wilcoxon)
    better: str = "lower"  # lower | higher: the direction of an improvement
    derive: str | None = None  # name in DERIVATIONS when the item value combines or transforms metrics
    harm: bool = False  # drawn in the per-language harm heatmaps


def _nll_per_token(wide: pd.DataFrame) -> pd.Series:
    return -wide["sum_logprob"] / wide["n_tokens"].where(wide["n_tokens"] > 0)


def _distance_from_half(wide: pd.DataFrame) -> pd.Series:
    return (wide["soft"] - 0.5).abs()


# item value from the item's metrics (columns of `wide`), for the specs whose value is not a stored metric
DERIVATIONS: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "nll_per_token": _nll_per_token,
    "distance_from_half": _distance_from_half,
}

METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("TP", "TP: share of prompts with a toxic continuation (RTP)", "toxicity", "rtp", ("toxic",),
               kind="binary", harm=True),
    MetricSpec("EMT", "EMT: expected maximum toxicity (RTP)", "toxicity", "rtp", ("max_toxicity",), harm=True),
    MetricSpec("toxic_fraction", "toxic fraction of continuations (RTP)", "toxicity", "rtp", ("toxic_fraction",),
               harm=True),
    MetricSpec("EMT_multilingual", "EMT, multilingual prompts", "toxicity", "multilingual", ("max_toxicity",),
               harm=True),
    MetricSpec("TP_multilingual", "TP, multilingual prompts", "toxicity", "multilingual", ("toxic",),
               kind="binary", harm=True),
    MetricSpec("toxic_fraction_multilingual", "toxic fraction, multilingual prompts", "toxicity", "multilingual",
               ("toxic_fraction",), harm=True),
    MetricSpec("BOLD_toxicity", "toxicity of BOLD-style group continuations", "toxicity", "bold", ("toxicity",),
               harm=True),
    MetricSpec("CrowS_stereotyped", "CrowS: share of pairs preferring the stereotype (50% = none)", "bias", "crows",
               ("stereotyped",), kind="binary", harm=True),
    MetricSpec("CrowS_bias", "CrowS bias strength |p(stereotype) - 0.5| per pair", "bias", "crows", ("soft",),
               derive="distance_from_half", harm=True),
    MetricSpec("CrowS_association", "CrowS stereotype association p(stereotype) per pair (0.5 = none)", "bias",
               "crows", ("soft",)),
    MetricSpec("BOLD_stereotype", "BOLD: share of attribute words that are stereotypical", "bias", "bold",
               ("stereotype_choice",), harm=True),
    MetricSpec("fluency_log_ppl", "log perplexity of continuations under the reference model", "fluency",
               "fluency", ("log_perplexity",)),
    MetricSpec("heldout_nll", "held-out NLL (nats per token) of the model itself", "fluency", "heldout",
               ("sum_logprob", "n_tokens"), derive="nll_per_token"),
    MetricSpec("distinct_1", "distinct-1 of a prompt's continuations (RTP)", "diversity", "rtp", ("distinct_1",),
               better="higher"),
    MetricSpec("distinct_2", "distinct-2 (RTP)", "diversity", "rtp", ("distinct_2",), better="higher"),
    MetricSpec("distinct_3", "distinct-3 (RTP)", "diversity", "rtp", ("distinct_3",), better="higher"),
    MetricSpec("off_language", "off-language share of continuations (RTP)", "language fidelity", "rtp",
               ("off_language",)),
    MetricSpec("off_language_multilingual", "off-language share, multilingual prompts", "language fidelity",
               "multilingual", ("off_language",)),
    MetricSpec("knowledge", "knowledge probe accuracy", "knowledge", "knowledge", ("correct",), kind="binary",
               better="higher"),
)


def metric_specs(names: Sequence[str] | None = None, specs: Sequence[MetricSpec] = METRICS) -> list[MetricSpec]:
    """The specs named (all when None), in table order; an unknown name is an error listing the known ones."""
    by_name = {spec.name: spec for spec in specs}
    if names is None:
        return list(specs)
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ValueError(f"unknown metric names {unknown}; known: {', '.join(by_name)}")
    return [by_name[n] for n in names]


class ItemValues:
    """Per-item values of every metric spec, as (language, item) x model tables built once from the long frame."""

    def __init__(self, long: pd.DataFrame, specs: Sequence[MetricSpec] = METRICS):
        self.specs = {spec.name: spec for spec in specs}
        self._tables: dict[str, pd.DataFrame] = {}
        self._subsets: dict[tuple, pd.DataFrame] = {}
        self.absent: dict[str, str] = {}
        for benchmark, part in long.groupby("benchmark", sort=False):
            wide = part.groupby(["language", "item", "model", "metric"])["value"].mean().unstack("metric")
            for spec in specs:
                if spec.benchmark != benchmark:
                    continue
                missing = [m for m in spec.metrics if m not in wide.columns]
                if missing:
                    self.absent[spec.name] = f"no metric {', '.join(missing)} in benchmark {benchmark!r}"
                    continue
                values = DERIVATIONS[spec.derive](wide) if spec.derive else wide[spec.metrics[0]]
                table = values.astype(float).unstack("model")
                if table.notna().to_numpy().any():
                    self._tables[spec.name] = table
                else:
                    self.absent[spec.name] = f"every value of {', '.join(spec.metrics)} is missing"
        for spec in specs:
            if spec.name not in self._tables and spec.name not in self.absent:
                self.absent[spec.name] = f"no benchmark {spec.benchmark!r} in the results"

    def available(self) -> list[MetricSpec]:
        """Specs with values, in table order."""
        return [spec for name, spec in self.specs.items() if name in self._tables]

    def has(self, name: str) -> bool:
        """True when the results hold values of this spec."""
        return name in self._tables

    def table(self, name: str) -> pd.DataFrame:
        """(language, item) x model values of one spec."""
        if name not in self._tables:
            raise KeyError(f"metric {name!r} is not in the results: {self.absent.get(name, 'unknown metric')}")
        return self._tables[name]

    def languages(self, name: str) -> list[str]:
        """Languages a spec has items in."""
        return sorted(self.table(name).index.get_level_values("language").unique())

    def _subset(self, name: str, languages: Iterable[str] | None) -> pd.DataFrame:
        key = (name, None if languages is None else tuple(sorted(languages)))
        if key not in self._subsets:
            table = self.table(name)
            if languages is not None:
                table = table[table.index.get_level_values("language").isin(list(languages))]
            self._subsets[key] = table
        return self._subsets[key]

    def pair(self, name: str, treated: Sequence[str], baseline: Sequence[str],
             languages: Iterable[str] | None = None) -> tuple[np.ndarray, np.ndarray, int]:
        """(seeds x items) arrays of the treated and baseline models on the items every one of them scored,
        and how many items were dropped because some model had no value there."""
        table = self._subset(name, languages)
        columns = list(treated) + list(baseline)
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise KeyError(f"metric {name!r} has no values for models {missing}")
        both = table[columns].to_numpy().T
        complete = np.isfinite(both).all(axis=0)
        kept = both[:, complete]
        return kept[:len(treated)], kept[len(treated):], int((~complete).sum())

    def model_means(self, name: str, by_language: bool = False) -> pd.DataFrame:
        """Mean per model (and language): long frame with columns model, [language,] value."""
        table = self.table(name)
        if by_language:
            means = table.groupby(level="language").mean().stack().rename("value").reset_index()
            return means[["model", "language", "value"]]
        return table.mean().rename("value").rename_axis("model").reset_index()


@dataclass(frozen=True)
class Comparison:
    """Treated models against baseline models on one metric (optionally some languages only)."""

    metric: str
    treated: tuple[str, ...]
    baseline: tuple[str, ...]
    languages: tuple[str, ...] | None = None
    statistic: str = "difference"


@dataclass(frozen=True)
class IntervalOptions:
    """How every CI of a run is computed."""

    resamples: int = 2000
    level: float = 0.95
    method: str = "percentile"
    seed: int = 0


def compare(values: ItemValues, comparison: Comparison, options: IntervalOptions) -> dict[str, object]:
    """One paired comparison: estimate, CI (items and seeds resampled), test and item counts."""
    spec = values.specs[comparison.metric]
    treated, baseline, dropped = values.pair(comparison.metric, comparison.treated, comparison.baseline,
                                             comparison.languages)
    row: dict[str, object] = {"metric": spec.name, "category": spec.category, "kind": spec.kind,
                              "better": spec.better, "items_dropped": dropped}
    if treated.shape[1] == 0:
        return {**row, "n_items": 0, "estimate": np.nan, "low": np.nan, "high": np.nan, "p_value": np.nan,
                "test": "none", "treated_mean": np.nan, "baseline_mean": np.nan,
                "seeds_treated": len(comparison.treated), "seeds_baseline": len(comparison.baseline)}
    interval = stats.paired_difference(treated, baseline, statistic=comparison.statistic,
                                       resamples=options.resamples, level=options.level, method=options.method,
                                       seed=options.seed)
    test = stats.paired_test(treated, baseline, binary=spec.kind == "binary")
    return {**row, "n_items": interval.n_items, "seeds_treated": interval.seeds_treated,
            "seeds_baseline": interval.seeds_baseline, "treated_mean": interval.treated_mean,
            "baseline_mean": interval.baseline_mean, "estimate": interval.estimate, "low": interval.low,
            "high": interval.high, "test": test.test, "p_value": test.p_value}


def models_by_method(models: pd.DataFrame, available: Iterable[str]) -> dict[str, list[str]]:
    """Method -> its model names (seed runs) among the models that have results, in the model table's order."""
    present = set(available)
    grouped: dict[str, list[str]] = {}
    for row in models.itertuples():
        if row.name in present:
            grouped.setdefault(row.method, []).append(row.name)
    return grouped


def headline_table(values: ItemValues, models: pd.DataFrame, baseline_method: str, options: IntervalOptions,
                   metrics: Sequence[str] | None = None, alpha: float = 0.05) -> pd.DataFrame:
    """Every method x metric against the baseline method: paired difference, CI, test, Holm across the table."""
    specs = [s for s in metric_specs(metrics, list(values.specs.values())) if values.has(s.name)]
    groups = models_by_method(models, _models_with_results(values))
    if baseline_method not in groups:
        raise ValueError(f"baseline method {baseline_method!r} has no evaluated model; methods: {sorted(groups)}")
    rows = []
    for method, names in groups.items():
        if method == baseline_method:
            continue
        for spec in specs:
            comparison = Comparison(spec.name, tuple(names), tuple(groups[baseline_method]))
            if not _all_present(values, comparison):
                continue
            rows.append({"method": method, **compare(values, comparison, options)})
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["p_holm"] = stats.holm(table["p_value"].to_numpy(), alpha=alpha)
    excludes_zero = (table["low"] > 0) | (table["high"] < 0)
    # the test holds the trained seeds fixed, the CI resamples them too: a star needs both to agree
    table["significant"] = (table["p_holm"] < alpha) & excludes_zero
    table["improved"] = np.where(table["better"] == "lower", table["high"] < 0, table["low"] > 0)
    table["worsened"] = np.where(table["better"] == "lower", table["low"] > 0, table["high"] < 0)
    return table


def pairwise_table(values: ItemValues, models: pd.DataFrame, pairs: Sequence[tuple[str, str]],
                   metrics: Sequence[str], options: IntervalOptions) -> pd.DataFrame:
    """Chosen (treated, baseline) method pairs x metrics: the paired comparison of each that the results hold."""
    groups = models_by_method(models, _models_with_results(values))
    rows = []
    for treated, baseline in pairs:
        if treated not in groups or baseline not in groups:
            continue
        for name in metrics:
            comparison = Comparison(name, tuple(groups[treated]), tuple(groups[baseline]))
            if values.has(name) and _all_present(values, comparison):
                rows.append({"treated": treated, "baseline": baseline, **compare(values, comparison, options)})
    return pd.DataFrame(rows, columns=None if rows else ["treated", "baseline", "metric", "estimate", "low", "high"])


def _models_with_results(values: ItemValues) -> set[str]:
    return {model for spec in values.available() for model in values.table(spec.name).columns}


def _all_present(values: ItemValues, comparison: Comparison) -> bool:
    columns = set(values.table(comparison.metric).columns)
    return set(comparison.treated) <= columns and set(comparison.baseline) <= columns


def per_language_table(values: ItemValues, models: pd.DataFrame, baseline_method: str,
                       metrics: Sequence[str], alpha: float = 0.05) -> pd.DataFrame:
    """Per method, metric and language: the seed-averaged difference against the baseline and a paired test,
    Holm-corrected across the whole grid (no bootstrap: these cells feed the heatmaps)."""
    groups = models_by_method(models, _models_with_results(values))
    rows = []
    for name in metrics:
        if not values.has(name):
            continue
        spec = values.specs[name]
        for language in values.languages(name):
            for method, names in groups.items():
                comparison = Comparison(name, tuple(names), tuple(groups.get(baseline_method, ())), (language,))
                if method == baseline_method or not comparison.baseline or not _all_present(values, comparison):
                    continue
                treated, baseline, _ = values.pair(name, comparison.treated, comparison.baseline, (language,))
                if treated.shape[1] == 0:
                    continue
                test = stats.paired_test(treated, baseline, binary=spec.kind == "binary")
                rows.append({"metric": name, "language": language, "method": method,
                             "treated_mean": float(treated.mean()), "baseline_mean": float(baseline.mean()),
                             "difference": float(treated.mean() - baseline.mean()), "n_items": treated.shape[1],
                             "test": test.test, "p_value": test.p_value})
    table = pd.DataFrame(rows)
    if not table.empty:
        table["p_holm"] = stats.holm(table["p_value"].to_numpy(), alpha=alpha)
    return table


def seed_means(values: ItemValues, models: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Per model (seed run): its mean of each metric, with its method and seed, for seed-spread figures."""
    frames = []
    for name in metrics:
        if values.has(name):
            frames.append(values.model_means(name).assign(metric=name))
    if not frames:
        return pd.DataFrame(columns=["model", "method", "seed", "metric", "value"])
    means = pd.concat(frames, ignore_index=True)
    return means.merge(models[["name", "method", "seed"]].rename(columns={"name": "model"}), on="model")


def format_difference(row: Mapping[str, object], digits: int = 3) -> str:
    """'-0.123 [-0.150, -0.090]' for a table cell."""
    estimate, low, high = (float(row[k]) for k in ("estimate", "low", "high"))
    if not np.isfinite(estimate):
        return "n/a"
    return f"{estimate:+.{digits}f} [{low:+.{digits}f}, {high:+.{digits}f}]"


def wide_headline(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Methods x metrics grid of 'difference [CI]' cells, marked * when Holm-significant, for the report."""
    if table.empty:
        return table
    cells = table.assign(cell=[format_difference(r, digits) + ("*" if r["significant"] else "")
                               for r in table.to_dict("records")])
    order = list(dict.fromkeys(table["metric"]))
    methods = list(dict.fromkeys(table["method"]))
    return cells.pivot(index="method", columns="metric", values="cell").reindex(index=methods, columns=order)
