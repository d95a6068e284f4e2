"""Cross-lingual transfer and the papers' claims on synthetic results with planted effects."""

from __future__ import annotations

import pytest

from helpers import claims, comparisons, transfer
from helpers.synthetic_results import SyntheticConfig, simulate_study, smaller

OPTIONS = comparisons.IntervalOptions(resamples=300)
MARGINS = {"knowledge": 0.05, "fluency_log_ppl": 0.05, "EMT": 0.02}


@pytest.fixture(scope="module")
def study():
    return simulate_study(smaller(SyntheticConfig(), prompts=60, pairs=40), seed=7)


@pytest.fixture(scope="module")
def values(study):
    return comparisons.ItemValues(study.results.items)


def test_transfer_grows_with_the_planted_share(study, values):
    result = transfer.transfer_analysis(values, study.results, "DetoxDPO", "EMT_multilingual", "BASE", OPTIONS)
    assert result.fitted and result.regression_languages == ["de", "es", "fr", "it", "nl"]
    assert result.slope_low > 0 and transfer.transfer_verdict(result) == "reproduced"
    assert result.pearson_r > 0.7
    assert "01 trained-token shares" in result.share_source
    english = result.per_language.set_index("language").loc["en"]
    assert english["transfer"] > result.per_language.set_index("language").drop("en")["transfer"].max()
    assert set(result.overlap_model) == {"share", "overlap"}
    line = transfer.fitted_line(result)
    assert (line["low"] <= line["transfer"]).all() and (line["transfer"] <= line["high"]).all()


def test_a_method_without_transfer_shows_no_slope(study, values):
    # SR_LLM has no planted toxicity effect: its "transfer" of EMT is noise around 0 in every language
    result = transfer.transfer_analysis(values, study.results, "SR_LLM", "EMT_multilingual", "BASE", OPTIONS)
    assert result.slope_low < 0 < result.slope_high


def test_transfer_falls_back_to_the_planted_shares_and_needs_languages(study, values):
    study.results.token_shares, saved = {}, study.results.token_shares
    try:
        result = transfer.transfer_analysis(values, study.results, "DetoxDPO", "EMT_multilingual", "BASE", OPTIONS)
    finally:
        study.results.token_shares = saved
    assert result.share_source.startswith("ground_truth.json")
    two = simulate_study(smaller(SyntheticConfig(), methods=["BASE", "DetoxDPO"], languages=("en", "fr", "de"),
                                 shares=(0.6, 0.3, 0.1), vocabulary_overlap=(1, 0.3, 0.3), prompts=10), seed=1)
    few = transfer.transfer_analysis(comparisons.ItemValues(two.results.items), two.results, "DetoxDPO",
                                     "EMT_multilingual", "BASE", OPTIONS)
    assert not few.fitted and "need 3" in few.reason and transfer.transfer_verdict(few) == "not run"


def test_claims_follow_the_planted_effects(study, values):
    table, parts = claims.evaluate_claims(values, study.results, OPTIONS, MARGINS)
    verdicts = dict(zip(table["claim_id"], table["verdict"]))
    assert verdicts["P1"] == "reproduced"  # INST's planted toxicity effect
    assert verdicts["P2"] == "not reproduced"  # INST's planted knowledge loss exceeds the margin
    assert verdicts["W1"] == "reproduced"  # SGEAT's planted effect is three times DAPT's
    assert verdicts["N3"] == "reproduced"  # transfer planted proportional to share
    assert verdicts["A1"] == "reproduced"
    assert set(parts.columns) >= {"estimate", "low", "high", "bound", "verdict", "p_holm"}


def test_claims_whose_models_are_absent_are_not_run_never_an_error():
    small = simulate_study(smaller(SyntheticConfig(), methods=["BASE", "INST"], prompts=10, pairs=6), seed=2)
    values = comparisons.ItemValues(small.results.items)
    table, parts = claims.evaluate_claims(values, small.results, OPTIONS, MARGINS)
    assert len(table) == len(claims.CLAIMS)
    not_run = table[table["claim_id"] != "P1"]
    not_run = not_run[not_run["claim_id"] != "P2"]
    assert set(not_run["verdict"]) == {"not run"}
    assert "no evaluated model of SGEAT, DAPT in this profile" in table.set_index("claim_id").loc["W1", "reason"]
    assert parts[parts["verdict"] == "not run"]["estimate"].isna().all()


def test_a_transfer_claim_needs_an_english_only_method(study, values):
    models = study.results.models
    saved = models["train_languages"].copy()
    models["train_languages"] = [list(SyntheticConfig().languages)] * len(models)
    try:
        row = claims.evaluate_part(claims.CLAIMS[6].parts[0], values, study.results, OPTIONS, MARGINS)
    finally:
        models["train_languages"] = saved
    assert row["verdict"] == "not run" and "not trained on English only" in row["reason"]


def test_real_data_without_ground_truth_regresses_on_measured_shares(outputs_root):
    from helpers.study_results import load_study_results
    from synthetic_profile import write_synthetic_profile

    write_synthetic_profile(outputs_root, "real-tiny", rendered=False)
    (outputs_root / "real-tiny" / "00_data" / "datasets" / "ground_truth.json").unlink()
    results = load_study_results("real-tiny")
    assert results.ground_truth is None and results.sources["ground_truth"] == "none (real data)"
    values = comparisons.ItemValues(results.items)
    result = transfer.transfer_analysis(values, results, "DetoxDPO", "EMT_multilingual", "BASE", OPTIONS)
    assert result.fitted and result.share_source == "01 trained-token shares of BASE-s0"
    assert result.overlap_model == {}  # no recorded vocabulary overlap: share only


def test_missing_inputs_are_named(outputs_root):
    from helpers.study_results import load_study_results

    with pytest.raises(FileNotFoundError, match="item_scores.parquet does not exist: run 05_evaluation"):
        load_study_results("nothing")
