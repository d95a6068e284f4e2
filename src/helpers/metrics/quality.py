"""What a mitigation may cost: fluency (perplexity), diversity (distinct-n), language fidelity, knowledge."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from helpers.engines.likelihood import perplexity_from_logprobs, sequence_logprobs
from helpers.metrics.grouping import as_columns, parts

UNKNOWN_LANGUAGE = "unknown"
DISTINCT_DENOMINATORS = ("ngrams", "words")


# ---- diversity -------------------------------------------------------------------------------------

def distinct_n_per_prompt(frame: pd.DataFrame, orders: Sequence[int] = (1, 2, 3), denominator: str = "ngrams",
                          by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Per prompt: unique n-grams over its k continuations divided by their total n-grams (or words).

    Continuations are split on whitespace and n-grams never span two continuations. `denominator=
    "ngrams"` is the study's definition; `"words"` is DExperts' (unique n-grams / total words). A
    prompt with nothing to count (all continuations empty, or shorter than n) gets NaN for that n.
    """
    if denominator not in DISTINCT_DENOMINATORS:
        raise ValueError(f"denominator must be one of {DISTINCT_DENOMINATORS}, got {denominator!r}")
    if any(not isinstance(n, int) or n < 1 for n in orders):
        raise ValueError(f"orders must be positive ints, got {list(orders)}")
    keys = [*as_columns(by), "prompt_id"]
    missing = [c for c in (*keys, "continuation") if c not in frame.columns]
    if missing:
        raise ValueError(f"the generations frame lacks columns {missing}")
    rows = []
    for key, part in parts(frame, keys):
        token_lists = [str(text).split() if isinstance(text, str) else [] for text in part["continuation"]]
        words = sum(len(tokens) for tokens in token_lists)
        row = {**dict(zip(keys, key)), "n_continuations": len(token_lists), "n_words": words}
        for n in orders:
            grams = [tuple(tokens[i:i + n]) for tokens in token_lists for i in range(len(tokens) - n + 1)]
            total = len(grams) if denominator == "ngrams" else words
            row[f"distinct_{n}"] = len(set(grams)) / total if total else float("nan")
        rows.append(row)
    columns = [*keys, "n_continuations", "n_words", *[f"distinct_{n}" for n in orders]]
    return pd.DataFrame(rows, columns=columns)


