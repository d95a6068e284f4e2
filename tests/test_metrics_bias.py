"""CrowS-Pairs and BOLD metrics: hand-computed fixtures, a scorer with planted preferences, a fitted model."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers.metrics.bias import (
    bold_gaps,
    bold_group_scores,
    crows_caption,
    crows_pair_scores,
    crows_summary,
    score_crows_pairs,
)
from tiny_models import single_thread, tiny_tokenizer, trained_model

NAN = float("nan")


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    with single_thread():
        yield


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@pytest.fixture
def pairs() -> pd.DataFrame:
    return pd.DataFrame({
        "pair_id": ["a", "b", "c", "d", "e"],
        "language": "en",
        "sent_more": ["m1", "m2", "m3", "m4", ""],
        "sent_less": ["l1", "l2", "l3", "l4", "l5"],
        "stereo_antistereo": ["stereo", "stereo", "antistereo", "stereo", "stereo"],
        "bias_type": ["gender", "gender", "race", "race", "race"],
        "group": ["women", "men", "black", "white", "white"],
    })


def loglik(sums, tokens) -> pd.DataFrame:
    sums, tokens = np.array(sums, dtype=float), np.array(tokens)
    return pd.DataFrame({"sum_logprob": sums, "mean_logprob": sums / np.where(tokens > 0, tokens, np.nan),
                         "n_tokens": tokens})


@pytest.fixture
def more():
    return loglik([-10, -12, -8, -5, NAN], [5, 4, 4, 5, 0])


@pytest.fixture
def less():
    return loglik([-11, -12, -9, -4, -3], [5, 6, 3, 2, 2])


def test_summed_variant_by_hand(pairs, more, less):
    per_pair = crows_pair_scores(pairs, more, less, score="sum")
    # differences 1, 0 (tie), 1, -1, missing
    assert per_pair["diff"].iloc[:4].tolist() == [1, 0, 1, -1]
    assert per_pair["stereotyped"].iloc[:4].tolist() == [True, False, True, False]
    assert per_pair["tie"].iloc[:4].tolist() == [False, True, False, False]
    row = crows_summary(per_pair).iloc[0]
    assert row["n_pairs"] == 5 and row["n_missing"] == 1 and row["n_ties"] == 1
    assert row["pct_stereotype"] == pytest.approx(50.0)  # 2 of 4, the tie stays in the denominator
    assert row["likelihood_diff"] == pytest.approx(0.25)  # (1 + 0 + 1 - 1) / 4
    assert row["abs_likelihood_diff"] == pytest.approx(0.75)
    expected_soft = (2 * sigmoid(1) + 0.5 + sigmoid(-1)) / 4
    assert row["soft_association"] == pytest.approx(expected_soft)
    assert row["score"] == "sum"


def test_mean_variant_changes_the_verdict(pairs, more, less):
    per_pair = crows_pair_scores(pairs, more, less, score="mean")
    # means: more -2, -3, -2, -1; less -2.2, -2, -3, -2 -> diffs 0.2, -1, 1, 1
    assert per_pair["diff"].iloc[:4].tolist() == pytest.approx([0.2, -1, 1, 1])
    assert crows_summary(per_pair).iloc[0]["pct_stereotype"] == pytest.approx(75.0)


def test_per_bias_type_and_per_group(pairs, more, less):
    per_pair = crows_pair_scores(pairs, more, less)
    by_type = crows_summary(per_pair, by="bias_type").set_index("bias_type")
    assert by_type.loc["gender", "pct_stereotype"] == pytest.approx(50.0)
    assert by_type.loc["race", "pct_stereotype"] == pytest.approx(50.0)
    assert by_type.loc["race", "n_missing"] == 1
    by_group = crows_summary(per_pair, by="group").set_index("group")
    assert by_group.loc["women", "pct_stereotype"] == 100.0 and by_group.loc["men", "pct_stereotype"] == 0.0
    assert by_group.loc["white", "likelihood_diff"] == pytest.approx(-1.0)  # pair d only; e is missing
    assert by_group.loc["white", "n_pairs"] == 2 and by_group.loc["white", "n_missing"] == 1
    by_direction = crows_summary(per_pair, by="stereo_antistereo").set_index("stereo_antistereo")
    assert by_direction.loc["antistereo", "pct_stereotype"] == 100.0


def test_soft_association_recovers_planted_rates():
    """A scorer whose sentences differ only in the attribute: log p(more) - log p(less) = log r - log(1 - r)."""
    rates = {"cats": 0.8, "dogs": 0.5, "birds": 0.15}
    rows, more_sums, less_sums = [], [], []
    for group, rate in rates.items():
        for i in range(3):
            rows.append({"pair_id": f"{group}{i}", "bias_type": "animal", "group": group})
            shared = -4.0 - i  # the sentence's other tokens, identical in both sentences of a pair
            more_sums.append(shared + math.log(rate))
            less_sums.append(shared + math.log(1 - rate))
    pairs = pd.DataFrame(rows)
    per_pair = crows_pair_scores(pairs, loglik(more_sums, [6] * 9), loglik(less_sums, [6] * 9))
    table = crows_summary(per_pair, by="group").set_index("group")
    for group, rate in rates.items():
        assert table.loc[group, "soft_association"] == pytest.approx(rate, abs=1e-12)
    assert table.loc["cats", "pct_stereotype"] == 100.0 and table.loc["birds", "pct_stereotype"] == 0.0
    assert table.loc["dogs", "pct_stereotype"] == 0.0 and table.loc["dogs", "n_ties"] == 3


def test_model_fitted_on_one_sentence_prefers_it():
    tokenizer = tiny_tokenizer()
    model = trained_model(["the nurse is kind."], steps=30)
    pairs = pd.DataFrame({
        "pair_id": ["p", "q"], "bias_type": "gender", "group": "nurse",
        "sent_more": ["the nurse is kind.", "the nurse is rude."],
        "sent_less": ["the nurse is rude.", "the nurse is kind."],
    })
    for score in ("sum", "mean"):
        per_pair = score_crows_pairs(model, tokenizer, pairs, score=score)
        assert per_pair["stereotyped"].tolist() == [True, False]
        assert per_pair["diff"].iloc[0] == pytest.approx(-per_pair["diff"].iloc[1])
        assert crows_summary(per_pair).iloc[0]["pct_stereotype"] == 50.0
        if score == "sum":
            assert per_pair["soft"].iloc[0] > 0.9


def test_bad_crows_inputs(pairs, more, less):
    with pytest.raises(ValueError, match="score"):
        crows_pair_scores(pairs, more, less, score="geometric")
    with pytest.raises(ValueError, match="align"):
        crows_pair_scores(pairs, more.iloc[:3], less)
    with pytest.raises(ValueError, match="cannot group by"):
        crows_summary(crows_pair_scores(pairs, more, less), by="nationality")


def test_caption_names_the_variant():
    assert "summed log-prob" in crows_caption("sum") and "per-token mean" in crows_caption("mean")


@pytest.fixture
def bold() -> pd.DataFrame:
    rows = [
        ("gender", "men", 0.1), ("gender", "men", 0.3), ("gender", "women", 0.5), ("gender", "women", NAN),
        ("race", "a", 0.2), ("race", "b", 0.2), ("race", "c", 0.0), ("race", "c", 0.1),
        ("religion", "x", NAN),
    ]
    return pd.DataFrame(rows, columns=["domain", "group", "toxicity"])


def test_bold_group_means_and_gaps_by_hand(bold):
    groups = bold_group_scores(bold)
    indexed = groups.set_index(["domain", "group"])
    assert indexed.loc[("gender", "men"), "mean"] == pytest.approx(0.2)
    assert indexed.loc[("gender", "women"), "mean"] == pytest.approx(0.5)
    assert indexed.loc[("gender", "women"), "n_failures"] == 1 and indexed.loc[("gender", "women"), "n"] == 2
    assert indexed.loc[("race", "c"), "mean"] == pytest.approx(0.05)
    gaps = bold_gaps(groups).set_index("domain")
    assert gaps.loc["gender", "gap"] == pytest.approx(0.3)
    assert (gaps.loc["gender", "max_group"], gaps.loc["gender", "min_group"]) == ("women", "men")
    assert gaps.loc["race", "gap"] == pytest.approx(0.15) and gaps.loc["race", "min_group"] == "c"
    assert gaps.loc["race", "n_groups"] == 3
    # a domain whose every score failed has no gap rather than a gap of 0
    assert gaps.loc["religion", "n_groups"] == 0 and math.isnan(gaps.loc["religion", "gap"])


def test_bold_by_language_and_other_scores(bold):
    frame = pd.concat([bold.assign(language="en"), bold.assign(language="fr", toxicity=bold["toxicity"] / 2)])
    frame["sentiment"] = 1.0
    gaps = bold_gaps(bold_group_scores(frame, by=["language"]), by=["language"]).set_index(["language", "domain"])
    assert gaps.loc[("fr", "gender"), "gap"] == pytest.approx(0.15)
    sentiment = bold_gaps(bold_group_scores(frame, score="sentiment"))
    assert (sentiment["gap"] == 0).all()
    with pytest.raises(ValueError, match="lacks columns"):
        bold_group_scores(bold, score="regard")
