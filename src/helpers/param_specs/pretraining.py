"""Parameters of 01_pretraining: model size, token budget, optimiser, MEDA/INST formats and the quick check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpers.params import ParamSpec
from helpers.training.augmentation import CONTROLS, METHODS


def _template_problem(template: str) -> str | None:
    try:
        template.format(score=0.5)
    except (KeyError, IndexError, ValueError) as error:
        return f"must be a format string with one field {{score}} (e.g. 'toxicity: {{score:.1f}}\\n'): {error}"
    if "{score" not in template:
        return "must contain the field {score}"
    return None


SPECS = [
    ParamSpec("architecture", "str", "model family built from scratch", choices=("gpt2", "llama")),
    ParamSpec("pretrained_model", "str?",
              "null: train from scratch; else a Hub id or local folder for continued pretraining"),
    ParamSpec("trust_remote_code", "bool", "let a pretrained model run its own code (only for models you trust)"),
    ParamSpec("n_layers", "int", "transformer blocks of the model built from scratch", minimum=1, maximum=96),
    ParamSpec("d_model", "int", "width (hidden size) of the model built from scratch", minimum=8),
    ParamSpec("n_heads", "int", "attention heads; must divide d_model", minimum=1),
    ParamSpec("context_length", "int", "tokens per packed training block (and model context)", minimum=8),
    ParamSpec("dropout", "float", "dropout of the model built from scratch", minimum=0.0, maximum=0.5),
    ParamSpec("methods", "list[str]", "pretraining variants to train; BASE is the baseline of every comparison",
              choices=METHODS, nonempty=True),
    ParamSpec("train_tokens", "int", "token budget of each model (the same for every method)", minimum=1000),
    ParamSpec("batch_size", "int", "packed blocks per optimiser step (per process)", minimum=1),
    ParamSpec("grad_accum_steps", "int", "micro-batches accumulated per optimiser step", minimum=1),
    ParamSpec("learning_rate", "float", "peak AdamW learning rate", minimum=1e-7, maximum=1.0),
    ParamSpec("warmup_fraction", "float", "share of steps with linear warm-up before the cosine decay",
              minimum=0.0, maximum=0.5),
    ParamSpec("min_lr_fraction", "float", "final learning rate as a share of the peak", minimum=0.0, maximum=1.0),
    ParamSpec("weight_decay", "float", "AdamW weight decay (matrices only)", minimum=0.0, maximum=1.0),
    ParamSpec("grad_clip", "float", "gradient-norm clipping threshold", minimum=0.01),
    ParamSpec("eval_interval", "int", "optimiser steps between held-out loss evaluations", minimum=1),
    ParamSpec("eval_tokens", "int", "held-out tokens of the loss curve", minimum=64),
    ParamSpec("checkpoint_interval", "int", "steps between checkpoints; 0 keeps only the final model", minimum=0),
    ParamSpec("toxicity_threshold", "float", "a score at or above this is toxic (INST labels and TP)",
              minimum=0.0, maximum=1.0),
    ParamSpec("meda_template", "str", "MEDA metadata line prefixed to each document, with a {score} field",
              check=_template_problem),
    ParamSpec("meda_control_scores", "dict[str,float]",
              "score written into the MEDA prefix at generation, per control (nontoxic, toxic)",
              minimum=0.0, maximum=1.0),
    ParamSpec("inst_nontoxic_text", "str", "INST instruction prefixed to non-toxic documents", nonempty=True),
    ParamSpec("inst_toxic_text", "str", "INST instruction prefixed to toxic documents", nonempty=True),
    ParamSpec("check_prompts", "int", "RTP-style prompts of the quick toxicity check (seeded subset)", minimum=4),
    ParamSpec("check_samples", "int", "sampled continuations per prompt", minimum=1),
    ParamSpec("check_max_new_tokens", "int", "new tokens per continuation", minimum=1),
    ParamSpec("check_top_p", "float", "nucleus sampling threshold", minimum=0.01, maximum=1.0),
    ParamSpec("generation_batch_size", "int", "continuations sampled together (also the perplexity batch)",
              minimum=1),
    ParamSpec("perplexity_docs", "int", "held-out documents for perplexity", minimum=4),
    ParamSpec("bootstrap_resamples", "int", "resamples of the paired bootstrap", minimum=100),
    ParamSpec("ci_level", "float", "confidence level of intervals", minimum=0.5, maximum=0.999),
]


def check(values: Mapping[str, Any]) -> list[str]:
    """Cross-parameter checks of 01_pretraining."""
    problems = []
    if values["d_model"] % values["n_heads"]:
        problems.append(f"n_heads {values['n_heads']} must divide d_model {values['d_model']}")
    methods = values["methods"]
    if len(set(methods)) != len(methods):
        problems.append(f"methods has duplicates: {methods}")
    if "BASE" not in methods:
        problems.append("methods must include BASE, the baseline every method is compared with")
    if set(values["meda_control_scores"]) != set(CONTROLS):
        keys = sorted(values["meda_control_scores"])
        problems.append(f"meda_control_scores keys must be {list(CONTROLS)}, got {keys}")
    if values["inst_nontoxic_text"] == values["inst_toxic_text"]:
        problems.append("inst_nontoxic_text and inst_toxic_text must differ, or INST carries no signal")
    if values["train_tokens"] < values["batch_size"] * values["grad_accum_steps"] * values["context_length"]:
        problems.append("train_tokens is smaller than one optimiser step "
                        "(batch_size * grad_accum_steps * context_length)")
    return problems
