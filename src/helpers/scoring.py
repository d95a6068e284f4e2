"""Toxicity scorers behind one interface: the project's trained TF-IDF model and optional backends."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from helpers import io
from helpers.progress import progress

TFIDF_BACKEND = "tfidf-lr"
TFIDF_VERSION = "1"


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
    """Character n-gram TF-IDF + logistic regression, trained by the project in 00_data."""

    pipeline: object
    name: str = TFIDF_BACKEND
    version: str = TFIDF_VERSION
    digest: str = "untrained"

    def score(self, texts: Sequence[str], languages: Sequence[str] | None = None) -> np.ndarray:
        """Toxicity probability per text; empty or non-string texts are NaN (a scoring failure)."""
        texts = list(texts)
        scores = np.full(len(texts), np.nan)
        valid = [i for i, t in enumerate(texts) if isinstance(t, str) and t.strip()]
        if valid:
            scores[valid] = self.pipeline.predict_proba([texts[i] for i in valid])[:, 1]
        return scores


def train_tfidf_scorer(train: pd.DataFrame, ngram_max: int, max_features: int, c: float, seed: int) -> TfidfScorer:
    """Fit the scorer on rows with `text` and `label`; deterministic for a seed."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    if train["label"].nunique() < 2:
        raise ValueError("the scorer needs both toxic and non-toxic training texts")
    pipeline = Pipeline([
        ("tfidf", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, ngram_max), max_features=max_features,
                                  sublinear_tf=True, lowercase=True, dtype=np.float32)),
        ("logreg", LogisticRegression(C=c, max_iter=2000, random_state=seed)),
    ])
    pipeline.fit(train["text"].tolist(), train["label"].to_numpy())
    return TfidfScorer(pipeline=pipeline)


def save_scorer(scorer: TfidfScorer, out_dir: Path, training_info: dict | None = None) -> TfidfScorer:
    """Save the scorer and its card (name, version, hash); the hash identifies every score it gives."""
    import joblib

    out_dir.mkdir(parents=True, exist_ok=True)
    with io.atomic_path(out_dir / "model.joblib") as tmp:
        joblib.dump(scorer.pipeline, tmp)
    scorer.digest = io.file_sha256(out_dir / "model.joblib")
    card = {"name": scorer.name, "version": scorer.version, "digest": scorer.digest, **(training_info or {})}
    io.write_json(out_dir / "scorer.json", card)
    return scorer


def load_scorer(source: Path, backend: str = TFIDF_BACKEND) -> ToxicityScorer:
    """Load a scorer by backend name; the project's own needs the folder 00_data wrote."""
    if backend == TFIDF_BACKEND:
        import joblib

        card_file = Path(source) / "scorer.json"
        if not card_file.is_file():
            raise FileNotFoundError(f"{source} holds no trained scorer (run 00_data first)")
        card = json.loads(card_file.read_text())
        actual = io.file_sha256(Path(source) / "model.joblib")
        if actual != card["digest"]:
            raise ValueError(f"{source}/model.joblib has hash {actual}, its card says {card['digest']}")
        return TfidfScorer(pipeline=joblib.load(Path(source) / "model.joblib"), version=card["version"],
                           digest=card["digest"])
    if backend == "profanity-check":
        return ProfanityCheckScorer()
    if backend.startswith("detoxify"):  # detoxify (multilingual), detoxify-original, detoxify-unbiased
        return DetoxifyScorer(backend.partition("-")[2] or "multilingual")
    if backend == "perspective":
        return PerspectiveScorer()
    raise ScorerUnavailable(f"unknown scorer backend {backend!r}; available: {TFIDF_BACKEND}, profanity-check, "
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
                        out_dir: Path) -> tuple[TfidfScorer, pd.DataFrame]:
    """Train on the `train` split, report on `test`, save with its card; returns scorer and report."""
    train = scorer_texts[scorer_texts["split"] == "train"]
    test = scorer_texts[scorer_texts["split"] == "test"]
    scorer = train_tfidf_scorer(train, ngram_max, max_features, c, seed)
    report = scorer_report(scorer, test)
    info = {"train_rows": len(train), "test_rows": len(test), "ngram_max": ngram_max, "max_features": max_features,
            "c": c, "seed": seed, "test_auc": dict(zip(report["language"], report["auc"].round(4)))}
    save_scorer(scorer, out_dir, info)
    return scorer, report


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
