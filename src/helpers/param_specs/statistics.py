"""Parameters of 06_statistics: how the paired CIs, tests, mixed models and the transfer analysis are computed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpers.params import ParamSpec
from helpers.stats import CI_METHODS


def _metric_names() -> tuple[str, ...]:
    from helpers.comparisons import METRICS

    return tuple(spec.name for spec in METRICS)


def _known_metrics(value: list[str] | None) -> str | None:
    if value is None:
        return None
    unknown = [v for v in value if v not in _metric_names()]
    return f"has unknown metrics {unknown}; known: {', '.join(_metric_names())}" if unknown else None


def _known_margin_keys(value: dict[str, float]) -> str | None:
    unknown = [k for k in value if k not in _metric_names()]
    negative = [k for k, v in value.items() if v < 0]
    if unknown:
        return f"has unknown metrics {unknown}; known: {', '.join(_metric_names())}"
    return f"margins must be >= 0, got {negative}" if negative else None


SPECS = [
    ParamSpec("baseline_method", "str", "method every other method is compared with", nonempty=True),
    ParamSpec("bootstrap_resamples", "int", "resamples of every paired bootstrap CI", minimum=100, maximum=100_000),
    ParamSpec("ci_level", "float", "confidence level of every interval", minimum=0.5, maximum=0.999),
    ParamSpec("ci_method", "str", "bootstrap interval: percentile, bca (bias-corrected and accelerated) or basic",
              choices=CI_METHODS),
    ParamSpec("family_alpha", "float", "family-wise error rate of the Holm correction", minimum=1e-6, maximum=0.5),
    ParamSpec("headline_metrics", "list[str]?", "metrics of the headline table; null: every metric the results hold",
              check=_known_metrics),
    ParamSpec("mixed_metrics", "list[str]", "harm metrics modelled with MixedLM (method x language)",
              check=_known_metrics),
    ParamSpec("mixed_methods", "list[str]", "methods in the mixed models, with the baseline (absent ones are skipped)"),
    ParamSpec("mixed_items_per_language", "int", "items per language in a mixed model (a seeded subset)", minimum=2),
    ParamSpec("mixed_optimizers", "list[str]", "MixedLM optimizers tried in order until one converges", nonempty=True,
              choices=("powell", "lbfgs", "bfgs", "cg", "nm")),
    ParamSpec("transfer_methods", "list[str]?", "methods of the transfer analysis; null: every English-only method"),
    ParamSpec("transfer_metrics", "list[str]", "harm metrics whose cross-lingual transfer is analysed",
              check=_known_metrics),
    ParamSpec("transfer_share_source", "str", "pretraining: 01's measured token shares; ground_truth: planted shares",
              choices=("pretraining", "ground_truth")),
    ParamSpec("transfer_include_english", "bool", "include English (the training language) in the regression"),
    ParamSpec("margins", "dict[str,float]", "non-inferiority margins of the claims per metric (e.g. knowledge 0.05)",
              check=_known_margin_keys),
    ParamSpec("figure_dpi", "int", "resolution of the saved figures", minimum=50, maximum=300),
]


def check(values: Mapping[str, Any]) -> list[str]:
    """Cross-parameter checks of 06_statistics."""
    problems = []
    if not values["mixed_metrics"]:
        problems.append("mixed_metrics must name at least one metric")
    if values["transfer_methods"] is not None and not values["transfer_methods"]:
        problems.append("transfer_methods must be null or a non-empty list")
    if values["baseline_method"] in values["mixed_methods"]:
        problems.append("mixed_methods must not repeat baseline_method (it is always included)")
    return problems
