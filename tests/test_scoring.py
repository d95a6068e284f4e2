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
