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


VERDICT_COLORS = {"reproduced": "#2a9d4b", "not reproduced": "#c0392b", "inconclusive": "#d39e00",
                  "not run": "#9e9e9e"}


def method_palette(methods: Sequence[str]) -> dict[str, tuple]:
    """One stable color per method (the order of first appearance), shared by every figure of a run."""
    import seaborn as sns

    unique = list(dict.fromkeys(methods))
    colors = sns.color_palette("tab20" if len(unique) > 10 else "tab10", len(unique))
    return dict(zip(unique, colors))


def multi_objective(seed_means: pd.DataFrame, x: str, panels: Sequence[tuple[str, str]], x_label: str,
                    palette: Mapping[str, tuple] | None = None, title: str = ""):
    """One panel per (metric, label): each method's mean over its seeds, with every seed run as a small point
    and the seed range as error bars; a method without results for a panel's metric is left out of it."""
    import matplotlib.pyplot as plt

    wide = seed_means.pivot_table(index=["model", "method", "seed"], columns="metric", values="value").reset_index()
    palette = dict(palette or method_palette(wide["method"]))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.6 * len(panels), 4.6), squeeze=False)
    for ax, (metric, label) in zip(axes[0], panels):
        if x not in wide or metric not in wide:
            ax.set_axis_off()
            ax.set_title(f"{label}: not in these results")
            continue
        data = wide.dropna(subset=[x, metric])
        for method, runs in data.groupby("method", sort=False):
            color = palette.get(method, "grey")
            ax.scatter(runs[x], runs[metric], s=14, color=color, alpha=0.45, linewidths=0)
            mx, my = runs[x].mean(), runs[metric].mean()
            xerr = [[mx - runs[x].min()], [runs[x].max() - mx]]
            yerr = [[my - runs[metric].min()], [runs[metric].max() - my]]
            ax.errorbar(mx, my, xerr=xerr, yerr=yerr, fmt="o", ms=7, color=color, capsize=3, lw=1,
                        label=f"{method} ({len(runs)} seed{'s' if len(runs) > 1 else ''})")
            ax.annotate(method, (mx, my), fontsize=7, xytext=(4, 4), textcoords="offset points")
        ax.set_xlabel(x_label)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False)
    fig.suptitle(title or "What each method costs: one point per method (mean over seeds), bars = seed range")
    fig.tight_layout()
    return fig


