"""Paired statistics over the same items: bootstrap CIs, McNemar, Wilcoxon, Holm, and claim verdicts.

The computations are scipy's and statsmodels' (`scipy.stats.bootstrap`, `scipy.stats.wilcoxon`,
`statsmodels.stats.contingency_tables.mcnemar`, `statsmodels.stats.multitest.multipletests`); this module
holds the study's conventions around them: which unit is resampled, how training seeds enter, which test
a metric gets, and how a confidence interval becomes a verdict.

Resampling design (`paired_difference`). Every model of a comparison is scored on the same items (a prompt
with its k sampled continuations already aggregated, a CrowS pair, a fact, a held-out document), so the
item is the resampling unit and both arms are resampled with the same item indices (the pairing). When an
arm has several training seeds, its per-item value is the mean over its seed models, and the seeds are
resampled too, independently of the items and of the other arm: the items x seeds pigeonhole bootstrap
(Owen 2007, "The pigeonhole bootstrap", Ann. Appl. Stat.), the bootstrap for crossed designs. It is slightly
conservative (it counts the item x seed interaction twice), which we prefer to the alternative of
treating three seeds as fixed. Each index set is one "sample" of `scipy.stats.bootstrap(paired=False)`,
so scipy draws them and computes the percentile or BCa interval. Before resampling, each seed model's deviation
from its arm's mean is scaled by sqrt(S / (S - 1)), the usual small-sample correction (Davison and Hinkley 1997,
section 2.3): resampling S values underestimates the variance of their mean by (S - 1) / S. Even so, three seeds
cannot pin a seed variance down: when run-to-run variation dominates, coverage falls below nominal (about 0.82
for 0.95 in `tests/test_stats.py`'s simulation), while ignoring the seeds would give about 0.3.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

CI_METHODS = ("percentile", "bca", "basic")
STATISTICS = ("difference", "relative_reduction")
VERDICTS = ("reproduced", "not reproduced", "inconclusive", "not run")


@dataclass(frozen=True)
class BootstrapResult:
    """Mean of `a - b` over paired items with a bootstrap interval."""

    estimate: float
    low: float
    high: float
    level: float
    n: int
    resamples: int

    def excludes_zero(self) -> bool:
        """True when the whole interval lies on one side of 0."""
        return self.low > 0 or self.high < 0

    def as_dict(self) -> dict[str, float]:
        """Plain dict for tables and metrics.json."""
        return asdict(self)


def _paired(a, b) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"paired arrays must be 1-D and the same length, got shapes {a.shape} and {b.shape}")
    if len(a) == 0:
        raise ValueError("paired arrays are empty")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("paired arrays hold NaN or infinite values; drop or count those items first")
    return a, b


def _check_interval_options(level: float, resamples: int, method: str) -> None:
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    if method not in CI_METHODS:
        raise ValueError(f"method must be one of {CI_METHODS}, got {method!r}")


def paired_bootstrap_ci(a, b, resamples: int = 10_000, level: float = 0.95, seed: int = 0,
                        chunk: int = 1_000, method: str = "percentile") -> BootstrapResult:
    """Bootstrap CI of mean(a - b), resampling items (rows of the pair) with `scipy.stats.bootstrap`, seeded."""
    from scipy import stats

    a, b = _paired(a, b)
    _check_interval_options(level, resamples, method)
    diff = a - b
    if len(diff) < 2:
        return BootstrapResult(float(diff.mean()), math.nan, math.nan, level, len(diff), resamples)
    result = stats.bootstrap((diff,), np.mean, n_resamples=resamples, batch=chunk, vectorized=True,
                             confidence_level=level, method=method, rng=np.random.default_rng(seed))
    interval = result.confidence_interval
    return BootstrapResult(estimate=float(diff.mean()), low=float(interval.low), high=float(interval.high),
                           level=level, n=len(diff), resamples=resamples)


@dataclass(frozen=True)
class PairedDifference:
    """A treated-minus-baseline statistic over paired items (seeds averaged) with its bootstrap CI."""

    estimate: float
    low: float
    high: float
    treated_mean: float
    baseline_mean: float
    n_items: int
    seeds_treated: int
    seeds_baseline: int
    level: float
    method: str
    resamples: int
    statistic: str

    def excludes_zero(self) -> bool:
        """True when the whole interval lies on one side of 0."""
        return self.low > 0 or self.high < 0

    def as_dict(self) -> dict[str, float | int | str]:
        """Plain dict for tables and metrics.json."""
        return asdict(self)


def _seed_item_matrix(values, name: str) -> np.ndarray:
    matrix = np.asarray(values, dtype=float)
    matrix = matrix[None, :] if matrix.ndim == 1 else matrix
    if matrix.ndim != 2 or matrix.shape[0] == 0 or matrix.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty (seeds x items) array, got shape {matrix.shape}")
    if not np.isfinite(matrix).all():
        raise ValueError(f"{name} holds NaN or infinite values; keep only items every model scored")
    return matrix


def _resampled_mean(matrix: np.ndarray, items: np.ndarray, seeds: np.ndarray | None) -> np.ndarray:
    """Mean over resampled items of the mean over resampled seeds of a (seeds x items) arm, for any leading
    resample axes of `items` and `seeds` (broadcast together). Each seed's mean over the resampled items is taken
    first (one gather of seeds x resamples x items), then the seeds are resampled among those means."""
    per_seed = np.moveaxis(matrix[:, items].mean(axis=-1), 0, -1)  # (..., seeds)
    if seeds is None:
        return per_seed.mean(axis=-1)
    lead = np.broadcast_shapes(per_seed.shape[:-1], seeds.shape[:-1])
    chosen = np.take_along_axis(np.broadcast_to(per_seed, lead + per_seed.shape[-1:]),
                                np.broadcast_to(seeds, lead + seeds.shape[-1:]), axis=-1)
    return chosen.mean(axis=-1)


def _inflate_seed_deviations(matrix: np.ndarray) -> np.ndarray:
    """Scale each seed row's deviation from the seed mean by sqrt(S / (S - 1)) (the mean is unchanged)."""
    seeds = matrix.shape[0]
    if seeds < 2:
        return matrix
    mean = matrix.mean(axis=0)
    return mean + math.sqrt(seeds / (seeds - 1)) * (matrix - mean)


