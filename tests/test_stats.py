"""Paired bootstrap CI and McNemar's test against hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers.stats import mcnemar, paired_bootstrap_ci


def test_constant_difference_gives_a_degenerate_interval():
    a = np.array([0.7, 0.2, 0.9, 0.4])
    result = paired_bootstrap_ci(a, a - 0.25, resamples=500, seed=1)
    assert result.estimate == pytest.approx(0.25)
    assert result.low == pytest.approx(0.25) and result.high == pytest.approx(0.25)
    assert result.excludes_zero() and result.n == 4


def test_two_items_match_the_hand_computed_resampling_distribution():
    # differences {1, 0}: a resampled mean is 0, 0.5 or 1 with probabilities 1/4, 1/2, 1/4
    a, b = np.array([1.0, 0.0]), np.array([0.0, 0.0])
    wide = paired_bootstrap_ci(a, b, resamples=20_000, level=0.95, seed=3)
    assert (wide.low, wide.high) == (0.0, 1.0)
    # the 30% and 70% quantiles both fall inside the mass at 0.5
    narrow = paired_bootstrap_ci(a, b, resamples=20_000, level=0.4, seed=3)
    assert (narrow.low, narrow.high) == (0.5, 0.5)
    assert not wide.excludes_zero()


def test_interval_width_matches_the_normal_approximation():
    rng = np.random.default_rng(0)
    b = rng.normal(size=400)
    a = b + 0.3 + rng.normal(size=400)  # differences ~ N(0.3, 1): half-width ~ 1.96 / sqrt(400)
    result = paired_bootstrap_ci(a, b, resamples=4000, seed=0)
    diff = a - b
    half = 1.96 * diff.std(ddof=1) / math.sqrt(len(diff))
    assert result.estimate == pytest.approx(diff.mean())
    assert (result.high - result.low) / 2 == pytest.approx(half, rel=0.1)
    assert result.low < diff.mean() < result.high and result.excludes_zero()


def test_bootstrap_is_seeded_and_chunking_does_not_change_it():
    rng = np.random.default_rng(1)
    a, b = rng.random(50), rng.random(50)
    first = paired_bootstrap_ci(a, b, resamples=1500, seed=7)
    assert first == paired_bootstrap_ci(a, b, resamples=1500, seed=7, chunk=1500)
    assert first != paired_bootstrap_ci(a, b, resamples=1500, seed=8)


@pytest.mark.parametrize("a, b, message", [
    ([1, 0, 1], [1, 0], "same length"),
    ([], [], "empty"),
    ([1.0, float("nan")], [0.0, 1.0], "NaN"),
])
def test_bootstrap_rejects_bad_inputs(a, b, message):
    with pytest.raises(ValueError, match=message):
        paired_bootstrap_ci(a, b)


def test_mcnemar_exact_matches_the_binomial_by_hand():
    # 10 items only a is 1, 2 items only b is 1, 5 concordant pairs of each kind
    a = [1] * 10 + [0] * 2 + [1] * 5 + [0] * 5
    b = [0] * 10 + [1] * 2 + [1] * 5 + [0] * 5
    result = mcnemar(a, b)
    # two-sided: 2 * P(X <= 2), X ~ Binomial(12, 1/2) = 2 * (1 + 12 + 66) / 4096
    assert result.exact and (result.only_a, result.only_b) == (10, 2)
    assert result.p_value == pytest.approx(2 * 79 / 4096)


def test_mcnemar_chi_square_with_continuity_correction_by_hand():
    a = [1] * 30 + [0] * 10 + [1] * 7
    b = [0] * 30 + [1] * 10 + [1] * 7
    result = mcnemar(a, b)
    statistic = (abs(30 - 10) - 1) ** 2 / 40
    assert not result.exact and result.statistic == pytest.approx(statistic)
    # chi-square with 1 degree of freedom: P(X > s) = erfc(sqrt(s / 2))
    assert result.p_value == pytest.approx(math.erfc(math.sqrt(statistic / 2)))
    assert mcnemar(b, a).p_value == pytest.approx(result.p_value)


def test_mcnemar_edge_cases():
    assert mcnemar([1, 0, 1], [1, 0, 1]).p_value == 1.0
    assert mcnemar([1] * 6, [0] * 6).p_value == pytest.approx(2 / 64)
    with pytest.raises(ValueError, match="binary"):
        mcnemar([0.2, 1], [0, 1])
