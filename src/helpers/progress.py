"""Progress bars for long loops: tqdm in a terminal, one self-updating line in Jupyter, none when switched off."""

from __future__ import annotations

import io
import os
import sys
import uuid
from collections.abc import Iterable
from typing import Any, TypeVar

from tqdm.std import tqdm as _TerminalBar

PROGRESS_ENV = "HELPERS_PROGRESS"  # "0" switches every bar off (tests, nbval and CI set it)
# tells the runner's live terminal report which displays are progress bars (transient: never saved)
DISPLAY_ID_PREFIX = "helpers-progress-"
TRANSIENT_KEY = "helpers_progress"
# loops shorter than this never show a bar: the executed notebooks keep only the bars of long loops
DELAY_SECONDS = 2.0
BAR_COLUMNS = 90

T = TypeVar("T")


def progress_enabled() -> bool:
    """False when `HELPERS_PROGRESS` is 0 (or false/no/off)."""
    return os.environ.get(PROGRESS_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def progress(iterable: Iterable[T], total: int | None = None, desc: str = "", *, unit: str = "it") -> Iterable[T]:
    """Yield from `iterable` behind a progress bar; returns `iterable` itself when progress is off."""
    if not progress_enabled():
        return iterable
    options: dict[str, Any] = dict(total=total, desc=desc or None, unit=unit, delay=DELAY_SECONDS)
    if _in_jupyter_kernel():
        return _JupyterBar(iterable, **options)
    # disable=None: no bar when stderr is not a terminal (a log file would fill with redraws)
    return _TerminalBar(iterable, dynamic_ncols=True, disable=None, **options)


def _in_jupyter_kernel() -> bool:
    """True inside a Jupyter kernel (JupyterLab, VS Code, papermill), False in a terminal or plain IPython."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class _JupyterBar(_TerminalBar):
    """tqdm drawn into one Jupyter display that it updates in place.

    tqdm's own notebook bar needs ipywidgets (not installed, and a widget is an empty box in nbconvert's HTML);
    its terminal bar in a kernel appends every redraw to the cell's stderr. An updated display is live in
    JupyterLab, and an executed notebook keeps only its last state: nbclient applies updates in place.
    """

    monitor_interval = 0  # no monitor thread: a display sent from another thread can land in the wrong cell

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._handle: Any = None
        self._display_id = DISPLAY_ID_PREFIX + uuid.uuid4().hex
        # std tqdm writes '\n' to its file on close; a private buffer keeps that out of the cell
        kwargs.setdefault("file", io.StringIO())
        kwargs.setdefault("ncols", BAR_COLUMNS)
        kwargs.setdefault("ascii", False)  # a StringIO has no encoding, so tqdm would fall back on '#' bars
        kwargs.setdefault("mininterval", 0.5)
        super().__init__(*args, **kwargs)

    def display(self, msg: str | None = None, pos: int | None = None) -> bool:
        """Show the bar's current state in its display (created on first use)."""
        from IPython.display import display

        text = self.__str__() if msg is None else msg
        # close() disables the bar before its last draw: the runner prints that one for sure
        transient = {TRANSIENT_KEY: "final" if self.disable else "running"}
        if self._handle is None:
            if not text:
                return True
            self._handle = display({"text/plain": text}, raw=True, display_id=self._display_id,
                                   transient=transient)
        else:
            self._handle.update({"text/plain": text}, raw=True, transient=transient)
        return True
