"""The batched TF-IDF scorer and language identifier give what the libraries give one text at a time."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from helpers import scoring
from helpers.engines.classifiers import FastTfidfScorer, accelerate_scorer, identify_batch
from helpers.metrics import quality
from tiny_models import FRENCH, corpus

ODD = ["", "   ", "A", "Ab", "ÉCOLE ÉTÉ", "l'été dernier!!", "Straße   groß", "\tTab\nnew line  x", "日本語のテキスト",
       "x" * 300, "a b c d e f", "STUPID IDIOT", "stupid-idiot.", "123 456", "Le Chat", "ﬁne ligature"]


def texts(count: int, seed: int = 0) -> list[str]:
    """Random word spans of the test corpus (English and French) plus awkward strings."""
    rng = random.Random(seed)
    words = " ".join(corpus() + FRENCH * 5).split() + ["stupid", "idiot", "fool", "ugly"] * 20
    return [" ".join(rng.choices(words, k=rng.randint(0, 14))) for _ in range(count)] + ODD


@pytest.fixture(scope="module")
def scorer() -> scoring.TfidfScorer:
    train = texts(300, seed=1)
    labels = [int(any(w in t for w in ("stupid", "idiot", "fool", "ugly"))) for t in train]
    return scoring.train_tfidf_scorer(pd.DataFrame({"text": train, "label": labels}), 4, 3000, 4.0, 0)


def test_fast_scorer_gives_sklearns_scores_bit_for_bit(scorer):
    fast = accelerate_scorer(scorer)
    assert isinstance(fast, FastTfidfScorer)
    batch = texts(500, seed=2)
    expected = scorer.score(batch)
    np.testing.assert_array_equal(fast.score(batch[:200]), expected[:200])  # first call fills the word table
    np.testing.assert_array_equal(fast.score(batch), expected)
    assert np.isnan(fast.score(["", "  ", None])).all()
    assert (fast.name, fast.version, fast.digest) == (scorer.name, scorer.version, scorer.digest)
    counts = fast.count_matrix(batch[:50])
    reference = scorer.pipeline.named_steps["features"].named_transformers_["char"]
    base = super(type(reference), reference)  # CountVectorizer.transform: the raw counts
    expected_counts = base.transform(batch[:50])
    assert (counts != expected_counts).nnz == 0 and counts.dtype == expected_counts.dtype
    np.testing.assert_array_equal(counts.indices, expected_counts.indices)


def test_fast_path_reaches_the_char_vectorizer_of_a_calibrated_and_of_a_v1_scorer(scorer):
    from sklearn.pipeline import Pipeline

    train, valid = texts(300, seed=1), texts(120, seed=4)
    label = lambda rows: [int(any(w in t for w in ("stupid", "idiot", "fool", "ugly"))) for t in rows]  # noqa: E731
    calibrated = scoring.train_tfidf_scorer(pd.DataFrame({"text": train, "label": label(train)}), 4, 3000, 4.0, 0,
                                            valid=pd.DataFrame({"text": valid, "label": label(valid)}))
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    v1 = scoring.TfidfScorer(pipeline=Pipeline([("tfidf", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4))),
                                                ("logreg", LogisticRegression())]).fit(train, label(train)),
                             version="1")
    batch = texts(300, seed=5)
    for slow in (calibrated, v1):
        fast = accelerate_scorer(slow)
        assert isinstance(fast, FastTfidfScorer) and len(fast._chars) == 1
        np.testing.assert_array_equal(fast.score(batch), slow.score(batch))
    # the wrapped scorer's own pipeline is untouched
    assert type(calibrated.pipeline.calibrated_classifiers_[0].estimator.estimator.named_steps["features"]
                .transformers_[0][1]).__name__ == "TfidfVectorizer"


def test_a_scorer_the_fast_path_does_not_know_is_left_alone(scorer):
    class Other:
        name, version, digest = "other", "1", "x"

        def score(self, texts, languages=None):
            return np.zeros(len(texts))

    other = Other()
    assert accelerate_scorer(other) is other
    word_level = scoring.TfidfScorer(pipeline=scorer.pipeline)
    from sklearn.feature_extraction.text import TfidfVectorizer

    word_level.pipeline = type(scorer.pipeline)([("tfidf", TfidfVectorizer(analyzer="word").fit(texts(50))),
                                                 ("logreg", scorer.pipeline.steps[1][1])])
    assert accelerate_scorer(word_level) is word_level


@pytest.mark.parametrize("candidates", [("de", "en", "es", "fr"), None])
def test_batched_language_identification_agrees_with_py3langid(candidates):
    identifier = quality._identifier(tuple(sorted(candidates)) if candidates else None, None)
    batch = [t for t in texts(400, seed=3) if t]
    got = identify_batch(identifier, batch)
    expected = [identifier.classify(t) for t in batch]
    assert [g[0] for g in got] == [e[0] for e in expected]
    np.testing.assert_allclose([g[1] for g in got], [e[1] for e in expected], atol=1e-4)
    assert identify_batch(identifier, []) == []


def test_identify_languages_keeps_its_conventions():
    got = quality.identify_languages(["le chat dort sur la table", "", "123 !!", None, "the cat sees the river"],
                                     candidates=["en", "fr"])
    assert got == ["fr", "unknown", "unknown", "unknown", "en"]
    strict = quality.identify_languages(["le", "le chat dort sur la table"], candidates=["en", "fr"],
                                        min_confidence=0.999)
    assert strict[0] == "unknown"
