"""The batched n-gram counting of the scorer: scikit-learn's vectorizers, bit for bit, and the synthetic hash kept."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from helpers.scoring import BatchedTfidfVectorizer, as_plain_tfidf, batched_scorer, fit_scorer_on_texts

TEXTS = ["You are a worthless idiot", "what a lovely   morning walk", "Du bist ein dämlicher Idiot!", "",
         "ÄÖÜ ß İ straße", "a b\u2028c\x85d\tE", "x", "idiot idiot idiot, IDIOT", "l'été est là — n'est-ce pas?",
         "数字 中文 文本", "the the the cat", "co-operate re-enter", "12 345 6789 0"]
OTHER = ["idiots are everywhere", "a lovely idiot", "völlig neue Wörter", "  ", "zzz qqq", "x y", "ÄÖÜ"]


@pytest.mark.parametrize("settings", [
    dict(analyzer="char_wb", ngram_range=(2, 4)),
    dict(analyzer="char_wb", ngram_range=(1, 3), max_features=40, sublinear_tf=True, dtype=np.float32),
    dict(analyzer="char_wb", ngram_range=(3, 5), lowercase=False, min_df=2),
    dict(analyzer="word", ngram_range=(1, 2), min_df=1, token_pattern=r"(?u)\b\w+\b", dtype=np.float32),
    dict(analyzer="word", ngram_range=(1, 3), max_features=25),
    dict(analyzer="word", ngram_range=(2, 2), max_df=0.5),
])
def test_batched_counting_equals_scikit_learn_bit_for_bit(settings):
    plain, batched = TfidfVectorizer(**settings), BatchedTfidfVectorizer(**settings)
    fitted = [plain.fit_transform(TEXTS), batched.fit_transform(TEXTS)]
    transformed = [plain.transform(OTHER), batched.transform(OTHER)]
    # the vocabulary in scikit-learn's own order (first occurrence), the same matrices entry for entry
    assert list(plain.vocabulary_.items()) == list(batched.vocabulary_.items())
    for a, b in (fitted, transformed):
        assert type(a) is type(b) and a.dtype == b.dtype
        for part in ("indptr", "indices", "data"):
            assert np.array_equal(getattr(a, part), getattr(b, part)), part
    assert np.array_equal(plain.idf_, batched.idf_)
    # once fitted it turns back into scikit-learn's class with the same pickled bytes (less the memory address of
    # the stop-word list that scikit-learn's analyzer caches, which save_scorer drops as well)
    as_plain_tfidf(batched)
    assert type(batched) is TfidfVectorizer
    for vectorizer in (plain, batched):
        vectorizer.__dict__.pop("_stop_words_id", None)
    assert pickle.dumps(plain) == pickle.dumps(batched)


def test_a_scorer_fitted_with_batched_counting_keeps_scikit_learns_hash(tmp_path):
    # the synthetic profiles' scorer hash keys every cached score: fitting faster must not change it
    from test_scoring import SMOKE
    from helpers.world.generator import WorldConfig, build_world

    texts = build_world(WorldConfig.from_params(SMOKE), seed=0).datasets["scorer_texts"]
    fast, report = fit_scorer_on_texts(texts, 3, 3000, 1.0, 0, tmp_path / "fast")

    import helpers.scoring as scoring

    original = scoring.BatchedTfidfVectorizer
    try:
        scoring.BatchedTfidfVectorizer = TfidfVectorizer  # scikit-learn's own counting all the way through
        slow, slow_report = fit_scorer_on_texts(texts, 3, 3000, 1.0, 0, tmp_path / "slow")
    finally:
        scoring.BatchedTfidfVectorizer = original
    assert fast.digest == slow.digest
    assert (tmp_path / "fast" / "model.joblib").read_bytes() == (tmp_path / "slow" / "model.joblib").read_bytes()
    assert report.equals(slow_report)
    sample = texts["text"].tolist()
    assert np.array_equal(fast.score(sample), batched_scorer(slow).score(sample))
    assert np.array_equal(fast.score(sample), slow.score(sample))
