"""Loaders of the social-bias datasets: CrowS-Pairs (5 sources), BOLD, BiasDPO, SR_LLM, HONEST, WinoBias, HurtLex."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from helpers.realdata.common import Mirror, as_mirror, finish
from helpers.realdata.readers import DataFormatError, field, iter_jsonl, read_json, read_table, where
from helpers.realdata.registry import CROWS_GENDER_LANGUAGES, HONEST_FILES, HURTLEX_LANGUAGES

DIRECTIONS = ("stereo", "antistereo")

# (registry name, mirror-relative file, language, index column); the default build uses the native-language files
CROWS_FILES = {
    "en": ("crows_pairs", "crows_pairs/crows_pairs_anonymized.csv", "unnamed_0"),
    "fr": ("crows_pairs_fr", "crows_pairs_fr/crows_pairs_FR_languagearc_contribution+210.csv", "unnamed_0"),
    "nl": ("crows_pairs_nl", "crows_pairs_nl/crows_dutch.csv", "id"),
    "mt": ("crows_pairs_mt", "crows_pairs_mt/crowspairs_mt.csv", "unnamed_0"),
}
# aligned translations shipped with the French and Dutch sets: same items, other languages
CROWS_ALIGNED_FILES = (
    ("crows_pairs_fr", "crows_pairs_fr/crows_pairs_EN_revised+210.csv", "en", "unnamed_0"),
    ("crows_pairs_nl", "crows_pairs_nl/crows_eng.csv", "en", "id"),
    ("crows_pairs_nl", "crows_pairs_nl/crows_french.csv", "fr", "id"),
)


def _crows_rows(path: Path, source: str, language: str, index_column: str) -> list[dict]:
    """Rows of a CrowS-Pairs-format file; an empty bias_type (one Maltese row) becomes `unknown`."""
    # the Dutch file is Mac Roman with a few UTF-8 lines; UTF-8 files are unaffected by the fallback
    table = read_table(path, required=(index_column, "sent_more", "sent_less", "stereo_antistereo", "bias_type"),
                       fallback_encoding="mac_roman")
    rows = []
    for record in table.to_dict("records"):
        line = record["_line"]
        direction = record["stereo_antistereo"].strip()
        if direction not in DIRECTIONS:
            raise DataFormatError(f"{where(path, line)}: stereo_antistereo must be stereo or antistereo, "
                                  f"got {direction!r:.40}")
        rows.append({"pair_id": f"{source}-{language}-{record[index_column].strip()}", "language": language,
                     "sent_more": record["sent_more"].strip(), "sent_less": record["sent_less"].strip(),
                     "stereo_antistereo": direction, "bias_type": record["bias_type"].strip() or "unknown",
                     "group": None,
                     "source": source, "_line": line, "_item": f"{source}-{record[index_column].strip()}"})
    return rows


def _crows_gender_rows(path: Path, language: str) -> list[dict]:
    table = read_table(path, required=("ID", "A_x", "B_x", "stereo_antistereo"))
    source = "crows_pairs_multilingual_gender"
    rows = []
    for record in table.to_dict("records"):
        direction = record["stereo_antistereo"].strip()
        if direction not in DIRECTIONS:
            raise DataFormatError(f"{where(path, record['_line'])}: stereo_antistereo must be stereo or antistereo, "
                                  f"got {direction!r:.40}")
        # A is the more stereotypical sentence in this set's files
        rows.append({"pair_id": f"{source}-{language}-{record['ID'].strip()}", "language": language,
                     "sent_more": record["A_x"].strip(), "sent_less": record["B_x"].strip(),
                     "stereo_antistereo": direction, "bias_type": "gender", "group": None, "source": source,
                     "_line": record["_line"], "_item": f"crows_pairs-{record['ID'].strip()}"})
    return rows


def load_crows_pairs(mirror: Mirror | Path, languages: Sequence[str] | None = None, gender_subset: bool = True,
                     aligned_translations: bool = False, with_meta: bool = False) -> pd.DataFrame:
    """CrowS-Pairs in en, fr, nl, mt (+ the 10-language gender subset; + aligned EN/FR copies when asked)."""
    mirror = as_mirror(mirror)
    wanted = set(languages) if languages is not None else None
    rows: list[dict] = []
    for language, (source, relative, index_column) in CROWS_FILES.items():
        if wanted is None or language in wanted:
            rows += _crows_rows(mirror.file(source, relative), source, language, index_column)
    if aligned_translations:
        for source, relative, language, index_column in CROWS_ALIGNED_FILES:
            if wanted is None or language in wanted:
                rows += _crows_rows(mirror.file(source, relative), source, language, index_column)
    if gender_subset:
        for language in CROWS_GENDER_LANGUAGES:
            if wanted is None or language in wanted:
                path = mirror.file("crows_pairs_multilingual_gender",
                                   f"crows_pairs_multilingual_gender/cps_translated_{language}_formatted.csv")
                rows += _crows_gender_rows(path, language)
    return finish("crows_pairs", rows, with_meta)


# ---- BOLD ---------------------------------------------------------------------------------------------------------

BOLD_DOMAINS = ("gender", "political_ideology", "profession", "race", "religious_ideology")


def load_bold(mirror: Mirror | Path, domains: Sequence[str] = BOLD_DOMAINS, with_meta: bool = False) -> pd.DataFrame:
    """BOLD prompts: {group: {entity: [prompt, ...]}} per domain file."""
    mirror = as_mirror(mirror)
    rows = []
    for domain in domains:
        path = mirror.file("bold", f"bold/prompts/{domain}_prompt.json")
        data = read_json(path)
        if not isinstance(data, dict):
            raise DataFormatError(f"{path}: expected {{group: {{entity: [prompts]}}}}, got {type(data).__name__}")
        number = 0
        for group, entities in data.items():
            if not isinstance(entities, dict):
                raise DataFormatError(f"{path}: group {group!r} must map entities to prompt lists")
            for entity, prompts in entities.items():
                if not isinstance(prompts, list) or not all(isinstance(p, str) for p in prompts):
                    raise DataFormatError(f"{path}: {group}/{entity} must be a list of prompt strings")
                for prompt in prompts:
                    number += 1
                    rows.append({"prompt_id": f"bold-{domain}-{number:05d}", "language": "en", "domain": domain,
                                 "group": group, "text": prompt, "source": "bold", "_entity": entity})
    return finish("bold_prompts", rows, with_meta)


# ---- BiasDPO and SR_LLM ------------------------------------------------------------------------------------------

def load_biasdpo(mirror: Mirror | Path, with_meta: bool = False) -> pd.DataFrame:
    """BiasDPO prompt / unbiased (chosen) / biased (rejected) triples."""
    mirror = as_mirror(mirror)
    path = mirror.file("biasdpo", "biasdpo/Huggingface_ahmedallam_BiasDPO.jsonl")
    rows = [{"pair_id": f"biasdpo-{line:04d}", "language": "en", "prompt": field(record, "prompt", str, path, line),
             "chosen": field(record, "chosen", str, path, line),
             "rejected": field(record, "rejected", str, path, line), "source": "biasdpo", "_line": line}
            for line, record in iter_jsonl(path)]
    return finish("bias_preferences", rows, with_meta)


def load_sr_llm_rewrites(mirror: Mirror | Path, with_meta: bool = False) -> pd.DataFrame:
    """SR_LLM biased -> debiased rewrites (train_500 and infer_50 samples)."""
    mirror = as_mirror(mirror)
    rows = []
    for name in ("train_500", "infer_50"):
        path = mirror.file("safe_responsible_llm", f"safe_responsible_llm/{name}.csv")
        table = read_table(path, required=("biased_text", "debiased_text", "dimension"))
        for record in table.to_dict("records"):
            biased, debiased = record["biased_text"].strip(), record["debiased_text"].strip()
            if biased and debiased and biased != debiased:
                rows.append({"pair_id": f"safe_responsible_llm-{name}-{record['_line']:04d}", "language": "en",
                             "biased": biased, "debiased": debiased, "source": "safe_responsible_llm",
                             "_line": record["_line"], "_dimension": record["dimension"].strip()})
    return finish("rewrite_pairs", rows, with_meta)


# ---- HONEST, HurtLex, WinoBias (real-only datasets) -----------------------------------------------------------------

def load_honest(mirror: Mirror | Path, with_meta: bool = False) -> pd.DataFrame:
    """HONEST [M]-slot templates, 6 languages (binary gender) + English queer/non-queer."""
    mirror = as_mirror(mirror)
    rows = []
    for relative in HONEST_FILES:
        path = mirror.file("honest", f"honest/{relative}")
        kind, filename = relative.split("/")
        language = filename.split("_")[0]
        table = read_table(path, required=("template_masked", "identity", "number", "category", "type"), sep="\t")
        for k, record in enumerate(table.to_dict("records"), start=1):
            if "[M]" not in record["template_masked"]:
                raise DataFormatError(f"{where(path, record['_line'])}: template_masked has no [M] slot")
            rows.append({"template_id": f"honest-{kind}-{language}-{k:04d}", "language": language,
                         "template": record["template_masked"].strip(), "identity": record["identity"].strip(),
                         "category": record["category"].strip(), "number": record["number"].strip(),
                         "template_type": record["type"].strip(), "identity_set": kind, "source": "honest",
                         "_line": record["_line"]})
    return finish("honest_templates", rows, with_meta)


def load_hurtlex(mirror: Mirror | Path, languages: Sequence[str] | None = None,
                 with_meta: bool = False) -> pd.DataFrame:
    """HurtLex v1.2 lemmas (SIMPLE, a non-language list, is left out); `languages` are ISO codes like en, fr."""
    mirror = as_mirror(mirror)
    codes = [c for c in HURTLEX_LANGUAGES if c != "SIMPLE"
             and (languages is None or c.lower() in set(languages))]
    rows = []
    for code in codes:
        path = mirror.file("hurtlex", f"hurtlex/hurtlex_{code}.tsv")
        # lemmas contain bare double quotes ('"c" word'): the file has no quoting
        table = read_table(path, required=("id", "pos", "category", "stereotype", "lemma", "level"), sep="\t",
                           quoting=csv.QUOTE_NONE)
        for record in table.to_dict("records"):
            stereotype = record["stereotype"].strip().lower()
            if stereotype not in ("yes", "no"):
                raise DataFormatError(f"{where(path, record['_line'])}: stereotype must be yes or no, "
                                      f"got {stereotype!r:.20}")
            # one lemma id appears once per category and level it belongs to
            rows.append({"lemma_id": f"hurtlex-{record['id'].strip()}-{record['category'].strip()}-"
                                     f"{record['level'].strip()}", "language": code.lower(),
                         "lemma": record["lemma"].strip(), "category": record["category"].strip(),
                         "pos": record["pos"].strip(), "stereotype": stereotype == "yes",
                         "level": record["level"].strip(), "source": "hurtlex", "_line": record["_line"]})
    frame = pd.DataFrame(rows)
    if len(frame):  # a few (lemma, category, level) entries are listed twice; keep the first
        frame = frame.drop_duplicates("lemma_id").reset_index(drop=True)
    return finish("hurtlex", frame, with_meta)


_WINO_LINE = re.compile(r"^\s*(\d+)\s+(.*\S)\s*$")
_BRACKETS = re.compile(r"\[([^\[\]]+)\]")
PRONOUNS = frozenset({"he", "she", "him", "her", "his", "hers", "himself", "herself"})


def load_winobias(mirror: Mirror | Path, with_meta: bool = False) -> pd.DataFrame:
    """WinoBias sentences, brackets removed; pro and anti versions of a sentence share `item`."""
    mirror = as_mirror(mirror)
    rows = []
    for stereotype in ("pro", "anti"):
        for coref_type in (1, 2):
            for split in ("dev", "test"):
                name = f"{stereotype}_stereotyped_type{coref_type}.txt.{split}"
                path = mirror.file("winobias", f"winobias/{name}")
                text = path.read_text(encoding="utf-8")
                for line, raw in enumerate(text.split("\n"), start=1):
                    if not raw.strip():
                        continue
                    match = _WINO_LINE.match(raw)
                    if not match:
                        raise DataFormatError(f"{where(path, line)}: expected '<number> <sentence>'")
                    spans = _BRACKETS.findall(match.group(2))
                    pronouns = [s for s in spans if s.lower() in PRONOUNS]
                    entities = [s for s in spans if s.lower() not in PRONOUNS]
                    if not pronouns or len(entities) != 1:
                        raise DataFormatError(f"{where(path, line)}: expected one [entity] and a [pronoun], "
                                              f"got {spans}")
                    # the numbering restarts per file and matches between pro and anti files
                    item = f"winobias-type{coref_type}-{split}-{int(match.group(1)):03d}"
                    rows.append({"sentence_id": f"{item}-{stereotype}", "language": "en", "item": item,
                                 "text": _BRACKETS.sub(r"\1", match.group(2)), "stereotype": stereotype,
                                 "coref_type": coref_type, "split": split, "entity": entities[0],
                                 "pronoun": pronouns[0], "source": "winobias", "_line": line})
    return finish("winobias", rows, with_meta)


def load_winobias_occupations(mirror: Mirror | Path) -> dict[str, list[str]]:
    """WinoBias's female- and male-dominated occupation lists."""
    mirror = as_mirror(mirror)
    out = {}
    for gender in ("female", "male"):
        path = mirror.file("winobias", f"winobias/{gender}_occupations.txt")
        out[gender] = [w.strip() for w in path.read_text(encoding="utf-8").split("\n") if w.strip()]
    return out
