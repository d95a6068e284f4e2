"""The inputs of notebook 06, read and checked: 05's per-item scores and model table, 01's token shares, and
the synthetic world's ground truth (absent for real data)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from helpers import io, paths

ITEM_COLUMNS = ["model", "method", "seed", "benchmark", "language", "item", "metric", "value"]
MODEL_COLUMNS = ["name", "method", "family", "seed", "stage", "parent", "peft", "adapter", "train_languages",
                 "parameters", "train_tokens"]
# a card field missing from an older model table gets this value (the card defaults of INTERFACES.md)
MODEL_DEFAULTS: dict[str, Any] = {"family": None, "stage": "", "parent": "", "peft": "full", "adapter": False,
                                  "train_languages": None, "parameters": 0, "train_tokens": 0}


@dataclass
class StudyResults:
    """Everything 06 analyses for one profile, with where each piece came from."""

    profile: str
    items: pd.DataFrame
    models: pd.DataFrame
    ground_truth: dict[str, Any] | None
    token_shares: dict[str, dict[str, float]]  # 01's trained-token shares per model (or method) name
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def languages(self) -> list[str]:
        """Languages of the results (from the data, never a fixed list)."""
        return sorted(self.items["language"].unique())

    def english_only_methods(self) -> list[str]:
        """Methods whose every model was trained on English only (`train_languages == ['en']`)."""
        flags = self.models.assign(english=self.models["train_languages"].map(is_english_only))
        per_method = flags.groupby("method", sort=False)["english"].all()
        return [m for m, english in per_method.items() if english]


def is_english_only(languages: Any) -> bool:
    """True for a `train_languages` value of exactly ['en'] (lists come back from parquet as arrays)."""
    if languages is None or (isinstance(languages, float) and np.isnan(languages)):
        return False
    return [str(x) for x in list(languages)] == ["en"]


def check_items(items: pd.DataFrame, source: str) -> pd.DataFrame:
    """05's long table with its columns and types checked; a problem names the file and the column or row."""
    missing = [c for c in ITEM_COLUMNS if c not in items.columns]
    if missing:
        raise ValueError(f"{source}: missing columns {missing} (the long format has {ITEM_COLUMNS})")
    if items.empty:
        raise ValueError(f"{source}: no rows")
    values = pd.to_numeric(items["value"], errors="coerce")
    bad = items["value"].notna() & values.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"{source}: row {row} has a non-numeric value {items['value'].iloc[row]!r}")
    keys = ["model", "benchmark", "language", "item", "metric"]
    duplicated = items.duplicated(keys)
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0])
        raise ValueError(f"{source}: row {row} repeats {dict(items[keys].iloc[row])}; "
                         "one row per model x benchmark x language x item x metric")
    out = items[ITEM_COLUMNS].copy()
    out["value"] = values.astype(float)
    for column in ("model", "method", "benchmark", "language", "item", "metric"):
        out[column] = out[column].astype(str)
    return out


def check_models(models: pd.DataFrame, items: pd.DataFrame, source: str) -> pd.DataFrame:
    """The model table with every card field (defaults for older tables) and a row for every evaluated model."""
    if "name" not in models.columns or "method" not in models.columns:
        raise ValueError(f"{source}: a model table needs at least the columns name and method")
    models = models.copy()
    for column, default in MODEL_DEFAULTS.items():
        if column not in models.columns:
            models[column] = [default] * len(models)
    models["family"] = models["family"].where(models["family"].notna() & (models["family"] != ""), models["method"])
    if "seed" not in models.columns:
        models["seed"] = 0
    evaluated = items.drop_duplicates("model")[["model", "method", "seed"]]
    unknown = evaluated[~evaluated["model"].isin(models["name"])]
    if len(unknown):
        raise ValueError(f"{source}: models {sorted(unknown['model'])} have per-item scores but no row in the "
                         "model table")
    clash = evaluated.merge(models[["name", "method"]], left_on="model", right_on="name")
    clash = clash[clash["method_x"] != clash["method_y"]]
    if len(clash):
        row = clash.iloc[0]
        raise ValueError(f"{source}: model {row['model']!r} is method {row['method_y']!r} in the model table but "
                         f"{row['method_x']!r} in the per-item scores")
    models = models[models["name"].isin(evaluated["model"])].reset_index(drop=True)
    return models[MODEL_COLUMNS + [c for c in models.columns if c not in MODEL_COLUMNS]]


