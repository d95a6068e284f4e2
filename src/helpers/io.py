"""Atomic file writes, canonical JSON and content hashes."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd


@contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside `target`; it replaces `target` only if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text(target: Path | str, text: str) -> Path:
    """Write text atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text)
    return Path(target)


def to_jsonable(value: Any) -> Any:
    """Plain Python values for JSON (numpy scalars, arrays, paths, NaN -> null)."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        number = float(value)
        return None if number != number or number in (float("inf"), float("-inf")) else number
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, Path):
        return str(value)
    return value


def write_json(target: Path | str, value: Any) -> Path:
    """Write canonical JSON (sorted keys, indented) atomically."""
    return write_text(target, json.dumps(to_jsonable(value), indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def read_json(source: Path | str) -> Any:
    """Read a JSON file."""
    return json.loads(Path(source).read_text())


def write_parquet(target: Path | str, frame: pd.DataFrame) -> Path:
    """Write a DataFrame as parquet atomically, without the index."""
    with atomic_path(target) as tmp:
        frame.to_parquet(tmp, index=False)
    return Path(target)


def file_sha256(source: Path | str, length: int = 16) -> str:
    """sha256 of a file's bytes (prefix of `length` hex digits)."""
    digest = hashlib.sha256()
    with open(source, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:length]


def tree_sha256(folder: Path | str, length: int = 16) -> str:
    """sha256 over the relative paths and bytes of every file under a folder."""
    folder = Path(folder)
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(file_sha256(path, 64).encode())
    return digest.hexdigest()[:length]


def text_sha256(text: str, length: int = 16) -> str:
    """sha256 of a string."""
    return hashlib.sha256(text.encode()).hexdigest()[:length]
