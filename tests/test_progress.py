"""Progress bars (off in tests, tqdm in a terminal, one updated display in Jupyter) and the runner's live report."""

from __future__ import annotations

import io

import pytest

from helpers import live, progress as progress_module
from helpers.live import NOTEBOOK_PREFIX, LiveReport
from helpers.progress import DISPLAY_ID_PREFIX, PROGRESS_ENV, TRANSIENT_KEY, progress


class _Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_switched_off_it_returns_the_iterable_itself(monkeypatch):
    monkeypatch.setenv(PROGRESS_ENV, "0")
    items = [1, 2, 3]
    assert progress(items, desc="anything") is items


def test_in_a_terminal_it_draws_a_tqdm_bar_on_stderr(monkeypatch):
    monkeypatch.setenv(PROGRESS_ENV, "1")
    monkeypatch.setattr(progress_module, "DELAY_SECONDS", 0.0)
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert list(progress(range(3), desc="toy loop")) == [0, 1, 2]
    assert "toy loop: 100%" in terminal.getvalue() and "3/3" in terminal.getvalue()


def test_in_a_log_file_it_draws_nothing(monkeypatch):
    monkeypatch.setenv(PROGRESS_ENV, "1")
    monkeypatch.setattr(progress_module, "DELAY_SECONDS", 0.0)
    log = io.StringIO()
    monkeypatch.setattr("sys.stderr", log)
    assert list(progress(range(3), desc="toy loop")) == [0, 1, 2]
    assert log.getvalue() == ""


def test_in_jupyter_it_updates_one_display_and_marks_its_last_state(monkeypatch):
    shown: list[tuple[str, dict, dict]] = []

    class Handle:
        def update(self, bundle, raw, transient):
            shown.append(("update", bundle, transient))

    def display(bundle, raw, display_id, transient):
        assert raw and display_id.startswith(DISPLAY_ID_PREFIX)
        shown.append(("display", bundle, transient))
        return Handle()

    monkeypatch.setattr("IPython.display.display", display)
    monkeypatch.setenv(PROGRESS_ENV, "1")
    monkeypatch.setattr(progress_module, "DELAY_SECONDS", 0.0)
    monkeypatch.setattr(progress_module, "_in_jupyter_kernel", lambda: True)
    assert list(progress(range(4), desc="toy loop")) == [0, 1, 2, 3]
    assert [kind for kind, _, _ in shown].count("display") == 1 and shown[0][0] == "display"
    assert shown[-1][2] == {TRANSIENT_KEY: "final"} and all(t == {TRANSIENT_KEY: "running"} for _, _, t in shown[:-1])
    last = shown[-1][1]["text/plain"]
    assert "toy loop: 100%" in last and "4/4" in last and "█" in last and "\r" not in last


def _stream(text: str, name: str = "stdout") -> dict:
    return {"msg_type": "stream", "content": {"name": name, "text": text}}


def _bar(text: str, state: str, kind: str = "update_display_data") -> dict:
    return {"msg_type": kind, "content": {"data": {"text/plain": text},
                                           "transient": {"display_id": DISPLAY_ID_PREFIX + "1", TRANSIENT_KEY: state}}}


@pytest.fixture
def report(monkeypatch):
    """A report on a non-interactive stream, over a notebook of a title, a section and two code cells."""
    cells = [{"cell_type": "markdown", "source": "# Toy"}, {"cell_type": "code", "source": "setup()"},
             {"cell_type": "markdown", "source": "## 3 Pretraining\ntext"}, {"cell_type": "code", "source": "train()"}]
    out = io.StringIO()
    live_report = LiveReport("[1/1]", out)
    live_report.begin(cells)
    yield live_report, cells, out
    live_report.end()


def test_the_report_shows_sections_printed_lines_and_slow_cells(report, monkeypatch):
    live_report, cells, out = report
    now = [12.0]
    monkeypatch.setattr(live.time, "perf_counter", lambda: now[0])
    live_report._started = 0.0
    live_report.cell_started(cells[2], 2)
    live_report.cell_started(cells[3], 3)
    live_report.message(_stream("  step 10/24  loss 3.2\n  step 2"))
    live_report.message(_stream("0/24  loss 2.9\nBASE: 12,000 tokens/s"))
    now[0] = 40.0
    live_report.cell_executed(cells[3], 3)
    lines = out.getvalue().splitlines()
    assert lines[0] == "  00:12  ## 3 Pretraining"
    assert lines[1:4] == [NOTEBOOK_PREFIX + "  step 10/24  loss 3.2", NOTEBOOK_PREFIX + "  step 20/24  loss 2.9",
                          NOTEBOOK_PREFIX + "BASE: 12,000 tokens/s"]
    assert lines[4] == "  00:40  cell 4/4 (3 Pretraining) took 28.0 s"


def test_a_running_bar_is_printed_now_and_then_and_its_last_state_always(report, monkeypatch):
    live_report, cells, out = report
    now = [0.0]
    monkeypatch.setattr(live.time, "perf_counter", lambda: now[0])
    live_report.cell_started(cells[3], 3)
    for second, percent in ((1, 10), (2, 20), (12, 60)):
        now[0] = float(second)
        live_report.message(_bar(f"training: {percent}%|", "running"))
    live_report.message(_bar("training: 100%|", "final"))
    live_report.message({"msg_type": "display_data", "content": {"data": {"text/plain": "a table"}}})
    bars = [line for line in out.getvalue().splitlines() if "training" in line]
    assert bars == [NOTEBOOK_PREFIX + f"training: {p}%|" for p in (10, 60, 100)]
    assert "a table" not in out.getvalue()  # only progress displays reach the terminal


def test_carriage_returns_keep_what_a_terminal_would_show(report):
    live_report, _, out = report
    live_report.message(_stream("\r 10%\r 50%\r100%\n", name="stderr"))
    assert out.getvalue().splitlines() == [NOTEBOOK_PREFIX + "100%"]


def test_an_interactive_terminal_gets_a_status_line_redrawn_in_place(monkeypatch):
    terminal = _Terminal()
    live_report = LiveReport("[1/1]", terminal)
    cells = [{"cell_type": "markdown", "source": "## 1 Data"}, {"cell_type": "code", "source": "x = 1"}]
    live_report.begin(cells)
    live_report.cell_started(cells[1], 1)
    live_report.message(_bar("generation:  50%|", "running"))
    live_report.message(_stream("printed\n"))
    live_report.end()
    written = terminal.getvalue()
    assert "cell 2/2 (1 Data)  generation:  50%|" in written and "\r\x1b[K" in written
    assert NOTEBOOK_PREFIX + "printed\n" in written
