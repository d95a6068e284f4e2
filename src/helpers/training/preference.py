"""Notebook 03's methods on the training seam: BiasDPO, DetoxDPO and Neplenbroek et al.'s SFT-on-chosen controls.

- BiasDPO (Allam 2024) and DetoxDPO (Li et al. 2024, as Neplenbroek et al. run it): DPO through TRL's
  `DPOTrainer` (`helpers.training.dpo.train_dpo`) on prompt / chosen / rejected pairs: the world's
  `bias_preferences` and `toxicity_preferences`, on real data BiasDPO and RTP-LX benign vs toxic
  completions (`helpers.realdata`).
- BiasChosenSFT and DetoxChosenSFT: the control of Neplenbroek et al. (`biassft`, `detoxsft`): supervised
  fine-tuning on the chosen responses of the same pairs (`helpers.training.sft.train_sft`), for the same
  number of optimiser steps over the same pairs. Their code trains the language-model loss on
  `prompt + " " + chosen` (`control_loss="full"`); `"completion"` puts the loss on the chosen response
  only, the exact information DPO's chosen side carries.

Pairs are checked before any compute: a pair with an empty field or with chosen equal to rejected
teaches nothing and is dropped, and the drops are counted by reason (`PairCleaning`). Every run is then
scored and flagged by `helpers.training.collapse` (DPO over-optimises small models fast, and a toxicity
gain from a broken model is no gain).
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers.training import domain_adaptation as da
from helpers.training.causal_lm import TrainingConfig, TrainingResult
from helpers.training.data_checks import TrainingDataError, check_columns, check_preference_pairs
from helpers.training.peft_variants import FULL

DPO_METHODS = ("BiasDPO", "DetoxDPO")
CONTROL_METHODS = ("BiasChosenSFT", "DetoxChosenSFT")
METHODS = DPO_METHODS + CONTROL_METHODS
PAIR_DATASETS = {"BiasDPO": "bias_preferences", "DetoxDPO": "toxicity_preferences",
                 "BiasChosenSFT": "bias_preferences", "DetoxChosenSFT": "toxicity_preferences"}
CONTROL_OF = {"BiasChosenSFT": "BiasDPO", "DetoxChosenSFT": "DetoxDPO"}
GOAL = {"BiasDPO": "bias", "BiasChosenSFT": "bias", "DetoxDPO": "toxicity", "DetoxChosenSFT": "toxicity"}
# TRL 1.16 DPO losses that take a pair and a reference (the others need unpaired data or extra inputs)
LOSS_TYPES = ("sigmoid", "hinge", "ipo", "robust", "exo_pair", "nca_pair", "bco_pair", "sppo_hard", "aot",
              "apo_zero", "apo_down", "discopop", "sigmoid_norm")
OPTIMIZERS = ("adamw_torch", "rmsprop")
CONTROL_LOSSES = ("full", "completion")
PAIR_FIELDS = ("prompt", "chosen", "rejected")


def is_dpo(method: str) -> bool:
    """Whether the method trains with DPO (else it is an SFT-on-chosen control)."""
    return method in DPO_METHODS


def run_plan(methods: Sequence[str], seeds: Sequence[int], first_seed_only: Sequence[str] = ()) -> list[tuple[str, int]]:
    """The (method, seed) runs of 03 in training order."""
    return da.run_plan(methods, seeds, first_seed_only, known=METHODS)


# ---- the pairs -----------------------------------------------------------------------------------------

@dataclass
class PairCleaning:
    """The usable pairs of a file and how many were dropped, by reason."""

    pairs: pd.DataFrame
    total: int
    dropped: dict[str, int]

    @property
    def dropped_total(self) -> int:
        """Pairs dropped for any reason."""
        return int(sum(self.dropped.values()))

    def report(self, source: str = "") -> str:
        """One line saying what was dropped and why."""
        reasons = ", ".join(f"{n} {reason}" for reason, n in self.dropped.items() if n) or "none"
        where = f"{source}: " if source else ""
        return f"{where}{len(self.pairs)} of {self.total} pairs kept; dropped: {reasons}"


def _blank(values: pd.Series) -> np.ndarray:
    """True where a field holds no text (missing, NaN or only whitespace); other types are left to the type check."""
    return np.array([v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())
                     for v in values], dtype=bool)


def clean_preference_pairs(frame: pd.DataFrame, source: Path | str) -> PairCleaning:
    """Drop (and count) pairs with an empty prompt, chosen or rejected, or with chosen equal to rejected.

    Missing columns, a field that is not text and a file with no usable pair left are errors naming the
    file (and the row), raised before any training.
    """
    check_columns(frame, ["pair_id", "language", *PAIR_FIELDS], source)
    if frame.empty:
        raise TrainingDataError(f"{source}: holds no rows")
    keep = np.ones(len(frame), dtype=bool)
    dropped: dict[str, int] = {}
    for column in PAIR_FIELDS:
        blank = _blank(frame[column]) & keep
        dropped[f"empty {column}"] = int(blank.sum())
        keep &= ~blank
    kept = frame[keep]
    same = (kept["chosen"].astype(str).str.strip() == kept["rejected"].astype(str).str.strip()).to_numpy()
    dropped["chosen equal to rejected"] = int(same.sum())
    if same.all():
        raise TrainingDataError(f"{source}: none of its {len(frame)} pairs is usable ({', '.join(f'{n} {r}' for r, n in dropped.items() if n)}): there is nothing to learn from them")
    # what is left goes through the seam's check: text types, ids, languages, named by row
    checked = check_preference_pairs(kept[~same].reset_index(drop=True), source)
    return PairCleaning(pairs=checked.pairs, total=int(len(frame)), dropped=dropped)


@dataclass
class PreferenceData:
    """One pair set as a run trains on it: checked, restricted to the training languages, split."""

    dataset: str
    source: Path
    cleaning: PairCleaning
    train: pd.DataFrame
    heldout: pd.DataFrame
    # training pairs before `max_train_pairs` kept a seeded subset (equal to len(train) when nothing was cut)
    available: int = 0

    @property
    def languages(self) -> list[str]:
        """Languages of the training pairs."""
        return sorted(set(self.train["language"]))


def seeded_subset(pairs: pd.DataFrame, limit: int | None, seed: int, purpose: str) -> pd.DataFrame:
    """At most `limit` pairs (all when None), ranked by a hash of (seed, purpose, pair_id): in their original order."""
    from helpers.seeding import derived_seed

    if limit is None or len(pairs) <= limit:
        return pairs
    rank = pairs["pair_id"].map(lambda key: derived_seed(seed, purpose, key))
    return pairs.loc[rank.sort_values(kind="stable").index[:limit]].sort_index().reset_index(drop=True)


def prepare_pairs(frame: pd.DataFrame, dataset: str, source: Path, train_languages: Sequence[str] | None,
                  heldout_per_language: int, seed: int, max_train_pairs: int | None = None) -> PreferenceData:
    """Clean the pairs, keep the training languages, hold out `heldout_per_language` pairs per language, and
    keep at most `max_train_pairs` training pairs (a seeded subset, the same for every run and method)."""
    from helpers.training.instruction import split_pairs

    cleaning = clean_preference_pairs(frame, source)
    pairs = da.restrict_languages(cleaning.pairs, train_languages, source)
    train, heldout = split_pairs(pairs, heldout_per_language, seed)
    if train.empty:
        raise TrainingDataError(f"{source}: no pair is left to train on after holding out {heldout_per_language} "
                                "per language")
    available = len(train)
    train = seeded_subset(train, max_train_pairs, seed, "train-pairs-cap")
    return PreferenceData(dataset=dataset, source=Path(source), cleaning=cleaning, train=train, heldout=heldout,
                          available=available)


def chosen_sft_examples(pairs: pd.DataFrame, control_loss: str = "full", separator: str = " ") -> pd.DataFrame:
    """Prompt/completion rows of the SFT-on-chosen control: the language-model loss on `prompt + " " + chosen`
    (`full`, Neplenbroek et al.'s `biassft`/`detoxsft`) or on the chosen response only (`completion`)."""
    if control_loss not in CONTROL_LOSSES:
        raise ValueError(f"control_loss must be one of {CONTROL_LOSSES}, got {control_loss!r}")
    responses = [c if c[:1].isspace() else separator + c for c in pairs["chosen"]]
    if control_loss == "full":
        prompts = [""] * len(pairs)
        completions = [p + r for p, r in zip(pairs["prompt"], responses)]
    else:
        prompts, completions = list(pairs["prompt"]), responses
    return pd.DataFrame({"prompt": prompts, "completion": completions, "language": pairs["language"].to_numpy(),
                         "pair_id": pairs["pair_id"].to_numpy()})


# ---- training --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PreferenceSettings:
    """How 03 trains: passes over the pairs, each method's peak learning rate, DPO's beta, loss and optimiser,
    the control's loss."""

    epochs: float
    learning_rates: Mapping[str, float]
    beta: float = 0.1
    loss_type: str = "sigmoid"
    optimizer: str = "adamw_torch"
    control_loss: str = "full"
    precompute_ref_log_probs: bool = True

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> PreferenceSettings:
        """From 03's parameters (04 reads them back from 03's manifest, to train DetoxDPO the same way)."""
        return cls(epochs=params["epochs"], learning_rates=dict(params["learning_rates"]), beta=params["beta"],
                   loss_type=params["loss_type"], optimizer=params["dpo_optimizer"],
                   control_loss=params["control_loss"])

    def learning_rate(self, method: str) -> float:
        """The peak learning rate of a method."""
        if method not in self.learning_rates:
            raise ValueError(f"no learning rate for {method!r} (learning_rates has {sorted(self.learning_rates)})")
        return float(self.learning_rates[method])


def training_steps(n_pairs: int, epochs: float, batch_size: int, grad_accum_steps: int = 1) -> int:
    """Optimiser steps that pass `epochs` times over `n_pairs` pairs (at least one)."""
    return max(1, math.ceil(epochs * n_pairs / (batch_size * grad_accum_steps)))


@contextlib.contextmanager
def quiet_tqdm() -> Iterator[None]:
    """No tqdm bars from TRL's reference pass (it reads TQDM_DISABLE); restores the variable after."""
    before = os.environ.get("TQDM_DISABLE")
    os.environ["TQDM_DISABLE"] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = before


def reference_pairs(model, tokenizer, data: PreferenceData, config: TrainingConfig, settings: PreferenceSettings):
    """What every DPO run on `data` from `model` (the base, loaded for training) shares, computed once by TRL:
    the tokenized training and held-out pairs with their reference log-probabilities (`dpo.ReferencePairs`)."""
    from helpers.training import dpo

    with quiet_tqdm():
        return dpo.reference_pairs(model, tokenizer, data.train, config, heldout=data.heldout, beta=settings.beta,
                                   loss_type=settings.loss_type, optim=settings.optimizer)


def train_preference_method(method: str, model, tokenizer, data: PreferenceData, config: TrainingConfig,
                            settings: PreferenceSettings, output_dir: Path, peft: str = FULL,
                            progress: bool = True, reference=None) -> TrainingResult:
    """Train one 03 method on its pairs: DPO (BiasDPO, DetoxDPO) or SFT on the chosen responses (the controls).

    Both read the same pairs for the same number of optimiser steps (`settings.epochs` passes); DPO's
    reference is precomputed (full fine-tuning) or the adapter switched off (PEFT); `reference`
    (`reference_pairs` of these pairs and this base model) saves a DPO run TRL's tokenization and reference pass.
    """
    from helpers.training import dpo, sft

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; methods are {', '.join(METHODS)}")
    if reference is not None and not is_dpo(method):
        raise ValueError(f"{method} is an SFT control: reference pairs are for the DPO methods only")
    steps = training_steps(len(data.train), settings.epochs, config.batch_size, config.grad_accum_steps)
    config = replace(config, learning_rate=settings.learning_rate(method))
    with quiet_tqdm():
        if is_dpo(method):
            result = dpo.train_dpo(model, tokenizer, data.train, config, output_dir, heldout=data.heldout,
                                   beta=settings.beta, loss_type=settings.loss_type, peft=peft,
                                   precompute_ref_log_probs=settings.precompute_ref_log_probs, max_steps=steps,
                                   progress=progress, reference=reference, optim=settings.optimizer)
        else:
            train = chosen_sft_examples(data.train, settings.control_loss)
            heldout = chosen_sft_examples(data.heldout, settings.control_loss) if len(data.heldout) else None
            result = sft.train_sft(model, tokenizer, train, config, output_dir, heldout=heldout, peft=peft,
                                   max_steps=steps, progress=progress)
    result.details.update({"method": method, "pairs": len(data.train), "heldout_pairs": len(data.heldout),
                           "epochs": settings.epochs, "learning_rate": config.learning_rate,
                           "trainer": "DPO" if is_dpo(method) else f"SFT on chosen ({settings.control_loss})"})
    return result


# ---- after training -------------------------------------------------------------------------------------

# summary key -> TRL's implicit-reward curve in the log (train steps, and held-out pairs at each evaluation)
REWARD_SUMMARY = {"train_reward_margin": "rewards/margins", "train_reward_accuracy": "rewards/accuracies",
                  "heldout_reward_margin": "eval_rewards/margins", "heldout_reward_accuracy": "eval_rewards/accuracies"}


def reward_summary(log: pd.DataFrame) -> dict[str, float]:
    """The last logged value of each implicit-reward curve (NaN where the run logged none: the SFT controls)."""
    out = {}
    for key, column in REWARD_SUMMARY.items():
        values = log[column].dropna() if column in log else pd.Series(dtype=float)
        out[key] = round(float(values.iloc[-1]), 6) if len(values) else float("nan")
    return out


def response_logprobs(model, tokenizer, pairs: pd.DataFrame, batch_size: int = 64, separator: str = " "
                      ) -> pd.DataFrame:
    """Per pair: the summed log-probabilities of the chosen and of the rejected response given BOS + prompt."""
    from helpers.engines.likelihood import sequence_logprobs

    prompts = list(pairs["prompt"])
    out = pd.DataFrame({"pair_id": pairs["pair_id"].to_numpy()})
    for side in ("chosen", "rejected"):
        texts = [t if t[:1].isspace() else separator + t for t in pairs[side]]
        out[side] = sequence_logprobs(model, tokenizer, texts, contexts=prompts, batch_size=batch_size)[
            "sum_logprob"].to_numpy()
    return out


def implicit_rewards(model, reference, tokenizer, pairs: pd.DataFrame, beta: float, batch_size: int = 64,
                     separator: str = " ", reference_logps: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per pair: DPO's implicit rewards beta * (log p_model - log p_reference) of chosen and rejected, and the margin.

    Log-probabilities are summed over the response given BOS + prompt (the likelihood engine), so they are
    measured on the pairs themselves, independently of the trainer's logs. `reference_logps`
    (`response_logprobs(reference, ...)` of the same pairs, computed once per pair set) stands in for the
    reference's pass.
    """
    policy = response_logprobs(model, tokenizer, pairs, batch_size, separator)
    if reference_logps is None:
        reference_logps = response_logprobs(reference, tokenizer, pairs, batch_size, separator)
    elif not np.array_equal(reference_logps["pair_id"].to_numpy(), policy["pair_id"].to_numpy()):
        raise ValueError("reference_logps holds other pairs (or another order) than `pairs`")
    out = pd.DataFrame({"pair_id": policy["pair_id"]})
    for side in ("chosen", "rejected"):
        out[f"reward_{side}"] = beta * (policy[side].to_numpy() - reference_logps[side].to_numpy())
    out["margin"] = out["reward_chosen"] - out["reward_rejected"]
    out["correct"] = (out["margin"] > 0).astype(float)
    return out
