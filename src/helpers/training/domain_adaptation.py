"""Notebook 02's methods on the seam: which (method, seed) runs, on what data, for how many tokens.

- DAPT (Neplenbroek et al.'s Jigsaw run, Wang et al.'s baseline): continued training on curated
  non-toxic text (`curated_corpus`): in the world, documents of the pretraining distribution that the
  planted labels mark non-toxic; on real data, non-toxic comments and clean ELTeC text. `DAPT_3x` is
  the same on three times the tokens (Wang et al.'s comparison of SGEAT with a 3x larger DAPT corpus).
- SGEAT: continued training on the least toxic half of the base model's own unconditional samples
  (`helpers.training.sgeat`), on DAPT's token budget.
- SR_LLM: instruction fine-tuning on biased -> debiased rewrites (`helpers.training.instruction`),
  through TRL's SFTTrainer, on the same budget.
- BIAS_SFT (Neplenbroek et al.'s PANDA run): continued causal-LM training on counterfactually perturbed text
  (`counterfactual_corpus`, the rewritten side): in the world, ordinary documents whose one group statement is
  rewritten with the group swapped for another of its bias type and the attribute flipped so that every
  group-attribute association is balanced; on real data PANDA's `perturbed` column, or a gender word swap of clean
  text. DAPT's token budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.training.data_checks import TrainingDataError

METHODS = ("DAPT", "DAPT_3x", "SGEAT", "SR_LLM", "BIAS_SFT")
CORPUS_METHODS = ("DAPT", "DAPT_3x", "SGEAT", "BIAS_SFT")  # continued causal-LM training
BUDGET_MULTIPLIERS = {"DAPT": 1, "DAPT_3x": 3, "SGEAT": 1, "SR_LLM": 1, "BIAS_SFT": 1}
# what each corpus method reads (SGEAT's documents are generated in the notebook)
CORPUS_SOURCES = {"DAPT": "curated documents", "DAPT_3x": "curated documents",
                  "SGEAT": "self-generated documents (least toxic half)",
                  "BIAS_SFT": "counterfactually perturbed documents"}


def run_plan(methods: Sequence[str], seeds: Sequence[int], first_seed_only: Sequence[str] = (),
             known: Sequence[str] = METHODS) -> list[tuple[str, int]]:
    """The (method, seed) runs in training order: every seed of each method, or only the first one."""
    unknown = sorted(set(methods) - set(known))
    if unknown:
        raise ValueError(f"unknown methods {unknown}; methods are {', '.join(known)}")
    return [(method, seed) for method in methods
            for seed in (list(seeds)[:1] if method in first_seed_only else list(seeds))]


def token_budget(method: str, train_tokens: int) -> int:
    """The method's token budget: DAPT's, or a multiple of it (DAPT_3x)."""
    return BUDGET_MULTIPLIERS[method] * train_tokens


def restrict_languages(frame: pd.DataFrame, languages: Sequence[str] | None, source: Path | str) -> pd.DataFrame:
    """Rows in `languages` (None: all); a language the data does not hold is an error naming the file."""
    if languages is None:
        return frame.reset_index(drop=True)
    present = set(frame["language"])
    missing = sorted(set(languages) - present)
    if missing:
        raise TrainingDataError(f"{source}: train_languages {missing} are not in it (it has {sorted(present)})")
    return frame[frame["language"].isin(languages)].reset_index(drop=True)


def dapt_documents(curated: pd.DataFrame, toxicity: Sequence[float] | None = None,
                   max_toxicity: float | None = None) -> pd.DataFrame:
    """DAPT's documents: the curated corpus, optionally only those scored below `max_toxicity`.

    Neplenbroek et al. keep Jigsaw comments with toxicity < 0.1; where the data carry no such score the
    study's scorer can stand in (`max_toxicity`), stated as such by the notebook.
    """
    documents = curated.copy()
    if toxicity is not None:
        documents["toxicity"] = list(toxicity)
    if max_toxicity is not None:
        if toxicity is None:
            raise ValueError("max_toxicity needs the documents' toxicity scores")
        documents = documents[documents["toxicity"] < max_toxicity]
    return documents.reset_index(drop=True)


def corpus_tokens(tokenizer, texts: Sequence[str]) -> int:
    """Tokens of a corpus as packed for training (each document plus its EOS separator)."""
    from helpers.training.causal_lm import tokenize

    return int(sum(len(ids) + 1 for ids in tokenize(tokenizer, list(texts))))


# ---- the association slope of 02's quick bias check (the pairs are scored by `helpers.mitigation_check`) ----------

def _slope(values, planted, axis: int = -1):
    centred = planted - planted.mean(axis=axis, keepdims=True)
    return (centred * values).sum(axis=axis) / (centred**2).sum(axis=axis)


def association_slope(soft: Sequence[float], planted: Sequence[float]) -> float:
    """Least-squares slope of the per-pair soft association on its group's planted stereotype rate.

    1: the model reproduces the planted rates; 0: the association no longer follows them (balanced).
    """
    return float(_slope(np.asarray(soft, float), np.asarray(planted, float)))


def slope_difference_ci(treated: Sequence[float], baseline: Sequence[float], planted: Sequence[float],
                        resamples: int, level: float, seed: int):
    """Paired bootstrap (pairs resampled, `scipy.stats.bootstrap`) CI of the difference of association slopes."""
    from scipy import stats as scipy_stats

    from helpers.stats import BootstrapResult

    samples = tuple(np.asarray(x, float) for x in (treated, baseline, planted))
    estimate = association_slope(samples[0], samples[2]) - association_slope(samples[1], samples[2])
    result = scipy_stats.bootstrap(samples, lambda a, b, r, axis=-1: _slope(a, r, axis) - _slope(b, r, axis),
                                   paired=True, vectorized=True, n_resamples=resamples, confidence_level=level,
                                   method="percentile", rng=np.random.default_rng(seed))
    interval = result.confidence_interval
    return BootstrapResult(estimate=estimate, low=float(interval.low), high=float(interval.high), level=level,
                           n=len(samples[0]), resamples=resamples)
