"""Realistic synthetic per-item results with planted effects, in 05's long format, for testing 06.

Each method has planted effects (on the toxicity logit, the stereotype association, fluency, knowledge and
language fidelity); each training seed adds a run-level deviation; each prompt has its own propensity and k
sampled continuations that are aggregated per prompt as 05 does. English-only methods transfer their effect to
another language in proportion to that language's pretraining share, so the cross-lingual analysis has a
known answer. Nothing here is used by the notebooks: it is what the tests of `helpers.stats`, the claims, the
mixed models and the report run on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from helpers.study_results import ITEM_COLUMNS, MODEL_COLUMNS, StudyResults


@dataclass(frozen=True)
class PlantedMethod:
    """A method's planted effects (0 = none) and how it was trained."""

    name: str
    stage: str
    seeds: int = 3
    toxicity: float = 0.0  # shift of every continuation's toxicity logit (negative: less toxic)
    bias: float = 0.0  # share of the stereotype association removed (0.4: 40% weaker)
    fluency: float = 0.0  # shift of log perplexity and of held-out NLL per token (positive: less fluent)
    knowledge: float = 0.0  # shift of the knowledge logit (negative: forgets)
    off_language: float = 0.0  # shift of the off-language logit on non-English prompts (positive: drifts to English)
    english_only: bool = False  # trained on English only: its effects transfer to other languages by share
    family: str | None = None
    peft: str = "full"


DEFAULT_METHODS: tuple[PlantedMethod, ...] = (
    PlantedMethod("BASE", "01_pretraining", seeds=1),
    PlantedMethod("MEDA", "01_pretraining", seeds=1, toxicity=-0.4, fluency=0.03, knowledge=-0.6),
    PlantedMethod("INST", "01_pretraining", seeds=1, toxicity=-1.6, fluency=0.02, knowledge=-0.8),
    PlantedMethod("DAPT", "02_domain_adaptation", toxicity=-0.3, english_only=True),
    PlantedMethod("SGEAT", "02_domain_adaptation", toxicity=-0.9, english_only=True),
    PlantedMethod("SR_LLM", "02_domain_adaptation", bias=0.5, english_only=True),
    PlantedMethod("BiasDPO", "03_preference_optimization", bias=0.4, english_only=True),
    PlantedMethod("DetoxDPO", "03_preference_optimization", toxicity=-1.2, fluency=0.04, off_language=0.8,
                  english_only=True),
    PlantedMethod("DetoxChosenSFT", "03_preference_optimization", toxicity=0.2, english_only=True),
)


@dataclass(frozen=True)
class SyntheticConfig:
    """Sizes, languages and noise of a synthetic study."""

    languages: tuple[str, ...] = ("en", "fr", "de", "es", "it", "nl")
    shares: tuple[float, ...] = (0.45, 0.2, 0.13, 0.1, 0.07, 0.05)
    vocabulary_overlap: tuple[float, ...] = (1.0, 0.35, 0.3, 0.3, 0.25, 0.2)
    methods: tuple[PlantedMethod, ...] = DEFAULT_METHODS
    prompts: int = 40  # RTP-style prompts per language
    samples: int = 5  # continuations per prompt (k)
    pairs: int = 30  # CrowS-style pairs per language
    bold_prompts: int = 10
    facts: int = 10
    heldout_docs: int = 10
    prompt_sd: float = 1.0  # between-prompt spread of the toxicity logit: why the prompt is the unit
    sample_sd: float = 0.8  # spread of a continuation's logit around its prompt's
    seed_sd: float = 0.08  # run-to-run spread of a training seed, on each effect's scale
    base_toxicity: float = -1.4  # BASE's mean toxicity logit
    transfer_floor: float = 0.0  # effect kept in a language with share 0 (relative to English)


@dataclass
class SyntheticStudy:
    """A synthetic study's results and what was planted in them."""

    results: StudyResults
    samples: pd.DataFrame  # per-continuation toxicity of the multilingual prompts (before aggregation)
    planted: dict[str, Any] = field(default_factory=dict)


def transfer_multipliers(config: SyntheticConfig) -> dict[str, float]:
    """Per language: the share of an English-only method's English effect it keeps (1 for English)."""
    shares = dict(zip(config.languages, config.shares))
    top = shares.get("en", max(shares.values()))
    return {lang: 1.0 if lang == "en" else config.transfer_floor + (1 - config.transfer_floor) * share / top
            for lang, share in shares.items()}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _long(language: np.ndarray, item: np.ndarray, benchmark: str, metrics: Mapping[str, np.ndarray]) -> pd.DataFrame:
    frames = [pd.DataFrame({"benchmark": benchmark, "language": language, "item": item, "metric": name,
                            "value": np.asarray(values, dtype=float)}) for name, values in metrics.items()]
    return pd.concat(frames, ignore_index=True)


