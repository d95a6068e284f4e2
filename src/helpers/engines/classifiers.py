"""Batched, exact versions of the two per-text classifiers 05 runs on every continuation.

05 scores tens of thousands of short texts per model with the project's TF-IDF toxicity scorer and
identifies their language with py3langid. Both libraries work one text at a time in Python: sklearn's
`CountVectorizer` builds each text's character n-grams and looks each one up (~300 us per short text),
py3langid walks its byte automaton per text (~70 us). Neither has a batch API, so here:

- `FastTfidfScorer` counts n-grams per distinct *word* (a `char_wb` n-gram never crosses a word, and the
  words of continuations repeat endlessly), builds the same count matrix sklearn builds, and hands it to
  the fitted pipeline's own TF-IDF transformer and classifier: the scores are sklearn's, bit for bit.
- `identify_batch` runs py3langid's automaton over all texts at once with numpy (one step per byte
  position across every text) and scores them with one sparse matrix product; it agrees with
  `LanguageIdentifier.classify` except where two languages tie to float32 rounding.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

# distinct words remembered per vectorizer (the synthetic world's continuations use a few thousand)
WORD_CACHE_SIZE = 200_000


# ---- the project's TF-IDF scorer ---------------------------------------------------------------------

def accelerate_scorer(scorer):
    """A scorer giving the same scores faster when its pipeline holds a char_wb TF-IDF vectorizer, else `scorer`.

    Scorer v1 is [char_wb TF-IDF, classifier]; scorer v2 wraps a ColumnTransformer (char_wb, word TF-IDF,
    lexicon counts) in a pipeline, possibly inside a calibrator. Only the char_wb vectorizer is slow, so only
    it is replaced (in a copy of the pipeline) by one that counts n-grams per distinct word; every other
    step stays sklearn's own, so the scores are sklearn's, bit for bit.
    """
    if isinstance(scorer, FastTfidfScorer):
        return scorer
    pipeline = getattr(scorer, "pipeline", None)
    if pipeline is None or not _char_vectorizers(pipeline):
        return scorer
    return FastTfidfScorer(scorer)


def _supported_vectorizer(vectorizer) -> bool:
    """A fitted TfidfVectorizer(analyzer='char_wb') whose counting `_WordFeatures` reproduces."""
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
    except ImportError:
        return False
    return (type(vectorizer) is TfidfVectorizer and vectorizer.analyzer == "char_wb"
            and vectorizer.preprocessor is None and vectorizer.strip_accents is None and not vectorizer.binary
            and vectorizer.input == "content" and hasattr(vectorizer, "vocabulary_")
            and hasattr(vectorizer, "_tfidf"))


def _char_vectorizers(estimator, seen: set[int] | None = None) -> list[tuple[object, object, int]]:
    """(container, key, index) of every supported char_wb vectorizer in a fitted pipeline, found recursively.

    Containers are a Pipeline's `steps` or a ColumnTransformer's `transformers_` (lists of tuples), so the
    vectorizer is `container[index][key]`.
    """
    seen = set() if seen is None else seen
    if id(estimator) in seen:
        return []
    seen.add(id(estimator))
    found = []
    for attribute, position in (("steps", 1), ("transformers_", 1)):
        entries = getattr(estimator, attribute, None)
        if isinstance(entries, list):
            for index, entry in enumerate(entries):
                if _supported_vectorizer(entry[position]):
                    found.append((entries, position, index))
                else:
                    found += _char_vectorizers(entry[position], seen)
    for attribute in ("estimator", "calibrated_classifiers_"):
        inner = getattr(estimator, attribute, None)
        for item in inner if isinstance(inner, list) else [inner]:
            if item is not None and hasattr(item, "__dict__"):
                found += _char_vectorizers(item, seen)
    return found


class _FastCharVectorizer:
    """Stands in for a fitted char_wb TfidfVectorizer: the same `transform`, counted per distinct word."""

    def __init__(self, vectorizer) -> None:
        self.vectorizer = vectorizer
        self._words: _WordFeatures | None = None

    def __getattr__(self, name: str):
        return getattr(self.vectorizer, name)

    def transform(self, raw_documents):
        """TF-IDF features of the texts, as `TfidfVectorizer.transform` gives them."""
        return self.vectorizer._tfidf.transform(self.count_matrix(list(raw_documents)), copy=False)

    def count_matrix(self, texts: Sequence[str]):
        """The n-gram count matrix `CountVectorizer.transform` gives (same entries, dtype and index order)."""
        import scipy.sparse as sp
        from sklearn.utils._sparse import _align_api_if_sparse

        vectorizer = self.vectorizer
        if self._words is None or len(self._words.index) > WORD_CACHE_SIZE:
            self._words = _WordFeatures(vectorizer)
        lower = vectorizer.lowercase
        word_ids, doc_of_word = [], []
        for doc, text in enumerate(texts):
            ids = self._words.ids((text.lower() if lower else text).split())
            word_ids += ids
            doc_of_word += [doc] * len(ids)
        indptr, columns, counts = self._words.arrays()
        word_ids = np.asarray(word_ids, dtype=np.int64)
        # every (document, column, count) of every word occurrence, gathered without a Python loop
        sizes = indptr[word_ids + 1] - indptr[word_ids]
        starts = np.repeat(indptr[word_ids] - np.cumsum(sizes) + sizes, sizes) + np.arange(int(sizes.sum()))
        docs = np.repeat(np.asarray(doc_of_word, dtype=np.int64), sizes)
        matrix = sp.coo_array((counts[starts], (docs, columns[starts])),
                              shape=(len(texts), len(vectorizer.vocabulary_))).tocsr()
        matrix.sum_duplicates()
        matrix = sp.csr_array((matrix.data.astype(np.intc), matrix.indices.astype(np.int32),
                               matrix.indptr.astype(np.int32)), shape=matrix.shape, dtype=vectorizer.dtype)
        matrix.sort_indices()
        return _align_api_if_sparse(matrix)


@dataclass
class FastTfidfScorer:
    """The wrapped scorer's interface (name, version, digest, score) over a copy of its pipeline whose char_wb
    vectorizers count n-grams in batch."""

    scorer: object
    _fast: object = field(default=None, repr=False)
    _chars: list = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        import copy

        self._fast = copy.copy(self.scorer)
        self._fast.__dict__.pop("_last", None)  # the wrapped scorer's memo of its last batch
        self._fast.pipeline = copy.deepcopy(self.scorer.pipeline)
        for container, position, index in _char_vectorizers(self._fast.pipeline):
            fast = _FastCharVectorizer(container[index][position])
            entry = list(container[index])
            entry[position] = fast
            container[index] = tuple(entry)
            self._chars.append(fast)

    def __getattr__(self, name: str):
        return getattr(self.scorer, name)

    @property
    def name(self) -> str:
        return self.scorer.name

    @property
    def version(self) -> str:
        return self.scorer.version

    @property
    def digest(self) -> str:
        return self.scorer.digest

    def score(self, texts: Sequence[str], languages: Sequence[str] | None = None) -> np.ndarray:
        """Toxicity probability per text; empty or non-string texts are NaN, as the wrapped scorer gives."""
        return self._fast.score(texts, languages)

    def count_matrix(self, texts: Sequence[str]):
        """The first char_wb vectorizer's raw n-gram counts of `texts` (what CountVectorizer.transform gives)."""
        return self._chars[0].count_matrix(list(texts))


