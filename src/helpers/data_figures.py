"""Figures of notebook 00: what the world planted, and how well the scorer is calibrated."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def planted_rates_figure(ground_truth: dict[str, Any], recovered: dict[str, Any]):
    """Three panels: stereotype rate per group, toxic continuation rate per prompt type, language shares."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), gridspec_kw={"width_ratios": [3, 1.4, 1.4]})
    groups = sorted(ground_truth["groups"], key=lambda g: (g["bias_type"], g["group"]))
    names = [g["group"] for g in groups]
    x = np.arange(len(names))
    axes[0].bar(x - 0.2, [g["stereotype_rate"] for g in groups], 0.4, label="planted")
    axes[0].bar(x + 0.2, [recovered["stereotype_rate"].get(n, np.nan) for n in names], 0.4, label="in the corpus")
    axes[0].set_xticks(x, [f"{g['group']}\n({g['bias_type'][:5]})" for g in groups], fontsize=7)
    axes[0].axhline(0.5, color="grey", lw=0.8, ls="--")
    axes[0].set_ylabel("P(stereotypical attribute | group)")
    axes[0].set_title("Stereotype association")
    axes[0].legend(fontsize=8)
    _paired_bars(axes[1], ground_truth["toxic_continuation_rates"], recovered["toxic_continuation_rate"],
                 "Toxic continuation rate")
    _paired_bars(axes[2], ground_truth["language_shares"], recovered["language_share"], "Pretraining language share")
    fig.tight_layout()
    return fig


def calibration_figure(scores: np.ndarray, labels: np.ndarray, languages: pd.Series, bins: int = 10):
    """Reliability diagram of the toxicity scorer per language (observed toxic rate vs mean score)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4))
    edges = np.linspace(0, 1, bins + 1)
    for language in sorted(languages.unique()):
        mask = (languages == language).to_numpy()
        which = np.clip(np.digitize(scores[mask], edges[1:-1]), 0, bins - 1)
        means = [scores[mask][which == b].mean() for b in range(bins) if (which == b).any()]
        rates = [labels[mask][which == b].mean() for b in range(bins) if (which == b).any()]
        ax.plot(means, rates, marker="o", label=language)
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=0.8)
    ax.set_xlabel("mean scorer toxicity")
    ax.set_ylabel("share labeled toxic")
    ax.set_title("Scorer calibration (held-out)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _paired_bars(ax, planted: dict, recovered: dict, title: str) -> None:
    """Planted next to recovered values, one pair of bars per key."""
    keys = list(planted)
    x = np.arange(len(keys))
    ax.bar(x - 0.2, [planted[k] for k in keys], 0.4, label="planted")
    ax.bar(x + 0.2, [recovered.get(k, np.nan) for k in keys], 0.4, label="in the corpus")
    ax.set_xticks(x, keys)
    ax.set_title(title)
