"""A profile folder holding synthetic results with planted effects, laid out as 00, 01 and 05 write them."""

from __future__ import annotations

from pathlib import Path

from helpers import io, paths
from helpers.synthetic_results import SyntheticConfig, SyntheticStudy, simulate_study, smaller

SMALL = smaller(SyntheticConfig(), prompts=24, pairs=16, bold_prompts=6, facts=6, heldout_docs=6)


def fake_manifest(stage: str, seconds: float = 12.5, memory: float = 321.0) -> dict:
    """A finished stage's manifest as the runner leaves it."""
    return {"stage": stage, "status": "ok", "params_hash": "0123456789abcdef", "git_commit": "feedfacecafe+dirty",
            "packages": {"scipy": "1.17.1", "statsmodels": "0.15.0"},
            "device": {"platform": "Linux", "cpu_threads": 2, "cuda": False}, "notebook_seconds": seconds - 2,
            "wall_seconds": seconds, "peak_rss_mb": memory, "executed_notebook": f"{stage}.ipynb",
            "html": f"{stage}.html"}


def write_synthetic_profile(root: Path, profile: str = "smoke", config: SyntheticConfig = SMALL, seed: int = 0,
                            rendered: bool = True) -> SyntheticStudy:
    """Write 06's inputs (and finished manifests of every earlier stage) under an outputs root."""
    study = simulate_study(config, seed=seed, profile=profile)
    folder = root / profile
    for stage in paths.STAGES[:paths.STAGES.index("06_statistics")]:
        io.write_json(folder / stage / "manifest.json", fake_manifest(stage))
        if rendered:
            io.write_text(folder / stage / f"{stage}.html", f"<html><body><h1>{stage}</h1></body></html>")
            io.write_text(folder / stage / f"{stage}.ipynb", "{}")
            io.write_json(folder / stage / "metrics.json", {"headline": {}})
    io.write_parquet(folder / "05_evaluation" / "item_scores.parquet", study.results.items)
    io.write_parquet(folder / "05_evaluation" / "models.parquet", study.results.models)
    io.write_json(folder / "00_data" / "datasets" / "ground_truth.json", study.results.ground_truth)
    io.write_json(folder / "01_pretraining" / "metrics.json",
                  {"language_token_shares": study.results.token_shares, "headline": {}})
    return study
