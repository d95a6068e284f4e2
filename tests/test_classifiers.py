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
    reference = scorer.pipeline.steps[0][1]
    base = super(type(reference), reference)  # CountVectorizer.transform: the raw counts
    expected_counts = base.transform(batch[:50])
    assert (counts != expected_counts).nnz == 0 and counts.dtype == expected_counts.dtype
    np.testing.assert_array_equal(counts.indices, expected_counts.indices)


def test_a_scorer_the_fast_path_does_not_know_is_left_alone(scorer):
    class Other:
        name, version, digest = "other", "1", "x"

        def score(self, texts, languages=None):
            return np.zeros(len(texts))

    other = Other()
    assert accelerate_scorer(other) is other
    word_level = scoring.TfidfScorer(pipeline=scorer.pipeline)
    word_level.pipeline = type(scorer.pipeline)([("tfidf", type(scorer.pipeline.steps[0][1])(analyzer="word")),
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
