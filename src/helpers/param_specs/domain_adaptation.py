"""Parameters of 02_domain_adaptation: the base model, methods and seeds, data, budgets, SGEAT, SR_LLM, the check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpers.params import ParamSpec
from helpers.training.domain_adaptation import METHODS
from helpers.training.instruction import template_problem
from helpers.training.peft_variants import PEFT_VARIANTS

SPECS = [
    ParamSpec("base_model", "str", "card name of the model every method starts from (a model of 01_pretraining)",
              nonempty=True),
    ParamSpec("methods", "list[str]", "fine-tuning methods to train", choices=METHODS, nonempty=True),
    ParamSpec("seeds", "list[int]", "fine-tuning seeds: data order, self-generated corpus, adapter initialisation",
              minimum=0, maximum=2**31 - 1, nonempty=True),
    ParamSpec("first_seed_only", "list[str]", "methods trained with the first seed only (the smoke profile saves time)",
              choices=METHODS),
    ParamSpec("train_languages", "list[str]?",
              "languages of the training data (null: every language of the data); Neplenbroek et al. use English only"),
    ParamSpec("peft", "str", "full fine-tuning or a parameter-efficient variant (LoRA ranks, IA3)",
              choices=PEFT_VARIANTS),
    ParamSpec("merge_adapters", "bool", "save a PEFT model merged into full weights instead of as an adapter"),
    ParamSpec("train_tokens", "int", "token budget of DAPT, SGEAT, SR_LLM and BIAS_SFT (DAPT_3x trains on three times it)",
              minimum=1000),
    ParamSpec("batch_size", "int", "sequences per optimiser step (per process)", minimum=1),
    ParamSpec("grad_accum_steps", "int", "micro-batches accumulated per optimiser step", minimum=1),
    ParamSpec("learning_rate", "float", "peak AdamW learning rate of continued training (DAPT, SGEAT, BIAS_SFT)",
              minimum=1e-7, maximum=1.0),
    ParamSpec("sft_learning_rate", "float", "peak AdamW learning rate of instruction fine-tuning (SR_LLM)",
              minimum=1e-7, maximum=1.0),
    ParamSpec("warmup_fraction", "float", "share of steps with linear warm-up before the cosine decay",
              minimum=0.0, maximum=0.5),
    ParamSpec("min_lr_fraction", "float", "final learning rate as a share of the peak", minimum=0.0, maximum=1.0),
    ParamSpec("weight_decay", "float", "AdamW weight decay (matrices only)", minimum=0.0, maximum=1.0),
    ParamSpec("grad_clip", "float", "gradient-norm clipping threshold", minimum=0.01),
    ParamSpec("eval_interval", "int", "optimiser steps between logged losses (held-out loss and progress line)",
              minimum=1),
    ParamSpec("eval_tokens", "int", "held-out pretraining tokens of the loss curve", minimum=64),
    ParamSpec("checkpoint_interval", "int", "steps between checkpoints; 0 keeps only the final model", minimum=0),
    ParamSpec("dapt_max_toxicity", "float?",
              "null: every curated document; else only those the scorer rates below this (a Jigsaw-style cut)",
              minimum=0.0, maximum=1.0),
    ParamSpec("sgeat_samples", "int", "unconditional samples SGEAT generates from the base model, per seed",
              minimum=2),
    ParamSpec("sgeat_max_new_tokens", "int", "new tokens per self-generated sample (it ends earlier at EOS)",
              minimum=1),
    ParamSpec("sgeat_top_p", "float", "nucleus mass of self-generation (Wang et al. 0.9)", minimum=0.01, maximum=1.0),
    ParamSpec("sgeat_temperature", "float", "temperature of self-generation (Wang et al. 1.0)", minimum=0.05,
              maximum=5.0),
    ParamSpec("sgeat_keep_fraction", "float", "share of the scored samples kept, least toxic first (Wang et al. 0.5)",
              minimum=0.01, maximum=0.99),
    ParamSpec("sr_llm_template", "str",
              "instruction template with the fields {biased} then {debiased}; the loss covers {debiased} and after",
              check=template_problem),
    ParamSpec("sr_llm_heldout_pairs", "int", "rewrite pairs per language held out to evaluate the rewrites",
              minimum=1),
    ParamSpec("sr_llm_max_new_tokens", "int", "new tokens per generated rewrite (greedy)", minimum=1),
    ParamSpec("toxicity_threshold", "float", "a continuation counts as toxic from this score on (the TP convention)",
              minimum=0.0, maximum=1.0),
    ParamSpec("check_prompts", "int", "RTP-style prompts of the quick toxicity check (seeded subset)", minimum=4),
    ParamSpec("check_samples", "int", "sampled continuations per prompt and model", minimum=1),
    ParamSpec("check_max_new_tokens", "int", "new tokens per continuation", minimum=1),
    ParamSpec("check_top_p", "float", "nucleus sampling mass of the check", minimum=0.01, maximum=1.0),
    ParamSpec("check_pairs", "int",
              "CrowS-style pairs per training language of the quick bias check (seeded subset; 05 scores them all)",
              minimum=4),
    ParamSpec("generation_batch_size", "int", "sequences sampled or scored together", minimum=1),
    ParamSpec("bootstrap_resamples", "int", "resamples of the paired bootstrap", minimum=100),
    ParamSpec("ci_level", "float", "confidence level of intervals", minimum=0.5, maximum=0.999),
]


def check(values: Mapping[str, Any]) -> list[str]:
    """Cross-parameter checks of 02_domain_adaptation."""
    problems = []
    for key in ("methods", "seeds", "first_seed_only"):
        if len(set(values[key])) != len(values[key]):
            problems.append(f"{key} has duplicates: {values[key]}")
    stray = sorted(set(values["first_seed_only"]) - set(values["methods"]))
    if stray:
        problems.append(f"first_seed_only names methods that are not trained: {stray}")
    if values["train_languages"] is not None and not values["train_languages"]:
        problems.append("train_languages must be null (every language) or a non-empty list")
    if values["peft"] == "full" and values["merge_adapters"]:
        problems.append("merge_adapters needs a PEFT variant (peft is 'full')")
    return problems
