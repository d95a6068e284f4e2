"""Readers of the public file formats that name the file and line of any malformed record."""

from __future__ import annotations

import csv
import gzip
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd


class DataFormatError(ValueError):
    """A data file does not have the format its loader expects; the message names file and line."""


def where(path: Path, line: int | None = None) -> str:
    """`file` or `file:line`, as error messages print them."""
    return f"{path}:{line}" if line is not None else str(path)


def read_text(path: Path, fallback_encoding: str | None = None) -> str:
    """The file's text (gunzipped when the name ends in .gz), UTF-8; lines that are not UTF-8 use the fallback."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise DataFormatError(f"{path}: cannot read ({error}); the file may be truncated") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if fallback_encoding is None:
            line = raw[: error.start].count(b"\n") + 1
            raise DataFormatError(f"{where(path, line)}: not valid UTF-8 ({error.reason})") from None
    # a file mixing encodings line by line (Dutch CrowS-Pairs: Mac Roman with a few UTF-8 lines)
    return "\n".join(_decode_line(line, fallback_encoding) for line in raw.split(b"\n"))


def _decode_line(line: bytes, fallback_encoding: str) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode(fallback_encoding)


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) of a JSON-lines file; lines are split on '\\n' only."""
    # str.splitlines() would also split on U+2028 / U+0085, which RTP-LX strings contain
    for number, line in enumerate(read_text(path).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataFormatError(
                f"{where(path, number)}: not valid JSON ({error.msg} at column {error.colno}); truncated record?"
            ) from None
        if not isinstance(record, dict):
            raise DataFormatError(f"{where(path, number)}: expected a JSON object, got {type(record).__name__}")
        yield number, record


def read_json(path: Path) -> Any:
    """A whole JSON document."""
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as error:
        raise DataFormatError(f"{where(path, error.lineno)}: not valid JSON ({error.msg})") from None


def field(record: dict[str, Any], dotted: str, kind: type | tuple[type, ...], path: Path, line: int,
          optional: bool = False) -> Any:
    """`record[a][b]...` for `dotted="a.b"`, checked to be of `kind`; a clear error otherwise."""
    value: Any = record
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            raise DataFormatError(f"{where(path, line)}: missing key {dotted!r}")
        value = value[part]
    if value is None and optional:
        return None
    # bool is an int in Python; a JSON true where a number belongs is still an error
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
        expected = " or ".join(k.__name__ for k in _as_tuple(kind))
        raise DataFormatError(f"{where(path, line)}: key {dotted!r} must be {expected}, got {type(value).__name__}"
                              f" {value!r:.60}")
    return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def sniff_separator(text: str) -> str:
    """Tab when the first line holds more tabs than commas (some `.csv` files are tab-separated)."""
    header = text.split("\n", 1)[0]
    return "\t" if header.count("\t") > header.count(",") else ","


def read_table(path: Path, required: Sequence[str] = (), sep: str | None = None, header: bool = True,
               names: Sequence[str] | None = None, quoting: int = csv.QUOTE_MINIMAL,
               fallback_encoding: str | None = None) -> pd.DataFrame:
    """A delimited file as strings, with a `_line` column (line where each record starts)."""
    text = read_text(path, fallback_encoding)
    separator = sep or sniff_separator(text)
    # some comment corpora hold fields far above csv's default 128 KiB limit
    csv.field_size_limit(max(csv.field_size_limit(), min(sys.maxsize, 2**31 - 1)))
    reader = csv.reader(text.split("\n") if quoting == csv.QUOTE_NONE else _lines_keeping_ends(text),
                        delimiter=separator, quoting=quoting, strict=True)
    rows: list[list[str]] = []
    starts: list[int] = []
    columns: list[str] | None = list(names) if names is not None else None
    line = 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            if header and columns is None:
                columns = [c.strip() or f"unnamed_{i}" for i, c in enumerate(record)]
                continue
            if columns is not None and len(record) != len(columns):
                raise DataFormatError(f"{where(path, start)}: expected {len(columns)} fields "
                                      f"({_sep_name(separator)}-separated), got {len(record)}")
            rows.append(record)
            starts.append(start)
    except csv.Error as error:
        raise DataFormatError(f"{where(path, reader.line_num)}: malformed {_sep_name(separator)}-separated "
                              f"record ({error})") from None
    if columns is None:
        raise DataFormatError(f"{path}: empty file, no header")
    missing = [c for c in required if c not in columns]
    if missing:
        raise DataFormatError(f"{where(path, 1)}: missing columns {missing}; the header has {columns}"
                              + (" (is the separator right?)" if len(columns) == 1 else ""))
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    frame["_line"] = starts
    return frame


def _lines_keeping_ends(text: str) -> Iterator[str]:
    # csv needs the '\n' inside quoted fields; split on '\n' only (not U+2028 / U+0085)
    for piece in text.split("\n"):
        yield piece + "\n"


def _sep_name(separator: str) -> str:
    return {"\t": "tab", ",": "comma"}.get(separator, repr(separator))


def parse_int(value: str, column: str, path: Path, line: int) -> int:
    """An integer cell, or an error naming file, line and column."""
    try:
        return int(value.strip())
    except ValueError:
        raise DataFormatError(f"{where(path, line)}: column {column!r} must be an integer, got {value!r:.40}") from None


def parse_bool(value: str, column: str, path: Path, line: int) -> bool:
    """A True/False (or 1/0) cell, or an error naming file, line and column."""
    key = value.strip().lower()
    if key in ("true", "1"):
        return True
    if key in ("false", "0"):
        return False
    raise DataFormatError(f"{where(path, line)}: column {column!r} must be true/false, got {value!r:.40}")
