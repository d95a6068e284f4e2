"""What a fine-tuning run kept of its parent: held-out language-model losses and the collapse flag.

DPO over-optimises small models fast (the design prototype: lr >= 3e-5 drove toxicity to zero by
destroying the model, held-out loss 0.64 -> 5.5). Every run of 03 and 04 is therefore scored on the same
held-out pretraining documents as its parent, overall and split into the training languages and the
others (an English-only run can forget the other languages), and a run whose overall held-out loss rose
by more than `margin` nats per token is flagged as collapsed: in its model card's notes, its training
summary, the notebooks' tables and `metrics.json`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.training.causal_lm import HeldoutBlocks, TrainingResult, heldout_loss

OVERALL = "pretraining_heldout_loss"
TRAIN_LANGUAGES = "heldout_train_languages"
OTHER_LANGUAGES = "heldout_other_languages"


def heldout_splits(tokenizer, documents: pd.DataFrame, train_languages: Sequence[str], context_length: int,
                   max_tokens: int) -> dict[str, HeldoutBlocks | None]:
    """Held-out pretraining blocks: all documents, those in the training languages, and the others (None if none)."""
    from helpers.training.pretraining import heldout_blocks

    inside = documents["language"].isin(list(train_languages))
    overall = heldout_blocks(tokenizer, documents, context_length, max_tokens)
    # a run trained on every language shares its split with the overall one: the same blocks, scored once
    return {OVERALL: overall,
            TRAIN_LANGUAGES: overall if inside.all() else
            heldout_blocks(tokenizer, documents[inside], context_length, max_tokens) if inside.any() else None,
            OTHER_LANGUAGES: heldout_blocks(tokenizer, documents[~inside], context_length, max_tokens)
            if (~inside).any() else None}


def heldout_losses(model, splits: Mapping[str, HeldoutBlocks | None], batch_size: int) -> dict[str, float]:
    """Mean held-out loss (nats per token) of each split; NaN for an empty split; a split shared by two keys once."""
    scored: dict[int, float] = {}
    losses = {}
    for key, blocks in splits.items():
        if blocks is None:
            losses[key] = float("nan")
            continue
        if id(blocks) not in scored:
            scored[id(blocks)] = round(heldout_loss(model, blocks, batch_size), 6)
        losses[key] = scored[id(blocks)]
    return losses


@dataclass(frozen=True)
class CollapseCheck:
    """The held-out language-model loss of a run against its parent's, and whether it rose past the margin."""

    parent_loss: float
    run_loss: float
    margin: float

    @property
    def rise(self) -> float:
        """Held-out loss of the run minus the parent's (nats per token)."""
        return self.run_loss - self.parent_loss

    @property
    def collapsed(self) -> bool:
        """True when the loss rose by more than the margin (or is no longer finite)."""
        return not math.isfinite(self.run_loss) or self.rise > self.margin

    def note(self) -> str:
        """The sentence written into the model card's notes."""
        verdict = "COLLAPSED (held-out loss rose past the margin): " if self.collapsed else ""
        return (f"{verdict}held-out loss {self.run_loss:.4f} vs parent {self.parent_loss:.4f} "
                f"({self.rise:+.4f} nats per token; collapse margin {self.margin})")

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for metrics.json and training summaries."""
        return {"parent_heldout_loss": round(self.parent_loss, 6), "heldout_loss_rise": round(self.rise, 6),
                "collapse_margin": self.margin, "collapsed": bool(self.collapsed)}


def collapse_check(parent_loss: float, run_loss: float, margin: float) -> CollapseCheck:
    """Compare a run's held-out loss with its parent's (the margin is in nats per token)."""
    if not margin >= 0:
        raise ValueError(f"collapse margin must be >= 0, got {margin}")
    return CollapseCheck(parent_loss=float(parent_loss), run_loss=float(run_loss), margin=float(margin))


def margin_of(margins: Mapping[str, float], family: str) -> float:
    """The collapse margin of a method family (`collapse_margin` is per family: DAPT may rise by design)."""
    if family not in margins:
        raise ValueError(f"collapse_margin has no margin for {family!r} (it has {sorted(margins)})")
    return float(margins[family])


def margins_text(margins: Mapping[str, float], families: Sequence[str]) -> str:
    """'0.05 (BiasDPO, DetoxDPO), 0.5 (DAPT)': the margins in use, grouped by value."""
    by_value: dict[float, list[str]] = {}
    for family in families:
        by_value.setdefault(float(margins[family]), []).append(family)
    return ", ".join(f"{value:g} ({', '.join(names)})" for value, names in by_value.items())


def save_checked(result: TrainingResult, tokenizer, stage_dir: Path, *, method: str, seed: int, parent, stage: str,
                 splits: Mapping[str, HeldoutBlocks | None], parent_losses: Mapping[str, float], margin: float,
                 batch_size: int, peft: str = "full", merge: bool = False, train_languages: list[str] | None = None,
                 summary: Mapping[str, Any] | None = None, notes: str = ""):
    """Score the trained model on the held-out splits, flag a collapse, then save it with `finetune.save_finetuned`.

    The card's notes end with the collapse sentence; the training summary holds the losses and the flag.
    Returns the `FinetuneRun` and the `CollapseCheck`.
    """
    from helpers.training.finetune import save_finetuned

    losses = heldout_losses(result.model, splits, batch_size)
    check = collapse_check(parent_losses[OVERALL], losses[OVERALL], margin)
    full_summary = {**(summary or {}), **losses, **check.as_dict()}
    notes = f"{notes}; {check.note()}" if notes else check.note()
    run = save_finetuned(result, tokenizer, stage_dir, method=method, seed=seed, parent=parent, stage=stage,
                         peft=peft, merge=merge, train_languages=train_languages, summary=full_summary, notes=notes)
    return run, check


def run_table(runs: Mapping[str, Any]) -> pd.DataFrame:
    """One row per saved run (`FinetuneRun`s by name): what it trained, what it cost, what it kept, the flag."""
    rows = []
    for name, run in runs.items():
        summary = run.summary
        rows.append({
            "model": name, "method": run.card.method, "family": run.card.family, "seed": run.card.seed,
            "peft": run.card.peft, "steps": summary["steps"], "trained tokens": run.card.train_tokens,
            "trainable parameters": run.card.trainable_parameters,
            "held-out loss": summary[OVERALL], "held-out loss rise": summary["heldout_loss_rise"],
            "held-out loss, training languages": summary.get(TRAIN_LANGUAGES, float("nan")),
            "held-out loss, other languages": summary.get(OTHER_LANGUAGES, float("nan")),
            "collapsed": bool(summary["collapsed"]),
            "tokens/s": run.timing["tokens_per_second"], "train s": run.timing["train_seconds"],
        })
    return pd.DataFrame(rows)
