"""MEDA and INST: the pretraining-data formats that put each document's toxicity in front of it.

The paper (Prabhumoye et al. 2023) does not publish its strings; the templates here are parameters,
and their defaults are this study's operationalisation, not the paper's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

METHODS = ("BASE", "MEDA", "INST")
CONTROLS = ("nontoxic", "toxic")


@dataclass(frozen=True)
class AugmentationConfig:
    """The MEDA metadata template, the INST instructions and the toxic/non-toxic threshold."""

    meda_template: str = "toxicity: {score:.1f}\n"
    meda_control_scores: Mapping[str, float] = field(default_factory=lambda: {"nontoxic": 0.0, "toxic": 1.0})
    inst_nontoxic_text: str = "Non-toxic text:\n"
    inst_toxic_text: str = "Toxic text:\n"
    toxicity_threshold: float = 0.5

    def __post_init__(self) -> None:
        if set(self.meda_control_scores) != set(CONTROLS):
            raise ValueError(f"meda_control_scores needs keys {CONTROLS}, got {sorted(self.meda_control_scores)}")

    @classmethod
    def from_params(cls, params: Mapping) -> AugmentationConfig:
        """Build from a stage's parameters (the keys of the same names)."""
        return cls(meda_template=params["meda_template"], meda_control_scores=dict(params["meda_control_scores"]),
                   inst_nontoxic_text=params["inst_nontoxic_text"], inst_toxic_text=params["inst_toxic_text"],
                   toxicity_threshold=params["toxicity_threshold"])


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; methods are {', '.join(METHODS)}")


def is_toxic(scores: Sequence[float] | np.ndarray, threshold: float) -> np.ndarray:
    """A score at or above the threshold counts as toxic (the study's TP convention, `>=`)."""
    return np.asarray(scores, dtype=float) >= threshold


def document_prefix(method: str, score: float, config: AugmentationConfig) -> str:
    """The text put in front of one pretraining document with toxicity `score`."""
    _check_method(method)
    if method == "BASE":
        return ""
    if score is None or not np.isfinite(score):
        raise ValueError(f"{method} needs a toxicity score for every document, got {score!r}")
    if method == "MEDA":
        return config.meda_template.format(score=float(score))
    return config.inst_toxic_text if is_toxic([score], config.toxicity_threshold)[0] else config.inst_nontoxic_text


def augment_documents(method: str, texts: Sequence[str], scores: Sequence[float] | np.ndarray,
                      config: AugmentationConfig) -> list[str]:
    """Each document with its method's prefix (BASE returns the texts unchanged)."""
    if len(texts) != len(scores):
        raise ValueError(f"{len(texts)} texts but {len(scores)} scores")
    return [document_prefix(method, s, config) + t for t, s in zip(texts, np.asarray(scores, dtype=float))]


def control_prefixes(method: str, config: AugmentationConfig) -> dict[str, str]:
    """The prefixes that steer a model at generation: {'nontoxic': ..., 'toxic': ...}; empty for BASE."""
    _check_method(method)
    if method == "BASE":
        return {}
    if method == "MEDA":
        return {c: config.meda_template.format(score=float(config.meda_control_scores[c])) for c in CONTROLS}
    return {"nontoxic": config.inst_nontoxic_text, "toxic": config.inst_toxic_text}


def generation_prefix(method: str, config: AugmentationConfig) -> str:
    """The control an evaluation uses by default: the non-toxic one ('' for BASE)."""
    return control_prefixes(method, config).get("nontoxic", "")
