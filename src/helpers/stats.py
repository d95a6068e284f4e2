"""Paired statistics over the same items: bootstrap CI of a mean difference, McNemar's test."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class BootstrapResult:
    """Mean of `a - b` over paired items with a percentile bootstrap interval."""

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


def paired_bootstrap_ci(a, b, resamples: int = 10_000, level: float = 0.95, seed: int = 0,
                        chunk: int = 1_000) -> BootstrapResult:
    """Percentile bootstrap CI of mean(a - b), resampling items (rows of the pair) with replacement, seeded."""
    a, b = _paired(a, b)
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    diff = a - b
    n = len(diff)
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    # chunks bound memory at chunk x n indices for large item sets
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        means[start:start + size] = diff[rng.integers(0, n, size=(size, n))].mean(axis=1)
    alpha = (1 - level) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return BootstrapResult(estimate=float(diff.mean()), low=float(low), high=float(high), level=level, n=n,
                           resamples=resamples)


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
    """McNemar's test; exact binomial when `exact` or (None) fewer than 25 discordant pairs, else chi-square
    with continuity correction."""
    from scipy import stats

    a, b = _paired(a, b)
    if not (np.isin(a, (0, 1)).all() and np.isin(b, (0, 1)).all()):
        raise ValueError("McNemar needs binary (0/1) outcomes")
    only_a = int(((a == 1) & (b == 0)).sum())
    only_b = int(((a == 0) & (b == 1)).sum())
    discordant = only_a + only_b
    use_exact = discordant < 25 if exact is None else exact
    if discordant == 0:
        return McNemarResult(only_a, only_b, 0.0, 1.0, use_exact)
    if use_exact:
        statistic = float(min(only_a, only_b))
        p_value = min(1.0, 2 * float(stats.binom.cdf(statistic, discordant, 0.5)))
    else:
        statistic = (abs(only_a - only_b) - 1) ** 2 / discordant
        p_value = float(stats.chi2.sf(statistic, df=1))
    return McNemarResult(only_a, only_b, float(statistic), p_value, use_exact)