class _World:
    """The fixed items: prompt propensities, pair associations, fact difficulties (shared by every model)."""

    def __init__(self, config: SyntheticConfig, rng: np.random.Generator):
        lang = np.array(config.languages)
        self.config = config
        self.ml_language = np.repeat(lang, config.prompts)
        self.ml_item = np.array([f"ml-{lg}-{i:04d}" for lg in lang for i in range(config.prompts)])
        # parallel prompts share most of their propensity across languages
        shared = rng.normal(0.0, config.prompt_sd, config.prompts)
        self.ml_logit = np.concatenate([config.base_toxicity + 0.85 * shared
                                        + rng.normal(0, 0.5 * config.prompt_sd, config.prompts) for _ in lang])
        self.rtp_item = np.array([f"rtp-en-{i:04d}" for i in range(config.prompts)])
        self.rtp_logit = config.base_toxicity + rng.normal(0.0, config.prompt_sd, config.prompts)
        self.crows_language = np.repeat(lang, config.pairs)
        self.crows_item = np.array([f"crows-{lg}-{i:04d}" for lg in lang for i in range(config.pairs)])
        self.crows_association = rng.normal(0.9, 1.0, len(self.crows_item))
        self.bold_language = np.repeat(lang, config.bold_prompts)
        self.bold_item = np.array([f"bold-{lg}-{i:04d}" for lg in lang for i in range(config.bold_prompts)])
        self.bold_logit = config.base_toxicity - 0.5 + rng.normal(0, 0.6, len(self.bold_item))
        self.bold_stereo = rng.normal(0.6, 0.8, len(self.bold_item))
        self.fact_language = np.repeat(lang, config.facts)
        self.fact_item = np.array([f"fact-{lg}-{i:03d}" for lg in lang for i in range(config.facts)])
        self.fact_logit = rng.normal(1.2, 1.2, len(self.fact_item))
        self.doc_language = np.repeat(lang, config.heldout_docs)
        self.doc_item = np.array([f"doc-{lg}-{i:04d}" for lg in lang for i in range(config.heldout_docs)])
        self.doc_nll = 1.0 + rng.gamma(4.0, 0.08, len(self.doc_item))
        self.doc_tokens = rng.integers(20, 80, len(self.doc_item))
        self.fluency_base = rng.normal(0.45, 0.15, config.prompts)
        self.distinct = rng.beta(8, 3, (3, config.prompts))


def _multiplier(method: PlantedMethod, languages: np.ndarray, transfer: Mapping[str, float]) -> np.ndarray:
    if not method.english_only:
        return np.ones(len(languages))
    return np.array([transfer[lg] for lg in languages])


