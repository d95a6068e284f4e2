"""One explicit call that seeds every random number generator the study uses."""

from __future__ import annotations

import os
import random

import numpy as np


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA) so a profile and seed give the same numbers."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    # hash randomisation must not leak into set iteration orders in child processes
    os.environ.setdefault("PYTHONHASHSEED", str(seed))


def derived_seed(seed: int, *labels: object) -> int:
    """A seed for one named sub-task, stable across runs and independent of call order."""
    import hashlib

    text = ":".join([str(seed), *map(str, labels)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
