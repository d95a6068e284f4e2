"""Parameters of 03_preference_optimization: the base model, methods and seeds, pairs, DPO, the control, the check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpers.param_specs import domain_adaptation
from helpers.params import ParamSpec
from helpers.training.peft_variants import CUSTOM_VARIANTS, PEFT_VARIANTS
from helpers.training.preference import CONTROL_LOSSES, LOSS_TYPES, METHODS, OPTIMIZERS


def check_specs(*names: str) -> list[ParamSpec]:
    """The quick check's parameters, as 02 declares them (03 and 04 check their models the same way)."""
    specs = {spec.name: spec for spec in domain_adaptation.SPECS}
    return [specs[name] for name in names]


SPECS = [
    ParamSpec("base_model", "str", "card name of the model every method starts from (a model of 01_pretraining)",
              nonempty=True),
    ParamSpec("methods", "list[str]", "DPO methods and their SFT-on-chosen controls to train", choices=METHODS,
              nonempty=True),
    ParamSpec("seeds", "list[int]", "fine-tuning seeds: pair order, adapter initialisation", minimum=0,
              maximum=2**31 - 1, nonempty=True),
    ParamSpec("first_seed_only", "list[str]", "methods trained with the first seed only (the smoke profile saves time)",
              choices=METHODS),
    ParamSpec("train_languages", "list[str]?",
              "languages of the preference pairs (null: every language of the data); the transfer analysis of 06 "
              "needs English-only runs"),
    ParamSpec("peft", "str", "full fine-tuning or a parameter-efficient variant (LoRA: the reference is the "
              "adapter switched off)", choices=PEFT_VARIANTS + tuple(CUSTOM_VARIANTS)),
    ParamSpec("merge_adapters", "bool", "save a LoRA/IA3 model merged into full weights instead of as an adapter"),
    ParamSpec("heldout_pairs", "int", "pairs per language held out of training (reward curves on unseen pairs)",
              minimum=1),
    ParamSpec("max_train_pairs", "int?", "at most this many training pairs per pair set, a seeded subset (null: "
              "all); a run's budget is `epochs` passes over them", minimum=1),
    ParamSpec("reward_pairs", "int?", "training pairs per pair set on which each run's implicit reward is measured "
              "after training, a seeded subset (null: all; the held-out pairs are always all scored)", minimum=1),
    ParamSpec("epochs", "float", "passes over the training pairs, the same for DPO and its SFT control",
              minimum=0.01, maximum=100.0),
    ParamSpec("batch_size", "int", "pairs per optimiser step (per process)", minimum=1),
    ParamSpec("grad_accum_steps", "int", "micro-batches accumulated per optimiser step", minimum=1),
    ParamSpec("learning_rates", "dict[str,float]", "peak learning rate of each method", minimum=1e-8, maximum=1.0),
    ParamSpec("beta", "float", "DPO's beta: how far the policy may move from the reference (Neplenbroek et al. 0.1)",
              minimum=1e-4, maximum=10.0),
    ParamSpec("loss_type", "str", "TRL's DPO loss (sigmoid is the DPO paper's)", choices=LOSS_TYPES),
    ParamSpec("dpo_optimizer", "str", "optimiser of the DPO runs (Neplenbroek et al. use RMSprop)",
              choices=OPTIMIZERS),
    ParamSpec("control_loss", "str", "SFT-on-chosen loss on prompt + chosen (full, Neplenbroek et al.) or on the "
              "chosen response only (completion)", choices=CONTROL_LOSSES),
    ParamSpec("warmup_fraction", "float", "share of steps with linear warm-up before the cosine decay",
              minimum=0.0, maximum=0.5),
    ParamSpec("min_lr_fraction", "float", "final learning rate as a share of the peak", minimum=0.0, maximum=1.0),
    ParamSpec("weight_decay", "float", "weight decay (matrices only)", minimum=0.0, maximum=1.0),
    ParamSpec("grad_clip", "float", "gradient-norm clipping threshold", minimum=0.01),
    ParamSpec("eval_interval", "int", "optimiser steps between logged rewards and held-out pair losses", minimum=1),
    ParamSpec("eval_tokens", "int", "held-out pretraining tokens of the language-model loss (fluency, collapse)",
              minimum=64),
    ParamSpec("collapse_margin", "dict[str,float]",
              "per method: a run whose held-out loss rose by more than this (nats per token) over the base model's "
              "is flagged as collapsed", minimum=0.0, maximum=10.0),
    *check_specs("toxicity_threshold", "check_prompts", "check_samples", "check_max_new_tokens", "check_top_p"),
    ParamSpec("check_pairs", "int?", "CrowS-style pairs per language of the quick bias check (a seeded subset; null: "
              "all; 05 scores them all)", minimum=1),
    ParamSpec("crows_score", "str", "CrowS sentence score: sum (lm-eval) or mean (per token, bias-bench)",
              choices=("sum", "mean")),
    *check_specs("generation_batch_size", "bootstrap_resamples", "ci_level"),
]


def check(values: Mapping[str, Any]) -> list[str]:
    """Cross-parameter checks of 03_preference_optimization."""
    # methods, seeds, first_seed_only, train_languages and merge_adapters follow 02's rules
    problems = domain_adaptation.check(values)
    lacking = sorted(set(values["methods"]) - set(values["learning_rates"]))
    if lacking:
        problems.append(f"learning_rates lacks the methods {lacking} (it has {sorted(values['learning_rates'])})")
    unknown = sorted(set(values["learning_rates"]) - set(METHODS))
    if unknown:
        problems.append(f"learning_rates names unknown methods {unknown}; methods are {', '.join(METHODS)}")
    lacking = sorted(set(values["methods"]) - set(values["collapse_margin"]))
    if lacking:
        problems.append(f"collapse_margin lacks the methods {lacking} (it has {sorted(values['collapse_margin'])})")
    if values["peft"] in CUSTOM_VARIANTS and values["merge_adapters"]:
        problems.append(f"a {values['peft']} adapter is nonlinear and cannot be merged: set merge_adapters false")
    return problems