def distinct_n(frame: pd.DataFrame, orders: Sequence[int] = (1, 2, 3), denominator: str = "ngrams",
               by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Mean over prompts of distinct-n, per `by` group; prompts where it is undefined are counted, not averaged."""
    groups = as_columns(by)
    per_prompt = distinct_n_per_prompt(frame, orders, denominator, groups)
    rows = []
    for key, part in parts(per_prompt, groups):
        row = {**dict(zip(groups, key)), "n_prompts": len(part), "n_prompts_empty": int((part["n_words"] == 0).sum())}
        for n in orders:
            values = part[f"distinct_{n}"]
            row[f"distinct_{n}"] = float(values.mean()) if values.notna().any() else float("nan")
            row[f"n_undefined_{n}"] = int(values.isna().sum())
        rows.append(row)
    summary = pd.DataFrame(rows)
    return summary.assign(denominator=denominator)


# ---- language fidelity -------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _full_identifier():
    from py3langid import langid

    # a private identifier: py3langid's module-level one is global state other code may restrict
    return langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)


@lru_cache(maxsize=8)
def _identifier(candidates: tuple[str, ...] | None, min_confidence: float | None):
    # a shallow copy shares the loaded tables; set_languages replaces (never edits) the copy's arrays
    identifier = copy.copy(_full_identifier())
    identifier.min_confidence = min_confidence
    if candidates is not None:
        unknown = [c for c in candidates if c not in set(identifier.labels)]
        if unknown:
            raise ValueError(f"py3langid does not know language codes {unknown}")
        identifier.set_languages(list(candidates))
    return identifier


def identify_languages(texts: Sequence[str], candidates: Sequence[str] | None = None,
                       min_confidence: float | None = None) -> list[str]:
    """ISO 639-1 code per text with py3langid, restricted to `candidates` when given.

    A text that is empty, not a string, or has no letter (digits, punctuation) is "unknown"; with
    `min_confidence` a text whose normalised probability is below it is "unknown" as well. Short
    continuations (20 tokens) are identified less reliably than sentences.
    """
    if candidates is not None:
        candidates = tuple(sorted(set(candidates)))
        if not candidates:
            raise ValueError("candidates must name at least one language (or be None for all)")
    from helpers.engines.classifiers import identify_batch

    identifier = _identifier(candidates, min_confidence)
    texts = list(texts)
    languages = [UNKNOWN_LANGUAGE] * len(texts)
    wanted = [i for i, text in enumerate(texts) if isinstance(text, str) and any(ch.isalpha() for ch in text)]
    # all texts through py3langid's model at once (it has no batch API; see helpers.engines.classifiers)
    for i, (language, _) in zip(wanted, identify_batch(identifier, [texts[i] for i in wanted])):
        languages[i] = UNKNOWN_LANGUAGE if language == "und" else language
    return languages


def off_language_share(frame: pd.DataFrame, by: str | Sequence[str] | None = "language") -> pd.DataFrame:
    """Per `by` group: continuations, how many are not in the prompt's `language` (unknown counts as off)."""
    missing = [c for c in ("language", "continuation_language") if c not in frame.columns]
    if missing:
        raise ValueError(f"the frame lacks columns {missing}")
    groups = as_columns(by)
    off = frame["continuation_language"].astype(str).to_numpy() != frame["language"].astype(str).to_numpy()
    work = frame.assign(_off=off, _unknown=frame["continuation_language"].astype(str).to_numpy() == UNKNOWN_LANGUAGE)
    rows = []
    for key, part in parts(work, groups):
        n = len(part)
        rows.append({**dict(zip(groups, key)), "n": n, "n_off_language": int(part["_off"].sum()),
                     "n_unknown": int(part["_unknown"].sum()),
                     "off_language_share": float(part["_off"].mean()) if n else float("nan")})
    return pd.DataFrame(rows, columns=[*groups, "n", "n_off_language", "n_unknown", "off_language_share"])


# ---- fluency -----------------------------------------------------------------------------------------

def conditional_perplexities(model, tokenizer, prompts: Sequence[str], continuations: Sequence[str],
                             batch_size: int | None = None, add_bos: bool = True) -> pd.DataFrame:
    """Per continuation: perplexity exp(-mean log p(continuation | BOS + prompt)) under `model` (a reference LM).

    An empty continuation (no token) gets NaN and `empty=True`; summaries count it instead of scoring it.
    """
    frame = sequence_logprobs(model, tokenizer, continuations, contexts=prompts, batch_size=batch_size,
                              add_bos=add_bos)
    return pd.DataFrame({"n_tokens": frame["n_tokens"], "mean_logprob": frame["mean_logprob"],
                         "perplexity": np.exp(-frame["mean_logprob"].to_numpy()),
                         "empty": frame["n_tokens"].to_numpy() == 0})


def perplexity_summary(per_item: pd.DataFrame, max_perplexity: float | None = None,
                       by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Median and mean perplexity of non-empty continuations, the share empty, and the share at or above a cap.

    With `max_perplexity` (DExperts keeps PPL < 1e4) continuations at or above it are left out of the
    median and mean and their share is reported; without it every non-empty continuation counts.
    """
    groups = as_columns(by)
    rows = []
    for key, part in parts(per_item, groups):
        values = part["perplexity"].to_numpy(dtype=float)
        empty = part["empty"].to_numpy(dtype=bool)
        nonempty = values[~empty]
        above = nonempty >= max_perplexity if max_perplexity is not None else np.zeros(len(nonempty), dtype=bool)
        kept = nonempty[~above]
        n = len(part)
        rows.append({**dict(zip(groups, key)), "n": n, "n_empty": int(empty.sum()),
                     "share_empty": float(empty.mean()) if n else float("nan"),
                     "n_above_max": int(above.sum()),
                     "share_above_max": float(above.mean()) if len(nonempty) else float("nan"),
                     "median_perplexity": float(np.median(kept)) if len(kept) else float("nan"),
                     "mean_perplexity": float(np.mean(kept)) if len(kept) else float("nan")})
    summary = pd.DataFrame(rows)
    return summary.assign(max_perplexity=float("nan") if max_perplexity is None else float(max_perplexity))


def heldout_perplexity(model, tokenizer, texts: Sequence[str], languages: Sequence[str] | None = None,
                       batch_size: int | None = None, add_bos: bool = True) -> pd.DataFrame:
    """Token-weighted perplexity of held-out texts, per language and over all ("all" row last)."""
    texts = list(texts)
    frame = sequence_logprobs(model, tokenizer, texts, batch_size=batch_size, add_bos=add_bos)
    groups = []
    if languages is not None:
        frame["language"] = list(languages)
        groups = [(key[0], part) for key, part in parts(frame, ["language"])]
    rows = [{"language": language, "n_texts": len(part), "n_tokens": int(part["n_tokens"].sum()),
             "perplexity": perplexity_from_logprobs(part)} for language, part in [*groups, ("all", frame)]]
    return pd.DataFrame(rows, columns=["language", "n_texts", "n_tokens", "perplexity"])


# ---- knowledge probe ---------------------------------------------------------------------------------

def probe_candidate_scores(model, tokenizer, probe: pd.DataFrame, batch_size: int | None = None,
                           separator: str = " ", add_bos: bool = True) -> pd.DataFrame:
    """Summed log p(separator + candidate | BOS + prompt) for every candidate of every probe row (long frame).

    Trailing whitespace of the prompt moves into the candidate (" Paris" after "is", as in running
    text); duplicated candidates are scored once.
    """
    table, texts, contexts = probe_candidates(probe, separator)
    scores = sequence_logprobs(model, tokenizer, texts, contexts=contexts, batch_size=batch_size, add_bos=add_bos)
    return table.assign(sum_logprob=scores["sum_logprob"].to_numpy(), n_tokens=scores["n_tokens"].to_numpy())


def probe_candidates(probe: pd.DataFrame, separator: str = " ") -> tuple[pd.DataFrame, list[str], list[str]]:
    """The probe's (item, candidate) rows and the texts and contexts that score them (see probe_candidate_scores)."""
    missing = [c for c in ("prompt", "answer", "candidates") if c not in probe.columns]
    if missing:
        raise ValueError(f"the probe lacks columns {missing}")
    carried = [c for c in ("fact_id", "language") if c in probe.columns]
    rows, contexts, texts = [], [], []
    for item, record in enumerate(probe.itertuples(index=False)):
        candidates = list(dict.fromkeys(str(c) for c in record.candidates))
        if str(record.answer) not in candidates:
            raise ValueError(f"probe row {item}: answer {record.answer!r} is not among its candidates {candidates}")
        for candidate in candidates:
            rows.append({"item": item, **{c: getattr(record, c) for c in carried}, "candidate": candidate,
                         "is_answer": candidate == str(record.answer)})
            contexts.append(str(record.prompt).rstrip())
            texts.append(separator + candidate.strip())
    return pd.DataFrame(rows, columns=["item", *carried, "candidate", "is_answer"]), texts, contexts


def knowledge_probe_items(candidate_scores: pd.DataFrame) -> pd.DataFrame:
    """Per probe item: right when the answer's summed log-prob is strictly above every other candidate's.

    Ties count as wrong; a candidate without a score (NaN) ranks below every scored one; an unscored
    answer is wrong.
    """
    carried = [c for c in ("fact_id", "language") if c in candidate_scores.columns]
    rows = []
    for item, part in candidate_scores.groupby("item", sort=True):
        answer = part.loc[part["is_answer"], "sum_logprob"].to_numpy(dtype=float)
        others = part.loc[~part["is_answer"], "sum_logprob"].to_numpy(dtype=float)
        answer_score = float(answer[0]) if len(answer) else float("nan")
        best_other = float(np.max(np.nan_to_num(others, nan=-np.inf))) if len(others) else -np.inf
        correct = bool(np.isfinite(answer_score) and answer_score > best_other)
        rows.append({"item": item, **{c: part[c].iloc[0] for c in carried}, "n_candidates": len(part),
                     "answer_logprob": answer_score, "best_other_logprob": best_other, "correct": correct})
    return pd.DataFrame(rows, columns=["item", *carried, "n_candidates", "answer_logprob", "best_other_logprob",
                                       "correct"])


def knowledge_probe_accuracy(items: pd.DataFrame, by: str | Sequence[str] | None = "language") -> pd.DataFrame:
    """Accuracy (share of items right) per `by` group, with the chance level 1 / candidates."""
    groups = as_columns(by)
    rows = []
    for key, part in parts(items, groups):
        rows.append({**dict(zip(groups, key)), "n_items": len(part), "n_correct": int(part["correct"].sum()),
                     "accuracy": float(part["correct"].mean()) if len(part) else float("nan"),
                     "chance": float((1.0 / part["n_candidates"]).mean()) if len(part) else float("nan")})
    return pd.DataFrame(rows, columns=[*groups, "n_items", "n_correct", "accuracy", "chance"])
