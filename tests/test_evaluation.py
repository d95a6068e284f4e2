"""The evaluation protocol of notebook 05: subsets, the lexicon stereotype score, the headline table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers import evaluation
from helpers.params import load_profile


def test_protocol_comes_from_the_parameters_with_named_operators():
    params = load_profile("smoke")["05_evaluation"]
    config = evaluation.EvaluationConfig.from_params({**params, "toxicity_operator": "gt"})
    assert config.operator == ">" and config.decoding.top_k == 0
    captions = config.captions()
    assert "toxicity > 0.5" in captions["toxicity"] and "summed log-prob" in captions["crows"]
    assert f"k={params['num_samples']} samples" in captions["decoding"]


def test_seeded_subsets_are_stable_and_keep_parallel_items_aligned():
    frame = pd.DataFrame({"item": [f"i{n}" for n in range(10)] * 2, "language": ["en"] * 10 + ["fr"] * 10})
    first = evaluation._seeded_subset(frame, "item", 4, seed=0, label="ml")
    again = evaluation._seeded_subset(frame.sample(frac=1, random_state=3), "item", 4, seed=0, label="ml")
    assert first.equals(again)
    by_language = first.groupby("language")["item"].apply(set)
    assert by_language["en"] == by_language["fr"] and len(by_language["en"]) == 4
    other = evaluation._seeded_subset(frame, "item", 4, seed=1, label="ml")
    assert set(other["item"]) != set(first["item"])


def test_stereotype_choices_by_hand():
    pairs = {"en": [["lazy", "hardworking"], ["rude", "polite"]]}
    texts = ["they are lazy.", "they are hardworking and kind", "they are lazy, or polite", "nothing here", ""]
    got = evaluation.stereotype_choices(texts, ["en"] * 5, pairs)
    assert got[0] == 1.0 and got[1] == 0.0
    assert np.isnan(got[2:]).all()  # both kinds, or neither: no choice was made


def _long(model: str, rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["benchmark", "language", "item", "metric", "value"])
    return frame.assign(model=model, method=model, seed=0)[evaluation.LONG_COLUMNS]


def test_headline_by_hand():
    long = _long("BASE", [
        ("rtp", "en", "p1", "max_toxicity", 0.9), ("rtp", "en", "p2", "max_toxicity", 0.1),
        ("rtp", "en", "p1", "toxic", 1.0), ("rtp", "en", "p2", "toxic", 0.0),
        ("crows", "en", "crows-en-norlanders-000", "stereotyped", 1.0),
        ("crows", "en", "crows-en-norlanders-001", "stereotyped", 0.0),
        ("crows", "en", "crows-en-norlanders-000", "soft", 0.8),
        ("crows", "en", "crows-en-norlanders-001", "soft", 0.4),
        ("fluency", "en", "p1", "log_perplexity", math.log(4.0)), ("fluency", "en", "p2", "log_perplexity", math.log(16.0)),
        ("heldout", "en", "d1", "sum_logprob", -10.0), ("heldout", "en", "d1", "n_tokens", 5.0),
        ("heldout", "en", "d2", "sum_logprob", -2.0), ("heldout", "en", "d2", "n_tokens", 1.0),
        ("knowledge", "en", "f1", "correct", 1.0), ("knowledge", "en", "f2", "correct", 0.0),
    ])
    pairs = pd.DataFrame({"pair_id": ["crows-en-norlanders-000", "crows-en-norlanders-001"],
                          "group": ["norlanders"] * 2, "bias_type": ["nationality"] * 2})
    truth = {"groups": [{"group": "norlanders", "stereotype_rate": 0.2}]}
    row = evaluation.headline(long, pairs, truth).iloc[0]
    assert row["EMT"] == pytest.approx(0.5) and row["TP"] == pytest.approx(0.5)
    assert row["CrowS_pct"] == pytest.approx(50.0) and row["CrowS_soft"] == pytest.approx(0.6)
    assert row["fluency_ppl"] == pytest.approx(8.0)  # geometric mean of 4 and 16
    assert row["heldout_ppl"] == pytest.approx(math.exp(12 / 6))  # token-weighted
    assert row["knowledge_acc"] == pytest.approx(0.5)
    assert row["stereotype_rate_MAE"] == pytest.approx(0.4)  # |0.6 - 0.2|


def test_group_associations_average_per_group():
    long = _long("M", [("crows", "en", "a", "soft", 0.9), ("crows", "en", "b", "soft", 0.5),
                       ("crows", "en", "c", "soft", 0.2)])
    pairs = pd.DataFrame({"pair_id": ["a", "b", "c"], "group": ["g1", "g1", "g2"], "bias_type": ["t", "t", "t"]})
    table = evaluation.group_associations(long, pairs).set_index("group")["soft_association"]
    assert table["g1"] == pytest.approx(0.7) and table["g2"] == pytest.approx(0.2)


def test_unknown_evaluation_language_is_a_clear_error(outputs_root):
    from helpers import io

    folder = outputs_root / "smoke" / "00_data" / "datasets"
    folder.mkdir(parents=True)
    empty = {"language": ["en"], "item": ["i"], "text": ["t"], "prompt_id": ["p"], "prompt_toxicity": [0.1],
             "prompt_type": ["neutral"], "source": ["synthetic"]}
    io.write_parquet(folder / "multilingual_prompts.parquet", pd.DataFrame(empty))
    io.write_parquet(folder / "pretraining_corpus.parquet",
                     pd.DataFrame({"doc_id": ["d"], "language": ["en"], "text": ["x"], "split": ["heldout"]}))
    params = {**load_profile("smoke")["05_evaluation"], "eval_languages": ["en", "xx"]}
    config = evaluation.EvaluationConfig.from_params(params)
    with pytest.raises(ValueError, match=r"eval_languages \['xx'\] are not in the data"):
        evaluation.load_evaluation_data("smoke", config, seed=0)


def test_pairs_without_a_group_are_grouped_by_their_bias_type():
    # real CrowS-Pairs name a bias type only; without the fallback 05's association figure was empty on real data
    import pandas as pd

    from helpers import evaluation

    long = pd.DataFrame({"model": ["m"] * 3, "benchmark": ["crows"] * 3, "metric": ["soft"] * 3,
                         "item": ["a", "b", "c"], "value": [0.8, 0.6, 0.3]})
    pairs = pd.DataFrame({"pair_id": ["a", "b", "c"], "group": [None, None, "weavers"],
                          "bias_type": ["gender", "gender", "occupation"]})
    table = evaluation.group_associations(long, pairs).set_index("group")["soft_association"]
    assert table.to_dict() == pytest.approx({"gender": 0.7, "weavers": 0.3})
