"""What every notebook does at its start and end: validate, seed, report versions, record metrics."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers import io, manifest, paths
from helpers.params import Params, collect_from_namespace, validate_stage
from helpers.seeding import seed_everything


@dataclass
class StageContext:
    """A running stage: its validated parameters and the folder it writes into."""

    params: Params
    out_dir: Path
    started: float = field(default_factory=time.perf_counter)

    @property
    def stage(self) -> str:
        """Name of the running stage."""
        return self.params.stage

    def elapsed(self) -> float:
        """Seconds since the stage started."""
        return time.perf_counter() - self.started


def start_stage(stage: str, namespace: Mapping[str, Any], show_versions: bool = True) -> StageContext:
    """Validate the parameters cell's values, seed everything and print the resolved setup."""
    params = validate_stage(stage, collect_from_namespace(stage, namespace))
    seed_everything(params.seed)
    out_dir = paths.write_dir(params.profile, stage)
    _quiet_libraries()
    if show_versions:
        versions = manifest.package_versions()
        print("packages:", ", ".join(f"{k} {v}" for k, v in versions.items()))
        print("device:", manifest.device_description())
    print(f"profile {params.profile!r}, seed {params.seed}, parameters hash {params.digest()}")
    return StageContext(params=params, out_dir=out_dir)


def _quiet_libraries() -> None:
    """Progress bars and info logs make executed notebooks noisy and non-reproducible."""
    import os
    import warnings

    # tqdm warns about missing ipywidgets on import; the notebooks show no progress bars anyway
    warnings.filterwarnings("ignore", message="IProgress not found")
    # PEFT 0.21 reads transformers' deprecated `is_gradient_checkpointing` on every adapter it wraps or loads
    warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except ImportError:
        pass
    try:
        from datasets.utils.logging import disable_progress_bar

        disable_progress_bar()
    except ImportError:
        pass


def finish_stage(context: StageContext, metrics: Mapping[str, Any]) -> Path:
    """Write `metrics.json` (results only: no timings, paths or dates), then the stage's manifest."""
    target = io.write_json(context.out_dir / "metrics.json", dict(metrics))
    # written last: a manifest with status ok is what marks a stage as finished
    io.write_json(context.out_dir / "manifest.json", stage_manifest(context))
    return target


def stage_manifest(context: StageContext) -> dict[str, Any]:
    """Everything that varies between runs of a stage: parameters, code, packages, device, time."""
    return {
        "stage": context.stage,
        "status": "ok",
        "params": context.params.as_dict(),
        "params_hash": context.params.digest(),
        "git_commit": manifest.git_commit(),
        "packages": manifest.package_versions(),
        "device": manifest.device_description(),
        "notebook_seconds": round(context.elapsed(), 2),
        **manifest.resource_usage(),  # peak_rss_mb (the kernel's high-water mark), its children's, cpu_seconds
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def read_metrics(profile: str, stage: str) -> dict[str, Any]:
    """`metrics.json` of a finished stage."""
    source = paths.stage_dir(profile, stage) / "metrics.json"
    if not source.is_file():
        raise FileNotFoundError(f"{source} does not exist: run stage {stage} of profile {profile!r} first")
    return io.read_json(source)


def require_stage(profile: str, stage: str) -> Path:
    """Folder of a finished upstream stage, or a clear error saying which stage to run."""
    folder = paths.stage_dir(profile, stage)
    status = folder / "manifest.json"
    if not status.is_file() or io.read_json(status).get("status") != "ok":
        raise FileNotFoundError(
            f"stage {stage} of profile {profile!r} has not finished ({folder}); "
            f"run `python -m helpers.runner --profile {profile} --only {stage[:2]}` first"
        )
    return folder
