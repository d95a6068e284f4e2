"""What a reader opens: one self-contained HTML page per executed notebook, and figure cells that are tagged."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from helpers import paths
from helpers.cells import FIGURE_TAG, draws, figure_outputs, markdown_headings, section_of, untagged_drawing_cells
from helpers.rendering import render_html

# a 1x1 PNG: the renderer must embed it as it is
PIXEL = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")).decode()


class _Page(HTMLParser):
    """The parts of a rendered page the tests look at."""

    def __init__(self) -> None:
        super().__init__()
        self.heading_ids: list[str] = []
        self.toc_links: list[str] = []
        self.images: list[str] = []
        self.resources: list[str] = []  # what a browser would fetch: scripts, stylesheets, images, frames
        self.details: list[dict] = []  # each <details>: open?, its tags' classes
        self._stack: list[str] = []
        self._in_toc = 0
        self._text_in_details: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav" and "study-toc" in (attrs.get("class") or ""):
            self._in_toc += 1
        if re.fullmatch(r"h[1-6]", tag) and attrs.get("id"):
            self.heading_ids.append(attrs["id"])
        if tag == "a" and self._in_toc and attrs.get("href", "").startswith("#"):
            self.toc_links.append(attrs["href"][1:])
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        for key in ("src", "href") if tag in ("script", "link", "img", "iframe", "source", "embed") else ():
            if attrs.get(key):
                self.resources.append(attrs[key])
        if tag == "details":
            self.details.append({"open": "open" in attrs, "code": False})
        if tag == "div" and "jp-InputArea-editor" in (attrs.get("class") or "") and self._inside("details"):
            self.details[-1]["code"] = True
        if tag == "div" and "jp-InputArea-editor" in (attrs.get("class") or "") and not self._inside("details"):
            self.resources.append("UNFOLDED-CODE")
        if tag not in ("img", "meta", "link", "br", "hr", "input"):
            self._stack.append(tag)

    def handle_endtag(self, tag):
        if tag == "nav" and self._in_toc:
            self._in_toc -= 1
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass

    def _inside(self, tag: str) -> bool:
        return tag in self._stack


def _executed_notebook(failing: bool = False, math: bool = False):
    """A small notebook as the runner leaves it: headings, a table, a figure, printed text, maybe an error."""
    figure = new_code_cell("fig, ax = plt.subplots()\nax.plot([1, 2])", metadata={"tags": [FIGURE_TAG]},
                           outputs=[new_output("display_data", data={"image/png": PIXEL,
                                                                      "text/plain": "<Figure size 640x480>"})])
    table = new_code_cell("display(frame)", outputs=[new_output(
        "display_data", data={"text/html": "<table><tr><td>0.25</td></tr></table>", "text/plain": "0.25"})])
    cells = [
        new_markdown_cell("# 00 · A toy study\nIts question, inputs and outputs." + (" Here $x^2$." if math else "")),
        new_code_cell("# parameters\nseed = 0", metadata={"tags": ["parameters"]}),
        new_markdown_cell("## 1 Build the data\nSome narrative."),
        table,
        new_markdown_cell("### 1.1 A detail\n## 2 The figure's section"),
        figure,
        new_code_cell("print('done')", outputs=[new_output("stream", name="stdout", text="done\n")]),
    ]
    if failing:
        cells.append(new_code_cell("raise ValueError('planted')", outputs=[new_output(
            "error", ename="ValueError", evalue="planted", traceback=["ValueError: planted"])]))
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                              "language": "python"}})


def _render(tmp_path, **kwargs) -> tuple[str, _Page]:
    executed = tmp_path / "toy.ipynb"
    nbformat.write(_executed_notebook(**kwargs), executed)
    html = render_html(executed, tmp_path / "toy.html").read_text()
    page = _Page()
    page.feed(html)
    return html, page


def test_the_page_opens_with_contents_linking_every_heading(tmp_path):
    html, page = _render(tmp_path)
    assert len(page.heading_ids) == 4 and set(page.heading_ids) == set(page.toc_links)
    assert page.toc_links == page.heading_ids  # in reading order
    assert html.index("study-toc") < html.index(f'id="{page.heading_ids[0]}"')


def test_code_is_folded_and_narrative_tables_and_figures_stay_in_view(tmp_path):
    html, page = _render(tmp_path)
    assert "UNFOLDED-CODE" not in page.resources
    assert len(page.details) == 4 and all(d["code"] and not d["open"] for d in page.details)
    assert "Some narrative." in html and "<td>0.25</td>" in html and "done" in html
    assert "<summary>print(&#39;done&#39;)</summary>" in html or "<summary>print('done')</summary>" in html


def test_figures_are_embedded_and_nothing_is_fetched(tmp_path):
    _, page = _render(tmp_path)
    assert page.images == [f"data:image/png;base64,{PIXEL}"]
    external = [r for r in page.resources if not r.startswith(("data:", "#"))]
    assert external == []


def test_a_failed_cell_shows_its_code_and_traceback(tmp_path):
    html, page = _render(tmp_path, failing=True)
    assert [d["open"] for d in page.details] == [False] * 4 + [True]
    assert "ValueError: planted" in html


def test_mathjax_is_loaded_only_for_a_notebook_with_math(tmp_path):
    html, _ = _render(tmp_path)
    assert "mathjax" not in html.lower()
    html, _ = _render(tmp_path, math=True)
    assert "MathJax.Hub.Config" in html


@pytest.mark.parametrize("source, expected", [
    ("plots.training_curves(logs);", True),
    ("fig, axes = plt.subplots(1, 2)", True),
    ("grid = sns.relplot(data=frame, x='a', y='b')", True),
    ("data_figures.calibration_figure(scores, labels, languages);", True),
    ("stats_figures.forest_plot(table)", True),
    ("frame.plot.bar(x='model')", True),
    ("import matplotlib.pyplot as plt\nimport seaborn as sns", False),
    ("print('plt.subplots() is not called here')  # plt.show()", False),
    ("table = evaluation.headline(items)", False),
])
def test_drawing_calls_are_recognised(source, expected):
    assert draws(source) is expected


@pytest.mark.parametrize("notebook", sorted(paths.NOTEBOOKS_DIR.glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_cell_that_draws_is_tagged_figure(notebook):
    nb = nbformat.read(notebook, as_version=4)
    untagged = untagged_drawing_cells(nb.cells)
    assert untagged == [], (f"{notebook.name}: cells {untagged} draw but lack the {FIGURE_TAG!r} tag; "
                            f"add it to the cell's metadata so the tests count their figures")
    for cell in nb.cells:
        if FIGURE_TAG in cell.metadata.get("tags", []):
            assert draws(cell.source), f"{notebook.name}: a cell tagged {FIGURE_TAG!r} draws nothing"


def test_sections_and_figures_are_read_from_cells():
    nb = _executed_notebook()
    assert markdown_headings("# A\n```\n# not a heading\n```\n## B ##") == [(1, "A"), (2, "B")]
    assert section_of(nb.cells, 5) == "2 The figure's section" and section_of(nb.cells, 0) == ""
    assert figure_outputs(nb.cells[5]) == [PIXEL] and figure_outputs(nb.cells[3]) == []
