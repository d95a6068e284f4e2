"""How good rewrites are (SR_LLM, 02): input, model rewrite and reference rewrite scored the same ways.

Toxicity by the study's scorer; in the synthetic world also the planted lexicons of `ground_truth.json`
(its insults, and the stereotyped attribute of each attribute pair, read as in
`helpers.evaluation.stereotype_choices`), a ground truth the learned scorer is checked against; content
preservation against the reference rewrite with chrF (sacrebleu's defaults), next to the chrF of simply
copying the input, the score a rewriter that changes nothing gets; fluency as per-token log-probability
under a reference model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd


def lexicon_hits(texts: Sequence[str], languages: Sequence[str], lexicon: Mapping[str, Sequence[str]]) -> np.ndarray:
    """Per text: whether it contains a term of its language's lexicon as whole words (case-insensitive)."""
    patterns = {lang: re.compile(r"\b(" + "|".join(re.escape(t.lower()) for t in terms) + r")\b")
                for lang, terms in lexicon.items() if terms}
    return np.array([bool(patterns[lang].search(str(text).lower())) if lang in patterns else False
                     for text, lang in zip(texts, languages)])


def planted_insults(ground_truth: Mapping[str, Any]) -> dict[str, list[str]]:
    """The world's insult lexicon per language (seen and held-out from the scorer), from `ground_truth.json`."""
    return {lang: list(split.get("seen", [])) + list(split.get("heldout", []))
            for lang, split in ground_truth.get("insults", {}).items()}


def stereotyped(texts: Sequence[str], languages: Sequence[str], attribute_pairs: Mapping[str, list[list[str]]]
                ) -> np.ndarray:
    """Per text: 1 when it ascribes a stereotyped attribute without its counterpart (the world's lexicon), else 0."""
    from helpers.evaluation import stereotype_choices

    return np.nan_to_num(stereotype_choices(texts, languages, attribute_pairs), nan=0.0)


def chrf_scores(hypotheses: Sequence[str], references: Sequence[str]) -> np.ndarray:
    """Sentence chrF (sacrebleu defaults: character 6-grams, beta 2), 0-100, one per pair."""
    from sacrebleu.metrics import CHRF

    metric = CHRF()
    return np.array([metric.sentence_score(h, [r]).score for h, r in zip(hypotheses, references)])


def corpus_chrf(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus-level chrF (sacrebleu), 0-100."""
    from sacrebleu.metrics import CHRF

    return float(CHRF().corpus_score(list(hypotheses), [list(references)]).score)


def rewrite_items(pairs: pd.DataFrame, rewrites: Sequence[str], scorer, ground_truth: Mapping[str, Any] | None = None,
                  fluency=None, batch_size: int = 64) -> pd.DataFrame:
    """Per held-out pair: input, model rewrite and reference rewrite scored the same ways.

    Columns `{input,rewrite,reference}_toxicity` (scorer), `_insult` and `_stereotyped` (world lexicons,
    when `ground_truth` is given), `chrf` (rewrite vs reference) and `copy_chrf` (input vs reference), and
    with `fluency = (model, tokenizer)` the per-token log-probability of each text under that model.
    """
    from helpers.engines.likelihood import sequence_logprobs

    languages = pairs["language"].tolist()
    texts = {"input": pairs["biased"].tolist(), "rewrite": list(rewrites), "reference": pairs["debiased"].tolist()}
    items = pairs[["pair_id", "language"]].reset_index(drop=True).copy()
    items["rewrite"] = list(rewrites)
    items["empty_rewrite"] = [not str(r).strip() for r in rewrites]
    for name, values in texts.items():
        items[f"{name}_toxicity"] = scorer.score(values, languages)
        if ground_truth is not None:
            items[f"{name}_insult"] = lexicon_hits(values, languages, planted_insults(ground_truth)).astype(float)
            items[f"{name}_stereotyped"] = stereotyped(values, languages, ground_truth["attribute_pairs"])
        if fluency is not None:
            model, tokenizer = fluency
            items[f"{name}_logprob"] = sequence_logprobs(model, tokenizer, values, batch_size=batch_size)[
                "mean_logprob"].to_numpy()
    items["chrf"] = chrf_scores(texts["rewrite"], texts["reference"])
    items["copy_chrf"] = chrf_scores(texts["input"], texts["reference"])
    return items


def paired_rewrite_tests(items: pd.DataFrame, stereotype: bool, resamples: int, level: float, seed: int
                         ) -> dict[str, dict[str, Any]]:
    """One rewriter's paired differences over held-out pairs: toxicity (and planted stereotype) of rewrite vs
    input over the non-empty rewrites, chrF of rewrite vs copying the input over all pairs (an empty rewrite
    scores 0 there). A measure with no non-empty rewrite gets estimate/low/high None, n 0 and a note."""
    from helpers import stats

    def interval(a: pd.Series, b: pd.Series) -> dict[str, Any]:
        if len(a) == 0:
            return {"estimate": None, "low": None, "high": None, "level": level, "n": 0, "resamples": resamples,
                    "note": f"all {len(items)} rewrites are empty: nothing to score"}
        return stats.paired_bootstrap_ci(a, b, resamples=resamples, level=level, seed=seed).as_dict()

    written = items[~items["empty_rewrite"]]
    scored = written.dropna(subset=["input_toxicity", "rewrite_toxicity"])
    tests = {"rewrite - input toxicity": interval(scored["rewrite_toxicity"], scored["input_toxicity"]),
             "chrF rewrite - copy": interval(items["chrf"], items["copy_chrf"])}
    if stereotype:
        tests["rewrite - input stereotyped"] = interval(written["rewrite_stereotyped"], written["input_stereotyped"])
    return tests
