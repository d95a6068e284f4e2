"""Notebook 06 in functions: the configuration from its parameters, each analysis, the figures, and what it saves.

The notebook calls these step by step (and shows each result); `run_analysis` runs the same steps in one call
for tests and scripts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers import io, plots
from helpers.claims import CLAIMS, evaluate_claims
from helpers.comparisons import (METRICS, IntervalOptions, ItemValues, headline_table, models_by_method,
                                 pairwise_table, per_language_table, seed_means)
from helpers.mixed_effects import MixedModelFit, fit_mixed_model, mixed_model_frame
from helpers.study_results import StudyResults
from helpers.transfer import TransferResult, fitted_line, transfer_analysis

TABLE_FILES = {"headline": "headline.csv", "per_language": "per_language.csv", "seed_means": "seed_means.csv",
               "claims": "claims.csv", "claim_parts": "claim_parts.csv", "transfer": "transfer.csv",
               "transfer_languages": "transfer_languages.csv", "mixed_models": "mixed_models.csv",
               "mixed_effects": "mixed_method_effects.csv", "mixed_fixed": "mixed_fixed_effects.csv",
               "focus": "focus_comparisons.csv"}
FIGURE_FILES = {"claims": "claims_forest.png", "multi_objective": "multi_objective.png",
                "heatmaps": "language_heatmaps.png", "transfer": "transfer.png"}
# the multi-objective figure: toxicity on x, each cost on a panel (the first metric the results hold)
COST_PANELS = ((("fluency_log_ppl", "fluency: log perplexity of continuations"),
                ("heldout_nll", "fluency: held-out NLL per token")),
               (("knowledge", "knowledge probe accuracy"),))


# method pairs compared head to head beyond the headline (which compares every method with the baseline):
# Neplenbroek et al.'s bias SFT against DPO on bias pairs and against DAPT (clean, unbalanced text, same budget)
FOCUS_PAIRS = (("BIAS_SFT", "BASE"), ("BIAS_SFT", "BiasDPO"), ("BIAS_SFT", "DAPT"))
FOCUS_METRICS = ("CrowS_bias", "CrowS_stereotyped", "CrowS_association", "EMT", "EMT_multilingual", "fluency_log_ppl",
                 "heldout_nll", "knowledge")


@dataclass(frozen=True)
class StatisticsConfig:
    """06's parameters in the form the analyses take."""

    baseline_method: str
    options: IntervalOptions
    alpha: float
    headline_metrics: tuple[str, ...] | None
    mixed_metrics: tuple[str, ...]
    mixed_methods: tuple[str, ...]
    mixed_items_per_language: int
    mixed_optimizers: tuple[str, ...]
    transfer_methods: tuple[str, ...] | None
    transfer_metrics: tuple[str, ...]
    share_source: str
    include_english: bool
    margins: dict[str, float]
    figure_dpi: int = 110

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> StatisticsConfig:
        """From 06_statistics' validated parameters."""
        def optional(key: str) -> tuple[str, ...] | None:
            return None if params[key] is None else tuple(params[key])

        return cls(baseline_method=params["baseline_method"],
                   options=IntervalOptions(resamples=params["bootstrap_resamples"], level=params["ci_level"],
                                           method=params["ci_method"], seed=params["seed"]),
                   alpha=params["family_alpha"], headline_metrics=optional("headline_metrics"),
                   mixed_metrics=tuple(params["mixed_metrics"]), mixed_methods=tuple(params["mixed_methods"]),
                   mixed_items_per_language=params["mixed_items_per_language"],
                   mixed_optimizers=tuple(params["mixed_optimizers"]),
                   transfer_methods=optional("transfer_methods"), transfer_metrics=tuple(params["transfer_metrics"]),
                   share_source=params["transfer_share_source"], include_english=params["transfer_include_english"],
                   margins=dict(params["margins"]), figure_dpi=params["figure_dpi"])


@dataclass
class Analysis:
    """Every table 06 produces."""

    headline: pd.DataFrame
    per_language: pd.DataFrame
    seed_means: pd.DataFrame
    mixed: list[MixedModelFit]
    transfers: list[TransferResult]
    claims: pd.DataFrame
    claim_parts: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    focus: pd.DataFrame = field(default_factory=pd.DataFrame)


