"""Parameters of 04_parameter_efficient: which families and PEFT variants, seeds, learning rates, the check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpers.param_specs.preference_optimization import check_specs
from helpers.params import ParamSpec
from helpers.training.parameter_efficient import FAMILIES, RUN_METHODS, VARIANTS

SPECS = [
    ParamSpec("base_model", "str", "card name of the model the full fine-tuning runs of 02 and 03 started from",
              nonempty=True),
    ParamSpec("families", "list[str]", "paper methods trained again under each variant (DAPT from 02, DetoxDPO "
              "from 03, with those stages' recipes)", choices=FAMILIES, nonempty=True),
    ParamSpec("variants", "list[str]", "parameter-efficient variants: LoRA ranks, IA3, the bottleneck adapter",
              choices=VARIANTS, nonempty=True),
    ParamSpec("seeds", "list[int]", "fine-tuning seeds: data order, adapter initialisation", minimum=0,
              maximum=2**31 - 1, nonempty=True),
    ParamSpec("first_seed_only", "list[str]", "runs (<family>_<variant>) trained with the first seed only (the "
              "smoke profile saves time)", choices=RUN_METHODS),
    ParamSpec("learning_rate_multipliers", "dict[str,float]", "peak learning rate of each variant as a multiple of "
              "its family's full fine-tuning rate", minimum=0.01, maximum=1000.0),
    ParamSpec("lora_dropout", "float", "dropout on each LoRA adapter's input (the papers use 0.05-0.2; the full "
              "fine-tuning runs it is compared with train without dropout)", minimum=0.0, maximum=0.9),
    ParamSpec("eval_interval", "dict[str,int]", "per family: optimiser steps between held-out evaluations during "
              "training (the curves' resolution; replaces the family's recipe value)", minimum=1),
    ParamSpec("merge_adapters", "bool", "save LoRA and IA3 merged into full weights instead of as adapters (the "
              "bottleneck adapter is nonlinear and always stays an adapter)"),
    ParamSpec("eval_tokens", "int", "held-out pretraining tokens of the language-model loss (perplexity, collapse)",
              minimum=64),
    ParamSpec("collapse_margin", "dict[str,float]", "per family: a run whose held-out loss rose by more than this "
              "(nats per token) over the base model's is flagged as collapsed (DAPT moves to its corpus by design)",
              minimum=0.0, maximum=10.0),
    *check_specs("toxicity_threshold", "check_prompts", "check_samples", "check_max_new_tokens", "check_top_p",
                 "generation_batch_size", "bootstrap_resamples", "ci_level"),
]


def check(values: Mapping[str, Any]) -> list[str]:
    """Cross-parameter checks of 04_parameter_efficient."""
    problems = []
    for key in ("families", "variants", "seeds", "first_seed_only"):
        if len(set(values[key])) != len(values[key]):
            problems.append(f"{key} has duplicates: {values[key]}")
    planned = {f"{f}_{v}" for f in values["families"] for v in values["variants"]}
    stray = sorted(set(values["first_seed_only"]) - planned)
    if stray:
        problems.append(f"first_seed_only names runs that are not trained: {stray}")
    lacking = sorted(set(values["variants"]) - set(values["learning_rate_multipliers"]))
    if lacking:
        problems.append(f"learning_rate_multipliers lacks the variants {lacking} (it has "
                        f"{sorted(values['learning_rate_multipliers'])})")
    unknown = sorted(set(values["learning_rate_multipliers"]) - set(VARIANTS))
    if unknown:
        problems.append(f"learning_rate_multipliers names unknown variants {unknown}; variants are "
                        f"{', '.join(VARIANTS)}")
    lacking = sorted(set(values["families"]) - set(values["eval_interval"]))
    if lacking:
        problems.append(f"eval_interval lacks the families {lacking} (it has {sorted(values['eval_interval'])})")
    lacking = sorted(set(values["families"]) - set(values["collapse_margin"]))
    if lacking:
        problems.append(f"collapse_margin lacks the families {lacking} (it has {sorted(values['collapse_margin'])})")
    return problems
