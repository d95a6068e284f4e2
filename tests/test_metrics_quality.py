"""Quality metrics: distinct-n, language fidelity, perplexity summaries and the knowledge probe."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers.engines.likelihood import corpus_perplexity, sequence_logprobs
from helpers.metrics.quality import (
    conditional_perplexities,
    distinct_n,
    distinct_n_per_prompt,
    heldout_perplexity,
    identify_languages,
    knowledge_probe_accuracy,
    knowledge_probe_items,
    off_language_share,
    perplexity_summary,
    probe_candidate_scores,
)
from tiny_models import corpus, single_thread, tiny_model, tiny_tokenizer, trained_model

NAN = float("nan")


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    with single_thread():
        yield


@pytest.fixture
def generations() -> pd.DataFrame:
    rows = [("p1", "a b a"), ("p1", "a b"), ("p1", ""), ("p2", "x y z"), ("p2", "w"), ("p3", ""), ("p3", "  ")]
    return pd.DataFrame(rows, columns=["prompt_id", "continuation"])


def test_distinct_n_by_hand(generations):
    per_prompt = distinct_n_per_prompt(generations).set_index("prompt_id")
    # p1: unigrams a b a a b -> 2/5; bigrams (a b) (b a) (a b) -> 2/3; trigram (a b a) -> 1/1
    assert per_prompt.loc["p1", ["distinct_1", "distinct_2", "distinct_3"]].tolist() == pytest.approx([0.4, 2 / 3, 1])
    # p2: 4 distinct words, bigrams (x y) (y z), trigram (x y z); n-grams never cross continuations
    assert per_prompt.loc["p2", ["distinct_1", "distinct_2", "distinct_3"]].tolist() == pytest.approx([1, 1, 1])
    assert per_prompt.loc["p3"][["distinct_1", "distinct_2", "distinct_3"]].isna().all()
    summary = distinct_n(generations).iloc[0]
    assert summary["distinct_1"] == pytest.approx(0.7)
    assert summary["distinct_2"] == pytest.approx((2 / 3 + 1) / 2)
    assert summary["distinct_3"] == pytest.approx(1.0)
    assert summary["n_prompts"] == 3 and summary["n_prompts_empty"] == 1 and summary["n_undefined_1"] == 1
    assert summary["denominator"] == "ngrams"


def test_distinct_n_dexperts_denominator_by_hand(generations):
    summary = distinct_n(generations, denominator="words").iloc[0]
    # unique n-grams over total words: p1 2/5, 2/5, 1/5; p2 4/4, 2/4, 1/4
    assert summary["distinct_1"] == pytest.approx(0.7)
    assert summary["distinct_2"] == pytest.approx((0.4 + 0.5) / 2)
    assert summary["distinct_3"] == pytest.approx((0.2 + 0.25) / 2)


def test_distinct_n_groups_and_bad_inputs(generations):
    frame = generations.assign(language=["en"] * 3 + ["fr"] * 4)
    table = distinct_n(frame, orders=(1,), by="language").set_index("language")
    assert table.loc["en", "distinct_1"] == pytest.approx(0.4) and table.loc["fr", "distinct_1"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="denominator"):
        distinct_n(generations, denominator="tokens")
    with pytest.raises(ValueError, match="lacks columns"):
        distinct_n(generations.rename(columns={"continuation": "text"}))


def test_identify_languages_with_and_without_candidates():
    texts = ["the children are playing in the garden with their dog",
             "les enfants jouent dans le jardin avec leur chien",
             "die Kinder spielen mit ihrem Hund im Garten",
             "", "   ", "12345 !!!", None]
    found = identify_languages(texts, candidates=["en", "fr", "de", "es"])
    assert found == ["en", "fr", "de", "unknown", "unknown", "unknown", "unknown"]
    assert identify_languages(texts[:3]) == ["en", "fr", "de"]
    # restricted to two candidates, a German sentence must be called one of them
    assert identify_languages(texts[2:3], candidates=["en", "fr"])[0] in {"en", "fr"}


def test_identify_languages_rejects_unknown_codes_and_abstains_when_unsure():
    with pytest.raises(ValueError, match="xx"):
        identify_languages(["hello"], candidates=["en", "xx"])
    with pytest.raises(ValueError, match="at least one"):
        identify_languages(["hello"], candidates=[])
    assert identify_languages(["ok"], min_confidence=0.999999) == ["unknown"]


def test_off_language_share_by_hand():
    frame = pd.DataFrame({"language": ["en", "en", "en", "fr", "fr"],
                          "continuation_language": ["en", "fr", "unknown", "fr", "fr"]})
    table = off_language_share(frame).set_index("language")
    assert table.loc["en", "n_off_language"] == 2 and table.loc["en", "n_unknown"] == 1
    assert table.loc["en", "off_language_share"] == pytest.approx(2 / 3)
    assert table.loc["fr", "off_language_share"] == 0.0
    assert off_language_share(frame, by=None).iloc[0]["off_language_share"] == pytest.approx(0.4)


def test_perplexity_summary_by_hand():
    per_item = pd.DataFrame({"perplexity": [2.0, 4.0, NAN, 1e5, 3.0],
                             "empty": [False, False, True, False, False]})
    plain = perplexity_summary(per_item).iloc[0]
    assert plain["share_empty"] == pytest.approx(0.2) and plain["n_empty"] == 1
    assert plain["median_perplexity"] == pytest.approx(3.5)
    assert plain["mean_perplexity"] == pytest.approx((2 + 4 + 1e5 + 3) / 4)
    capped = perplexity_summary(per_item, max_perplexity=1e4).iloc[0]
    assert capped["median_perplexity"] == pytest.approx(3.0) and capped["mean_perplexity"] == pytest.approx(3.0)
    assert capped["share_above_max"] == pytest.approx(0.25) and capped["max_perplexity"] == 1e4


@pytest.fixture(scope="module")
def model():
    return trained_model(corpus(), steps=60)


def test_conditional_perplexity_is_exp_of_minus_mean_logprob(model):
    tokenizer = tiny_tokenizer()
    prompts = ["the cat sees", "a dog", "my friend"]
    continuations = [" the river.", "", " helps the farmer."]
    per_item = conditional_perplexities(model, tokenizer, prompts, continuations)
    reference = sequence_logprobs(model, tokenizer, continuations, contexts=prompts)
    assert per_item["empty"].tolist() == [False, True, False]
    assert math.isnan(per_item.loc[1, "perplexity"])
    np.testing.assert_allclose(per_item.loc[[0, 2], "perplexity"], np.exp(-reference.loc[[0, 2], "mean_logprob"]))
    assert perplexity_summary(per_item).iloc[0]["share_empty"] == pytest.approx(1 / 3)


def test_heldout_perplexity_per_language_and_overall(model):
    tokenizer = tiny_tokenizer()
    texts = ["the cat sees the river.", "le chat dort sur la table.", "a dog likes an apple."]
    table = heldout_perplexity(model, tokenizer, texts, ["en", "fr", "en"]).set_index("language")
    assert list(table.index) == ["en", "fr", "all"]
    assert table.loc["all", "perplexity"] == pytest.approx(corpus_perplexity(model, tokenizer, texts))
    assert table.loc["en", "perplexity"] == pytest.approx(corpus_perplexity(model, tokenizer, [texts[0], texts[2]]))
    assert table.loc["all", "n_texts"] == 3


def test_probe_decision_rule_by_hand():
    scores = pd.DataFrame({
        "item": [0, 0, 0, 1, 1, 2, 2, 3, 3],
        "language": ["en", "en", "en", "fr", "fr", "en", "en", "fr", "fr"],
        "candidate": list("abcabababab"[:9]),
        "is_answer": [True, False, False, True, False, True, False, True, False],
        "sum_logprob": [-1.0, -2.0, -3.0, -2.0, -2.0, -1.0, NAN, NAN, -5.0],
    })
    items = knowledge_probe_items(scores)
    # item 0 right; item 1 a tie (wrong); item 2 right over an unscored candidate; item 3 answer unscored (wrong)
    assert items["correct"].tolist() == [True, False, True, False]
    table = knowledge_probe_accuracy(items).set_index("language")
    assert table.loc["en", "accuracy"] == 1.0 and table.loc["fr", "accuracy"] == 0.0
    overall = knowledge_probe_accuracy(items, by=None).iloc[0]
    assert overall["accuracy"] == 0.5 and overall["chance"] == pytest.approx((1 / 3 + 3 * 0.5) / 4)


FACTS = {"alpha": "paris", "beta": "rome", "gamma": "oslo", "delta": "lima"}


def test_probe_on_a_model_that_learned_the_facts():
    tokenizer = tiny_tokenizer()
    learned = trained_model([f"{k} lives in {v}." for k, v in FACTS.items()], steps=120)
    probe = pd.DataFrame({"fact_id": list(FACTS), "language": "en",
                          "prompt": [f"{k} lives in " for k in FACTS],  # trailing space moves into the candidate
                          "answer": list(FACTS.values()),
                          "candidates": [list(FACTS.values())] * len(FACTS)})
    scores = probe_candidate_scores(learned, tokenizer, probe)
    assert len(scores) == 16 and scores["n_tokens"].gt(0).all()
    accuracy = knowledge_probe_accuracy(knowledge_probe_items(scores)).iloc[0]
    assert accuracy["accuracy"] == 1.0 and accuracy["chance"] == 0.25
    untrained = knowledge_probe_items(probe_candidate_scores(tiny_model(seed=5), tokenizer, probe))
    assert untrained["correct"].mean() < 1.0


def test_probe_rejects_an_answer_outside_its_candidates():
    probe = pd.DataFrame({"prompt": ["x is"], "answer": ["y"], "candidates": [["a", "b"]]})
    with pytest.raises(ValueError, match="not among its candidates"):
        probe_candidate_scores(tiny_model(), tiny_tokenizer(), probe)