def language_heatmaps(table: pd.DataFrame, labels: Mapping[str, str], alpha: float = 0.05, columns: int = 2):
    """Per harm metric, a method x language heatmap of the difference against the baseline (red: more harm),
    '*' where the Holm-corrected paired test rejects."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    metrics = list(dict.fromkeys(table["metric"]))
    rows = int(np.ceil(len(metrics) / columns))
    methods = list(dict.fromkeys(table["method"]))
    fig, axes = plt.subplots(rows, columns, figsize=(6.2 * columns, 0.32 * len(methods) * rows + 1.6 * rows),
                             squeeze=False)
    annotations = []
    for ax, metric in zip(axes.flat, metrics):
        part = table[table["metric"] == metric]
        grid = part.pivot(index="method", columns="language", values="difference").reindex(
            [m for m in methods if m in set(part["method"])])
        # English (where most mitigation data is) first, then the other languages
        grid = grid[sorted(grid.columns, key=lambda lang: (lang != "en", lang))]
        marks = part.pivot(index="method", columns="language", values="p_holm").reindex(
            index=grid.index, columns=grid.columns)
        values = grid.to_numpy(dtype=float)
        limit = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
        limit = limit or 1.0
        # imshow with seaborn's colormap rather than sns.heatmap, which redraws the whole figure once per panel
        image = ax.imshow(values, cmap=sns.color_palette("RdBu_r", as_cmap=True), vmin=-limit, vmax=limit,
                          aspect="auto")
        fig.colorbar(image, ax=ax, label="difference vs baseline", fraction=0.05, pad=0.02)
        ax.set_xticks(range(grid.shape[1]), list(grid.columns), fontsize=8)
        ax.set_yticks(range(grid.shape[0]), list(grid.index), fontsize=8)
        ax.set_title(labels.get(metric, metric), fontsize=9)
        ax.tick_params(length=0)
        annotations.append((ax, values, marks.to_numpy(dtype=float), limit))
    for ax, values, marks, limit in annotations:
        for (i, j), value in np.ndenumerate(values):
            if np.isfinite(value):
                star = "*" if np.isfinite(marks[i, j]) and marks[i, j] < alpha else ""
                ax.text(j, i, f"{value:+.2f}{star}", ha="center", va="center", fontsize=7,
                        color="white" if abs(value) > 0.6 * limit else "black")
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_axis_off()
    fig.tight_layout()
    return fig


def claims_forest(parts: pd.DataFrame, level: float = 0.95):
    """Each claim part that ran as a row with its own axis: the estimate, its CI, the bound it is judged against
    (dashed) and the verdict's colour; the claims that did not run are listed under the rows."""
    import matplotlib.pyplot as plt

    ran = parts[(parts["verdict"] != "not run") & np.isfinite(parts["estimate"].astype(float))]
    skipped = list(dict.fromkeys(parts.loc[~parts.index.isin(ran.index), "claim_id"]))
    n = max(1, len(ran))
    fig, axes = plt.subplots(n, 1, figsize=(10.5, 0.62 * n + 1.1), squeeze=False)
    if ran.empty:
        axes[0, 0].set_axis_off()
        axes[0, 0].text(0.5, 0.5, "no claim could be judged: this profile trains none of their models",
                        ha="center", va="center", fontsize=9)
    for ax, row in zip(axes[:, 0], ran.to_dict("records")):
        color = VERDICT_COLORS.get(row["verdict"], "grey")
        ax.set_yticks([0], [f"{row['claim_id']}  {row['part']}"], fontsize=8)
        ax.set_ylim(-1, 1)
        ax.spines[["top", "right", "left"]].set_visible(False)
        ax.tick_params(axis="x", labelsize=7)
        low, high, bound = row["low"], row["high"], row["bound"]
        ax.errorbar(row["estimate"], 0, xerr=[[row["estimate"] - low], [high - row["estimate"]]], fmt="o",
                    color=color, capsize=4, lw=2)
        ax.axvline(bound, color="black", ls="--", lw=0.8)
        span = [v for v in (low, high, bound, 0.0) if np.isfinite(v)]
        pad = 0.15 * (max(span) - min(span) or 1.0)
        ax.set_xlim(min(span) - pad, max(span) + pad)
        ax.text(1.01, 0, row["verdict"], transform=ax.transAxes, va="center", fontsize=8, color=color,
                fontweight="bold")
    title = f"The papers' claims: paired difference (or slope) with its {level:.0%} CI; dashed = the bound"
    fig.suptitle(title, fontsize=10)
    if skipped:
        fig.text(0.01, 0.005, "not run in this profile (their models are missing): " + ", ".join(skipped), fontsize=8,
                 color=VERDICT_COLORS["not run"])
    fig.tight_layout(rect=(0, 0.03 if skipped else 0, 1, 1))
    return fig


def transfer_figure(results: Sequence, lines: Mapping[tuple[str, str], pd.DataFrame], labels: Mapping[str, str],
                    columns: int = 3):
    """Per (method, metric): transfer (relative reduction) per language against its pretraining share, with the
    per-language CI, the regression line and its band; English (the training language) drawn hollow."""
    import matplotlib.pyplot as plt

    n = max(1, len(results))
    columns = min(columns, n)
    rows = int(np.ceil(n / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(5.0 * columns, 3.9 * rows), squeeze=False)
    for ax in list(axes.flat)[len(results):]:
        ax.set_axis_off()
    for ax, result in zip(axes.flat, results):
        frame = result.per_language.dropna(subset=["share", "transfer"])
        used = frame["language"].isin(result.regression_languages)
        for subset, filled in ((frame[used], True), (frame[~used], False)):
            ax.errorbar(subset["share"], subset["transfer"],
                        yerr=[subset["transfer"] - subset["low"], subset["high"] - subset["transfer"]], fmt="o",
                        color="#1f77b4", mfc="#1f77b4" if filled else "white", capsize=3)
        for row in frame.itertuples():
            ax.annotate(row.language, (row.share, row.transfer), fontsize=8, xytext=(5, 3),
                        textcoords="offset points")
        line = lines.get((result.method, result.metric))
        if line is not None:
            ax.plot(line["share"], line["transfer"], color="#d62728", lw=1.2)
            ax.fill_between(line["share"], line["low"], line["high"], color="#d62728", alpha=0.15, lw=0)
        ax.axhline(0, color="grey", lw=0.8)
        slope = (f"slope {result.slope:+.2f} [{result.slope_low:+.2f}, {result.slope_high:+.2f}]"
                 if result.fitted else "no regression: " + result.reason)
        ax.set_title(f"{result.method}: {labels.get(result.metric, result.metric)}\n{slope}", fontsize=9)
        ax.set_xlabel("share of pretraining tokens")
        ax.set_ylabel("transfer: 1 - harm / baseline harm")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