def design_table(results: StudyResults) -> pd.DataFrame:
    """Per method: its stage, training languages, seeds and evaluated models."""
    models = results.models
    rows = []
    for method, part in models.groupby("method", sort=False):
        languages = sorted({str(lg) for t in part["train_languages"] if t is not None for lg in list(t)})
        rows.append({"method": method, "family": part["family"].iloc[0], "stage": part["stage"].iloc[0],
                     "peft": part["peft"].iloc[0], "seeds": len(part),
                     "seed values": " ".join(str(s) for s in sorted(part["seed"])),
                     "train languages": " ".join(languages) or "unknown", "models": " ".join(part["name"])})
    return pd.DataFrame(rows)


def item_counts(results: StudyResults) -> pd.DataFrame:
    """Items per benchmark and language (the same for every model when 05 worked)."""
    per = results.items.groupby(["benchmark", "language"])["item"].nunique().rename("items").reset_index()
    return per.pivot(index="benchmark", columns="language", values="items").fillna(0).astype(int)


def run_mixed_models(values: ItemValues, results: StudyResults, config: StatisticsConfig
                     ) -> tuple[list[MixedModelFit], list[str]]:
    """One MixedLM per harm metric, on the baseline and the chosen methods that have results."""
    fits, notes = [], []
    for metric in config.mixed_metrics:
        if not values.has(metric):
            notes.append(f"mixed model of {metric}: not fitted, {values.absent.get(metric, 'no values')}")
            continue
        groups = models_by_method(results.models, values.table(metric).columns)
        methods = [m for m in config.mixed_methods if m in groups]
        skipped = [m for m in config.mixed_methods if m not in groups]
        if skipped:
            notes.append(f"mixed model of {metric}: methods {skipped} have no results in this profile")
        if not methods or config.baseline_method not in groups:
            notes.append(f"mixed model of {metric}: not fitted, no chosen method next to {config.baseline_method}")
            continue
        frame = mixed_model_frame(values, results.models, metric, methods, config.baseline_method,
                                  config.mixed_items_per_language, config.options.seed)
        fits.append(fit_mixed_model(frame, metric, config.baseline_method, config.options.level,
                                    optimizers=config.mixed_optimizers))
    return fits, notes


def transfer_targets(values: ItemValues, results: StudyResults, config: StatisticsConfig
                     ) -> tuple[list[tuple[str, str]], list[str]]:
    """(method, metric) pairs of the transfer analysis: the chosen (or every) English-only method x harm metric."""
    english_only = results.english_only_methods()
    notes = []
    if config.transfer_methods is None:
        methods = english_only
    else:
        evaluated = set(results.models["method"])
        absent = [m for m in config.transfer_methods if m not in evaluated]
        other = [m for m in config.transfer_methods if m in evaluated and m not in english_only]
        if absent:
            notes.append(f"transfer: {absent} have no evaluated model in this profile")
        if other:
            notes.append(f"transfer: {other} were not trained on English only (train_languages), so their effect in "
                         "other languages is not transfer; left out")
        methods = [m for m in config.transfer_methods if m in english_only]
    if not methods:
        notes.append("transfer: no English-only method to analyse (train_languages == ['en']): the analysis needs "
                     "02-04's English-only runs")
    targets = [(m, metric) for m in methods for metric in config.transfer_metrics if values.has(metric)]
    return targets, notes


def run_transfers(values: ItemValues, results: StudyResults, config: StatisticsConfig,
                  targets: Sequence[tuple[str, str]]) -> list[TransferResult]:
    """The transfer analysis of every target."""
    return [transfer_analysis(values, results, method, metric, config.baseline_method, config.options,
                              config.include_english, config.share_source) for method, metric in targets]


