"""HolisticBias sentences: descriptor x noun x template, built from the released lists (a simplified generator)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from helpers.realdata.common import Mirror, as_mirror, finish
from helpers.realdata.readers import DataFormatError, read_json

VERSIONS = ("v1.0", "v1.1")


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _descriptors(path: Path) -> list[tuple[str, str, str, str | None, str | None]]:
    """(axis, bucket, descriptor, gender restriction, article) for every descriptor term."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise DataFormatError(f"{path}: expected {{axis: {{bucket: [descriptors]}}}}")
    out = []
    for axis, buckets in data.items():
        groups = buckets.items() if isinstance(buckets, dict) else [("(none)", buckets)]
        for bucket, items in groups:
            if not isinstance(items, list):
                raise DataFormatError(f"{path}: {axis}/{bucket} must be a list of descriptors")
            for item in items:
                if isinstance(item, str):
                    out.append((axis, bucket, item, None, None))
                elif isinstance(item, dict) and isinstance(item.get("descriptor"), str):
                    out.append((axis, bucket, item["descriptor"], item.get("gender"), item.get("article")))
                else:
                    raise DataFormatError(f"{path}: {axis}/{bucket}: a descriptor must be a string or "
                                          f"{{descriptor: ...}}, got {item!r:.60}")
    return out


def _nouns(path: Path) -> list[tuple[str, str, str]]:
    """(gender, singular, plural) nouns."""
    data = read_json(path)
    out = []
    for gender, pairs in (data.items() if isinstance(data, dict) else []):
        for pair in pairs:
            if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(w, str) for w in pair)):
                raise DataFormatError(f"{path}: {gender}: nouns must be [singular, plural] pairs, got {pair!r:.60}")
            out.append((gender, pair[0], pair[1]))
    if not out:
        raise DataFormatError(f"{path}: expected {{gender: [[singular, plural], ...]}}")
    return out


def noun_phrases(mirror: Mirror | Path, version: str = "v1.1") -> list[tuple[str, str, str, str, str]]:
    """(axis, bucket, descriptor, singular phrase, plural phrase) for descriptor x noun and standalone phrases."""
    mirror = as_mirror(mirror)
    base = f"holistic_bias/{version}"
    nouns = _nouns(mirror.file("holistic_bias", f"{base}/nouns.json"))
    phrases = []
    for axis, bucket, descriptor, gender, article in _descriptors(mirror.file("holistic_bias",
                                                                               f"{base}/descriptors.json")):
        for noun_gender, singular, plural in nouns:
            # a gendered descriptor ("trans female") only goes with nouns of its gender or neutral ones
            if gender and noun_gender not in (gender, "neutral"):
                continue
            phrases.append((axis, bucket, descriptor, f"{article or _article(descriptor)} {descriptor} {singular}",
                            f"{descriptor} {plural}"))
    standalone = read_json(mirror.file("holistic_bias", f"{base}/standalone_noun_phrases.json"))
    for axis, items in standalone.items():
        for item in items:
            # an entry is a string or {noun_phrase, plural_noun_phrase?}; "{article} {noun}" takes every noun
            singular = item if isinstance(item, str) else item.get("noun_phrase") if isinstance(item, dict) else None
            plural = item.get("plural_noun_phrase") if isinstance(item, dict) else None
            if not isinstance(singular, str) or (plural is None and "{noun}" not in singular):
                raise DataFormatError(f"standalone_noun_phrases.json: {axis}: an entry needs a noun_phrase with a "
                                      f"{{noun}} slot or a plural_noun_phrase, got {item!r:.60}")
            fillers = nouns if "{noun}" in singular or "{noun}" in (plural or "") else [("neutral", "", "")]
            for _, noun_sg, noun_pl in fillers:
                sg = singular.replace("{noun}", noun_sg)
                sg = sg.replace("{article}", _article(sg.replace("{article} ", "")))
                pl = (plural or singular).replace("{article} {noun}", noun_pl).replace("{noun}", noun_pl)
                pl = pl.replace("{article} ", "")
                phrases.append((axis, "standalone", singular.replace("{article} ", ""), sg, pl))
    return phrases


def templates(mirror: Mirror | Path, version: str = "v1.1") -> list[str]:
    """The sentence templates (with a {noun_phrase} or {plural_noun_phrase} slot)."""
    data = read_json(as_mirror(mirror).file("holistic_bias", f"holistic_bias/{version}/sentence_templates.json"))
    if not isinstance(data, dict) or not data:
        raise DataFormatError("sentence_templates.json: expected {template: options}")
    return list(data)


def load_holistic_bias(mirror: Mirror | Path, version: str = "v1.1", max_rows: int | None = None, seed: int = 0,
                       with_meta: bool = False) -> pd.DataFrame:
    """HolisticBias sentences (all ~400k, or a seeded sample of `max_rows`, drawn without building the rest)."""
    if version not in VERSIONS:
        raise ValueError(f"unknown HolisticBias version {version!r}; available: {', '.join(VERSIONS)}")
    phrases = noun_phrases(mirror, version)
    slots = templates(mirror, version)
    total = len(phrases) * len(slots)
    if max_rows is None or max_rows >= total:
        chosen = np.arange(total)
    else:
        chosen = np.sort(np.random.default_rng(seed).choice(total, size=max_rows, replace=False))
    rows = []
    for index in chosen.tolist():
        axis, bucket, descriptor, singular, plural = phrases[index // len(slots)]
        template = slots[index % len(slots)]
        plural_slot = "{plural_noun_phrase}" in template
        text = template.replace("{plural_noun_phrase}", plural).replace("{noun_phrase}", singular)
        rows.append({"sentence_id": f"holistic_bias-{version}-{index:07d}", "language": "en", "axis": axis,
                     "bucket": bucket, "descriptor": descriptor, "noun_phrase": plural if plural_slot else singular,
                     "template": template, "text": text, "source": "holistic_bias"})
    return finish("holistic_bias", rows, with_meta)