def paired_difference(treated, baseline, *, statistic: str = "difference", resamples: int = 2000,
                      level: float = 0.95, method: str = "percentile", seed: int = 0,
                      batch: int | None = 500) -> PairedDifference:
    """Paired CI of mean(treated) - mean(baseline) (or of the relative reduction 1 - treated/baseline).

    `treated` and `baseline` are (seeds x items) arrays whose columns are the same items. Items are resampled
    jointly for both arms; the seeds of an arm with more than one are resampled independently (pigeonhole
    bootstrap, see the module docstring). The estimate is the statistic of the seed-averaged item values.
    """
    from scipy import stats

    treated = _seed_item_matrix(treated, "treated")
    baseline = _seed_item_matrix(baseline, "baseline")
    if treated.shape[1] != baseline.shape[1]:
        raise ValueError(f"treated and baseline must hold the same items, got {treated.shape[1]} and "
                         f"{baseline.shape[1]} columns")
    if statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {STATISTICS}, got {statistic!r}")
    _check_interval_options(level, resamples, method)
    n_items = treated.shape[1]
    arms = [(_inflate_seed_deviations(m), m.shape[0] > 1) for m in (treated, baseline)]

    def compute(items: np.ndarray, *seed_indices: np.ndarray, axis: int = -1) -> np.ndarray:
        indices = iter(seed_indices)
        means = [_resampled_mean(m, items, next(indices) if resampled else None) for m, resampled in arms]
        if statistic == "difference":
            return means[0] - means[1]
        with np.errstate(divide="ignore", invalid="ignore"):
            return 1.0 - means[0] / means[1]

    samples = [np.arange(n_items)] + [np.arange(m.shape[0]) for m, resampled in arms if resampled]
    estimate = float(compute(*samples))
    low = high = math.nan
    if n_items >= 2 and math.isfinite(estimate):
        result = stats.bootstrap(tuple(samples), compute, n_resamples=resamples, batch=batch, vectorized=True,
                                 paired=False, confidence_level=level, method=method,
                                 rng=np.random.default_rng(seed))
        low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    return PairedDifference(estimate=estimate, low=low, high=high, treated_mean=float(treated.mean()),
                            baseline_mean=float(baseline.mean()), n_items=n_items, seeds_treated=treated.shape[0],
                            seeds_baseline=baseline.shape[0], level=level, method=method, resamples=resamples,
                            statistic=statistic)


