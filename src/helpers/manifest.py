"""Run manifests: what ran, with which parameters, code, packages and device."""

from __future__ import annotations

import platform
import resource
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from helpers import paths

KEY_PACKAGES = (
    "torch", "transformers", "tokenizers", "trl", "peft", "datasets", "accelerate", "numpy", "pandas",
    "scikit-learn", "statsmodels", "seaborn", "papermill", "nbval", "py3langid",
)


def package_versions(names: tuple[str, ...] = KEY_PACKAGES) -> dict[str, str]:
    """Installed versions of the study's key packages."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit() -> str:
    """Current git commit of the project, with `+dirty` when the tree has changes."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=paths.PROJECT_ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=paths.PROJECT_ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def device_description() -> dict[str, object]:
    """The machine the run used: CPU, threads, GPUs."""
    import torch

    info: dict[str, object] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_threads": torch.get_num_threads(),
        "cuda": torch.cuda.is_available(),
    }
    if torch.cuda.is_available():
        info["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return info


# no notebook may hold more than this much resident memory (the study runs beside other work on 24 GiB)
MEMORY_BUDGET_MB = 4096


def _own_peak_kib() -> int | None:
    """This process image's peak resident memory (KiB) from /proc (Linux), None where there is no /proc."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory in MiB of this process (or, with RUSAGE_CHILDREN, of its largest waited-for child).

    For this process, Linux's VmHWM: `ru_maxrss` keeps the high-water mark of the process a kernel was forked from
    (Linux carries it across exec), so a kernel started by a large process reported that process's memory.
    """
    if who == resource.RUSAGE_SELF:
        own = _own_peak_kib()
        if own is not None:
            return round(own / (1 << 10), 1)
    peak = resource.getrusage(who).ru_maxrss
    # Linux reports KiB, macOS bytes
    return round(peak / (1 << 20 if sys.platform == "darwin" else 1 << 10), 1)


def resource_usage() -> dict[str, float]:
    """Peak memory and CPU time of this process so far (a notebook's kernel, at `finish_stage`)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "peak_rss_mb": peak_rss_mb(),
        "peak_rss_mb_children": peak_rss_mb(resource.RUSAGE_CHILDREN),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
    }
