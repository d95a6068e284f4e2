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


# --- the study's paired design: seeds, the resampling unit, power, tests, Holm, verdicts -----------------------

from helpers.stats import (combine_verdicts, holm, paired_difference, paired_test,  # noqa: E402
                           verdict)


def test_identical_models_give_intervals_that_contain_zero():
    rng = np.random.default_rng(0)
    single = rng.random((1, 60))
    result = paired_difference(single, single, resamples=300)
    assert (result.estimate, result.low, result.high) == (0.0, 0.0, 0.0)
    assert paired_test(single, single, binary=False).p_value == 1.0
    # the same three seed models on both sides: the seeds of each arm are resampled independently (the runs of
    # two methods are not paired), so the interval has a width, centred on 0
    seeds = rng.random((3, 60))
    result = paired_difference(seeds, seeds, resamples=300)
    assert result.estimate == 0.0 and result.low < 0 < result.high


def test_models_of_the_same_distribution_cover_zero_at_the_nominal_rate():
    # two arms drawn from the same distribution (3 seeds each, shared item effects): the 95% CI holds 0 ~95% of
    # the time; the pigeonhole bootstrap is slightly conservative, never much below nominal
    rng = np.random.default_rng(2)
    covered = 0
    replicates = 150
    for replicate in range(replicates):
        items = rng.normal(0, 1, 80)
        arms = [items + rng.normal(0, 0.05, (3, 1)) + rng.normal(0, 0.4, (3, 80)) for _ in range(2)]
        result = paired_difference(*arms, resamples=300, seed=replicate)
        covered += result.low <= 0 <= result.high
    assert 0.88 <= covered / replicates <= 1.0


def test_a_planted_difference_is_detected_at_the_stated_power():
    # the stated design: 200 items, per-item differences with sd 1, a planted mean difference of
    # (z_0.975 + z_0.80) / sqrt(200) = 0.198 has 80% power at a two-sided 5% level
    from scipy.stats import norm

    n, power = 200, 0.80
    planted = (norm.ppf(0.975) + norm.ppf(power)) / math.sqrt(n)
    rng = np.random.default_rng(3)
    detected = 0
    replicates = 200
    for replicate in range(replicates):
        baseline = rng.normal(0, 1, n)
        treated = baseline + planted + rng.normal(0, 1, n)
        detected += paired_difference(treated, baseline, resamples=300, seed=replicate).excludes_zero()
    # binomial standard error of the detection rate over 200 replicates is 0.028
    assert abs(detected / replicates - power) < 0.09


def test_the_prompt_is_the_resampling_unit():
    # k continuations of a prompt share the prompt's propensity: resampling continuations as if independent
    # gives intervals far too narrow, resampling prompts (their k samples together) keeps the nominal coverage
    from helpers.synthetic_results import SyntheticConfig, simulate_study, smaller

    k = 10

    def scores(seed: int, prompts: int) -> dict[str, np.ndarray]:
        # one model per method and no run-to-run variation: prompts and samples are the only randomness
        config = smaller(SyntheticConfig(), methods=["BASE", "INST"], languages=("en",), shares=(1.0,),
                         vocabulary_overlap=(1.0,), prompts=prompts, samples=k, pairs=2, bold_prompts=2, facts=2,
                         heldout_docs=2, seed_sd=0.0)
        samples = simulate_study(config, seed=seed).samples
        return {m: part["toxicity"].to_numpy().reshape(prompts, k) for m, part in samples.groupby("model")}

    large = scores(1000, 2000)  # the estimand: the expected difference over the population of prompts
    expected = float((large["INST-s0"] - large["BASE-s0"]).mean())
    covered = {"prompt": 0, "sample": 0}
    widths = {"prompt": [], "sample": []}
    replicates = 80
    for replicate in range(replicates):
        drawn = scores(replicate, 60)
        for unit, reduce in (("prompt", lambda x: x.mean(axis=1)), ("sample", np.ravel)):
            result = paired_bootstrap_ci(reduce(drawn["INST-s0"]), reduce(drawn["BASE-s0"]), resamples=300,
                                         seed=replicate)
            widths[unit].append(result.high - result.low)
            covered[unit] += result.low <= expected <= result.high
    assert np.mean(widths["sample"]) < 0.7 * np.mean(widths["prompt"])
    assert covered["prompt"] / replicates >= 0.87
    assert covered["sample"] / replicates <= 0.75


