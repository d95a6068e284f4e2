"""What the tooling reads from notebook cells: sections (markdown headings) and figure cells (tag `figure`)."""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from typing import Any

FIGURE_TAG = "figure"  # a code cell that draws carries it; the tests count its figures in executed notebooks
IMAGE_TYPES = ("image/png", "image/svg+xml")
# names whose calls draw: pyplot, seaborn, matplotlib itself, and helpers' figure modules (plots, data_figures,
# and any later `*_figures`/`*_plots` module); `x.plot(...)` and `x.plot.bar(...)` are pandas drawing
_DRAWING_ROOTS = re.compile(r"plt|sns|matplotlib|seaborn|(\w+_)?(plots?|figures?)")
_DRAWING_METHODS = {"plot", "hist", "boxplot"}

_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def markdown_headings(source: str) -> list[tuple[int, str]]:
    """(level, text) of the `#` headings of a markdown cell, headings inside fenced code skipped."""
    found, fenced = [], False
    for line in source.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and (match := _HEADING.match(line)):
            found.append((len(match.group(1)), match.group(2)))
    return found


def section_of(cells: Sequence[Mapping[str, Any]], index: int) -> str:
    """Text of the last heading above cell `index`, or '' when none."""
    for cell in reversed(cells[:index]):
        if cell.get("cell_type") == "markdown":
            headings = markdown_headings(cell.get("source", ""))
            if headings:
                return headings[-1][1]
    return ""


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def draws(source: str) -> bool:
    """True when code calls a drawing API (pyplot, seaborn, pandas `.plot`, helpers' figure modules)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        # IPython magics are not Python; fall back on the spelling of the calls
        return bool(re.search(r"\b(plt|sns|plots|\w+_figures)\.\w+\(", source))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            root = _root_name(node.func)
            if root and _DRAWING_ROOTS.fullmatch(root):
                return True
            chain = node.func
            while isinstance(chain, ast.Attribute):
                if chain.attr in _DRAWING_METHODS:
                    return True
                chain = chain.value
    return False


def is_figure_cell(cell: Mapping[str, Any]) -> bool:
    """A code cell tagged `figure`."""
    return cell.get("cell_type") == "code" and FIGURE_TAG in cell.get("metadata", {}).get("tags", [])


def untagged_drawing_cells(cells: Sequence[Mapping[str, Any]]) -> list[int]:
    """Indices of code cells that draw but lack the `figure` tag."""
    return [i for i, cell in enumerate(cells) if cell.get("cell_type") == "code"
            and not is_figure_cell(cell) and draws(cell.get("source", ""))]


def figure_outputs(cell: Mapping[str, Any]) -> list[str]:
    """The images a cell's outputs hold (base64 PNG or SVG text), in order."""
    return [output["data"][kind] for output in cell.get("outputs", []) for kind in IMAGE_TYPES
            if kind in output.get("data", {})]
