"""What the runner's terminal shows while a notebook runs: its sections, the lines it prints, its progress bars."""

from __future__ import annotations

import shutil
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger

from helpers.cells import markdown_headings, section_of
from helpers.progress import DISPLAY_ID_PREFIX, TRANSIENT_KEY

LIVE_ENGINE = "helpers-live"  # papermill engine name the runner registers
SLOW_CELL_SECONDS = 5.0  # a code cell at least this long gets a "took" line
BAR_EVERY_SECONDS = 10.0  # how often a running bar is printed again when the terminal is not interactive
QUIET_SECONDS = 60.0  # a silent cell gets a "still running" line this often (not interactive)
NOTEBOOK_PREFIX = "         | "  # marks the lines the notebook itself printed

def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}" if minutes < 60 else f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"


class LiveReport:
    """Turns the kernel's messages into terminal lines; on an interactive terminal also a redrawn status line."""

    def __init__(self, label: str, out: TextIO | None = None):
        self.label = label
        self.out = out or sys.stdout
        self.interactive = bool(getattr(self.out, "isatty", lambda: False)())
        self._lock = threading.RLock()
        self._cells: Sequence[Mapping[str, Any]] = ()
        self._started = self._last_output = time.perf_counter()
        self._cell: int | None = None
        self._cell_started = 0.0
        self._buffers: dict[str, str] = {}
        self._bars: dict[str, float] = {}  # display id -> when it was last printed
        self._bar_text = ""  # the running bar an interactive status line shows
        self._status = ""
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    # the papermill client calls these -------------------------------------------------------------------------
    def begin(self, cells: Sequence[Mapping[str, Any]]) -> None:
        """The notebook's cells are known; start the clock (and the ticker that keeps it moving)."""
        self._cells = cells
        self._started = self._last_output = time.perf_counter()
        self._ticker = threading.Thread(target=self._tick, name="live-report", daemon=True)
        self._ticker.start()

    def cell_started(self, cell: Mapping[str, Any], cell_index: int, **_: Any) -> None:
        """nbclient's on_cell_start: a heading becomes a section line; a code cell becomes the current cell."""
        if cell.get("cell_type") == "markdown":
            for level, text in markdown_headings(cell.get("source", "")):
                if level <= 3:
                    self._line(f"  {_clock(self._elapsed())}  {'#' * level} {text}")
        elif cell.get("cell_type") == "code" and cell.get("source", "").strip():
            self._cell, self._cell_started = cell_index, time.perf_counter()
            self._set_status(self._where())

    def cell_executed(self, cell: Mapping[str, Any], cell_index: int, **_: Any) -> None:
        """nbclient's on_cell_executed: flush what the cell printed and say how long a slow cell took."""
        self._flush_streams()
        took = time.perf_counter() - self._cell_started
        if took >= SLOW_CELL_SECONDS:
            self._line(f"  {_clock(self._elapsed())}  {self._where(with_clock=False)} took {took:.1f} s")
        self._cell, self._bar_text = None, ""
        self._set_status("")

    def message(self, msg: Mapping[str, Any]) -> None:
        """One iopub message of the running cell: printed text, or a progress bar's new state."""
        msg_type, content = msg.get("msg_type") or msg.get("header", {}).get("msg_type"), msg.get("content", {})
        if msg_type == "stream":
            self._stream(content.get("name", "stdout"), content.get("text", ""))
        elif msg_type in ("display_data", "update_display_data"):
            transient = content.get("transient") or {}
            display_id = str(transient.get("display_id", ""))
            if display_id.startswith(DISPLAY_ID_PREFIX):
                text = content.get("data", {}).get("text/plain", "")
                self._bar(display_id, text, final=transient.get(TRANSIENT_KEY) == "final")

    def end(self) -> None:
        """The notebook stopped (finished or failed): print what is left and stop the ticker."""
        self._stop.set()
        self._flush_streams()
        self._set_status("")

    # terminal output --------------------------------------------------------------------------------------------
    def _elapsed(self) -> float:
        return time.perf_counter() - self._started

    def _where(self, with_clock: bool = True) -> str:
        if self._cell is None:
            return ""
        section = section_of(self._cells, self._cell)
        place = f"cell {self._cell + 1}/{len(self._cells)}" + (f" ({section})" if section else "")
        if not with_clock:
            return place
        return f"  {_clock(self._elapsed())}  {place}" + (f"  {self._bar_text}" if self._bar_text else "")

    def _stream(self, name: str, text: str) -> None:
        *complete, rest = (self._buffers.get(name, "") + text).split("\n")
        self._buffers[name] = rest
        for line in complete:
            self._notebook_line(line)

    def _flush_streams(self) -> None:
        for name, rest in list(self._buffers.items()):
            if rest:
                self._notebook_line(rest)
        self._buffers.clear()

    def _notebook_line(self, line: str) -> None:
        # a carriage return redraws a line: keep what a terminal would show
        self._line(NOTEBOOK_PREFIX + line.rsplit("\r", 1)[-1].rstrip())

    def _bar(self, display_id: str, text: str, final: bool) -> None:
        if not text:
            return
        if final:
            self._bars.pop(display_id, None)
            self._bar_text = ""
            self._line(NOTEBOOK_PREFIX + text)
        elif self.interactive:
            self._bar_text = text.strip()
            self._set_status(self._where())
        elif time.perf_counter() - self._bars.get(display_id, float("-inf")) >= BAR_EVERY_SECONDS:
            self._bars[display_id] = time.perf_counter()
            self._line(NOTEBOOK_PREFIX + text)

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            with self._lock:
                if self.interactive and self._cell is not None:
                    self._set_status(self._where())
                elif not self.interactive and self._cell is not None \
                        and time.perf_counter() - self._last_output >= QUIET_SECONDS:
                    self._line(f"  {_clock(self._elapsed())}  {self._where(with_clock=False)} still running")

    def _line(self, text: str) -> None:
        with self._lock:
            self._clear_status()
            self.out.write(text + "\n")
            self._last_output = time.perf_counter()
            self._draw_status()
            self.out.flush()

    def _set_status(self, text: str) -> None:
        if not self.interactive:
            return
        with self._lock:
            self._clear_status()
            self._status = text
            self._draw_status()
            self.out.flush()

    def _clear_status(self) -> None:
        if self.interactive and self._status:
            self.out.write("\r\x1b[K")

    def _draw_status(self) -> None:
        if self.interactive and self._status:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self.out.write(self._status[:width])


