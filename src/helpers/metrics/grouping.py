"""The `by=` argument every metric table takes: column names, and the frame split into groups."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


def as_columns(by: str | Sequence[str] | None) -> list[str]:
    """`by` as a list of column names (None -> no grouping)."""
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def parts(frame: pd.DataFrame, by: Sequence[str]) -> list[tuple[tuple, pd.DataFrame]]:
    """(group key tuple, rows) per group in sorted order; the whole frame under () when `by` is empty."""
    by = list(by)
    missing = [c for c in by if c not in frame.columns]
    if missing:
        raise ValueError(f"cannot group by {missing}: the frame has columns {list(frame.columns)}")
    if not by:
        return [((), frame)]
    return [(key if isinstance(key, tuple) else (key,), part)
            for key, part in frame.groupby(by, sort=True, dropna=False)]
