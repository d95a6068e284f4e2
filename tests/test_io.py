"""Atomic writes and hashes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import io


def test_atomic_path_leaves_nothing_when_the_block_fails(tmp_path):
    target = tmp_path / "result.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with io.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_json_is_canonical_and_nan_becomes_null(tmp_path):
    target = io.write_json(tmp_path / "m.json", {"b": np.float32(0.5), "a": [np.int64(2), math.nan]})
    assert target.read_text() == '{\n  "a": [\n    2,\n    null\n  ],\n  "b": 0.5\n}\n'


def test_tree_hash_changes_with_content(tmp_path):
    (tmp_path / "a.txt").write_text("1")
    first = io.tree_sha256(tmp_path)
    (tmp_path / "a.txt").write_text("2")
    assert io.tree_sha256(tmp_path) != first and len(first) == 16
