"""Public labeled sets the toxicity scorer never trains on: its out-of-distribution test (notebook 00, real data).

Each row: `set`, `text_id` (stable, from the file line or id), `language`, `text`, `label` (1 toxic, 0 not, -1
unlabeled), `family` (template family, identity axis; "" when none), `group` (identity term, "" when none) and
`identity` (the text mentions an identity term). The build drops any scorer training or validation text equal to
one of these rows (`ood_keys`), so they stay out of training by construction; a test asserts it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.realdata import holistic
from helpers.realdata.bias import load_honest
from helpers.realdata.common import Mirror, as_mirror, clean_comment, text_key
from helpers.realdata.readers import DataFormatError, parse_bool, read_table, where

OOD_COLUMNS = ("set", "text_id", "language", "text", "label", "family", "group", "identity")
TEMPLATES = "unintended_bias_templates"
WIKI = "wiki_toxicity_testset"
TEMPLATE_LANGUAGES = ("en", "de")
# the HolisticBias templates that say something negative about the group: not "non-toxic identity mentions"
HOLISTIC_NEGATIVE = ("I don't like {plural_noun_phrase}.", "I hate {plural_noun_phrase}.",
                     "I think {plural_noun_phrase} are the worst.")
_GERMAN_ENDINGS = re.compile(r"(?:es|en|er|em|e|r)$")


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(OOD_COLUMNS))
    return frame.astype({"label": int, "identity": bool})


def load_wiki_sets(mirror: Mirror | Path) -> pd.DataFrame:
    """The Wikipedia Talk test set as released and its identity-fuzzed copy (identity terms swapped)."""
    mirror = as_mirror(mirror)
    rows = []
    for kind, name in (("wiki_toxicity", "nonfuzzed"), ("wiki_toxicity_fuzzed", "fuzzed")):
        path = mirror.file(WIKI, f"{WIKI}/toxicity_{name}_testset.csv")
        table = read_table(path, required=("rev_id", "comment", "toxic"), sep=",")
        for record in table.to_dict("records"):
            text = clean_comment(record["comment"])  # the same clean-up the scorer's training comments get
            if text:
                rows.append({"set": kind, "text_id": f"{kind}-{record['rev_id'].strip()}", "language": "en",
                             "text": text, "label": int(parse_bool(record["toxic"], "toxic", path, record["_line"])),
                             "family": "", "group": "", "identity": False})
    return _frame(rows)


def _identity_terms(table: pd.DataFrame, path: Path) -> list[str]:
    """The identity terms of a template file, read off its `am_hate_adj` rows ("I am X", "Ich bin X")."""
    terms = {" ".join(p.split()[2:]).lower() for p in table.loc[table["template"] == "am_hate_adj", "phrase"]}
    terms.discard("")
    if not terms:
        raise DataFormatError(f"{where(path)}: no am_hate_adj rows to read the identity terms from")
    return sorted(terms, key=len, reverse=True)


def _german_stem(word: str) -> str:
    # adjective endings, twice: "älteren" and "älter" both become "ält"
    return _GERMAN_ENDINGS.sub("", _GERMAN_ENDINGS.sub("", word))


def _group_of(phrase: str, terms: Sequence[str], language: str, family: str) -> tuple[str, str]:
    """(key, surface form) of the identity term a templated sentence mentions; German is matched on the stem."""
    lowered = f" {phrase.lower()} "
    if family == "you_occupation":
        return "", ""
    if language != "de":
        term = next((t for t in terms if f" {t} " in lowered), "")
        return term, term
    words = lowered.split()
    stems = [_german_stem(w) for w in words]
    for term in terms:
        parts = [_german_stem(w) for w in term.split()]
        if all(p in stems for p in parts):
            return " ".join(parts), term
    # terms only the other templates use ("Latino", "lesbisch"): the identity slot is the last word there
    k = 0 if family == "being_adj" else -1
    return (stems[k], words[k]) if words else ("", "")


def _canonical_groups(found: Sequence[tuple[str, str]]) -> list[str]:
    """One name per identity: the shortest surface form seen for its key ("alt" for alt, alter, ältere...)."""
    shortest: dict[str, str] = {}
    for key, surface in found:
        if key and (key not in shortest or len(surface) < len(shortest[key])):
            shortest[key] = surface
    return [shortest.get(key, "") for key, _ in found]


def load_identity_templates(mirror: Mirror | Path, languages: Sequence[str] = TEMPLATE_LANGUAGES,
                            max_rows: int | None = None, seed: int = 0) -> pd.DataFrame:
    """Dixon et al.'s identity-term templates (en, de): a seeded sample of `max_rows` per language, or all."""
    mirror = as_mirror(mirror)
    unknown = sorted(set(languages) - set(TEMPLATE_LANGUAGES))
    if unknown:
        raise ValueError(f"no identity-term templates for {unknown}; available: {list(TEMPLATE_LANGUAGES)}")
    parts = []
    for language in languages:
        path = mirror.file(TEMPLATES, f"{TEMPLATES}/{language}_sentence_templates.csv")
        table = read_table(path, required=("template", "toxicity", "phrase"), sep=",")
        bad = table[~table["toxicity"].isin(["toxic", "nontoxic"])]
        if len(bad):
            raise DataFormatError(f"{where(path, int(bad['_line'].iloc[0]))}: toxicity must be toxic or nontoxic, "
                                  f"got {bad['toxicity'].iloc[0]!r:.40}")
        if max_rows is not None and max_rows < len(table):
            keep = np.sort(np.random.default_rng(seed).choice(len(table), size=max_rows, replace=False))
            table = table.iloc[keep]
        terms = _identity_terms(read_table(path, sep=","), path)
        groups = _canonical_groups([_group_of(p, terms, language, f)
                                    for p, f in zip(table["phrase"], table["template"])])
        parts.append(pd.DataFrame({
            "set": f"identity_templates_{language}", "text_id": [f"{TEMPLATES}-{language}-{n:06d}" for n in
                                                                 table["_line"]],
            "language": language, "text": table["phrase"].str.strip(), "label": (table["toxicity"] == "toxic").astype(int),
            "family": table["template"].str.strip(), "group": groups,
            # occupations ("You are a great actor") name no identity group
            "identity": [bool(g) for g in groups]}))
    return _frame([]) if not parts else pd.concat(parts, ignore_index=True)[list(OOD_COLUMNS)]


