"""Training data checked before any compute: a bad file is a clear error naming the file, the column and the row.

Fine-tuning reads the normalized datasets of 00_data (or a user's own files in the same schemas). A
missing column, an empty or non-text field, or a pair set that teaches nothing (every rewrite equal to
its input) stops the notebook before the first training step. Single pairs whose two sides are
identical are dropped and counted (`PairCheck.dropped`): they are no rewrite, as ParaDetox's
annotators' copies are not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd


class TrainingDataError(ValueError):
    """Training data that cannot be used as it is; the message names the file, the column and the row."""


def _where(source: Path | str, frame: pd.DataFrame, position: int, id_column: str | None) -> str:
    row = f"row {position}"
    if id_column and id_column in frame.columns:
        row += f" ({id_column} {frame[id_column].iloc[position]!r})"
    return f"{source}: {row}"


def check_columns(frame: pd.DataFrame, columns: Sequence[str], source: Path | str) -> None:
    """Every needed column is present."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise TrainingDataError(f"{source}: missing columns {missing} (it has {list(frame.columns)})")


def check_texts(frame: pd.DataFrame, columns: Sequence[str], source: Path | str, id_column: str | None = None) -> None:
    """Each of `columns` holds a non-empty string in every row; the first bad row is named."""
    check_columns(frame, columns, source)
    if frame.empty:
        raise TrainingDataError(f"{source}: holds no rows")
    for column in columns:
        values = frame[column].tolist()
        for position, value in enumerate(values):
            if not isinstance(value, str):
                raise TrainingDataError(f"{_where(source, frame, position, id_column)}: column {column!r} must be "
                                        f"text, got {type(value).__name__} {value!r}")
            if not value.strip():
                raise TrainingDataError(f"{_where(source, frame, position, id_column)}: column {column!r} is empty")


def check_documents(frame: pd.DataFrame, source: Path | str) -> pd.DataFrame:
    """A corpus (`doc_id`, `language`, `text`) fit for causal-LM training; returned unchanged."""
    check_texts(frame, ["doc_id", "language", "text"], source, id_column="doc_id")
    return frame


@dataclass
class PairCheck:
    """Usable pairs and how many identical ones were dropped."""

    pairs: pd.DataFrame
    dropped: int


def check_pairs(frame: pd.DataFrame, columns: Sequence[str], source: Path | str, id_column: str = "pair_id"
                ) -> PairCheck:
    """Pairs with every field filled; pairs whose two sides are equal are dropped, all of them equal is an error."""
    check_texts(frame, [id_column, "language", *columns], source, id_column=id_column)
    first, second = columns[0], columns[-1]
    same = frame[first].str.strip() == frame[second].str.strip()
    if bool(same.all()):
        raise TrainingDataError(f"{source}: every one of its {len(frame)} pairs has {first!r} equal to {second!r} "
                                f"(row 0 ({id_column} {frame[id_column].iloc[0]!r}) and all others): "
                                "there is nothing to learn from them")
    return PairCheck(pairs=frame[~same].reset_index(drop=True), dropped=int(same.sum()))


def check_rewrite_pairs(frame: pd.DataFrame, source: Path | str) -> PairCheck:
    """Rewrite pairs (`pair_id`, `language`, `biased`, `debiased`) checked, identical ones dropped."""
    return check_pairs(frame, ["biased", "debiased"], source)


def check_preference_pairs(frame: pd.DataFrame, source: Path | str) -> PairCheck:
    """Preference pairs (`pair_id`, `language`, `prompt`, `chosen`, `rejected`) checked; chosen == rejected dropped."""
    check_texts(frame, ["prompt"], source, id_column="pair_id")
    return check_pairs(frame, ["chosen", "rejected"], source)
