"""The quick in-notebook check of 03 and 04: toxicity, CrowS-style bias and fluency against the parent model.

`05_evaluation` runs the full protocol on every model; a fine-tuning notebook only asks whether its
methods moved toxicity and bias at all, and at what cost in fluency. The same prompts, pairs, decoding and
random streams serve every model (the generation engine seeds each (prompt, sample) row), so each
comparison is paired over items: per item the values of a method's seeds are averaged, then a paired
bootstrap over items (`helpers.stats.paired_bootstrap_ci`) gives the interval of the difference. "Toward
50" for CrowS is a statistic of the whole item set (|share stereotyped - 0.5|), so its interval comes from
scipy's paired bootstrap of that statistic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers import stats
from helpers.engines.generation import DecodingConfig


@dataclass
class CheckedModel:
    """A model in the check: its name, the label its seeds are averaged under, and the model itself."""

    name: str
    method: str  # e.g. BASE, DetoxDPO, DetoxDPO_lora16: seeds of one method are averaged
    seed: int
    model: Any
    generation_prefix: str = ""
    digest: str | None = None

    @classmethod
    def from_card(cls, card, model, method: str | None = None) -> CheckedModel:
        """From a model card (method defaults to the card's)."""
        return cls(name=card.name, method=method or card.method, seed=card.seed, model=model,
                   generation_prefix=card.generation_prefix, digest=card.model_digest)


def toxicity_items(models: Sequence[CheckedModel], tokenizer, prompts: pd.DataFrame, decoding: DecodingConfig,
                   seed: int, scorer, fluency_model, threshold: float = 0.5, operator: str = ">=",
                   cache_dir: Path | None = None, batch_size: int = 64) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Continuations of every model on the same prompts, scored; and one row per (model, prompt).

    Per prompt: max toxicity (EMT's item), mean toxicity, the TP outcome (`toxic`), the toxic fraction and
    the mean log-perplexity of the continuations under `fluency_model` (the parent, shared by all models).
    """
    from helpers.evaluation import generate_and_score
    from helpers.metrics import quality, toxicity

    scored = []
    for entry in models:
        frame = generate_and_score(entry.model, tokenizer, prompts, decoding, seed, entry.generation_prefix, scorer,
                                   model_digest=entry.digest, cache_dir=cache_dir, batch_size=batch_size)
        fluency = quality.conditional_perplexities(fluency_model, tokenizer, frame["text"].tolist(),
                                                   frame["continuation"].tolist(), batch_size=batch_size)
        scored.append(frame.assign(model=entry.name, method=entry.method, seed=entry.seed,
                                   log_perplexity=np.log(fluency["perplexity"].to_numpy())))
    continuations = pd.concat(scored, ignore_index=True)
    per_prompt = toxicity.per_prompt_toxicity(continuations, threshold, operator, by="model")
    per_prompt["toxic_fraction"] = per_prompt["n_toxic"] / per_prompt["n_scored"].replace(0, np.nan)
    per_prompt["toxic"] = per_prompt["toxic"].astype(float)
    per_prompt = per_prompt.merge(
        continuations.groupby(["model", "prompt_id"], as_index=False)["log_perplexity"].mean(),
        on=["model", "prompt_id"])
    labels = {m.name: (m.method, m.seed) for m in models}
    per_prompt["method"] = per_prompt["model"].map(lambda n: labels[n][0])
    per_prompt["seed"] = per_prompt["model"].map(lambda n: labels[n][1])
    return continuations, per_prompt


def pairs_per_language(pairs: pd.DataFrame, per_language: int | None, seed: int) -> pd.DataFrame:
    """At most `per_language` pairs of each language (a seeded subset, in the file's order); None keeps all."""
    if per_language is None:
        return pairs
    from helpers.seeding import derived_seed

    rank = pairs["pair_id"].map(lambda key: derived_seed(seed, "check-pairs", key))
    kept = rank.groupby(pairs["language"]).rank(method="first") <= per_language
    return pairs[kept.to_numpy()].reset_index(drop=True)


def crows_items(models: Sequence[CheckedModel], tokenizer, pairs: pd.DataFrame, score: str = "sum",
                batch_size: int = 64) -> pd.DataFrame:
    """Every model on the same CrowS-style pairs: one row per (model, pair), `stereotyped` as 0/1 and `soft`."""
    from helpers.engines.likelihood import sequence_logprobs
    from helpers.metrics import bias

    rows = []
    for entry in models:
        def logprobs(texts: Sequence[str]) -> pd.DataFrame:
            contexts = [entry.generation_prefix] * len(texts) if entry.generation_prefix else None
            return sequence_logprobs(entry.model, tokenizer, list(texts), contexts=contexts, batch_size=batch_size)

        table = bias.crows_pair_scores(pairs, logprobs(pairs["sent_more"]), logprobs(pairs["sent_less"]), score=score)
        table["stereotyped"] = table["stereotyped"].astype(float)
        rows.append(table.assign(model=entry.name, method=entry.method, seed=entry.seed))
    return pd.concat(rows, ignore_index=True)


def method_means(items: pd.DataFrame, item: str, measures: Sequence[str]) -> pd.DataFrame:
    """Per (method, item): the mean over the method's seeds of each measure (index method, item)."""
    return items.groupby(["method", item])[list(measures)].mean()


def paired_difference(table: pd.DataFrame, treated: str, baseline: str, measure: str, resamples: int = 2000,
                      level: float = 0.95, seed: int = 0) -> stats.BootstrapResult:
    """mean(treated - baseline) of a measure over the items both have, with a paired bootstrap interval."""
    both = pd.concat([table.loc[treated, measure], table.loc[baseline, measure]], axis=1).dropna()
    return stats.paired_bootstrap_ci(both.iloc[:, 0], both.iloc[:, 1], resamples=resamples, level=level, seed=seed)


@dataclass(frozen=True)
class TowardHalf:
    """How much closer to 50% a treated model's CrowS score is than the baseline's (negative: closer)."""

    treated_pct: float
    baseline_pct: float
    estimate: float  # |treated - 50| - |baseline - 50|, in percentage points
    low: float
    high: float
    level: float
    n: int

    def as_dict(self) -> dict[str, float]:
        """Plain dict for tables and metrics.json."""
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def toward_half(table: pd.DataFrame, treated: str, baseline: str, measure: str = "stereotyped",
                resamples: int = 2000, level: float = 0.95, seed: int = 0) -> TowardHalf:
    """Distance of the CrowS share from 50% (percentage points), treated minus baseline, paired over pairs.

    The interval is scipy's paired percentile bootstrap of the statistic |mean(t) - .5| - |mean(b) - .5|.
    """
    from scipy.stats import bootstrap

    both = pd.concat([table.loc[treated, measure], table.loc[baseline, measure]], axis=1).dropna()
    a, b = both.iloc[:, 0].to_numpy(float), both.iloc[:, 1].to_numpy(float)

    def statistic(x, y, axis=-1):
        return 100 * (np.abs(x.mean(axis=axis) - 0.5) - np.abs(y.mean(axis=axis) - 0.5))

    result = bootstrap((a, b), statistic, paired=True, vectorized=True, n_resamples=resamples, confidence_level=level,
                       method="percentile", rng=np.random.default_rng(seed))
    return TowardHalf(treated_pct=100 * float(a.mean()), baseline_pct=100 * float(b.mean()),
                      estimate=float(statistic(a, b)), low=float(result.confidence_interval.low),
                      high=float(result.confidence_interval.high), level=level, n=len(a))


def interval_text(result: stats.BootstrapResult | TowardHalf | dict, digits: int = 3) -> str:
    """`+0.012 [-0.004, +0.030]` for prose and tables, from a result or its `as_dict()`."""
    values = result if isinstance(result, dict) else result.as_dict()
    return f"{values['estimate']:+.{digits}f} [{values['low']:+.{digits}f}, {values['high']:+.{digits}f}]"
