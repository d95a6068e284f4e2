"""Headless Chromium for checking rendered pages: the DOM after load, and a screenshot (no Python package needed)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# flags that work in containers without a GPU, a sandbox or network
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--virtual-time-budget=10000")


def find_chromium() -> str | None:
    """Path of a Chromium (or Chrome) executable, None when none is installed."""
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(page: Path, extra: list[str], timeout: float) -> subprocess.CompletedProcess:
    binary = find_chromium()
    if binary is None:
        raise FileNotFoundError("no Chromium found (install the Debian package `chromium`)")
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        command = [binary, *FLAGS, f"--user-data-dir={profile}", *extra, Path(page).resolve().as_uri()]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"chromium exited {result.returncode} on {page}: {result.stderr[-2000:]}")
    return result


def dump_dom(page: Path, timeout: float = 90) -> str:
    """The page's DOM after it loaded and ran its scripts."""
    return _run(page, ["--dump-dom"], timeout).stdout


def screenshot(page: Path, target: Path, width: int = 1300, height: int = 4000, timeout: float = 90) -> Path:
    """A PNG of the page's first `height` pixels at `width`."""
    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    _run(page, [f"--screenshot={target}", f"--window-size={width},{height}"], timeout)
    if not target.is_file():
        raise RuntimeError(f"chromium wrote no screenshot to {target}")
    return target
