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

Every run on one pair set from one base model tokenizes the same pairs and precomputes the same
reference log-probabilities (the base model's: a PEFT adapter switched off or a bottleneck adapter at
its identity initialisation leaves it unchanged). `reference_pairs` has TRL do both once, on a copy of
the base model, and `train_dpo(..., reference=...)` hands the prepared datasets (with TRL's own
`ref_chosen_logps`/`ref_rejected_logps` columns, which its collator and loss read) to every run; the
run checks that its pairs, batch shapes and base weights are the ones the cache was made from.
"""

from __future__ import annotations

import copy
import functools
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.engines.common import bos_token_id
from helpers.training.causal_lm import TrainingConfig, TrainingResult, tokenize
from helpers.training.peft_variants import CUSTOM_VARIANTS, FULL, peft_config, peft_report, prepare_model
from helpers.training.trl_common import quiet_datasets, run_trainer, steps_for_budget, trainer_arguments

REWARD_COLUMNS = ("rewards/chosen", "rewards/rejected", "rewards/margins", "rewards/accuracies")
# the columns TRL's DPO collator and loss read the precomputed reference from
REFERENCE_COLUMNS = ("ref_chosen_logps", "ref_rejected_logps")
# DPOConfig fields the tokenized pairs and the reference pass depend on (a cache is valid only where they agree)
_REFERENCE_ARGUMENTS = ("per_device_train_batch_size", "per_device_eval_batch_size", "precompute_ref_batch_size",
                        "max_length", "truncation_mode", "ld_alpha", "pad_token", "dataset_num_proc")


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


@functools.cache
def prepared_pairs_trainer():
    """`DPOTrainer` that takes pairs TRL already tokenized, with the reference columns attached, as they are.

    TRL 1.16 re-tokenizes every dataset it is given and computes the reference log-probabilities
    again unless the cache file of its own (keyed on a hash of the policy, adapter included) exists:
    a dataset that holds `REFERENCE_COLUMNS` was prepared by TRL itself (`reference_pairs`), so both
    steps return it unchanged; any other dataset goes through TRL's own preparation.
    """
    from trl import DPOTrainer

    class PreparedPairsDPOTrainer(DPOTrainer):
        """DPOTrainer that skips preparing a dataset `reference_pairs` prepared."""

        def _prepare_dataset(self, dataset, processing_class, args, dataset_name):
            if set(REFERENCE_COLUMNS) <= set(dataset.column_names):
                return dataset
            return super()._prepare_dataset(dataset, processing_class, args, dataset_name)

        def _precompute_ref_logps(self, dataset, name, batch_size):
            if set(REFERENCE_COLUMNS) <= set(dataset.column_names):
                return dataset
            return super()._precompute_ref_logps(dataset, name, batch_size)

    return PreparedPairsDPOTrainer


def weights_hash(model) -> str:
    """TRL's hash of a model's weights (`hash_module`, the key of its reference cache)."""
    from trl.trainer.utils import hash_module

    return hash_module(model)


@dataclass
class ReferencePairs:
    """Pairs tokenized by TRL with the reference log-probabilities attached, computed once for every run on them."""

    train: Any  # datasets.Dataset as DPOTrainer trains on it: its token columns and REFERENCE_COLUMNS
    heldout: Any | None
    texts: dict[str, pd.DataFrame]  # "train"/"heldout" -> the prompt/chosen/rejected text it was made from
    reference_hash: str  # weights of the model that computed the reference (`weights_hash`)
    arguments: dict[str, Any]  # the `_REFERENCE_ARGUMENTS` it was made with
    # the held-out evaluation at step 0 by (beta, loss types, eval batch size), logged by the first run that made
    # it: every run on these pairs starts as the reference itself (full weights, or an adapter at its identity)
    start_evaluations: dict[tuple, dict[str, Any]] = field(default_factory=dict)

    @staticmethod
    def evaluation_key(args) -> tuple:
        """What the step-0 held-out evaluation depends on besides the pairs and the base weights."""
        return (float(args.beta), tuple(args.loss_type), int(args.per_device_eval_batch_size))

    def check(self, train: pd.DataFrame, heldout: pd.DataFrame | None, args, model) -> None:
        """Raise a clear error unless a run reads the same pairs, batch shapes and base weights as the cache."""
        for part, frame in (("train", train), ("heldout", heldout)):
            expected = self.texts.get(part)
            given = _pair_texts(frame) if frame is not None and len(frame) else None
            if (expected is None) != (given is None) or (given is not None and not given.equals(expected)):
                raise ValueError(f"the reference pairs were computed on other {part} pairs than this run's: "
                                 "compute them again for this pair set")
        arguments = {name: getattr(args, name) for name in _REFERENCE_ARGUMENTS}
        changed = sorted(name for name in arguments if arguments[name] != self.arguments[name])
        if changed:
            raise ValueError(f"the reference pairs were computed with other {', '.join(changed)} "
                             f"({', '.join(f'{n} {self.arguments[n]!r}' for n in changed)}) than this run's")
        if weights_hash(model) != self.reference_hash:
            raise ValueError("the reference pairs were computed by another model than this run's base model: "
                             "compute them again from the model the run starts from")


def _pair_texts(frame: pd.DataFrame) -> pd.DataFrame:
    """The prompt/chosen/rejected text of pairs, indexed from 0 (what a reference cache is checked against)."""
    return frame[["prompt", "chosen", "rejected"]].reset_index(drop=True)


def reference_pairs(model, tokenizer, train: pd.DataFrame, config: TrainingConfig, heldout: pd.DataFrame | None = None,
                    beta: float = 0.1, loss_type: str | list[str] = "sigmoid", **overrides: Any) -> ReferencePairs:
    """TRL's tokenized pairs and the reference log-probabilities of `model` (the base, loaded for training), once.

    TRL itself prepares them, exactly as in a run with `precompute_ref_log_probs` (same collator, batch
    size and order), on a copy of `model`, which stays untouched. Valid for every run from that model on
    these pairs with the same batch shapes: full fine-tuning, a PEFT adapter (switched off, the
    reference is the base) and the bottleneck adapter (the identity at initialisation).
    """
    evaluate = heldout is not None and len(heldout) > 0
    with tempfile.TemporaryDirectory(prefix="dpo-reference-") as scratch:
        args = dpo_arguments(config, Path(scratch), 1, evaluate, beta, loss_type, True, **overrides)
        quiet_datasets()
        reference = copy.deepcopy(model)
        trainer = prepared_pairs_trainer()(model=reference, args=args,
                                           train_dataset=preference_dataset(train, tokenizer),
                                           eval_dataset=preference_dataset(heldout, tokenizer) if evaluate else None,
                                           processing_class=tokenizer)
    texts = {"train": _pair_texts(train), **({"heldout": _pair_texts(heldout)} if evaluate else {})}
    return ReferencePairs(train=trainer.train_dataset, heldout=trainer.eval_dataset, texts=texts,
                          reference_hash=weights_hash(model),
                          arguments={name: getattr(args, name) for name in _REFERENCE_ARGUMENTS})


def train_dpo(model, tokenizer, train: pd.DataFrame, config: TrainingConfig, output_dir: Path,
              heldout: pd.DataFrame | None = None, beta: float = 0.1, loss_type: str | list[str] = "sigmoid",
              peft: str = FULL, precompute_ref_log_probs: bool = True, max_steps: int | None = None,
              progress: bool = True, reference: ReferencePairs | None = None, **overrides: Any) -> TrainingResult:
    """DPO on `train`'s prompt/chosen/rejected rows; token budget from `config`, log with the reward curves.

    `reference` (from `reference_pairs` on this run's base model and pairs) saves TRL's tokenization and
    reference pass; the results are the same. The returned model is still PEFT-wrapped for a PEFT
    variant (save it as an adapter or merge it).
    """
    steps = max_steps or steps_for_budget(config, pair_tokens(train, tokenizer))
    evaluate = heldout is not None and len(heldout) > 0
    args = dpo_arguments(config, Path(output_dir), steps, evaluate, beta, loss_type, precompute_ref_log_probs,
                         **overrides)
    # a run starts as the reference: the step-0 evaluation of an earlier run on the same reference pairs is reused
    key = ReferencePairs.evaluation_key(args)
    start_evaluation = reference.start_evaluations.get(key) if reference is not None and evaluate else None
    if start_evaluation is not None:
        args.eval_on_start = False
    if reference is not None:
        if not precompute_ref_log_probs:
            raise ValueError("reference pairs carry precomputed reference log-probabilities: they need "
                             "precompute_ref_log_probs=True")
        reference.check(train, heldout if evaluate else None, args, model)  # before any wrap: the base weights
    frozen = reference_model(model, peft, precompute_ref_log_probs)
    config_for_trl = None
    if peft in CUSTOM_VARIANTS:
        model, _ = prepare_model(model, peft)
    elif peft != FULL:
        config_for_trl = peft_config(peft, model, lora_dropout=config.lora_dropout)
    quiet_datasets()
    if reference is not None:
        train_dataset, eval_dataset = reference.train, reference.heldout
    else:
        train_dataset = preference_dataset(train, tokenizer)
        eval_dataset = preference_dataset(heldout, tokenizer) if evaluate else None
    trainer = prepared_pairs_trainer()(model=model, ref_model=frozen, args=args, train_dataset=train_dataset,
                                       eval_dataset=eval_dataset, processing_class=tokenizer,
                                       peft_config=config_for_trl)
    report = peft_report(trainer.model, peft)
    if peft != FULL and not 0 < report.trainable_share < 1:
        raise ValueError(f"PEFT variant {peft!r} left {report.trainable_parameters:,} parameters trainable")
    result = run_trainer(trainer, steps, progress, start_evaluation=start_evaluation)
    if reference is not None and evaluate and start_evaluation is None:
        first = [entry for entry in trainer.state.log_history if entry.get("step") == 0 and "eval_loss" in entry]
        if first:
            reference.start_evaluations[key] = dict(first[0])
    result.details.update({"pairs": len(train), "beta": beta, "loss_type": loss_type, "peft": report.as_dict(),
                           "reference": "adapter disabled" if config_for_trl is not None else
                           ("precomputed" if precompute_ref_log_probs else "frozen copy")})
    return result