def run_analysis(results: StudyResults, config: StatisticsConfig) -> tuple[Analysis, ItemValues]:
    """Every step of 06 in one call (the notebook runs them one by one)."""
    values = ItemValues(results.items)
    harm = heatmap_metrics(values)
    headline = headline_table(values, results.models, config.baseline_method, config.options,
                              config.headline_metrics, config.alpha)
    per_language = per_language_table(values, results.models, config.baseline_method, harm, config.alpha)
    means = seed_means(values, results.models, cost_metrics(values))
    mixed, mixed_notes = run_mixed_models(values, results, config)
    targets, transfer_notes = transfer_targets(values, results, config)
    transfers = run_transfers(values, results, config, targets)
    cache = {(t.method, t.metric): t for t in transfers}
    claims, parts = evaluate_claims(values, results, config.options, config.margins, CLAIMS,
                                    config.baseline_method, cache)
    focus = pairwise_table(values, results.models, FOCUS_PAIRS, FOCUS_METRICS, config.options)
    analysis = Analysis(headline, per_language, means, mixed, transfers, claims, parts,
                        notes=mixed_notes + transfer_notes, focus=focus)
    return analysis, values


def heatmap_metrics(values: ItemValues) -> list[str]:
    """Harm metrics measured in more than one language (a one-language heatmap shows nothing the headline does not)."""
    return [s.name for s in METRICS if s.harm and values.has(s.name) and len(values.languages(s.name)) > 1]


def cost_metrics(values: ItemValues) -> list[str]:
    """Metrics of the multi-objective figure that the results hold: EMT and the first of each cost panel."""
    chosen = ["EMT"]
    for options in COST_PANELS:
        chosen += [next((name for name, _ in options if values.has(name)), options[0][0])]
    return chosen


def make_figures(analysis: Analysis, values: ItemValues, config: StatisticsConfig) -> dict[str, Any]:
    """Every figure of 06 (matplotlib figures, not yet saved)."""
    labels = {spec.name: spec.label for spec in METRICS}
    palette = plots.method_palette(analysis.seed_means["method"]) if not analysis.seed_means.empty else {}
    panels = [next(((n, label) for n, label in options if values.has(n)), options[0]) for options in COST_PANELS]
    figures = {"claims": plots.claims_forest(analysis.claim_parts, config.options.level),
               "multi_objective": plots.multi_objective(analysis.seed_means, "EMT", panels,
                                                        "toxicity: EMT (RTP prompts)", palette)}
    if not analysis.per_language.empty:
        figures["heatmaps"] = plots.language_heatmaps(analysis.per_language, labels, config.alpha)
    if analysis.transfers:
        lines = {(t.method, t.metric): fitted_line(t, config.options.level) for t in analysis.transfers if t.fitted}
        figures["transfer"] = plots.transfer_figure(analysis.transfers, lines, labels)
    return figures


def transfer_tables(transfers: Sequence[TransferResult]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per method x metric regression, one row per method x metric x language)."""
    summary = pd.DataFrame([t.summary_row() for t in transfers])
    languages = pd.concat([t.per_language.assign(method=t.method, metric=t.metric) for t in transfers
                           if not t.per_language.empty], ignore_index=True) if transfers else pd.DataFrame()
    return summary, languages


def mixed_tables(fits: Sequence[MixedModelFit]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(one row per fit, per-language method effects, fixed effects) of the mixed models."""
    summary = pd.DataFrame([f.summary_row() for f in fits])
    effects = pd.concat([f.method_effects.assign(metric=f.metric) for f in fits], ignore_index=True) \
        if fits else pd.DataFrame()
    fixed = pd.concat([f.fixed_effects.assign(metric=f.metric) for f in fits], ignore_index=True) \
        if fits else pd.DataFrame()
    return summary, effects, fixed


def save_figure(figure: Any, name: str, out_dir: Path, dpi: int) -> Path:
    """Write one of 06's figures as `figures/<file>.png` (atomically) and close it."""
    import matplotlib.pyplot as plt

    target = out_dir / "figures" / FIGURE_FILES[name]
    target.parent.mkdir(parents=True, exist_ok=True)
    with io.atomic_path(target) as tmp:
        figure.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
    plt.close(figure)
    return target


def show_figure(figure: Any, name: str, out_dir: Path, dpi: int) -> Path:
    """Save a figure and show the saved PNG in the notebook: one rendering instead of two (inline, then file)."""
    from IPython.display import Image, display

    target = save_figure(figure, name, out_dir, dpi)
    display(Image(filename=str(target)))
    return target


