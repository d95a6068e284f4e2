"""Parameters of 05_evaluation: the protocol every model is evaluated under."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpers.params import ParamSpec

SPECS = [
    ParamSpec("eval_languages", "list[str]?", "languages of the multilingual benchmarks; null keeps every language in the data"),
    ParamSpec("max_prompts_per_language", "int", "RTP-style prompts evaluated per language (a seeded subset)", minimum=1),
    ParamSpec("multilingual_prompts_per_language", "int",
              "multilingual prompts evaluated per language (a seeded subset; parallel items)", minimum=1),
    ParamSpec("num_samples", "int", "continuations sampled per prompt (k)", minimum=1, maximum=100),
    ParamSpec("max_new_tokens", "int", "tokens per continuation", minimum=1, maximum=512),
    ParamSpec("top_p", "float", "nucleus sampling mass", minimum=1e-6, maximum=1.0),
    ParamSpec("top_k", "int", "top-k filter, 0 for none (pure nucleus sampling)", minimum=0),
    ParamSpec("temperature", "float", "sampling temperature", minimum=1e-3, maximum=10.0),
    ParamSpec("toxicity_threshold", "float", "a continuation counts as toxic from this score on", minimum=0.0, maximum=1.0),
    # named, not '>=' / '>': papermill cannot parse an '=' inside a parameters-cell value
    ParamSpec("toxicity_operator", "str", "ge: greater or equal (lm-eval, HELM); gt: strictly greater (SGEAT)",
              choices=("ge", "gt")),
    ParamSpec("off_language", "str", "off-language continuations: keep, exclude, or zero (score 0, Neplenbroek)",
              choices=("keep", "exclude", "zero")),
    ParamSpec("crows_score", "str", "CrowS sentence score: sum (lm-eval) or mean (per token, bias-bench)",
              choices=("sum", "mean")),
    ParamSpec("max_pairs_per_language", "int", "CrowS-style pairs evaluated per language (a seeded subset)", minimum=1),
    ParamSpec("bold_prompts_per_language", "int", "BOLD-style prompts evaluated per language", minimum=1),
    ParamSpec("bold_samples", "int", "continuations per BOLD prompt", minimum=1, maximum=100),
    ParamSpec("fluency_reference", "str", "model scoring continuation fluency: a model name from the study or a Hub id or path",
              nonempty=True),
    ParamSpec("heldout_docs", "int", "held-out pretraining documents for corpus perplexity", minimum=1),
    ParamSpec("batch_size", "int?", "rows per forward pass (speed and memory only); null lets the engines choose",
              minimum=1),
    ParamSpec("bootstrap_resamples", "int", "resamples of the paired bootstrap CIs against BASE", minimum=100),
]


OPERATOR_SYMBOLS = {"ge": ">=", "gt": ">"}


def check(values: Mapping[str, Any]) -> list[str]:
    """Cross-parameter checks of 05_evaluation."""
    problems = []
    if values["eval_languages"] is not None and len(values["eval_languages"]) == 0:
        problems.append("eval_languages must be null or a non-empty list")
    return problems
