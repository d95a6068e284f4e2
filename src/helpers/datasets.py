"""The study's datasets: built from the synthetic world or the real mirror, written and read back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from helpers import io, paths, schemas


@dataclass
class StudyData:
    """Every normalized dataset, plus what was planted (synthetic world only)."""

    datasets: dict[str, pd.DataFrame]
    ground_truth: dict[str, Any] | None = None
    annotations: pd.DataFrame | None = None


def build_datasets(params: Mapping[str, Any]) -> StudyData:
    """Build the datasets for the profile's `data_source`."""
    if params["data_source"] == "synthetic":
        from helpers.world.generator import WorldConfig, build_world

        world = build_world(WorldConfig.from_params(params), params["seed"])
        return StudyData(world.datasets, world.ground_truth, world.annotations)
    from helpers.realdata.build import build_real_datasets
    from helpers.realdata.registry import resolve_mirror

    mirror = resolve_mirror(params.get("mirror_dir"))
    return StudyData(build_real_datasets(params, mirror))


def write_datasets(data: StudyData, out_dir: Path) -> pd.DataFrame:
    """Write every dataset as parquet (plus ground truth when known); return rows per dataset."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = []
    for name, frame in data.datasets.items():
        checked = schemas.validate_frame(name, frame) if name in schemas.SCHEMAS else frame
        io.write_parquet(out_dir / f"{name}.parquet", checked)
        languages = sorted(checked["language"].unique()) if "language" in checked else []
        counts.append({"dataset": name, "rows": len(checked), "languages": len(languages),
                       "language_codes": " ".join(languages[:12]) + (" ..." if len(languages) > 12 else "")})
    if data.annotations is not None:
        io.write_parquet(out_dir / "world_annotations.parquet", data.annotations)
    if data.ground_truth is not None:
        io.write_json(out_dir / "ground_truth.json", data.ground_truth)
    return pd.DataFrame(counts)


def load_dataset(profile: str, name: str) -> pd.DataFrame:
    """A dataset written by 00_data for a profile."""
    source = paths.datasets_dir(profile) / f"{name}.parquet"
    if not source.is_file():
        raise FileNotFoundError(f"{source} does not exist: run 00_data of profile {profile!r} first")
    return pd.read_parquet(source)


def load_ground_truth(profile: str) -> dict[str, Any] | None:
    """The planted ground truth of a synthetic-world profile, None for real data."""
    source = paths.datasets_dir(profile) / "ground_truth.json"
    return io.read_json(source) if source.is_file() else None