def stratified_paired_interval(treated: Sequence[np.ndarray], baseline: Sequence[np.ndarray],
                               combine: Callable[[np.ndarray, np.ndarray], np.ndarray], *, resamples: int = 2000,
                               level: float = 0.95, method: str = "percentile", seed: int = 0,
                               batch: int | None = 200) -> tuple[float, float, float]:
    """CI of a statistic of per-stratum arm means (e.g. a slope of per-language transfer), items resampled within
    each stratum and each arm's seeds resampled once for all strata (the same training runs answer every language).

    `treated[j]` and `baseline[j]` are the (seeds x items) arrays of stratum j; `combine(treated_means,
    baseline_means)` maps arrays of shape (..., strata) to the statistic of shape (...). Returns (estimate, low, high).
    """
    from scipy import stats

    _check_interval_options(level, resamples, method)
    treated = [_inflate_seed_deviations(_seed_item_matrix(m, "treated")) for m in treated]
    baseline = [_inflate_seed_deviations(_seed_item_matrix(m, "baseline")) for m in baseline]
    strata = len(treated)
    if strata == 0 or strata != len(baseline):
        raise ValueError(f"treated and baseline need the same strata, got {len(treated)} and {len(baseline)}")
    seed_counts = {m.shape[0] for m in treated}, {m.shape[0] for m in baseline}
    if len(seed_counts[0]) != 1 or len(seed_counts[1]) != 1:
        raise ValueError("every stratum must hold the same seed models of an arm")
    s_treated, s_baseline = seed_counts[0].pop(), seed_counts[1].pop()

    def compute(*indices: np.ndarray, axis: int = -1) -> np.ndarray:
        items, rest = indices[:strata], list(indices[strata:])
        seeds_t = rest.pop(0) if s_treated > 1 else None
        seeds_b = rest.pop(0) if s_baseline > 1 else None
        t = [_resampled_mean(m, i, seeds_t) for m, i in zip(treated, items)]
        b = [_resampled_mean(m, i, seeds_b) for m, i in zip(baseline, items)]
        shape = np.broadcast_shapes(*(x.shape for x in t + b))
        return combine(np.stack([np.broadcast_to(x, shape) for x in t], axis=-1),
                       np.stack([np.broadcast_to(x, shape) for x in b], axis=-1))

    samples = [np.arange(m.shape[1]) for m in treated]
    samples += [np.arange(n) for n in (s_treated, s_baseline) if n > 1]
    estimate = float(compute(*samples))
    if not math.isfinite(estimate) or min(m.shape[1] for m in treated) < 2:
        return estimate, math.nan, math.nan
    result = stats.bootstrap(tuple(samples), compute, n_resamples=resamples, batch=batch, vectorized=True,
                             paired=False, confidence_level=level, method=method, rng=np.random.default_rng(seed))
    return estimate, float(result.confidence_interval.low), float(result.confidence_interval.high)


@dataclass(frozen=True)
class McNemarResult:
    """McNemar's test of paired binary outcomes: discordant counts, statistic and two-sided p-value."""

    only_a: int  # items where a is 1 and b is 0
    only_b: int  # items where b is 1 and a is 0
    statistic: float
    p_value: float
    exact: bool

    def as_dict(self) -> dict[str, float]:
        """Plain dict for tables and metrics.json."""
        return asdict(self)