class _WordFeatures:
    """Vocabulary columns and counts of each distinct word's padded n-grams, as a growing CSR table."""

    def __init__(self, vectorizer) -> None:
        self.vectorizer = vectorizer
        self.index: dict[str, int] = {}
        self._columns: list[int] = []
        self._counts: list[int] = []
        self._indptr: list[int] = [0]
        self._arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def ids(self, words: list[str]) -> list[int]:
        """Row of each word, computing the rows of words not seen before."""
        index = self.index
        out = []
        for word in words:
            row = index.get(word)
            if row is None:
                row = index[word] = len(index)
                self._add(word)
            out.append(row)
        return out

    def _add(self, word: str) -> None:
        vocabulary = self.vectorizer.vocabulary_
        low, high = self.vectorizer.ngram_range
        padded = f" {word} "
        # sklearn's _char_wb_ngrams: every n-gram inside " word ", n from low to high, stopping at the first
        # n that covers the whole padded word
        found: dict[int, int] = {}
        for n in range(low, high + 1):
            for i in range(max(1, len(padded) - n + 1)):
                column = vocabulary.get(padded[i:i + n])
                if column is not None:
                    found[column] = found.get(column, 0) + 1
            if len(padded) <= n:
                break
        self._columns += found.keys()
        self._counts += found.values()
        self._indptr.append(len(self._columns))
        self._arrays = None

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(indptr, columns, counts) over every word seen so far."""
        if self._arrays is None:
            self._arrays = (np.asarray(self._indptr, dtype=np.int64), np.asarray(self._columns, dtype=np.int64),
                            np.asarray(self._counts, dtype=np.int64))
        return self._arrays


# ---- py3langid ---------------------------------------------------------------------------------------

def identify_batch(identifier, texts: Sequence[str]) -> list[tuple[str, float]]:
    """(language, confidence) per text as `identifier.classify` gives them, computed for all texts at once.

    `identifier` is a py3langid `LanguageIdentifier` (possibly restricted with `set_languages`).
    """
    import scipy.sparse as sp

    if not len(texts):
        return []
    encoded = [_encode(text) for text in texts]
    lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
    # longest first, so that the texts still being read at byte position p are the first rows (a slice)
    order = np.argsort(-lengths, kind="stable")
    sorted_lengths = lengths[order]
    width = int(sorted_lengths[0])
    flat = np.frombuffer(b"".join(encoded[i] for i in order.tolist()), dtype=np.uint8).astype(np.int64)
    table = np.zeros((len(encoded), max(width, 1)), dtype=np.int64)
    starts = np.repeat(np.cumsum(sorted_lengths) - sorted_lengths, sorted_lengths)
    table[np.repeat(np.arange(len(encoded)), sorted_lengths), np.arange(len(flat)) - starts] = flat
    nextmove, rowbase, output = _automaton(identifier)
    state = np.zeros(len(encoded), dtype=np.int64)
    emitted = np.full((len(encoded), max(width, 1)), -1, dtype=np.int64)
    live = len(encoded)
    for position in range(width):
        while sorted_lengths[live - 1] <= position:
            live -= 1
        state[:live] = nextmove[rowbase[state[:live]] + table[:live, position]]
        emitted[:live, position] = output[state[:live]]
    hit_rows, hit_positions = np.nonzero(emitted >= 0)
    rows = order[hit_rows]
    features = emitted[hit_rows, hit_positions]
    ptc = np.asarray(identifier.nb_ptc)
    counts = sp.csr_array((np.ones(len(rows), dtype=np.float32), (rows, features)),
                          shape=(len(encoded), ptc.shape[0]))
    counts.sum_duplicates()
    counts.data = np.log1p(counts.data).astype(np.float32)
    scores = np.asarray(counts @ ptc, dtype=np.float32) + np.asarray(identifier.nb_pc, dtype=np.float32)
    has_features = np.diff(counts.indptr) > 0
    classes = list(identifier.nb_classes)
    norm = getattr(identifier, "_norm_probs", False)
    if norm:
        scores[~has_features] = 0.0
        scores *= (1.0 / np.sqrt(np.maximum(lengths, 1))).astype(np.float32)[:, None]
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        scores /= scores.sum(axis=1, keepdims=True)
    else:
        scores[~has_features] = float(np.finfo(np.float32).min)
    first: dict[str, int] = {}
    for column, label in enumerate(classes):
        if label in first:  # an aliased label: fold its column into the first one's
            if norm:
                scores[:, first[label]] += scores[:, column]
                scores[:, column] = 0.0
            else:
                scores[:, first[label]] = np.maximum(scores[:, first[label]], scores[:, column])
                scores[:, column] = float(np.finfo(np.float32).min)
        else:
            first[label] = column
    best = scores.argmax(axis=1)
    confidence = scores[np.arange(len(best)), best].astype(float)
    minimum = getattr(identifier, "min_confidence", None)
    return [("und", c) if minimum is not None and c < minimum else (classes[b], c)
            for b, c in zip(best.tolist(), confidence.tolist())]


_AUTOMATA: dict[int, tuple] = {}


def _automaton(identifier) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """py3langid's byte automaton as numpy arrays (next state table, row offsets, feature per state), once."""
    key = id(identifier.tk_nextmove)
    if key not in _AUTOMATA:
        moves = identifier.tk_nextmove
        nextmove = (np.frombuffer(moves, dtype=np.dtype(moves.typecode)) if hasattr(moves, "typecode")
                    else np.asarray(moves))
        _AUTOMATA[key] = (identifier.tk_nextmove, nextmove,
                          np.asarray(identifier.tk_row, dtype=np.int64) << 8,
                          np.asarray(identifier.tk_output, dtype=np.int64))
    return _AUTOMATA[key][1:]


def _encode(text) -> bytes:
    """py3langid's input normalisation (`LanguageIdentifier._encode`): lower-cased if all upper, NFC, UTF-8."""
    if isinstance(text, bytes):
        from py3langid.langid import decode_trimmed

        decoded = decode_trimmed(text)
        if decoded is None:
            return text
        text = decoded
    if text.isupper():
        text = text.lower()
    return unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")