class LiveClient(PapermillNotebookClient):
    """papermill's client, with every iopub message and cell event also shown to a LiveReport."""

    def __init__(self, nb_man: Any, live: LiveReport, **kwargs: Any):
        super().__init__(nb_man, on_cell_start=live.cell_started, on_cell_executed=live.cell_executed, **kwargs)
        self.live = live
        live.begin(nb_man.nb.cells)

    def process_message(self, msg: dict[str, Any], cell: Any, cell_index: int) -> Any:
        """Show the message to the report, then let papermill record it."""
        # shown first: the parent raises CellExecutionComplete on the final status message
        self.live.message(msg)
        return super().process_message(msg, cell, cell_index)


class LiveEngine(NBClientEngine):
    """papermill's nbclient engine, with a LiveReport and an environment of the runner's choice for the kernel."""

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, log_output: bool = False,
                                 stdout_file: Any = None, stderr_file: Any = None, start_timeout: int = 60,
                                 execution_timeout: int | None = None, live: LiveReport | None = None,
                                 kernel_env: dict[str, str] | None = None, **kwargs: Any) -> Any:
        """Execute through a LiveClient; `kernel_env` becomes the kernel's environment."""
        for unused in ("input_path", "timeout", "startup_timeout"):
            kwargs.pop(unused, None)
        # the kernel's own warnings (ipykernel 7 warns of unencrypted TCP on every start) are noise in the run's log
        kwargs.setdefault("extra_arguments", ["--IPKernelApp.log_level=ERROR"])
        client = LiveClient(nb_man, live or LiveReport(""), kernel_name=kernel_name, log=logger,
                            timeout=execution_timeout, startup_timeout=start_timeout, log_output=log_output,
                            stdout_file=stdout_file, stderr_file=stderr_file, **kwargs)
        try:
            return client.execute(**({"env": kernel_env} if kernel_env is not None else {}))
        finally:
            client.live.end()


def register_engine() -> str:
    """Register the live engine with papermill (idempotent); returns its name for `engine_name`."""
    papermill_engines.register(LIVE_ENGINE, LiveEngine)
    return LIVE_ENGINE
