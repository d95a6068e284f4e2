"""Executed notebooks as one self-contained HTML page each: contents first, code folded, figures embedded."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from helpers import io
from helpers.cells import section_of

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "study"
SUMMARY_CHARACTERS = 100

# inline or display math as MathJax reads it: $...$, $$...$$, \(...\), \[...\]
_MATH = re.compile(r"(?<![\\$])\$[^$\n]+\$|\$\$.+?\$\$|\\\(.+?\\\)|\\\[.+?\\\]", re.S)


class _HeadingParser(HTMLParser):
    """Collects the h1-h6 elements of rendered markdown with their id and visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, Any]] = []
        self._open: dict[str, Any] | None = None
        self._in_anchor = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            self._open = {"level": int(tag[1]), "id": dict(attrs).get("id") or "", "text": ""}
        elif tag == "a" and self._open is not None and "anchor-link" in (dict(attrs).get("class") or ""):
            self._in_anchor = True  # the pilcrow nbconvert appends is not part of the title

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._in_anchor = False
        elif self._open is not None and tag == f"h{self._open['level']}":
            self._open["text"] = " ".join(self._open["text"].split())
            if self._open["id"]:
                self.found.append(self._open)
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None and not self._in_anchor:
            self._open["text"] += data


def headings(html: str) -> list[dict[str, Any]]:
    """Level, id and text of each heading with an id in `html` (what nbconvert renders a markdown cell to)."""
    parser = _HeadingParser()
    parser.feed(html)
    return parser.found


def has_math(nb: Any) -> bool:
    """True when a markdown cell holds math for MathJax."""
    return any(cell.cell_type == "markdown" and _MATH.search(cell.source) for cell in nb.cells)


def code_summary(cell: Any) -> str:
    """The one line a folded code cell shows: what injected it, or its first meaningful line."""
    tags = cell.get("metadata", {}).get("tags", [])
    if "injected-parameters" in tags:
        return "parameters injected by the runner (this profile's values)"
    for line in cell.source.splitlines():
        line = line.strip()
        if line and not line.startswith("# NBVAL_"):
            return line if len(line) <= SUMMARY_CHARACTERS else line[: SUMMARY_CHARACTERS - 1] + "…"
    return "code"


def figure_alt(cell: Any, nb: Any) -> str:
    """Alternative text of a figure: the section it belongs to."""
    index = next((i for i, c in enumerate(nb.cells) if c is cell), len(nb.cells))
    section = section_of(nb.cells, index)
    return f"figure of section {section}" if section else "figure"


def html_exporter() -> Any:
    """nbconvert's HTML exporter with the study template and its filters."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name=TEMPLATE_NAME, extra_template_basedirs=[str(TEMPLATES_DIR)],
                            exclude_input_prompt=True, exclude_output_prompt=True, embed_images=True)
    for name, function in (("headings", headings), ("has_math", has_math), ("code_summary", code_summary),
                           ("figure_alt", figure_alt)):
        exporter.register_filter(name, function)
    return exporter


def render_html(executed: Path, target: Path) -> Path:
    """Render an executed notebook to one standalone HTML file; returns its path."""
    import nbformat

    notebook = nbformat.read(executed, as_version=4)
    body, _ = html_exporter().from_notebook_node(notebook, resources={"metadata": {"name": executed.stem,
                                                                                  "path": str(executed.parent)}})
    return io.write_text(target, body)
