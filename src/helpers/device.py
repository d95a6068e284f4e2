"""Device and dtype choice: CPU float32 here, CUDA bfloat16 where a GPU is present."""

from __future__ import annotations


def resolve_device(requested: str = "auto") -> str:
    """`cuda` when asked for or available under `auto`, else `cpu`; a missing GPU is a clear error."""
    import torch

    if requested == "cpu":
        return "cpu"
    if requested == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError("device='cuda' was requested but no CUDA GPU is visible; use device='auto' or 'cpu'")
        return "cuda"
    if requested != "auto":
        raise ValueError(f"device must be auto, cpu or cuda, got {requested!r}")
    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_dtype(device: str):
    """float32 on CPU; bfloat16 on GPUs that support it, else float16."""
    import torch

    if device == "cpu":
        return torch.float32
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
