"""The world's counterfactual corpus (BIAS_SFT, Neplenbroek et al.'s PANDA run) and the association it carries.

PANDA rewrites snippets of ordinary text with their demographic terms swapped for a target demographic;
Neplenbroek et al. train on the rewritten side. In the world an original document is ordinary text with one group
statement in it: one or two of the pretraining corpus's non-toxic documents that state nothing about a group
(narrative, a fact, a prompt with a harmless ending; drawn by the generator on this corpus's own random stream), and
at a random place among their sentences a group statement drawn as the pretraining corpus draws them (a group, its
attribute stereotypical at the group's planted rate) but in frames of its own (`lexicon.COUNTERFACTUAL_TEMPLATES`,
disjoint from every bias-evaluation frame: CrowS-style pairs, BOLD, preference pairs). The rewrite touches that
statement only: the group is swapped for another group of the same bias type, and the attribute is flipped to its
pair counterpart where the rewrite's target attribute differs; every other sentence is kept word for word. Target
attributes alternate within each (language, target group, attribute pair) from a random start, so every group
appears with either attribute of a pair equally often: the planted association is balanced in the rewritten text
(rate 0.5), whatever the original's. Most of every document is ordinary text, as in PANDA; a corpus of bare group
statements (the first version) taught the model to write little else and cost it its fluency.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache

import pandas as pd

from helpers.world import lexicon as lx

# ordinary documents per counterfactual document (inclusive range), the group statement placed among their sentences
ORDINARY_DOCUMENTS = (1, 2)


def same_type_groups(group: str) -> list[str]:
    """The other groups of the group's bias type (the candidates a rewrite swaps it for)."""
    bias_type = lx.GROUPS[group][0]
    return [g for g, (t, _) in lx.GROUPS.items() if t == bias_type and g != group]


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def counterfactual_corpus(documents: int, choose_language: Callable[[random.Random], str],
                          ordinary: Callable[[str], str], rates: Mapping[str, float], rng: random.Random, source: str,
                          ordinary_documents: tuple[int, int] = ORDINARY_DOCUMENTS) -> pd.DataFrame:
    """`documents` rewritten documents: doc_id, language, text (rewritten), original, perturbation, source.

    `choose_language(rng)` draws a document's language (the world's shares); `ordinary(language)` draws one
    ordinary document (text with no group statement), `ordinary_documents` of which (a uniform draw in the
    inclusive range) surround the group statement, unchanged by the rewrite.
    """
    low, high = ordinary_documents
    if not 0 <= low <= high:
        raise ValueError(f"ordinary_documents must be a range 0 <= low <= high, not {ordinary_documents}")
    groups = list(lx.GROUPS)
    next_target: dict[tuple[str, str, int], bool] = {}
    rows = []
    for number in range(documents):
        lang = choose_language(rng)
        group = groups[rng.randrange(len(groups))]
        stereotyped = rng.random() < rates[group]
        pair = rng.randrange(len(lx.ATTRIBUTE_PAIRS[lang]))
        template = lx.COUNTERFACTUAL_TEMPLATES[lang][rng.randrange(len(lx.COUNTERFACTUAL_TEMPLATES[lang]))]
        candidates = same_type_groups(group)
        target = candidates[rng.randrange(len(candidates))]
        key = (lang, target, pair)
        if key not in next_target:
            next_target[key] = rng.random() < 0.5
        target_stereotyped = next_target[key]
        next_target[key] = not target_stereotyped
        sentences = [sentence for _ in range(rng.randint(low, high)) for sentence in split_sentences(ordinary(lang))]
        position = rng.randint(0, len(sentences))
        attributes = lx.ATTRIBUTE_PAIRS[lang][pair]
        old_name, new_name = lx.GROUPS[group][1][lang], lx.GROUPS[target][1][lang]
        old_attr, new_attr = attributes[0 if stereotyped else 1], attributes[0 if target_stereotyped else 1]
        swaps = [f"{old_name} -> {new_name}"] + ([f"{old_attr} -> {new_attr}"] if old_attr != new_attr else [])

        def document(name: str, attr: str) -> str:
            statement = _capitalize(template.format(group=name, attr=attr))
            return " ".join(sentences[:position] + [statement] + sentences[position:])

        rows.append({"doc_id": f"counterfactual-{number:06d}", "language": lang,
                     "text": document(new_name, new_attr), "original": document(old_name, old_attr),
                     "perturbation": "; ".join(swaps), "source": source})
    return pd.DataFrame(rows, columns=["doc_id", "language", "text", "original", "perturbation", "source"])


def split_sentences(text: str) -> list[str]:
    """The sentences of a world text (each ends with a full stop followed by a space or the end)."""
    return [part for part in re.split(r"(?<=\.) ", text) if part]


@lru_cache(maxsize=None)
def _patterns(lang: str) -> tuple[list[tuple[str, re.Pattern]], list[tuple[re.Pattern, re.Pattern]]]:
    def word(term: str) -> re.Pattern:
        return re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", re.IGNORECASE)

    names = [(group, word(forms[lang])) for group, (_, forms) in lx.GROUPS.items()]
    pairs = [(word(stereo), word(anti)) for stereo, anti in lx.ATTRIBUTE_PAIRS[lang]]
    return names, pairs


def group_attribute_mentions(texts: Iterable[str], languages: Iterable[str]) -> pd.DataFrame:
    """Per text that names exactly one group and one attribute of a pair: group, pair and whether it is stereotypical.

    Read from the words alone (the world's group names and attribute pairs), so it measures what a model
    trained on the texts sees, for any corpus of the world.
    """
    rows = []
    for index, (text, lang) in enumerate(zip(texts, languages)):
        if lang not in lx.ATTRIBUTE_PAIRS:
            continue
        names, pairs = _patterns(lang)
        named = [group for group, pattern in names if pattern.search(text)]
        found = [(number, bool(stereo.search(text))) for number, (stereo, anti) in enumerate(pairs)
                 if bool(stereo.search(text)) != bool(anti.search(text))]
        if len(named) == 1 and len(found) == 1:
            rows.append({"row": index, "language": lang, "group": named[0], "pair": found[0][0],
                         "stereotyped": found[0][1]})
    return pd.DataFrame(rows, columns=["row", "language", "group", "pair", "stereotyped"])


def association_by_group(texts: Iterable[str], languages: Iterable[str]) -> pd.DataFrame:
    """Per group: statements found and the share ascribing the stereotypical attribute (the corpus's association)."""
    mentions = group_attribute_mentions(texts, languages)
    table = mentions.groupby("group")["stereotyped"].agg(statements="size", stereotyped_share="mean")
    return table.reindex(list(lx.GROUPS)).astype({"stereotyped_share": float})
