"""Hooks for notebook 03: DPO through TRL's `DPOTrainer` on prompt/chosen/rejected pairs, on the seam's terms.

Same `TrainingConfig`, schedule, CPU-safe precision, progress lines and log table as every other
trainer (`trl_common`); the log keeps TRL's implicit-reward curves (`REWARD_COLUMNS`, and their `eval_`
versions on held-out pairs). The reference policy is the model before training:
- a PEFT variant: no second copy, the reference is the base with the adapter disabled (TRL's own way);
- full fine-tuning with `precompute_ref_log_probs` (the default): the reference log-probabilities are
  computed once by the untrained model before the first step, then it is not kept;
- otherwise a frozen copy (`reference_model`).
TRL tokenizes the pairs itself (it has no pre-tokenized path for DPO); the prompt gets the tokenizer's
BOS as text, so the sequences start as the generation engine's do, and responses start with a
separator so that no token merges across the prompt boundary.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.engines.common import bos_token_id
from helpers.training.causal_lm import TrainingConfig, TrainingResult, tokenize
from helpers.training.peft_variants import CUSTOM_VARIANTS, FULL, peft_config, peft_report, prepare_model
from helpers.training.trl_common import quiet_datasets, run_trainer, steps_for_budget, trainer_arguments

REWARD_COLUMNS = ("rewards/chosen", "rewards/rejected", "rewards/margins", "rewards/accuracies")


def preference_dataset(frame: pd.DataFrame, tokenizer, separator: str = " "):
    """A `datasets.Dataset` of prompt/chosen/rejected text as DPOTrainer takes it (BOS before each prompt)."""
    from datasets import Dataset

    missing = [c for c in ("prompt", "chosen", "rejected") if c not in frame.columns]
    if missing:
        raise ValueError(f"preference pairs need columns prompt, chosen, rejected; missing {missing}")
    bos = tokenizer.convert_ids_to_tokens(bos_token_id(tokenizer))

    def response(text: str) -> str:
        return text if not separator or text[:1].isspace() else separator + text

    return Dataset.from_dict({"prompt": [bos + p for p in frame["prompt"]],
                              "chosen": [response(c) for c in frame["chosen"]],
                              "rejected": [response(r) for r in frame["rejected"]]})


def pair_tokens(frame: pd.DataFrame, tokenizer) -> float:
    """Mean tokens DPO reads per pair (prompt twice, both responses, BOS and EOS each)."""
    lengths = [sum(map(len, tokenize(tokenizer, frame[c].tolist()))) for c in ("prompt", "chosen", "rejected")]
    return (2 * lengths[0] + lengths[1] + lengths[2]) / max(1, len(frame)) + 4


def dpo_arguments(config: TrainingConfig, output_dir: Path, max_steps: int, evaluate: bool, beta: float = 0.1,
                  loss_type: str | list[str] = "sigmoid", precompute_ref_log_probs: bool = True, **overrides: Any):
    """A CPU-safe `DPOConfig` on the study's schedule; `overrides` (e.g. `optim="rmsprop"`) win."""
    from trl import DPOConfig

    losses = [loss_type] if isinstance(loss_type, str) else list(loss_type)
    return trainer_arguments(DPOConfig, config, output_dir, max_steps, evaluate, beta=beta, loss_type=losses,
                             max_length=config.context_length, precompute_ref_log_probs=precompute_ref_log_probs,
                             **overrides)


def reference_model(model, peft: str, precompute_ref_log_probs: bool):
    """The reference policy to hand DPOTrainer: None where TRL needs none (PEFT, precomputed), else a frozen copy."""
    if (peft != FULL and peft not in CUSTOM_VARIANTS) or precompute_ref_log_probs:
        return None
    reference = copy.deepcopy(model).eval()
    for parameter in reference.parameters():
        parameter.requires_grad_(False)
    return reference


def train_dpo(model, tokenizer, train: pd.DataFrame, config: TrainingConfig, output_dir: Path,
              heldout: pd.DataFrame | None = None, beta: float = 0.1, loss_type: str | list[str] = "sigmoid",
              peft: str = FULL, precompute_ref_log_probs: bool = True, max_steps: int | None = None,
              progress: bool = True, **overrides: Any) -> TrainingResult:
    """DPO on `train`'s prompt/chosen/rejected rows; token budget from `config`, log with the reward curves.

    The returned model is still PEFT-wrapped for a PEFT variant (save it as an adapter or merge it).
    """
    from trl import DPOTrainer

    steps = max_steps or steps_for_budget(config, pair_tokens(train, tokenizer))
    evaluate = heldout is not None and len(heldout) > 0
    reference = reference_model(model, peft, precompute_ref_log_probs)
    config_for_trl = None
    if peft in CUSTOM_VARIANTS:
        model, _ = prepare_model(model, peft)
    elif peft != FULL:
        config_for_trl = peft_config(peft, model)
    args = dpo_arguments(config, Path(output_dir), steps, evaluate, beta, loss_type, precompute_ref_log_probs,
                         **overrides)
    quiet_datasets()
    trainer = DPOTrainer(model=model, ref_model=reference, args=args,
                         train_dataset=preference_dataset(train, tokenizer),
                         eval_dataset=preference_dataset(heldout, tokenizer) if evaluate else None,
                         processing_class=tokenizer, peft_config=config_for_trl)
    report = peft_report(trainer.model, peft)
    if peft != FULL and not 0 < report.trainable_share < 1:
        raise ValueError(f"PEFT variant {peft!r} left {report.trainable_parameters:,} parameters trainable")
    result = run_trainer(trainer, steps, progress)
    result.details.update({"pairs": len(train), "beta": beta, "loss_type": loss_type, "peft": report.as_dict(),
                           "reference": "adapter disabled" if config_for_trl is not None else
                           ("precomputed" if precompute_ref_log_probs else "frozen copy")})
    return result
