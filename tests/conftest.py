"""Shared fixtures: tests write under a temporary outputs root, never into the real `outputs/`."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("MPLBACKEND", "agg")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HELPERS_PROGRESS", "0")  # no progress bars in test output or in the notebooks tests run


@pytest.fixture
def outputs_root(tmp_path, monkeypatch):
    """A private outputs root for one test."""
    root = tmp_path / "outputs"
    monkeypatch.setenv("HELPERS_OUTPUTS_ROOT", str(root))
    monkeypatch.delenv("HELPERS_WRITE_DIR", raising=False)
    return root