def mcnemar(a, b, exact: bool | None = None) -> McNemarResult:
    """McNemar's test (statsmodels); exact binomial when `exact` or (None) fewer than 25 discordant pairs, else
    chi-square with continuity correction."""
    from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

    a, b = _paired(a, b)
    if not (np.isin(a, (0, 1)).all() and np.isin(b, (0, 1)).all()):
        raise ValueError("McNemar needs binary (0/1) outcomes")
    only_a = int(((a == 1) & (b == 0)).sum())
    only_b = int(((a == 0) & (b == 1)).sum())
    discordant = only_a + only_b
    use_exact = discordant < 25 if exact is None else exact
    if discordant == 0:  # statsmodels' chi-square would divide 0 by 0
        return McNemarResult(only_a, only_b, 0.0, 1.0, use_exact)
    both = int(((a == 1) & (b == 1)).sum())
    neither = len(a) - both - discordant
    result = sm_mcnemar([[both, only_a], [only_b, neither]], exact=use_exact, correction=True)
    return McNemarResult(only_a, only_b, float(result.statistic), float(min(1.0, result.pvalue)), use_exact)


@dataclass(frozen=True)
class PairedTest:
    """A paired test of treated against baseline on the same items."""

    test: str  # mcnemar | wilcoxon
    statistic: float
    p_value: float
    n_informative: int  # discordant pairs (McNemar) or non-zero differences (Wilcoxon)

    def as_dict(self) -> dict[str, float | int | str]:
        """Plain dict for tables and metrics.json."""
        return asdict(self)


def paired_test(treated, baseline, binary: bool) -> PairedTest:
    """McNemar for one binary outcome per item and arm; otherwise Wilcoxon signed-rank on the per-item
    differences of the seed-averaged values (zero differences dropped; the exact null distribution for up to 50
    distinct differences, else the normal approximation with tie correction: scipy's 'auto' would run a slow
    permutation test when small samples have ties)."""
    from scipy import stats

    treated = _seed_item_matrix(treated, "treated")
    baseline = _seed_item_matrix(baseline, "baseline")
    if binary and treated.shape[0] == 1 and baseline.shape[0] == 1:
        result = mcnemar(treated[0], baseline[0])
        return PairedTest("mcnemar", result.statistic, result.p_value, result.only_a + result.only_b)
    diff = treated.mean(axis=0) - baseline.mean(axis=0)
    nonzero = int(np.count_nonzero(diff))
    if nonzero == 0:
        return PairedTest("wilcoxon", 0.0, 1.0, 0)
    kept = np.abs(diff[diff != 0])
    exact = nonzero <= 50 and len(np.unique(kept)) == len(kept)
    result = stats.wilcoxon(diff, zero_method="wilcox", method="exact" if exact else "approx")
    return PairedTest("wilcoxon", float(result.statistic), float(result.pvalue), nonzero)


def holm(p_values: Sequence[float], alpha: float = 0.05) -> np.ndarray:
    """Holm-adjusted p-values (statsmodels `multipletests`); NaN entries stay NaN and are not counted."""
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p_values, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    known = np.isfinite(p)
    if known.any():
        adjusted[known] = multipletests(p[known], alpha=alpha, method="holm")[1]
    return adjusted


def verdict(low: float, high: float, relation: str, bound: float = 0.0) -> str:
    """A claim `statistic <relation> bound` judged by its CI: reproduced when the whole interval satisfies it,
    not reproduced when the whole interval contradicts it, inconclusive when the interval straddles the bound."""
    if relation not in ("<", ">"):
        raise ValueError(f"relation must be '<' or '>', got {relation!r}")
    if not (math.isfinite(low) and math.isfinite(high)):
        return "inconclusive"
    below, above = high < bound, low > bound
    if relation == "<":
        return "reproduced" if below else "not reproduced" if above else "inconclusive"
    return "reproduced" if above else "not reproduced" if below else "inconclusive"


def combine_verdicts(verdicts: Sequence[str]) -> str:
    """One verdict for a claim of several parts: every part must hold, any contradicted part refutes it."""
    if not verdicts or "not run" in verdicts:
        return "not run"
    if "not reproduced" in verdicts:
        return "not reproduced"
    return "reproduced" if all(v == "reproduced" for v in verdicts) else "inconclusive"
