"""The metric table, pairing on 05's long format, the headline table and the inputs' checks."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from helpers import comparisons, study_results
from helpers.synthetic_results import SyntheticConfig, simulate_study, smaller


@pytest.fixture(scope="module")
def study():
    config = smaller(SyntheticConfig(), methods=["BASE", "INST", "DetoxDPO", "BiasDPO"], prompts=20, pairs=12)
    return simulate_study(config, seed=1)


def test_every_metric_of_the_table_is_read_from_the_long_format(study):
    values = comparisons.ItemValues(study.results.items)
    assert {s.name for s in values.available()} == {s.name for s in comparisons.METRICS}
    assert values.absent == {}
    assert set(values.languages("EMT_multilingual")) == set(SyntheticConfig().languages)
    assert values.languages("TP") == ["en"]


def test_derived_metrics_by_hand(study):
    items = study.results.items
    values = comparisons.ItemValues(items)
    doc = items[(items["benchmark"] == "heldout") & (items["model"] == "BASE-s0")].iloc[0]
    both = items[(items["model"] == "BASE-s0") & (items["item"] == doc["item"])].set_index("metric")["value"]
    expected = -both["sum_logprob"] / both["n_tokens"]
    assert values.table("heldout_nll").loc[(doc["language"], doc["item"]), "BASE-s0"] == pytest.approx(expected)
    soft = items[(items["benchmark"] == "crows") & (items["metric"] == "soft") & (items["model"] == "INST-s0")]
    row = soft.iloc[3]
    assert values.table("CrowS_bias").loc[(row["language"], row["item"]), "INST-s0"] == \
        pytest.approx(abs(row["value"] - 0.5))


def test_a_metric_missing_from_the_results_is_listed_not_an_error(study):
    items = study.results.items
    values = comparisons.ItemValues(items[items["benchmark"] != "knowledge"])
    assert not values.has("knowledge") and "knowledge" in values.absent["knowledge"]
    table = comparisons.headline_table(values, study.results.models, "BASE", comparisons.IntervalOptions(200))
    assert "knowledge" not in set(table["metric"])
    with pytest.raises(KeyError, match="not in the results"):
        values.table("knowledge")


def test_a_new_metric_is_one_line():
    # a detector-based metric that 05 starts writing: one MetricSpec, nothing else changes
    spec = comparisons.MetricSpec("detector_TP", "TP by the detector", "toxicity", "rtp", ("detector_toxic",),
                                  kind="binary", harm=True)
    config = smaller(SyntheticConfig(), methods=["BASE", "INST"], languages=("en", "fr"), shares=(0.7, 0.3),
                     vocabulary_overlap=(1.0, 0.3), prompts=15)
    items = simulate_study(config, seed=2).results.items
    extra = items[(items["benchmark"] == "rtp") & (items["metric"] == "toxic")].assign(metric="detector_toxic")
    study = simulate_study(config, seed=2)
    values = comparisons.ItemValues(pd.concat([items, extra]), comparisons.METRICS + (spec,))
    table = comparisons.headline_table(values, study.results.models, "BASE", comparisons.IntervalOptions(200))
    assert set(table.loc[table["metric"] == "detector_TP", "test"]) == {"mcnemar"}
    same = table.set_index("metric").loc[["detector_TP", "TP"], "estimate"]
    assert same.iloc[0] == same.iloc[1]


def test_headline_pairs_every_method_with_the_baseline_and_corrects_with_holm(study):
    values = comparisons.ItemValues(study.results.items)
    table = comparisons.headline_table(values, study.results.models, "BASE", comparisons.IntervalOptions(300))
    assert set(table["method"]) == {"INST", "DetoxDPO", "BiasDPO"}
    assert len(table) == 3 * len(comparisons.METRICS)
    assert (table["p_holm"] >= table["p_value"] - 1e-12).all()
    dpo = table[(table["method"] == "DetoxDPO") & (table["metric"] == "EMT")].iloc[0]
    assert dpo["seeds_treated"] == 3 and dpo["seeds_baseline"] == 1 and dpo["test"] == "wilcoxon"
    inst = table[(table["method"] == "INST") & (table["metric"] == "TP")].iloc[0]
    assert inst["test"] == "mcnemar"  # one seed on each side, a binary outcome per prompt
    assert inst["high"] < 0 and inst["improved"]  # INST's planted toxicity effect is large
    wide = comparisons.wide_headline(table)
    assert list(wide.index) == ["INST", "BiasDPO", "DetoxDPO"] and "EMT" in wide.columns


def test_pairing_keeps_only_items_every_model_scored(study):
    items = study.results.items.copy()
    target = (items["model"] == "DetoxDPO-s1") & (items["benchmark"] == "rtp") & (items["metric"] == "max_toxicity")
    items.loc[items[target].index[:3], "value"] = np.nan
    values = comparisons.ItemValues(items)
    treated, baseline, dropped = values.pair("EMT", ["DetoxDPO-s0", "DetoxDPO-s1", "DetoxDPO-s2"], ["BASE-s0"])
    assert dropped == 3 and treated.shape == (3, 17) and baseline.shape == (1, 17)


def test_inputs_are_checked_with_the_file_and_row_named(study):
    items = study.results.items
    with pytest.raises(ValueError, match=r"item_scores.parquet: missing columns \['value'\]"):
        study_results.check_items(items.drop(columns="value"), "item_scores.parquet")
    bad = items.astype({"value": object}).copy()
    bad.loc[5, "value"] = "high"
    with pytest.raises(ValueError, match="row 5 has a non-numeric value 'high'"):
        study_results.check_items(bad, "item_scores.parquet")
    with pytest.raises(ValueError, match="repeats"):
        study_results.check_items(pd.concat([items, items.iloc[:1]], ignore_index=True), "x.parquet")
    models = study.results.models
    with pytest.raises(ValueError, match=r"models \['INST-s0'\] have per-item scores but no row"):
        study_results.check_models(models[models["name"] != "INST-s0"], items, "models.parquet")


def test_old_model_tables_get_the_card_defaults(study):
    items = study.results.items
    old = study.results.models[["name", "method", "seed"]]
    models = study_results.check_models(old, items, "cards")
    assert list(models.columns[:len(study_results.MODEL_COLUMNS)]) == study_results.MODEL_COLUMNS
    assert (models["family"] == models["method"]).all() and (models["peft"] == "full").all()
    results = study_results.StudyResults("x", items, models, None, {})
    assert results.english_only_methods() == []  # unknown training languages are never taken for English only
    assert study.results.english_only_methods() == ["BiasDPO", "DetoxDPO"]
    assert study_results.is_english_only(np.array(["en"])) and not study_results.is_english_only(["en", "fr"])


@pytest.mark.parametrize("key, value, message", [
    ("mixed_metrics", ["EMT", "toxicty"], "06_statistics.mixed_metrics has unknown metrics ['toxicty']"),
    ("margins", {"knowledge": -0.1}, "margins must be >= 0"),
    ("ci_method", "studentized", "must be one of ['percentile', 'bca', 'basic']"),
    ("mixed_methods", ["BASE", "INST"], "must not repeat baseline_method"),
])
def test_bad_statistics_parameters_name_the_key(key, value, message):
    from helpers.params import ParamsError, load_profile, stage_params_from_profile, validate_stage

    values = stage_params_from_profile(load_profile("smoke"), "06_statistics")
    values[key] = value
    with pytest.raises(ParamsError, match=re.escape(message)):
        validate_stage("06_statistics", values)


def test_pairwise_table_compares_the_chosen_pairs_as_the_headline_does(study):
    values = comparisons.ItemValues(study.results.items)
    options = comparisons.IntervalOptions(300)
    metrics = ("CrowS_bias", "CrowS_association", "EMT")
    table = comparisons.pairwise_table(values, study.results.models,
                                       [("BiasDPO", "BASE"), ("BiasDPO", "INST"), ("BIAS_SFT", "BASE")], metrics,
                                       options)
    # a pair whose method this profile did not train is left out, not an error
    assert list(zip(table["treated"], table["baseline"])) == [("BiasDPO", "BASE")] * 3 + [("BiasDPO", "INST")] * 3
    headline = comparisons.headline_table(values, study.results.models, "BASE", options, list(metrics))
    mine = table[table["baseline"] == "BASE"].set_index("metric")["estimate"]
    theirs = headline[headline["method"] == "BiasDPO"].set_index("metric")["estimate"]
    assert mine.to_dict() == pytest.approx(theirs.to_dict())
    # the association is the pair's soft score itself, the bias strength its distance from 0.5
    association, strength = values.table("CrowS_association"), values.table("CrowS_bias")
    assert np.allclose((association - 0.5).abs().to_numpy(), strength.to_numpy())
