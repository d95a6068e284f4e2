"""The real counterfactual corpus (BIAS_SFT): PANDA when the mirror or the Hub has it, else a word swap of clean text.

PANDA (Qian et al. 2022, `facebook/panda`) holds human rewrites of English snippets with a selected demographic
term changed to a target attribute; Neplenbroek et al. fine-tune on its `perturbed` column. Where PANDA cannot be
had, the study's operationalisation is a counterfactual word swap of the curated (clean) documents: every
gendered term of a per-language list below (written for this project) is replaced by its counterpart, the rest of
the text is kept, and only documents with at least one swap are used. It flips gender only (PANDA also rewrites
race and age terms, which no word list swaps reliably), in the languages that have a list.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

import pandas as pd

from helpers.realdata.common import Mirror, as_mirror, finish, stable_unit, text_key
from helpers.realdata.readers import field, iter_jsonl
from helpers.realdata.registry import MirrorError

log = logging.getLogger("helpers.realdata")

PANDA = "panda"
WORD_SWAP_SOURCE = "word_swap"


def _both_ways(pairs: Iterable[tuple[str, str]], one_way: Mapping[str, str] | None = None) -> dict[str, str]:
    mapping = {}
    for a, b in pairs:
        mapping[a] = b
        mapping[b] = a
    mapping.update(one_way or {})
    return mapping


# term -> replacement, lower case. Ambiguous words go one way only or are left out, and say so:
# en "her" is both "him" and "his" (-> "his"); fr "lui" and de "sie" / "ihr" (also "they", "you") are not swapped;
# es "padres", "hijos", "hermanos" (mixed-gender plurals) are not swapped.
GENDER_SWAPS: dict[str, dict[str, str]] = {
    "en": _both_ways(
        [("he", "she"), ("himself", "herself"), ("man", "woman"), ("men", "women"), ("boy", "girl"),
         ("boys", "girls"), ("father", "mother"), ("fathers", "mothers"), ("son", "daughter"), ("sons", "daughters"),
         ("brother", "sister"), ("brothers", "sisters"), ("husband", "wife"), ("husbands", "wives"),
         ("king", "queen"), ("kings", "queens"), ("prince", "princess"), ("uncle", "aunt"), ("uncles", "aunts"),
         ("nephew", "niece"), ("nephews", "nieces"), ("gentleman", "lady"), ("gentlemen", "ladies"), ("mr", "mrs"),
         ("sir", "madam"), ("grandfather", "grandmother"), ("male", "female"), ("males", "females")],
        {"him": "her", "his": "her", "her": "his", "hers": "his"}),
    "fr": _both_ways(
        [("il", "elle"), ("ils", "elles"), ("homme", "femme"), ("hommes", "femmes"), ("garçon", "fille"),
         ("garçons", "filles"), ("père", "mère"), ("pères", "mères"), ("frère", "sœur"), ("frères", "sœurs"),
         ("oncle", "tante"), ("oncles", "tantes"), ("neveu", "nièce"), ("roi", "reine"), ("prince", "princesse"),
         ("monsieur", "madame"), ("messieurs", "mesdames"), ("mari", "épouse"), ("comte", "comtesse"),
         ("duc", "duchesse")]),
    "de": _both_ways(
        [("mann", "frau"), ("männer", "frauen"), ("vater", "mutter"), ("väter", "mütter"), ("sohn", "tochter"),
         ("söhne", "töchter"), ("bruder", "schwester"), ("brüder", "schwestern"), ("onkel", "tante"),
         ("neffe", "nichte"), ("könig", "königin"), ("prinz", "prinzessin"), ("herr", "dame"), ("herren", "damen"),
         ("junge", "mädchen"), ("graf", "gräfin"), ("großvater", "großmutter"), ("ehemann", "ehefrau")]),
    "es": _both_ways(
        [("él", "ella"), ("hombre", "mujer"), ("hombres", "mujeres"), ("padre", "madre"), ("hijo", "hija"),
         ("hermano", "hermana"), ("niño", "niña"), ("rey", "reina"), ("príncipe", "princesa"), ("señor", "señora"),
         ("tío", "tía"), ("sobrino", "sobrina"), ("esposo", "esposa"), ("abuelo", "abuela"), ("conde", "condesa"),
         ("duque", "duquesa"), ("caballero", "dama")]),
}


@lru_cache(maxsize=None)
def _pattern(language: str) -> re.Pattern:
    terms = sorted(GENDER_SWAPS[language], key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(t) for t in terms) + r")(?!\w)", re.IGNORECASE)


def _same_case(replacement: str, original: str) -> str:
    if len(original) > 1 and original.isupper():
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def word_swap(text: str, language: str) -> tuple[str, list[tuple[str, str]]]:
    """The text with every listed gendered term swapped (case kept), and the (old, new) swaps made, in order."""
    if language not in GENDER_SWAPS:
        raise KeyError(f"no gendered word list for language {language!r}; lists: {', '.join(GENDER_SWAPS)}")
    swaps = []

    def replace(match: re.Match) -> str:
        old = match.group(0)
        new = _same_case(GENDER_SWAPS[language][old.lower()], old)
        swaps.append((old, new))
        return new

    return _pattern(language).sub(replace, text), swaps


def word_swap_corpus(documents: pd.DataFrame, limit: int, seed: int) -> pd.DataFrame:
    """Counterfactual rows from clean documents (`doc_id, language, text`): those with a swap, at most `limit`."""
    rows = []
    for record in documents.to_dict("records"):
        if record["language"] not in GENDER_SWAPS:
            continue
        text, swaps = word_swap(record["text"], record["language"])
        if swaps:
            rows.append({"doc_id": f"counterfactual-{record['doc_id']}", "language": record["language"], "text": text,
                         "original": record["text"], "perturbation": "; ".join(f"{a} -> {b}" for a, b in swaps),
                         "source": WORD_SWAP_SOURCE})
    return _sample(pd.DataFrame(rows, columns=["doc_id", "language", "text", "original", "perturbation", "source"]),
                   limit, seed)


def load_panda(mirror: Mirror | Path, with_meta: bool = False) -> pd.DataFrame:
    """PANDA's train split: `perturbed` as the text, `original`, and `selected_word -> target_attribute`."""
    mirror = as_mirror(mirror)
    path = mirror.file(PANDA, "panda/train.jsonl")
    rows = []
    for line, record in iter_jsonl(path):
        perturbed = field(record, "perturbed", str, path, line).strip()
        original = field(record, "original", str, path, line).strip()
        if perturbed and perturbed != original:
            rows.append({"doc_id": f"panda-train-{line:06d}", "language": "en", "text": perturbed,
                         "original": original,
                         "perturbation": f"{field(record, 'selected_word', str, path, line)} -> "
                                         f"{field(record, 'target_attribute', str, path, line)}",
                         "source": PANDA, "_line": line})
    return finish("counterfactual_corpus", rows, with_meta)


def _sample(frame: pd.DataFrame, limit: int, seed: int) -> pd.DataFrame:
    ranked = frame.assign(_r=frame["doc_id"].map(lambda k: stable_unit(k, seed, "counterfactual")))
    return ranked.sort_values("_r").head(limit).drop(columns="_r").sort_index().reset_index(drop=True)


def build_counterfactual(mirror: Mirror, clean_documents: pd.DataFrame, limit: int, seed: int,
                         eval_keys: set[str] = frozenset()) -> pd.DataFrame:
    """PANDA rows when the mirror (or, with download_missing, the Hub) has them, else the word swap of `clean_documents`.

    Rows whose text equals an evaluation sentence (`eval_keys`, normalized by `text_key`) are left out.
    """
    try:
        rows = _sample(load_panda(mirror), limit, seed)
        log.info("counterfactual_corpus: %d PANDA rows", len(rows))
    except MirrorError as error:
        log.info("counterfactual_corpus: PANDA unavailable (%s); word-swapping the curated documents",
                 str(error).split(".")[0])
        rows = word_swap_corpus(clean_documents, limit, seed)
    rows = rows[~rows["text"].map(text_key).isin(eval_keys)]
    return finish("counterfactual_corpus", rows.reset_index(drop=True))
