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
    types = list(ground_truth["toxic_continuation_rates"])
    x = np.arange(len(types))
    axes[1].bar(x - 0.2, [ground_truth["toxic_continuation_rates"][t] for t in types], 0.4, label="planted")
    axes[1].bar(x + 0.2, [recovered["toxic_continuation_rate"].get(t, np.nan) for t in types], 0.4, label="in the corpus")
    axes[1].set_xticks(x, types)
    axes[1].set_title("Toxic continuation rate")
    langs = list(ground_truth["language_shares"])
    x = np.arange(len(langs))
    axes[2].bar(x - 0.2, [ground_truth["language_shares"][l] for l in langs], 0.4, label="planted")
    axes[2].bar(x + 0.2, [recovered["language_share"].get(l, np.nan) for l in langs], 0.4, label="in the corpus")
    axes[2].set_xticks(x, langs)
    axes[2].set_title("Pretraining language share")
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