def _toxicity_items(logit: np.ndarray, k: int, sample_sd: float, rng: np.random.Generator
                    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    scores = _sigmoid(logit[:, None] + rng.normal(0.0, sample_sd, (len(logit), k)))
    items = {"max_toxicity": scores.max(axis=1), "toxic": (scores.max(axis=1) >= 0.5).astype(float),
             "toxic_fraction": (scores >= 0.5).mean(axis=1)}
    return items, scores


def _model_items(world: _World, method: PlantedMethod, transfer: Mapping[str, float], rng: np.random.Generator
                 ) -> tuple[pd.DataFrame, np.ndarray]:
    """Every per-item value of one trained model (one seed run of a method)."""
    config = world.config
    run = rng.normal(0.0, config.seed_sd, 5) if method.name != "BASE" else np.zeros(5)
    ml_mult = _multiplier(method, world.ml_language, transfer)
    pieces = []

    rtp_logit = world.rtp_logit + method.toxicity + run[0]
    rtp, _ = _toxicity_items(rtp_logit, config.samples, config.sample_sd, rng)
    rtp["off_language"] = rng.binomial(config.samples, 0.02, config.prompts) / config.samples
    for n, values in zip((1, 2, 3), world.distinct):
        rtp[f"distinct_{n}"] = np.clip(values + rng.normal(0, 0.02, config.prompts), 0, 1)
    en = np.full(config.prompts, "en")
    pieces.append(_long(en, world.rtp_item, "rtp", rtp))
    pieces.append(_long(en, world.rtp_item, "fluency", {
        "log_perplexity": world.fluency_base + method.fluency + run[2] + rng.normal(0, 0.05, config.prompts)}))

    ml_logit = world.ml_logit + method.toxicity * ml_mult + run[0]
    ml, scores = _toxicity_items(ml_logit, config.samples, config.sample_sd, rng)
    non_english = world.ml_language != "en"
    off_logit = -3.0 + non_english * (method.off_language * ml_mult + run[3])
    ml["off_language"] = rng.binomial(config.samples, _sigmoid(off_logit)) / config.samples
    pieces.append(_long(world.ml_language, world.ml_item, "multilingual", ml))

    crows_mult = _multiplier(method, world.crows_language, transfer)
    association = world.crows_association * (1 - method.bias * crows_mult) + run[1]
    diff = association + rng.normal(0, 0.4, len(association))
    pieces.append(_long(world.crows_language, world.crows_item, "crows", {
        "stereotyped": (diff > 0).astype(float), "diff": diff, "soft": _sigmoid(diff)}))

    bold_mult = _multiplier(method, world.bold_language, transfer)
    bold_tox = _sigmoid(world.bold_logit + method.toxicity * bold_mult + run[0]
                        + rng.normal(0, 0.3, len(world.bold_item)))
    stereo_p = _sigmoid(world.bold_stereo * (1 - method.bias * bold_mult))
    choice = rng.binomial(3, stereo_p) / 3.0
    choice[rng.random(len(choice)) < 0.1] = np.nan  # no attribute word in any continuation
    pieces.append(_long(world.bold_language, world.bold_item, "bold", {"toxicity": bold_tox,
                                                                        "stereotype_choice": choice}))

    fact_mult = _multiplier(method, world.fact_language, transfer)
    correct = rng.random(len(world.fact_item)) < _sigmoid(world.fact_logit + method.knowledge * fact_mult + run[4])
    pieces.append(_long(world.fact_language, world.fact_item, "knowledge", {"correct": correct.astype(float)}))

    doc_mult = np.where(world.doc_language == "en", 1.0, 1.0 + method.off_language / 4)
    nll = world.doc_nll + method.fluency * doc_mult + run[2] + rng.normal(0, 0.02, len(world.doc_item))
    pieces.append(_long(world.doc_language, world.doc_item, "heldout", {
        "sum_logprob": -nll * world.doc_tokens, "n_tokens": world.doc_tokens.astype(float)}))
    return pd.concat(pieces, ignore_index=True), scores


def simulate_study(config: SyntheticConfig = SyntheticConfig(), seed: int = 0, profile: str = "synthetic"
                   ) -> SyntheticStudy:
    """A full synthetic study: per-item long table, model table, ground truth, 01-style token shares."""
    if len(config.languages) != len(config.shares) or len(config.languages) != len(config.vocabulary_overlap):
        raise ValueError("languages, shares and vocabulary_overlap must have the same length")
    rng = np.random.default_rng(seed)
    world = _World(config, rng)
    transfer = transfer_multipliers(config)
    frames, models, sample_frames = [], [], []
    for method in config.methods:
        for run_seed in range(method.seeds):
            name = f"{method.name}-s{run_seed}"
            items, scores = _model_items(world, method, transfer, rng)
            frames.append(items.assign(model=name, method=method.name, seed=run_seed))
            sample_frames.append(pd.DataFrame({
                "model": name, "language": np.repeat(world.ml_language, config.samples),
                "item": np.repeat(world.ml_item, config.samples),
                "sample": np.tile(np.arange(config.samples), len(world.ml_item)), "toxicity": scores.ravel()}))
            models.append({
                "name": name, "method": method.name, "family": method.family or method.name, "seed": run_seed,
                "stage": method.stage, "parent": "" if method.stage == "01_pretraining" else "BASE-s0",
                "peft": method.peft, "adapter": method.peft != "full",
                "train_languages": ["en"] if method.english_only else list(config.languages),
                "parameters": 1_000_000, "train_tokens": 100_000})
    items = pd.concat(frames, ignore_index=True)[ITEM_COLUMNS]
    shares = dict(zip(config.languages, config.shares))
    ground_truth = {"languages": list(config.languages), "language_shares": shares,
                    "english_vocabulary_overlap": dict(zip(config.languages, config.vocabulary_overlap))}
    results = StudyResults(profile=profile, items=items, models=pd.DataFrame(models, columns=MODEL_COLUMNS),
                           ground_truth=ground_truth, token_shares={"BASE-s0": shares},
                           sources={"items": "helpers.synthetic_results", "models": "helpers.synthetic_results"})
    planted = {"transfer_multipliers": transfer, "methods": {m.name: m for m in config.methods}}
    return SyntheticStudy(results=results, samples=pd.concat(sample_frames, ignore_index=True), planted=planted)


def smaller(config: SyntheticConfig = SyntheticConfig(), methods: Sequence[str] | None = None, **sizes: Any
            ) -> SyntheticConfig:
    """A copy of `config` with fewer methods (by name) and other sizes, for fast tests."""
    kept = config.methods if methods is None else tuple(m for m in config.methods if m.name in set(methods))
    return replace(config, methods=kept, **sizes)
