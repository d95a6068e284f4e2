"""What every real-data loader shares: the mirror handle, stable hashing, text clean-up, schema output."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers import schemas
from helpers.realdata import registry

META_PREFIX = "_"  # loader columns outside the schema (provenance, split keys), kept only on request


@dataclass(frozen=True)
class Mirror:
    """A local mirror of the real datasets, and whether to download or verify its files."""

    root: Path | None
    download: bool = False
    verify: bool = False

    def files(self, dataset: str, pattern: str | None = None) -> list[Path]:
        """The dataset's files matching a glob on their mirror-relative path."""
        return registry.dataset_files(dataset, self.root, pattern, download=self.download, verify=self.verify)

    def file(self, dataset: str, relative_path: str) -> Path:
        """One file of a dataset."""
        return self.files(dataset, relative_path)[0]


def as_mirror(mirror: Mirror | Path | str | None) -> Mirror:
    """A Mirror from a path (or a Mirror)."""
    if isinstance(mirror, Mirror):
        return mirror
    return Mirror(Path(mirror) if mirror is not None else None)


def finish(schema: str, rows: list[dict] | pd.DataFrame, with_meta: bool = False) -> pd.DataFrame:
    """Validate the schema columns; keep the `_` meta columns only when asked for."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    if frame.empty and not len(frame.columns):
        frame = pd.DataFrame(columns=schemas.columns(schema))
    meta = [c for c in frame.columns if c.startswith(META_PREFIX)]
    checked = schemas.validate_frame(schema, frame.drop(columns=meta))
    if with_meta and meta:
        checked = pd.concat([checked, frame[meta].reset_index(drop=True)], axis=1)
    return checked


def strip_meta(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without its `_` meta columns."""
    return frame.drop(columns=[c for c in frame.columns if c.startswith(META_PREFIX)])


def stable_unit(key: str, seed: int, purpose: str) -> float:
    """A number in [0, 1) fixed by (seed, purpose, key): order-independent, reproducible splits."""
    digest = hashlib.sha256(f"{seed}\x1f{purpose}\x1f{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign_split(keys: Sequence[str], shares: Sequence[float], seed: int, purpose: str,
                 names: Sequence[str] = ("train", "valid", "test")) -> list[str]:
    """Split name per key by cumulative shares; the same key always lands in the same split."""
    bounds, total = [], 0.0
    for share in shares:
        total += share
        bounds.append(total)
    out = []
    for key in keys:
        u = stable_unit(key, seed, purpose) * total
        out.append(next((n for n, b in zip(names, bounds) if u < b), names[len(bounds) - 1]))
    return out


_MENTION = re.compile(r"@\w+")
_URL = re.compile(r"https?://\S+|www\.\S+")
_RETWEET = re.compile(r"(^|\s)RT\s+@USER:?")
_SPACES = re.compile(r"\s+")


def clean_comment(text: str) -> str:
    """Social-media artifacts out: HTML entities, user names (-> @USER), URLs (-> URL), retweet marks, |LBR|."""
    # @USER is RTP-LX's own placeholder; unifying it stops the scorer from learning which corpus a text came from
    text = html.unescape(text).replace("|LBR|", " ")
    text = _URL.sub("URL", _MENTION.sub("@USER", text))
    text = _RETWEET.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def text_key(text: str) -> str:
    """Normalized text for duplicate and leak detection (case, spacing and edge punctuation ignored)."""
    return " ".join(text.casefold().split()).strip(" \"'“”«»„.,!?…")
