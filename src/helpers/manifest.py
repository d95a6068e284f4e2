"""Run manifests: what ran, with which parameters, code, packages and device."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata

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