def save_outputs(analysis: Analysis, figures: Mapping[str, Any], out_dir: Path, dpi: int) -> dict[str, Path]:
    """Write every table (tables/*.csv) and the figures given (figures/*.png) of 06; returns what was written."""
    transfer, transfer_languages = transfer_tables(analysis.transfers)
    mixed, mixed_effects, mixed_fixed = mixed_tables(analysis.mixed)
    tables = {"headline": analysis.headline, "per_language": analysis.per_language,
              "seed_means": analysis.seed_means, "claims": analysis.claims, "claim_parts": analysis.claim_parts,
              "transfer": transfer, "transfer_languages": transfer_languages, "mixed_models": mixed,
              "mixed_effects": mixed_effects, "mixed_fixed": mixed_fixed, "focus": analysis.focus}
    written = {}
    for name, table in tables.items():
        written[name] = io.write_text(out_dir / "tables" / TABLE_FILES[name], table.to_csv(index=False))
    for name, figure in figures.items():
        written[f"figure:{name}"] = save_figure(figure, name, out_dir, dpi)
    return written


def _round(value: Any, digits: int = 4) -> Any:
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else round(float(value), digits)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


def metrics_summary(analysis: Analysis, results: StudyResults, config: StatisticsConfig) -> dict[str, Any]:
    """06's `metrics.json`: results only (no paths, timings or dates), rounded, stable across reruns."""
    design = design_table(results)
    headline: dict[str, dict[str, Any]] = {}
    for row in analysis.headline.to_dict("records"):
        headline.setdefault(row["method"], {})[row["metric"]] = {
            k: _round(row[k]) for k in ("estimate", "low", "high", "p_value", "p_holm", "n_items", "seeds_treated")}
    claims = {}
    for row in analysis.claims.to_dict("records"):
        parts = analysis.claim_parts[analysis.claim_parts["claim_id"] == row["claim_id"]]
        claims[row["claim_id"]] = {
            "paper": row["paper"], "statement": row["statement"], "verdict": row["verdict"],
            "reason": row["reason"],
            "parts": [{k: _round(p[k]) for k in ("part", "estimate", "low", "high", "bound", "verdict", "n_items",
                                                 "seeds_treated")} for p in parts.to_dict("records")]}
    transfer = {}
    for t in analysis.transfers:
        transfer[f"{t.method}/{t.metric}"] = {
            **{k: _round(v) for k, v in t.summary_row().items() if k not in ("method", "metric")},
            "per_language": {r["language"]: {k: _round(r[k]) for k in ("share", "transfer", "low", "high")}
                             for r in t.per_language.to_dict("records")}}
    focus: dict[str, dict[str, Any]] = {}
    for row in analysis.focus.to_dict("records"):
        focus.setdefault(f"{row['treated']} - {row['baseline']}", {})[row["metric"]] = {
            k: _round(row[k]) for k in ("estimate", "low", "high", "p_value", "n_items", "seeds_treated",
                                        "seeds_baseline")}
    mixed = {}
    for fit in analysis.mixed:
        mixed[fit.metric] = {
            "formula": fit.formula, "rows": fit.n_rows, "converged": fit.converged, "optimizer": fit.optimizer,
            "warnings": fit.warnings, "notes": fit.notes,
            "variances": {k: _round(v, 6) for k, v in fit.variances.items()},
            "method_effects": {f"{r['method']}/{r['language']}": {k: _round(r[k]) for k in ("estimate", "low", "high")}
                               for r in fit.method_effects.to_dict("records")}}
    return {
        "design": {"methods": {r["method"]: {"seeds": int(r["seeds"]), "train_languages": r["train languages"]}
                               for r in design.to_dict("records")},
                   "models": int(len(results.models)), "languages": results.languages,
                   "item_rows": int(len(results.items)), "baseline": config.baseline_method},
        "protocol": {"ci": f"{config.options.level:.0%} {config.options.method} bootstrap, "
                           f"{config.options.resamples} resamples of items (and seeds where several)",
                     "tests": "McNemar (one binary outcome per item and arm) or Wilcoxon signed-rank, Holm across "
                              f"the table at {config.alpha}",
                     "margins": config.margins},
        "headline": headline,
        "claims": claims,
        "verdicts": {row["claim_id"]: row["verdict"] for row in analysis.claims.to_dict("records")},
        "focus": focus,
        "transfer": transfer,
        "mixed_models": mixed,
        "notes": analysis.notes,
    }