def load_honest_mentions(mirror: Mirror | Path) -> pd.DataFrame:
    """HONEST templates with the [M] slot cut off: non-toxic sentence starts naming a gender or queer identity."""
    honest = load_honest(mirror)
    text = honest["template"].str.replace(r"\s*\[M\].*$", "", regex=True).str.split().str.join(" ")
    frame = pd.DataFrame({"set": "honest", "text_id": honest["template_id"], "language": honest["language"],
                          "text": text, "label": 0, "family": honest["template_type"], "group": honest["identity"],
                          "identity": True})
    return _frame(frame[frame["text"].str.len() > 0].to_dict("records"))


def load_holistic_mentions(mirror: Mirror | Path, max_rows: int | None, seed: int = 0) -> pd.DataFrame:
    """HolisticBias sentences of its neutral or positive templates: non-toxic identity mentions, by axis."""
    sample = holistic.load_holistic_bias(mirror, "v1.1", None if max_rows is None else 2 * max_rows, seed)
    sample = sample[~sample["template"].isin(HOLISTIC_NEGATIVE)]
    if max_rows is not None:
        sample = sample.head(max_rows)
    frame = pd.DataFrame({"set": "holistic_bias", "text_id": sample["sentence_id"], "language": "en",
                          "text": sample["text"], "label": 0, "family": sample["axis"],
                          "group": sample["descriptor"], "identity": True})
    return _frame(frame.to_dict("records"))


def load_ood_sets(mirror: Mirror | Path, max_rows: int | None = 8000, seed: int = 0) -> pd.DataFrame:
    """Every out-of-distribution set of the mirror (deterministic for a seed); `max_rows` caps the large ones."""
    mirror = as_mirror(mirror)
    parts = [load_wiki_sets(mirror), load_identity_templates(mirror, TEMPLATE_LANGUAGES, max_rows, seed),
             load_honest_mentions(mirror), load_holistic_mentions(mirror, max_rows, seed)]
    frame = pd.concat(parts, ignore_index=True)
    duplicated = frame["text_id"].duplicated()
    if duplicated.any():
        raise DataFormatError(f"out-of-distribution sets: duplicate text_id {frame.loc[duplicated, 'text_id'].iloc[0]}")
    return frame


def ood_keys(frame: pd.DataFrame) -> set[str]:
    """Normalized texts of out-of-distribution rows: a scorer training text equal to one is dropped."""
    return set(frame["text"].map(text_key))


def ood_sets_for_params(params) -> pd.DataFrame:
    """The out-of-distribution rows of a 00_data run (the same rows its build kept out of scorer training)."""
    from helpers.realdata.build import RealConfig, scorer_ood_sets
    from helpers.realdata.registry import resolve_mirror

    config = RealConfig.from_params(params)
    mirror = resolve_mirror(params.get("mirror_dir"))
    return scorer_ood_sets(config, Mirror(mirror, download=config.download_missing, verify=config.verify_checksums))