def models_from_cards(profile: str) -> pd.DataFrame:
    """The model table built from the model cards, for results written before 05 saved `models.parquet`."""
    from helpers.modeling import discover_models

    rows = []
    for card in discover_models(profile):
        data = card.to_json()
        rows.append({column: data.get(column, MODEL_DEFAULTS.get(column)) for column in MODEL_COLUMNS})
    return pd.DataFrame(rows, columns=MODEL_COLUMNS)


def read_token_shares(metrics: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """01's `language_token_shares` per model name (or method name in older runs)."""
    shares = metrics.get("language_token_shares", {})
    return {str(name): {str(k): float(v) for k, v in per.items()} for name, per in shares.items()}


def load_study_results(profile: str) -> StudyResults:
    """Read 06's inputs for a profile; a missing or malformed file is an error naming it."""
    stage = paths.stage_dir(profile, "05_evaluation")
    item_file = stage / "item_scores.parquet"
    if not item_file.is_file():
        raise FileNotFoundError(f"{item_file} does not exist: run 05_evaluation of profile {profile!r} first")
    items = check_items(pd.read_parquet(item_file), str(item_file))
    model_file = stage / "models.parquet"
    if model_file.is_file():
        models, model_source = pd.read_parquet(model_file), str(model_file)
    else:
        models, model_source = models_from_cards(profile), "model cards (helpers.modeling.discover_models)"
    models = check_models(models, items, model_source)
    truth_file = paths.datasets_dir(profile) / "ground_truth.json"
    ground_truth = io.read_json(truth_file) if truth_file.is_file() else None
    pretraining = paths.stage_dir(profile, "01_pretraining") / "metrics.json"
    token_shares = read_token_shares(io.read_json(pretraining)) if pretraining.is_file() else {}
    return StudyResults(profile=profile, items=items, models=models, ground_truth=ground_truth,
                        token_shares=token_shares,
                        sources={"items": str(item_file), "models": model_source,
                                 "ground_truth": str(truth_file) if ground_truth is not None else "none (real data)",
                                 "token_shares": str(pretraining) if token_shares else "none"})


def language_shares(results: StudyResults, model: str | None = None, source: str = "pretraining"
                    ) -> tuple[dict[str, float], str]:
    """Per-language pretraining share for the transfer regression, and where it came from.

    `pretraining`: 01's measured trained-token shares of `model` (its name, then its method's name, then the
    baseline BASE model), falling back to the ground truth's planted shares; `ground_truth`: the planted shares.
    """
    if source not in ("pretraining", "ground_truth"):
        raise ValueError(f"share source must be 'pretraining' or 'ground_truth', got {source!r}")
    if source == "pretraining" and results.token_shares:
        candidates: list[str] = []
        if model is not None:
            candidates.append(model)
            method = results.models.loc[results.models["name"] == model, "method"]
            candidates += list(method)
        candidates += ["BASE-s0", "BASE"]
        for name in candidates:
            if name in results.token_shares:
                return results.token_shares[name], f"01 trained-token shares of {name}"
        first = next(iter(results.token_shares))
        return results.token_shares[first], f"01 trained-token shares of {first}"
    if results.ground_truth and results.ground_truth.get("language_shares"):
        return ({str(k): float(v) for k, v in results.ground_truth["language_shares"].items()},
                "ground_truth.json language_shares (planted)")
    return {}, "none"


def pretraining_parent(results: StudyResults, model: str) -> str | None:
    """The 01 model a fine-tuned model descends from (following `parent`), or None when unknown."""
    parents = dict(zip(results.models["name"], results.models["parent"]))
    seen: set[str] = set()
    current = model
    while parents.get(current) and current not in seen:
        seen.add(current)
        current = parents[current]
    return current if current != model else None


def ground_truth_series(results: StudyResults, key: str, languages: Sequence[str]) -> dict[str, float]:
    """A per-language value of the ground truth (e.g. `english_vocabulary_overlap`), empty when not recorded."""
    if not results.ground_truth or not isinstance(results.ground_truth.get(key), Mapping):
        return {}
    values = results.ground_truth[key]
    return {language: float(values[language]) for language in languages if language in values}
