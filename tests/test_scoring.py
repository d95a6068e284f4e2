"""The project's toxicity scorer and its interface."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from helpers import paths
from helpers.scoring import (ScorerUnavailable, expected_calibration_error, fit_scorer_on_texts, load_scorer,
                             scorer_report, train_tfidf_scorer)
from helpers.world.generator import WorldConfig, build_world

SMOKE = yaml.safe_load(paths.params_file("smoke").read_text())["00_data"]


@pytest.fixture(scope="module")
def scorer_texts():
    return build_world(WorldConfig.from_params(SMOKE), seed=0).datasets["scorer_texts"]


def test_scorer_generalises_to_held_out_insults_but_is_not_trivially_perfect(scorer_texts, tmp_path):
    scorer, report = fit_scorer_on_texts(scorer_texts, 4, 20000, 4.0, 0, tmp_path / "scorer")
    per_language = report.set_index("language")
    assert set(per_language.index) == {"en", "fr", "de", "es", "all"}
    # held-out insults and phrasings plus annotator noise: informative, not saturated
    assert 0.8 < per_language.loc["all", "auc"] < 0.99
    assert (per_language["failures"] == 0).all()


def test_saved_scorer_reloads_with_the_same_scores_and_hash(scorer_texts, tmp_path):
    scorer, _ = fit_scorer_on_texts(scorer_texts, 3, 5000, 1.0, 0, tmp_path / "s")
    loaded = load_scorer(tmp_path / "s")
    texts = scorer_texts["text"].head(20).tolist()
    assert np.allclose(loaded.score(texts), scorer.score(texts))
    assert loaded.digest == scorer.digest and len(scorer.digest) == 16


def test_a_tampered_scorer_file_is_refused(scorer_texts, tmp_path):
    fit_scorer_on_texts(scorer_texts, 3, 5000, 1.0, 0, tmp_path / "s")
    with open(tmp_path / "s" / "model.joblib", "ab") as handle:
        handle.write(b"x")
    with pytest.raises(ValueError, match="hash"):
        load_scorer(tmp_path / "s")


def test_empty_texts_are_failures_not_zeros(scorer_texts):
    scorer = train_tfidf_scorer(scorer_texts, 3, 5000, 1.0, 0)
    scores = scorer.score(["", "   ", "You are a stupid idiot.", None])
    assert np.isnan(scores[[0, 1, 3]]).all() and 0 <= scores[2] <= 1


def test_training_needs_both_labels():
    with pytest.raises(ValueError, match="both toxic and non-toxic"):
        train_tfidf_scorer(pd.DataFrame({"text": ["a", "b"], "label": [1, 1]}), 3, 100, 1.0, 0)


def test_missing_scorer_and_unknown_backend_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="run 00_data first"):
        load_scorer(tmp_path)
    with pytest.raises(ScorerUnavailable, match="unknown scorer backend"):
        load_scorer(tmp_path, backend="nope")


def test_calibration_error_by_hand():
    scores = np.array([0.1, 0.1, 0.9, 0.9])
    labels = np.array([0, 1, 1, 1])
    # bins: [0.1, 0.1] observed 0.5 -> |0.5-0.1| = 0.4 ; [0.9, 0.9] observed 1.0 -> 0.1; weights 1/2 each
    assert expected_calibration_error(scores, labels, bins=10) == pytest.approx(0.25)


class _FixedScorer:
    name, version, digest = "fixed", "0", "0"

    def score(self, texts, languages=None):
        return np.array([0.9 if "bad" in t else 0.1 for t in texts])


def test_report_is_per_language_with_auc():
    test = pd.DataFrame({"text": ["bad a", "good b", "bad c", "good d"], "label": [1, 0, 1, 0],
                         "language": ["en", "en", "fr", "fr"]})
    report = scorer_report(_FixedScorer(), test).set_index("language")
    assert report.loc["en", "auc"] == 1.0 and report.loc["all", "n"] == 4
    assert report.loc["all", "accuracy"] == 1.0


# ---- version 2: word n-grams, HurtLex features, per-source balancing, calibration ---------------------------------

def _hurtlex(rows) -> pd.DataFrame:
    """A hand-written `hurtlex` table (lemma, language, category, level)."""
    return pd.DataFrame([{"lemma_id": f"h{i}", "language": lang, "lemma": lemma, "category": cat, "pos": "a",
                          "stereotype": False, "level": level, "source": "hurtlex"}
                         for i, (lang, lemma, cat, level) in enumerate(rows)])


LEXICON = _hurtlex([("de", "dämlich", "cds", "conservative"), ("en", "piece of shit", "cds", "conservative"),
                    ("en", "clown", "cds", "inclusive"), ("en", "clown", "an", "conservative"),
                    ("fr", "con", "cds", "conservative"), ("en", "gay", "om", "conservative")])


def test_lexicon_features_match_in_the_texts_language_with_inflections_and_phrases():
    from helpers.scoring import ANY_LANGUAGE, LexiconFeatures, lexicon_from_hurtlex

    features = LexiconFeatures(lexicon_from_hurtlex(LEXICON))
    names = list(features.get_feature_names_out())
    frame = pd.DataFrame({"text": ["Du bist ein dämlicher Typ", "what a clown, you piece of shit", "con carne",
                                   "con carne", "Such a clown", "nothing here"],
                          "language": ["de", "en", "es", "fr", ANY_LANGUAGE, "en"]})
    matrix = features.fit_transform(frame).toarray()
    cds, cds_inclusive, animals = (names.index(n) for n in ("hurtlex_cds_conservative", "hurtlex_cds_inclusive",
                                                            "hurtlex_an_conservative"))
    total, share = names.index("hurtlex_total"), names.index("hurtlex_share")
    assert matrix[0, cds] == pytest.approx(np.log1p(1))  # "dämlicher" is the lemma "dämlich" inflected
    assert matrix[1, cds] == pytest.approx(np.log1p(1)) and matrix[1, cds_inclusive] == pytest.approx(np.log1p(1))
    assert matrix[1, animals] == pytest.approx(np.log1p(1)) and matrix[1, total] == pytest.approx(np.log1p(2))
    assert matrix[2].sum() == 0  # Spanish "con" (with) is not the French insult: no Spanish lexicon given
    assert matrix[3, cds] > 0 and matrix[3, share] == pytest.approx(1 / 2)
    assert matrix[4, cds_inclusive] > 0  # no language: long lemmas of every language
    assert matrix[5].sum() == 0


def test_balance_weights_even_out_sources_and_labels():
    from helpers.scoring import balance_weights

    train = pd.DataFrame({"source": ["big"] * 8 + ["small"] * 2, "language": "en",
                          "label": [1] * 6 + [0] * 2 + [1, 0]})
    weights = balance_weights(train, power=0.0)  # every (source, language) group weighs the same
    big, small = weights[:8], weights[8:]
    assert big[:6].sum() == pytest.approx(big[6:].sum()) == pytest.approx(small[0]) == pytest.approx(small[1])
    assert weights.mean() == pytest.approx(1.0)
    as_sampled = balance_weights(train, power=1.0)  # groups keep their size, labels are evened out within
    assert as_sampled[:8].sum() == pytest.approx(4 * as_sampled[8:].sum())


def _planted(n: int, seed: int) -> pd.DataFrame:
    """Texts with a marker word toxic at planted rates (bad 0.7, good 0.1) and filler words that mean nothing."""
    rng = np.random.default_rng(seed)
    fillers = [f"w{k}" for k in range(20)]
    bad = rng.random(n) < 0.3
    labels = (rng.random(n) < np.where(bad, 0.7, 0.1)).astype(int)
    texts = [" ".join(["bad" if b else "good", *rng.choice(fillers, 3)]) for b in bad]
    return pd.DataFrame({"text": texts, "label": labels, "language": "en", "source": "planted"})


def test_platt_calibration_recovers_planted_rates():
    from helpers.scoring import expected_calibration_error, train_tfidf_scorer

    train, valid, test = _planted(3000, 0), _planted(1500, 1), _planted(3000, 2)
    bad = test["text"].str.startswith("bad").to_numpy()
    # balancing evens the labels out (as the real sources need), which pushes raw scores up; calibration undoes it
    raw = train_tfidf_scorer(train, 3, 2000, 10.0, 0, word_ngram_max=1, balance_power=0.5)
    calibrated = train_tfidf_scorer(train, 3, 2000, 10.0, 0, word_ngram_max=1, balance_power=0.5, valid=valid)
    raw_scores, scores = raw.score(test["text"]), calibrated.score(test["text"])
    assert abs(scores[bad].mean() - 0.7) < 0.06 and abs(scores[~bad].mean() - 0.1) < 0.04
    labels = test["label"].to_numpy()
    assert expected_calibration_error(scores, labels) < 0.05 < expected_calibration_error(raw_scores, labels)


def test_scorer_output_and_hash_are_identical_across_runs(scorer_texts, tmp_path):
    texts = scorer_texts.head(400)
    first, _ = fit_scorer_on_texts(texts, 3, 3000, 1.0, 0, tmp_path / "a", lexicon=LEXICON)
    second, _ = fit_scorer_on_texts(texts, 3, 3000, 1.0, 0, tmp_path / "b", lexicon=LEXICON)
    sample = scorer_texts["text"].tail(50).tolist()
    languages = scorer_texts["language"].tail(50)  # a Series with its own index: read by position
    assert np.array_equal(first.score(sample, languages), second.score(sample, languages))
    assert first.digest == second.digest
    card = __import__("json").loads((tmp_path / "a" / "scorer.json").read_text())
    assert card["version"] == "2" and card["calibration"].startswith("platt")
    assert card["features"] == ["char_wb 2-3", "word 1-2", "hurtlex"] and "en" in card["lexicon_languages"]


def test_version_1_scorers_still_load_and_score(scorer_texts, tmp_path):
    import joblib
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from helpers import io
    from helpers.scoring import TfidfScorer, save_scorer

    pipeline = Pipeline([("tfidf", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3))),
                         ("logreg", LogisticRegression())]).fit(scorer_texts["text"], scorer_texts["label"])
    save_scorer(TfidfScorer(pipeline=pipeline, version="1"), tmp_path)
    loaded = load_scorer(tmp_path)
    assert loaded.version == "1" and loaded.digest == io.file_sha256(tmp_path / "model.joblib")
    assert np.allclose(loaded.score(["you idiot", "hello"], ["en", "en"]),
                       joblib.load(tmp_path / "model.joblib").predict_proba(["you idiot", "hello"])[:, 1])


def test_word_features_and_lexicon_are_optional(scorer_texts):
    plain = train_tfidf_scorer(scorer_texts.head(300), 3, 2000, 1.0, 0, word_ngram_max=0, balance_power=None)
    names = plain.pipeline.named_steps["features"].get_feature_names_out()
    assert all(n.startswith("char__") for n in names)
    assert 0 <= plain.score(["you idiot"])[0] <= 1  # no language given: fine without a lexicon


def test_a_batch_scored_twice_is_answered_from_memory(scorer_texts):
    scorer = train_tfidf_scorer(scorer_texts.head(300), 3, 2000, 1.0, 0)
    texts = scorer_texts["text"].head(40).tolist()
    first = scorer.score(texts, ["en"] * 40)
    first[0] = -1.0  # the caller's copy: changing it changes nothing inside
    again = scorer.score(texts, ["en"] * 40)
    assert again[0] != -1.0 and np.array_equal(again[1:], first[1:])
    calls = []
    inner = scorer._score
    scorer._score = lambda t, lang: calls.append(1) or inner(t, lang)
    scorer.score(texts, ["en"] * 40)
    scorer.score(texts, ["fr"] * 40)  # other languages: scored afresh
    assert len(calls) == 1
    assert np.isnan(scorer.score([None])[0]) and not np.isnan(scorer.score(["None"])[0])


def test_the_scorer_hash_is_the_same_in_another_process(scorer_texts, tmp_path):
    # the hash keys every cached score of 05: a memory address pickled with the model changed it in every run
    import subprocess
    import sys

    texts = tmp_path / "texts.parquet"
    scorer_texts.head(400).to_parquet(texts)
    script = ("import sys, pandas as pd; from pathlib import Path; from helpers.scoring import fit_scorer_on_texts; "
              "s, _ = fit_scorer_on_texts(pd.read_parquet(sys.argv[1]), 3, 3000, 1.0, 0, Path(sys.argv[2])); "
              "print(s.digest)")
    digests = {subprocess.run([sys.executable, "-c", script, str(texts), str(tmp_path / name)], check=True,
                              capture_output=True, text=True).stdout.strip() for name in ("a", "b")}
    assert len(digests) == 1 and "" not in digests
