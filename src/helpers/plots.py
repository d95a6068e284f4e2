"""Figures shared by the notebooks: pure functions of tables that return matplotlib figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd


def training_curves(logs: Mapping[str, pd.DataFrame], x: str = "tokens", title: str = ""):
    """Training and held-out loss against `x` (tokens or step), one line per model, two panels."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
    for name, log in logs.items():
        trained = log.dropna(subset=["train_loss"])
        line, = axes[0].plot(trained[x], trained["train_loss"], label=name)
        axes[1].plot(log[x], log["heldout_loss"], marker=".", color=line.get_color(), label=name)
    for ax, what in zip(axes, ("training loss (mean since last point)", "held-out loss (plain documents)")):
        ax.set_xlabel("training tokens" if x == "tokens" else x)
        ax.set_title(what)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("cross-entropy (nats/token)")
    axes[1].legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def interval_bars(table: pd.DataFrame, label: str, value: str, low: str | None = None, high: str | None = None,
                  ylabel: str = "", title: str = "", reference: float | None = None):
    """One bar per row with an optional [low, high] interval, e.g. TP per model and control."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(4.0, 0.9 * len(table) + 1.5), 3.6))
    x = np.arange(len(table))
    values = table[value].to_numpy(dtype=float)
    errors = None
    if low is not None and high is not None:
        errors = np.vstack([values - table[low].to_numpy(dtype=float), table[high].to_numpy(dtype=float) - values])
    ax.bar(x, values, yerr=errors, capsize=4, color="#4c72b0")
    if reference is not None:
        ax.axhline(reference, color="grey", lw=0.8, ls="--")
    ax.set_xticks(x, table[label].astype(str).tolist(), rotation=20, ha="right")
    ax.set_ylabel(ylabel or value)
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def grouped_bars(table: pd.DataFrame, groups: Sequence[str] | None = None, ylabel: str = "", title: str = ""):
    """Bars of a wide table: one cluster per row (index), one bar per column, e.g. language shares per model."""
    import matplotlib.pyplot as plt

    groups = list(groups) if groups is not None else list(table.columns)
    fig, ax = plt.subplots(figsize=(max(4.5, 1.2 * len(table) + 2), 3.6))
    width = 0.8 / max(1, len(groups))
    x = np.arange(len(table))
    for i, column in enumerate(groups):
        ax.bar(x + (i - (len(groups) - 1) / 2) * width, table[column].to_numpy(dtype=float), width, label=str(column))
    ax.set_xticks(x, table.index.astype(str).tolist())
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig
