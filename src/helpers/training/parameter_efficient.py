"""Notebook 04's plan: one SFT method (DAPT) and one DPO method (DetoxDPO), full fine-tuning against PEFT variants.

The full fine-tuning runs are the ones notebooks 02 and 03 trained (`DAPT-s<seed>`, `DetoxDPO-s<seed>`);
04 trains the same recipes again, read back from those stages' manifests, under LoRA (ranks 4, 16, 64),
IA3 and the bottleneck adapter (`helpers.training.bottleneck`), on the same data, token budget or pair
passes, schedule and seeds. Only the peak learning rate changes: a low-rank or scaling adapter needs a
larger step than full fine-tuning (PEFT's and the papers' recipes use about 10x for LoRA), so each
variant multiplies the family's full fine-tuning rate by `learning_rate_multipliers[variant]`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from helpers import io, paths
from helpers.training.peft_variants import CUSTOM_VARIANTS, FULL, LORA_RANKS

FAMILIES = ("DAPT", "DetoxDPO")
VARIANTS = (*LORA_RANKS, "ia3", "bottleneck")
# the stage whose full fine-tuning runs (and recipe) each family reuses
SOURCE_STAGES = {"DAPT": "02_domain_adaptation", "DetoxDPO": "03_preference_optimization"}
# the run-method names of 04 (`DAPT_lora16`, ...), what `first_seed_only` may name
RUN_METHODS = tuple(f"{family}_{variant}" for family in FAMILIES for variant in VARIANTS)


def run_plan(families: Sequence[str], variants: Sequence[str], seeds: Sequence[int],
             first_seed_only: Sequence[str] = ()) -> list[tuple[str, str, int]]:
    """The (family, variant, seed) runs of 04 in training order; `first_seed_only` names `<family>_<variant>`."""
    unknown = sorted(set(families) - set(FAMILIES)) + sorted(set(variants) - set(VARIANTS))
    if unknown:
        raise ValueError(f"unknown families or variants {unknown}; families are {', '.join(FAMILIES)}, variants "
                         f"{', '.join(VARIANTS)}")
    return [(family, variant, seed) for family in families for variant in variants
            for seed in (list(seeds)[:1] if f"{family}_{variant}" in first_seed_only else list(seeds))]


def mergeable(variant: str) -> bool:
    """Whether a variant's adapter can be merged into full weights (LoRA, IA3: yes; the nonlinear bottleneck: no)."""
    return variant != FULL and variant not in CUSTOM_VARIANTS


def upstream_params(profile: str, stage: str) -> dict[str, Any]:
    """The parameters a finished stage ran with (its manifest), to train the same recipe again."""
    source = paths.stage_dir(profile, stage) / "manifest.json"
    if not source.is_file():
        raise FileNotFoundError(f"{source} does not exist: run stage {stage} of profile {profile!r} first")
    manifest = io.read_json(source)
    if manifest.get("status") != "ok" or "params" not in manifest:
        raise ValueError(f"{source}: stage {stage} did not finish (status {manifest.get('status')!r})")
    return dict(manifest["params"])


def learning_rate(full_rate: float, variant: str, multipliers: Mapping[str, float]) -> float:
    """The peak learning rate of a variant: the family's full fine-tuning rate times the variant's multiplier."""
    if variant not in multipliers:
        raise ValueError(f"learning_rate_multipliers has no entry for {variant!r} (it has {sorted(multipliers)})")
    return float(full_rate) * float(multipliers[variant])


def full_runs(cards: Sequence[Any], family: str, parent: str, seeds: Sequence[int]) -> list[Any]:
    """The full fine-tuning cards of a family from its source stage, trained from `parent`, for `seeds`."""
    return sorted((c for c in cards if c.stage == SOURCE_STAGES[family] and c.method == family and c.peft == FULL
                   and c.parent == parent and c.seed in set(seeds)), key=lambda c: c.seed)


def variant_summary(runs: pd.DataFrame, measures: Sequence[str]) -> pd.DataFrame:
    """Per (family, peft): the mean over seeds of each measure and of the cost columns, and the sd of `measures`.

    `runs` has one row per model with `family`, `peft`, `seed`, the measures, `trainable parameters`,
    `train s` and `tokens/s`.
    """
    costs = ["trainable parameters", "train s", "tokens/s"]
    grouped = runs.groupby(["family", "peft"], sort=False)
    table = grouped[list(measures) + costs].mean()
    spread = grouped[list(measures)].std(ddof=1).fillna(0.0).add_suffix(" sd")
    table = table.join(spread)
    table.insert(0, "seeds", grouped["seed"].nunique())
    table["trainable share"] = table["trainable parameters"] / runs.groupby(["family", "peft"], sort=False)[
        "parameters"].mean()
    return table.reset_index()


def order_variants(table: pd.DataFrame, column: str = "peft") -> pd.DataFrame:
    """Rows sorted by family, then full first and the variants in study order."""
    rank = {name: i for i, name in enumerate((FULL, *VARIANTS))}
    family_rank = {name: i for i, name in enumerate(FAMILIES)}
    key = table["family"].map(family_rank).fillna(len(FAMILIES)) * 100 + table[column].map(rank).fillna(99)
    return table.assign(_key=key.to_numpy(np.float64)).sort_values("_key", kind="stable").drop(columns="_key")
