"""The one place that knows where things live: every input and output path of the study."""

from __future__ import annotations

import os
from pathlib import Path

# src/helpers/paths.py -> the repository root is three levels up
PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
PARAMS_DIR = PROJECT_ROOT / "params"
TESTS_DIR = PROJECT_ROOT / "tests"
FIXTURES_DIR = TESTS_DIR / "fixtures"

# the ordered stages of the study; a stage's name is its notebook's file stem
STAGES: tuple[str, ...] = (
    "00_data",
    "01_pretraining",
    "02_domain_adaptation",
    "03_preference_optimization",
    "04_parameter_efficient",
    "05_evaluation",
    "06_statistics",
)

# the stages each notebook reads (its `require_stage` calls): 05 evaluates whichever models of 01-04 are finished,
# so a profile can run 05 and 06 before, or without, the fine-tuning notebooks
STAGE_NEEDS: dict[str, tuple[str, ...]] = {
    "00_data": (),
    "01_pretraining": ("00_data",),
    "02_domain_adaptation": ("00_data", "01_pretraining"),
    "03_preference_optimization": ("00_data", "01_pretraining"),
    "04_parameter_efficient": ("00_data", "01_pretraining", "02_domain_adaptation", "03_preference_optimization"),
    "05_evaluation": ("00_data", "01_pretraining"),
    "06_statistics": ("05_evaluation",),
}

# set by the runner so that a notebook writes into a staging folder that is swapped in on success
WRITE_DIR_ENV = "HELPERS_WRITE_DIR"
OUTPUTS_ROOT_ENV = "HELPERS_OUTPUTS_ROOT"
NOTEBOOKS_ENV = "HELPERS_NOTEBOOKS_DIR"
MIRROR_ENV = "DETOX_DATA_MIRROR"


def outputs_root() -> Path:
    """Root of all outputs; overridable so tests never touch the real `outputs/`."""
    override = os.environ.get(OUTPUTS_ROOT_ENV)
    return Path(override).resolve() if override else PROJECT_ROOT / "outputs"


def profile_dir(profile: str) -> Path:
    """Folder holding every stage of one profile."""
    return outputs_root() / profile


def stage_dir(profile: str, stage: str) -> Path:
    """Finished outputs of a stage (what later stages read)."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; stages are {', '.join(STAGES)}")
    return profile_dir(profile) / stage


def write_dir(profile: str, stage: str) -> Path:
    """Folder a running notebook writes into: the runner's staging folder, else the stage folder."""
    override = os.environ.get(WRITE_DIR_ENV)
    target = Path(override) if override else stage_dir(profile, stage)
    target.mkdir(parents=True, exist_ok=True)
    return target


def cache_dir(profile: str) -> Path:
    """Content-addressed cache shared by the stages of a profile (generations, scores)."""
    path = profile_dir(profile) / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def notebooks_dir() -> Path:
    """Folder of the source notebooks; overridable so the runner's tests can use toy notebooks."""
    override = os.environ.get(NOTEBOOKS_ENV)
    return Path(override).resolve() if override else NOTEBOOKS_DIR


def notebook_path(stage: str) -> Path:
    """Source notebook of a stage."""
    return notebooks_dir() / f"{stage}.ipynb"


def params_file(profile: str) -> Path:
    """YAML file of a profile."""
    return PARAMS_DIR / f"{profile}.yaml"


def datasets_dir(profile: str) -> Path:
    """Normalized datasets written by 00_data."""
    return stage_dir(profile, "00_data") / "datasets"


def tokenizer_dir(profile: str) -> Path:
    """Tokenizer trained by 00_data."""
    return stage_dir(profile, "00_data") / "tokenizer"


def scorer_dir(profile: str) -> Path:
    """Toxicity scorer trained by 00_data."""
    return stage_dir(profile, "00_data") / "scorer"


def default_mirror() -> Path | None:
    """Local mirror of the real datasets: the environment variable, else `../shared/data` if present."""
    env = os.environ.get(MIRROR_ENV)
    if env:
        return Path(env).expanduser().resolve()
    sibling = PROJECT_ROOT.parent / "shared" / "data"
    return sibling if sibling.is_dir() else None