def test_resampling_seeds_keeps_intervals_honest_when_training_runs_differ():
    # three seeds whose runs differ: the items x seeds bootstrap covers the method's effect far more often than
    # an interval that resamples items only (which treats the three runs as the method)
    rng = np.random.default_rng(4)
    covered_both = covered_items = 0
    replicates = 150
    for replicate in range(replicates):
        items = rng.normal(0, 1, 150)
        baseline = items + rng.normal(0, 0.3, (1, 150))
        treated = items - 0.1 + rng.normal(0, 0.1, (3, 1)) + rng.normal(0, 0.3, (3, 150))
        both = paired_difference(treated, baseline, resamples=300, seed=replicate)
        only_items = paired_bootstrap_ci(treated.mean(axis=0), baseline[0], resamples=300, seed=replicate)
        covered_both += both.low <= -0.1 <= both.high
        covered_items += only_items.low <= -0.1 <= only_items.high
    assert covered_both / replicates >= 0.85
    assert covered_items / replicates <= 0.8


def test_relative_reduction_and_the_interval_methods():
    rng = np.random.default_rng(5)
    baseline = rng.uniform(0.2, 0.6, (1, 100))
    treated = 0.5 * baseline + rng.normal(0, 0.01, (3, 100))
    result = paired_difference(treated, baseline, statistic="relative_reduction", resamples=500)
    assert result.estimate == pytest.approx(1 - treated.mean() / baseline.mean())
    assert result.low < 0.5 < result.high or abs(result.estimate - 0.5) < 0.02
    for method in ("percentile", "bca", "basic"):
        interval = paired_difference(treated, baseline, resamples=500, method=method)
        assert interval.low < interval.estimate < interval.high
    with pytest.raises(ValueError, match="same items"):
        paired_difference(treated, baseline[:, :50])
    with pytest.raises(ValueError, match="NaN"):
        paired_difference(np.array([[1.0, np.nan]]), np.array([[0.0, 0.0]]))


def test_paired_test_uses_mcnemar_for_one_binary_outcome_per_arm_else_wilcoxon():
    from scipy.stats import wilcoxon

    a = np.array([1] * 10 + [0] * 2 + [1] * 5 + [0] * 5, dtype=float)
    b = np.array([0] * 10 + [1] * 2 + [1] * 5 + [0] * 5, dtype=float)
    chosen = paired_test(a, b, binary=True)
    assert chosen.test == "mcnemar" and chosen.p_value == pytest.approx(2 * 79 / 4096)
    seeds = np.vstack([a, b, a])  # three seeds: the seed-averaged outcome is no longer binary
    chosen = paired_test(seeds, b, binary=True)
    assert chosen.test == "wilcoxon"
    assert chosen.p_value == pytest.approx(wilcoxon(seeds.mean(axis=0) - b, method="approx").pvalue)


def test_holm_against_a_hand_computed_case():
    # sorted p: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 = 0.04 -> monotone 0.06
    adjusted = holm([0.01, 0.04, 0.03, 0.005, float("nan")])
    assert adjusted[:4] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert math.isnan(adjusted[4])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def test_verdicts_from_intervals():
    assert verdict(-0.3, -0.1, "<") == "reproduced"
    assert verdict(0.1, 0.3, "<") == "not reproduced"
    assert verdict(-0.1, 0.1, "<") == "inconclusive"
    # non-inferiority: knowledge may drop by at most 0.05
    assert verdict(-0.04, 0.02, ">", -0.05) == "reproduced"
    assert verdict(-0.2, -0.08, ">", -0.05) == "not reproduced"
    assert verdict(float("nan"), float("nan"), "<") == "inconclusive"
    assert combine_verdicts(["reproduced", "reproduced"]) == "reproduced"
    assert combine_verdicts(["reproduced", "inconclusive"]) == "inconclusive"
    assert combine_verdicts(["inconclusive", "not reproduced"]) == "not reproduced"
    assert combine_verdicts(["reproduced", "not run"]) == "not run"
