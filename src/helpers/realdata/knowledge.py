"""A knowledge probe for real data: name completions the pretraining text itself teaches (first name -> surname)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import numpy as np
import pandas as pd

from helpers.realdata.common import finish

_WORD = re.compile(r"\w+|[^\w\s]")


def _is_name(token: str) -> bool:
    return len(token) >= 2 and token[0].isupper() and token.isalpha() and not token.isupper()


def name_pairs(texts: list[str], min_count: int, min_share: float) -> list[tuple[str, str, int]]:
    """(A, B, count) where capitalized A, met mid-sentence, is followed by capitalized B in >= min_share of cases."""
    followers: dict[str, Counter[str]] = defaultdict(Counter)
    for text in texts:
        tokens = _WORD.findall(text)
        for before, first, second in zip(tokens, tokens[1:], tokens[2:]):
            # a lower-case word before A means A is not capitalized merely for starting a sentence
            if before[:1].islower() and _is_name(first):
                followers[first][second if _is_name(second) else ""] += 1
    pairs = []
    for first, counts in followers.items():
        second, count = max(((b, c) for b, c in counts.items() if b), key=lambda bc: (bc[1], bc[0]),
                            default=("", 0))
        if second and second != first and count >= min_count and count / sum(counts.values()) >= min_share:
            pairs.append((first, second, count))
    return sorted(pairs, key=lambda p: (-p[2], p[0], p[1]))


def _context(text: str, first: str, second: str, width: int) -> str | None:
    """Up to `width` characters before an occurrence of "A B", cut at a word start, ending with A."""
    match = re.search(rf"(?<!\w){re.escape(first)}\s+{re.escape(second)}(?!\w)", text)
    if match is None:
        return None
    start = max(0, match.start() - width)
    prefix = text[start:match.start()]
    if start > 0 and " " in prefix:
        prefix = prefix[prefix.index(" ") + 1:]
    return " ".join((prefix + first).split())


def build_name_probe(documents: pd.DataFrame, facts_per_language: int, seed: int, min_count: int = 3,
                     min_share: float = 0.5, context_chars: int = 80) -> pd.DataFrame:
    """knowledge_probe rows: prompt = a context ending in a name's first word, answer = the word the corpus pairs."""
    rng = np.random.default_rng(seed)
    rows = []
    for language, part in documents.groupby("language", sort=True):
        texts = part["text"].tolist()
        pairs = name_pairs(texts, min_count, min_share)[:facts_per_language]
        answers = sorted({second for _, second, _ in pairs})
        if len(answers) < 2:  # one candidate is no probe
            continue
        for rank, (first, second, count) in enumerate(pairs):
            holders = [t for t in texts if first in t and second in t]
            prompt = None
            for index in rng.permutation(len(holders)).tolist():
                prompt = _context(holders[index], first, second, context_chars)
                if prompt:
                    break
            if prompt:
                rows.append({"fact_id": f"name-{language}-{rank:03d}", "language": language, "prompt": prompt,
                             "answer": second, "candidates": answers, "source": "eltec_names",
                             "_first": first, "_count": count})
    return finish("knowledge_probe", rows, with_meta=False)
