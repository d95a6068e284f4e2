"""Figures of 03 and 04: DPO's reward curves, effects with their cost, and the adapter trade-off.

Pure functions of tables (training logs, effect tables, per-variant summaries) that return matplotlib figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

# the curves TRL logs for DPO (train at logging steps, eval_ on the held-out pairs)
_CURVES = (("rewards/margins", "reward margin (chosen - rejected)"),
           ("rewards/accuracies", "reward accuracy (share chosen > rejected)"),
           ("heldout_loss", "held-out DPO loss (held-out pairs)"))


def _colours(labels: Sequence[str]) -> dict[str, str]:
    import matplotlib.pyplot as plt

    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return {label: cycle[i % len(cycle)] for i, label in enumerate(dict.fromkeys(labels))}


def reward_curves(logs: Mapping[str, pd.DataFrame], methods: Mapping[str, str], title: str = ""):
    """DPO's implicit-reward margin and accuracy (training steps solid, held-out pairs dashed) and held-out loss.

    One line per run, coloured by its method (`methods`: run name -> method).
    """
    import matplotlib.pyplot as plt

    colours = _colours([methods[name] for name in logs])
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
    shown: set[str] = set()
    for name, log in logs.items():
        colour = colours[methods[name]]
        label = methods[name] if methods[name] not in shown else None
        shown.add(methods[name])
        for ax, (column, _) in zip(axes, _CURVES):
            if column != "heldout_loss" and column in log:
                trained = log.dropna(subset=[column])
                ax.plot(trained["step"], trained[column], color=colour, alpha=0.8, lw=1.2, label=label)
            held = f"eval_{column}" if column != "heldout_loss" else column
            if held in log:
                values = log.dropna(subset=[held])
                ax.plot(values["step"], values[held], color=colour, ls="--", marker=".", alpha=0.8,
                        label=None if column != "heldout_loss" else label)
    for ax, (_, what) in zip(axes, _CURVES):
        ax.set_xlabel("optimiser step")
        ax.set_title(what, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].axhline(0, color="grey", lw=0.8)
    axes[1].set_ylim(-0.02, 1.02)
    axes[0].legend(fontsize=8, title="solid: training batches\ndashed: held-out pairs", title_fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def effect_panels(table: pd.DataFrame, panels: Sequence[tuple[str, str]], label: str = "method", title: str = ""):
    """One panel per (column prefix, axis label): the estimate with its [low, high] interval per row, 0 marked.

    `table` has, per prefix `p`, the columns `p`, `p low`, `p high`.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.4), squeeze=False)
    colours = _colours(table[label].astype(str).tolist())
    for ax, (prefix, axis_label) in zip(axes[0], panels):
        rows = table.dropna(subset=[prefix])
        y = np.arange(len(rows))
        values = rows[prefix].to_numpy(float)
        errors = np.vstack([values - rows[f"{prefix} low"].to_numpy(float),
                            rows[f"{prefix} high"].to_numpy(float) - values])
        ax.errorbar(values, y, xerr=errors, fmt="o", capsize=4, ecolor="grey",
                    color="black", zorder=3)
        for yi, value, name in zip(y, values, rows[label].astype(str)):
            ax.scatter([value], [yi], color=colours[name], s=50, zorder=4)
        ax.axvline(0, color="grey", lw=0.8, ls="--")
        ax.set_yticks(y, rows[label].astype(str).tolist())
        ax.invert_yaxis()
        ax.set_xlabel(axis_label)
        ax.grid(axis="x", alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def overoptimisation(runs: pd.DataFrame, effect: str, margin: float | Mapping[str, float], effect_label: str,
                     title: str = ""):
    """Per run: its effect (y) against the rise of its held-out loss (x), the collapse margins marked.

    `runs` has columns `method`, `held-out loss rise`, `collapsed` and `effect`; `margin` is one margin or one
    per method (a line per distinct value, labelled with its methods).
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.2, 3.8))
    colours = _colours(runs["method"].tolist())
    for method, part in runs.groupby("method", sort=False):
        ok, bad = part[~part["collapsed"]], part[part["collapsed"]]
        ax.scatter(ok["held-out loss rise"], ok[effect], color=colours[method], label=method, s=40)
        ax.scatter(bad["held-out loss rise"], bad[effect], color=colours[method], marker="x", s=60)
    if isinstance(margin, Mapping):
        shown = runs["method"].unique().tolist()
        lines: dict[float, list[str]] = {}
        for method, value in margin.items():
            if any(m == method or str(m).startswith(f"{method}_") for m in shown):  # DetoxDPO_lora16 is DetoxDPO
                lines.setdefault(float(value), []).append(method)
    else:
        lines = {float(margin): []}
    for style, (value, methods) in zip(("--", ":", "-."), sorted(lines.items())):
        ax.axvline(value, color="firebrick", lw=1, ls=style,
                   label=f"collapse margin {value:g}" + (f" ({', '.join(methods)})" if methods else ""))
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel("held-out loss rise over the base model (nats per token)")
    ax.set_ylabel(effect_label)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title or "effect against what it cost (x: a collapsed run)", fontsize=10)
    fig.tight_layout()
    return fig


def adapter_tradeoff(variants: pd.DataFrame, reference: Mapping[str, float] | None = None,
                     toxicity: str = "mean toxicity", perplexity: str = "held-out ppl", title: str = ""):
    """Wang et al.'s adapter picture: toxicity against perplexity per (family, variant), and what each cost.

    `variants`: one row per (family, peft) with `toxicity`, `perplexity`, their `... sd` over seeds,
    `trainable parameters`, `train s` and `tokens/s`. `reference` (toxicity, perplexity of the base model)
    is drawn as a star. Panels: the trade-off; trainable parameters; training seconds; tokens per second.
    """
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(14, 7.2))
    grid = fig.add_gridspec(3, 2, width_ratios=[1.6, 1])
    main = fig.add_subplot(grid[:, 0])
    side = [fig.add_subplot(grid[i, 1]) for i in range(3)]
    families = list(dict.fromkeys(variants["family"]))
    markers = dict(zip(families, "os^Dv<>"))
    peft_colours = _colours(variants["peft"].tolist())
    for _, row in variants.iterrows():
        main.errorbar(row[perplexity], row[toxicity], xerr=row.get(f"{perplexity} sd", 0.0),
                      yerr=row.get(f"{toxicity} sd", 0.0), fmt=markers[row["family"]], color=peft_colours[row["peft"]],
                      ms=8, capsize=3)
        main.annotate(f"{row['family']} {row['peft']}", (row[perplexity], row[toxicity]), fontsize=7,
                      xytext=(5, 4), textcoords="offset points")
    if reference is not None:
        main.scatter([reference["perplexity"]], [reference["toxicity"]], marker="*", s=220, color="black",
                     zorder=5)
        main.annotate(reference.get("label", "base"), (reference["perplexity"], reference["toxicity"]), fontsize=8,
                      xytext=(6, -10), textcoords="offset points")
    handles = [plt.Line2D([], [], ls="", marker=markers[f], color="grey", label=f) for f in families]
    handles += [plt.Line2D([], [], ls="", marker="o", color=c, label=p) for p, c in peft_colours.items()]
    main.legend(handles=handles, fontsize=8, ncol=2)
    main.set_xlabel(f"{perplexity} (lower is more fluent)")
    main.set_ylabel(f"{toxicity} (lower is less toxic)")
    main.set_title("toxicity against perplexity (mean ± sd over seeds; lower-left is better)", fontsize=10)
    main.grid(alpha=0.3)
    order = variants.assign(label=variants["family"] + " " + variants["peft"])
    for ax, column, log_scale in zip(side, ("trainable parameters", "train s", "tokens/s"), (True, False, False)):
        ax.barh(order["label"], order[column], color=[peft_colours[p] for p in order["peft"]])
        ax.set_title(column, fontsize=9)
        ax.invert_yaxis()
        ax.tick_params(axis="y", labelsize=7)
        if log_scale:
            ax.set_xscale("log")
        ax.grid(axis="x", alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig

