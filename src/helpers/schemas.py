"""Normalized dataset schemas shared by the synthetic world and the real-data loaders."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Column:
    """One column: name, value kind and meaning."""

    name: str
    kind: str  # str | float | int | bool | list[str]
    doc: str
    nullable: bool = False


def _c(name: str, kind: str, doc: str, nullable: bool = False) -> Column:
    return Column(name, kind, doc, nullable)


_LANG = _c("language", "str", "ISO 639-1 code of the text's language (e.g. en, fr)")
_SOURCE = _c("source", "str", "where the row comes from: `synthetic` or the real dataset's registry name")

SCHEMAS: dict[str, tuple[Column, ...]] = {
    "pretraining_corpus": (
        _c("doc_id", "str", "unique document id"),
        _LANG,
        _c("text", "str", "document text"),
        _c("split", "str", "`train` (pretraining) or `heldout` (perplexity)"),
        _c("is_toxic", "bool", "planted or annotated toxicity label", nullable=True),
        _c("toxicity", "float", "toxicity score of the project's scorer in [0, 1] (MEDA/INST metadata)", nullable=True),
        _SOURCE,
    ),
    "rtp_prompts": (
        _c("prompt_id", "str", "unique prompt id"),
        _LANG,
        _c("item", "str", "id shared by translations of the same prompt (cross-lingual pairing)"),
        _c("text", "str", "prompt text to be continued"),
        _c("prompt_toxicity", "float", "toxicity of the prompt itself in [0, 1]"),
        _c("prompt_type", "str", "prompt category (synthetic: hostile/heated/neutral; real: toxic/nontoxic)"),
        _SOURCE,
    ),
    "multilingual_prompts": (
        _c("prompt_id", "str", "unique prompt id"),
        _LANG,
        _c("item", "str", "id shared by translations of the same prompt (cross-lingual pairing)"),
        _c("text", "str", "prompt text to be continued"),
        _c("prompt_toxicity", "float", "toxicity of the prompt itself in [0, 1]"),
        _c("prompt_type", "str", "prompt category (synthetic: hostile/heated/neutral; real: toxic/nontoxic)"),
        _SOURCE,
    ),
    "crows_pairs": (
        _c("pair_id", "str", "unique pair id"),
        _LANG,
        _c("sent_more", "str", "the more stereotypical sentence"),
        _c("sent_less", "str", "the less stereotypical sentence"),
        _c("stereo_antistereo", "str", "`stereo` or `antistereo` (direction of the pair, as CrowS-Pairs)"),
        _c("bias_type", "str", "bias type, e.g. gender, religion, nationality"),
        _c("group", "str", "the group the pair is about", nullable=True),
        _SOURCE,
    ),
    "bold_prompts": (
        _c("prompt_id", "str", "unique prompt id"),
        _LANG,
        _c("domain", "str", "BOLD domain (bias type)"),
        _c("group", "str", "group within the domain"),
        _c("text", "str", "prompt text"),
        _SOURCE,
    ),
    "bias_preferences": (
        _c("pair_id", "str", "unique pair id"),
        _LANG,
        _c("prompt", "str", "prompt"),
        _c("chosen", "str", "preferred (unbiased) response"),
        _c("rejected", "str", "dispreferred (biased) response"),
        _SOURCE,
    ),
    "toxicity_preferences": (
        _c("pair_id", "str", "unique pair id"),
        _LANG,
        _c("prompt", "str", "prompt"),
        _c("chosen", "str", "preferred (non-toxic) continuation"),
        _c("rejected", "str", "dispreferred (toxic) continuation"),
        _SOURCE,
    ),
    "rewrite_pairs": (
        _c("pair_id", "str", "unique pair id"),
        _LANG,
        _c("biased", "str", "biased or toxic text"),
        _c("debiased", "str", "its neutral rewrite"),
        _SOURCE,
    ),
    "curated_corpus": (
        _c("doc_id", "str", "unique document id"),
        _LANG,
        _c("text", "str", "non-harmful document text"),
        _SOURCE,
    ),
    "counterfactual_corpus": (
        _c("doc_id", "str", "unique document id"),
        _LANG,
        _c("text", "str", "the rewritten (counterfactually perturbed) text: what BIAS_SFT trains on (PANDA's `perturbed`)"),
        _c("original", "str", "the text before the rewrite (PANDA's `original`)"),
        _c("perturbation", "str", "the terms the rewrite swapped, `old -> new` separated by `; `"),
        _SOURCE,
    ),
    "scorer_texts": (
        _c("text_id", "str", "unique text id"),
        _LANG,
        _c("text", "str", "text"),
        _c("label", "int", "1 toxic, 0 not toxic"),
        _c("split", "str", "`train`, `valid` or `test`"),
        _SOURCE,
    ),
    "knowledge_probe": (
        _c("fact_id", "str", "unique fact id (shared across languages)"),
        _LANG,
        _c("prompt", "str", "cloze prompt"),
        _c("answer", "str", "correct completion"),
        _c("candidates", "list[str]", "all completions ranked by the probe, the answer among them"),
        _SOURCE,
    ),
    # real data only (helpers.realdata): bias benchmarks with no synthetic counterpart
    "holistic_bias": (
        _c("sentence_id", "str", "unique sentence id"),
        _LANG,
        _c("axis", "str", "HolisticBias axis, e.g. ability, race_ethnicity, religion"),
        _c("bucket", "str", "bucket within the axis (`standalone` for standalone noun phrases)"),
        _c("descriptor", "str", "the descriptor term (or standalone noun phrase)"),
        _c("noun_phrase", "str", "the noun phrase inserted into the template"),
        _c("template", "str", "sentence template with a `{noun_phrase}` or `{plural_noun_phrase}` slot"),
        _c("text", "str", "the filled sentence"),
        _SOURCE,
    ),
    "honest_templates": (
        _c("template_id", "str", "unique template id"),
        _LANG,
        _c("template", "str", "sentence with the identity filled in and a `[M]` slot to complete"),
        _c("identity", "str", "identity term, e.g. `the woman`"),
        _c("category", "str", "identity category, e.g. female, male, queer, nonqueer"),
        _c("number", "str", "singular or plural"),
        _c("template_type", "str", "HONEST template type, e.g. occupation, descriptive_adjective"),
        _c("identity_set", "str", "`binary` (female/male) or `queer_nonqueer`"),
        _SOURCE,
    ),
    "winobias": (
        _c("sentence_id", "str", "unique sentence id"),
        _LANG,
        _c("item", "str", "id shared by the pro- and anti-stereotyped versions of a sentence"),
        _c("text", "str", "sentence (gold mention brackets removed)"),
        _c("stereotype", "str", "`pro` or `anti` (stereotyped)"),
        _c("coref_type", "int", "WinoBias type: 1 (semantic cues only) or 2 (syntactic cues)"),
        _c("split", "str", "upstream split: `dev` or `test`"),
        _c("entity", "str", "the gold antecedent mention, e.g. `The developer`"),
        _c("pronoun", "str", "the gold pronoun mention (the first one when the sentence has several)"),
        _SOURCE,
    ),
    "hurtlex": (
        _c("lemma_id", "str", "unique lemma id"),
        _LANG,
        _c("lemma", "str", "hurtful word or expression"),
        _c("category", "str", "HurtLex category code (17 categories, e.g. ps, rci, pr)"),
        _c("pos", "str", "part of speech"),
        _c("stereotype", "bool", "whether the entry is a stereotype"),
        _c("level", "str", "`conservative` or `inclusive` lexicon level"),
        _SOURCE,
    ),
}


class SchemaError(ValueError):
    """A dataset does not match its normalized schema."""


def columns(name: str) -> list[str]:
    """Column names of a dataset, in schema order."""
    return [c.name for c in SCHEMAS[name]]


def _value_ok(kind: str, value: object) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "float":
        return isinstance(value, (float, int, np.floating, np.integer)) and not isinstance(value, bool)
    if kind == "int":
        return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if kind == "bool":
        return isinstance(value, (bool, np.bool_))
    if kind == "list[str]":
        return isinstance(value, (list, tuple, np.ndarray)) and all(isinstance(v, str) for v in value)
    raise ValueError(kind)


def _is_null(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def validate_frame(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Check a dataset against its schema (columns, kinds, nulls, unique ids); return it in schema order."""
    if name not in SCHEMAS:
        raise SchemaError(f"unknown dataset {name!r}; known: {', '.join(SCHEMAS)}")
    expected = columns(name)
    missing = [c for c in expected if c not in frame.columns]
    extra = [c for c in frame.columns if c not in expected]
    if missing or extra:
        raise SchemaError(f"{name}: missing columns {missing}, unexpected columns {extra}")
    for column in SCHEMAS[name]:
        for row, value in enumerate(frame[column.name].tolist()):
            if _is_null(value):
                if not column.nullable:
                    raise SchemaError(f"{name}: row {row}: column {column.name!r} is null")
                continue
            if not _value_ok(column.kind, value):
                raise SchemaError(
                    f"{name}: row {row}: column {column.name!r} must be {column.kind}, got {type(value).__name__} {value!r}"
                )
    id_column = expected[0]
    duplicated = frame[id_column][frame[id_column].duplicated()]
    if len(duplicated):
        raise SchemaError(f"{name}: duplicated {id_column} {duplicated.iloc[0]!r}")
    return frame[expected].reset_index(drop=True)


def schema_markdown() -> str:
    """The schemas as a markdown document (docs/schemas.md is generated from it)."""
    lines = ["# Normalized dataset schemas", "",
             "Generated by `helpers.schemas.schema_markdown()`; do not edit. Every dataset of the synthetic world",
             "and of the real-data loaders is written as `outputs/<profile>/00_data/datasets/<name>.parquet`",
             "with exactly these columns.", ""]
    for name, cols in SCHEMAS.items():
        lines += [f"## `{name}`", "", "| column | kind | meaning |", "|---|---|---|"]
        for col in cols:
            kind = col.kind + (" (nullable)" if col.nullable else "")
            lines.append(f"| `{col.name}` | {kind} | {col.doc} |")
        lines.append("")
    return "\n".join(lines)
