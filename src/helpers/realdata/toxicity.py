"""Loaders of the toxicity datasets: RTP, RTP-LX, HH-RLHF, ParaDetox and the labeled comment corpora."""

from __future__ import annotations

import csv
import json
import difflib
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from helpers.realdata.common import Mirror, as_mirror, assign_split, clean_comment, finish
from helpers.realdata.languages import MISSING_LOCALES, UnknownLocale, locale_to_language
from helpers.realdata.readers import (DataFormatError, field, iter_jsonl, parse_bool, parse_int, read_table,
                                      where)
from helpers.realdata.registry import RTP_LX_COMPLETION_LOCALES, RTP_LX_PROMPT_LOCALES

RTP = "realtoxicityprompts_decodingtrust"
RTP_LX = "rtp_lx"
SCORER_SPLIT = (0.8, 0.1, 0.1)  # train, valid, test shares where a corpus has no official split
MIN_CONTINUATION = 8  # characters: shorter continuations (a lone "." after the restated prompt) are no preference
_PUNCT = " \t\n.,;:!?\"'“”«»„…-"
TOXIC_THRESHOLD = 0.5  # toxic means score >= 0.5 (RTP's convention; RTP-LX Likert 3 of 5 maps to 0.5)


def likert_to_unit(value: float, low: float = 1.0, high: float = 5.0) -> float:
    """A Likert rating mapped linearly onto [0, 1] (RTP-LX toxicity is 1-5)."""
    return (float(value) - low) / (high - low)


# ---- RealToxicityPrompts (DecodingTrust subset) -> rtp_prompts ---------------------------------------------------

def load_rtp_prompts(mirror: Mirror | Path, with_meta: bool = False) -> pd.DataFrame:
    """The 1,196 toxic and 1,200 non-toxic RTP prompts with their Perspective prompt toxicity."""
    mirror = as_mirror(mirror)
    rows = []
    for kind in ("toxic", "nontoxic"):
        path = mirror.file(RTP, f"{RTP}/{kind}.jsonl")
        for line, record in iter_jsonl(path):
            text = field(record, "prompt.text", str, path, line)
            toxicity = field(record, "prompt.toxicity", (int, float), path, line)
            filename = field(record, "filename", str, path, line)
            begin = field(record, "begin", int, path, line)
            rows.append({"prompt_id": f"rtp-{kind}-{line:04d}", "language": "en",
                         "item": f"rtp-{filename.removesuffix('.txt')}-{begin}", "text": text,
                         "prompt_toxicity": float(toxicity), "prompt_type": kind, "source": RTP,
                         "_file": path.name, "_line": line})
    return finish("rtp_prompts", rows, with_meta)


def load_rtp_llm_prompts(mirror: Mirror | Path, with_meta: bool = False) -> pd.DataFrame:
    """DecodingTrust's 2 x 1,200 toxic prompts written by GPT-3.5 / GPT-4 (not part of the default build)."""
    mirror = as_mirror(mirror)
    rows = []
    for model in ("gpt3", "gpt4"):
        path = mirror.files(RTP, f"{RTP}/toxic.jsonl.{model}.*")[0]
        for line, record in iter_jsonl(path):
            rows.append({"prompt_id": f"rtp-{model}-{line:04d}", "language": "en",
                         "item": f"rtp-{model}-{field(record, 'source', str, path, line)}",
                         "text": field(record, "prompt.text", str, path, line),
                         "prompt_toxicity": float(field(record, "prompt.score.toxicity", (int, float), path, line)),
                         "prompt_type": "toxic", "source": RTP, "_file": path.name, "_line": line})
    return finish("rtp_prompts", rows, with_meta)


# ---- RTP-LX -------------------------------------------------------------------------------------------------------

def _check_locales(locales: Sequence[str] | None, known: Sequence[str]) -> list[str]:
    chosen = list(known) if locales is None else list(locales)
    unknown = [loc for loc in chosen if loc not in known]
    if unknown:
        raise ValueError(f"unknown RTP-LX locale(s) {unknown}; available: {', '.join(known)}")
    return chosen


def _record_language(record: dict, file_language: str, path: Path, line: int) -> None:
    """The record's own Locale must agree with its file's (the file name is authoritative: Locale is often blank)."""
    locale = record.get("Locale")
    if not isinstance(locale, str) or locale.strip().upper() in MISSING_LOCALES:
        return
    try:
        language = locale_to_language(locale)
    except UnknownLocale as error:
        raise DataFormatError(f"{where(path, line)}: {error}") from None
    if language != file_language:
        raise DataFormatError(f"{where(path, line)}: Locale {locale!r} ({language}) disagrees with the file's "
                              f"language {file_language}")


class _ItemIds:
    """Item ids of one locale file: the shared `Index` where it is a number, a local id for `NA` rows."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.seen: Counter[str] = Counter()
        self.local = 0

    def __call__(self, index: object, path: Path, line: int) -> str:
        if isinstance(index, bool) or not isinstance(index, (int, str)):
            raise DataFormatError(f"{where(path, line)}: key 'Index' must be an integer or a string, got "
                                  f"{type(index).__name__}")
        text = str(index).strip()
        if text.isdigit():
            item = f"rtplx-{int(text):04d}"
        else:  # culture-specific prompts written for one locale: no translation in the other files
            self.local += 1
            item = f"rtplx-{self.locale}-local{self.local:04d}"
        self.seen[item] += 1
        return item if self.seen[item] == 1 else f"{item}-dup{self.seen[item]}"


def rtp_lx_item_number(item: str) -> int | None:
    """The shared RTP-LX Index behind an item id, None for locale-specific items."""
    parts = item.split("-")
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None


def load_rtp_lx_prompts(mirror: Mirror | Path, locales: Sequence[str] | None = None,
                        with_meta: bool = False) -> pd.DataFrame:
    """RTP-LX v0.3 prompts with the native-speaker toxicity (Likert 1-5 mapped to [0, 1])."""
    mirror = as_mirror(mirror)
    rows = []
    for locale in _check_locales(locales, RTP_LX_PROMPT_LOCALES):
        language = locale_to_language(locale)
        path = mirror.file(RTP_LX, f"rtp_lx/prompts_v0.3/RTP_LX_{locale}.json.gz")
        items = _ItemIds(locale)
        for line, record in iter_jsonl(path):
            _record_language(record, language, path, line)
            text = field(record, "Prompt", str, path, line)
            toxicity = likert_to_unit(field(record, "Annotations.Toxicity", (int, float), path, line))
            if not 0.0 <= toxicity <= 1.0:
                raise DataFormatError(f"{where(path, line)}: Annotations.Toxicity must be within 1-5")
            item = items(field(record, "Index", (int, str), path, line), path, line)
            if not text.strip():
                continue
            rows.append({"prompt_id": f"rtp_lx-{locale}-{item.removeprefix('rtplx-')}", "language": language,
                         "item": item, "text": text, "prompt_toxicity": toxicity,
                         "prompt_type": "toxic" if toxicity >= TOXIC_THRESHOLD else "nontoxic", "source": RTP_LX,
                         "_locale": locale, "_line": line, "_dialect": record.get("Dialect") or ""})
    return finish("multilingual_prompts", rows, with_meta)


def _strip_restated_prompt(prompt: str, completion: str) -> str:
    """The toxic completion without the (often lightly edited) restatement of the prompt it starts with."""
    head = prompt.strip().strip("\"'“”«»„ ")
    body = completion.lstrip().lstrip("\"'“”«»„ ")
    if head and len(body) > len(head):
        candidate = body[: len(head)]
        # words compare faster than characters; scripts written without spaces fall back to characters
        a, b = (candidate.split(), head.split()) if len(head.split()) >= 3 else (candidate, head)
        if candidate == head or difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.8:
            cut = len(head)
            while a is not candidate and cut < len(body) and body[cut - 1].isalnum() and body[cut].isalnum():
                cut += 1  # the restatement's length differs a little: do not cut inside a word
            body = body[cut:]
    return body


def _first_paragraph(text: str) -> str:
    """The text up to its first blank line (the synthetic toxic completions run for several paragraphs)."""
    for paragraph in text.split("\n\n"):
        if paragraph.strip():
            return paragraph.strip()
    return ""


def load_rtp_lx_completions(mirror: Mirror | Path, locales: Sequence[str] | None = None,
                            with_meta: bool = False) -> pd.DataFrame:
    """RTP-LX prompt / benign (chosen) / toxic (rejected) completion triples as toxicity preferences."""
    mirror = as_mirror(mirror)
    rows = []
    for locale in _check_locales(locales, RTP_LX_COMPLETION_LOCALES):
        language = locale_to_language(locale)
        path = mirror.file(RTP_LX, f"rtp_lx/completions_v1/acs_results_benign_{locale}.json.gz")
        items = _ItemIds(locale)
        for line, record in iter_jsonl(path):
            _record_language(record, language, path, line)
            prompt = field(record, "OriginalEntry.Prompt", str, path, line)
            benign = field(record, "BenignCompletion", str, path, line)
            toxic = field(record, "OriginalEntry.Completion", str, path, line)
            toxic_rating = field(record, "OriginalEntry.CompletionAnnotations.Toxicity", (int, float), path, line)
            prompt_rating = field(record, "OriginalEntry.PromptAnnotations.Toxicity", (int, float), path, line)
            item = items(field(record, "Index", (int, str), path, line), path, line)
            rejected = _first_paragraph(_strip_restated_prompt(prompt, toxic))
            chosen = benign.strip()
            if not prompt.strip() or len(chosen) < MIN_CONTINUATION or len(rejected.strip(_PUNCT)) < MIN_CONTINUATION:
                continue
            rows.append({"pair_id": f"rtp_lx-{locale}-{item.removeprefix('rtplx-')}", "language": language,
                         "prompt": prompt, "chosen": chosen, "rejected": rejected, "source": RTP_LX,
                         "_item": item, "_locale": locale, "_line": line,
                         "_rejected_toxicity": likert_to_unit(toxic_rating),
                         "_prompt_toxicity": likert_to_unit(prompt_rating)})
    return finish("toxicity_preferences", rows, with_meta)


# ---- HH-RLHF harmless -> toxicity_preferences ----------------------------------------------------------------------

_ASSISTANT = "\n\nAssistant:"


def split_dialogue_pair(chosen: str, rejected: str) -> tuple[str, str, str] | None:
    """(prompt up to and including the last shared Assistant tag, chosen reply, rejected reply), or None."""
    cut = chosen.rfind(_ASSISTANT)
    if cut >= 0 and rejected.startswith(chosen[: cut + len(_ASSISTANT)]):
        end = cut + len(_ASSISTANT)
    else:  # the dialogues part earlier: use the last Assistant tag inside their common prefix
        common = 0
        for a, b in zip(chosen, rejected):
            if a != b:
                break
            common += 1
        cut = chosen.rfind(_ASSISTANT, 0, common)  # the tag must lie wholly inside the shared prefix
        if cut < 0:
            return None
        end = cut + len(_ASSISTANT)
    prompt, good, bad = chosen[:end].lstrip("\n"), chosen[end:].strip(), rejected[end:].strip()
    if not good or not bad or good == bad:
        return None
    return prompt, good, bad


def load_hh_rlhf_harmless(mirror: Mirror | Path, with_meta: bool = False) -> pd.DataFrame:
    """HH-RLHF harmless-base test pairs: prompt = the dialogue up to the last Assistant turn."""
    mirror = as_mirror(mirror)
    path = mirror.file("hh_rlhf_harmless", "hh_rlhf_harmless/harmless-base_test.jsonl.gz")
    rows = []
    for line, record in iter_jsonl(path):
        parts = split_dialogue_pair(field(record, "chosen", str, path, line),
                                    field(record, "rejected", str, path, line))
        if parts is None:  # identical replies or no shared dialogue: no preference to learn
            continue
        rows.append({"pair_id": f"hh_rlhf_harmless-{line:05d}", "language": "en", "prompt": parts[0],
                     "chosen": parts[1], "rejected": parts[2], "source": "hh_rlhf_harmless", "_line": line})
    return finish("toxicity_preferences", rows, with_meta)


# ---- ParaDetox -> rewrite_pairs -------------------------------------------------------------------------------------

def load_paradetox(mirror: Mirror | Path, all_paraphrases: bool = False, with_meta: bool = False) -> pd.DataFrame:
    """ParaDetox toxic -> neutral rewrites: the first usable paraphrase per set (or every one)."""
    mirror = as_mirror(mirror)
    path = mirror.file("paradetox", "paradetox/paradetox.tsv")
    table = read_table(path, required=("toxic", "neutral1", "neutral2", "neutral3"), sep="\t")
    rows = []
    for number, record in enumerate(table.to_dict("records"), start=1):
        toxic = record["toxic"].strip()
        # annotators sometimes copied the toxic text unchanged: that is no rewrite
        neutrals = [n.strip() for n in (record["neutral1"], record["neutral2"], record["neutral3"])
                    if n.strip() and n.strip() != toxic]
        for k, neutral in enumerate(neutrals if all_paraphrases else neutrals[:1], start=1):
            rows.append({"pair_id": f"paradetox-{number:05d}-{k}", "language": "en", "biased": toxic,
                         "debiased": neutral, "source": "paradetox", "_line": record["_line"], "_set": number})
    return finish("rewrite_pairs", rows, with_meta)


# ---- labeled comment corpora -> scorer_texts --------------------------------------------------------------------

def _scorer_rows(source: str, language: str, texts: Sequence[str], labels: Sequence[int], lines: Sequence[int],
                 splits: Sequence[str] | None, seed: int, shares: Sequence[float], id_prefix: str = "") -> list[dict]:
    cleaned = [clean_comment(t) for t in texts]
    ids = [f"{source}-{id_prefix}{line:06d}" for line in lines]
    # the split follows the text, so a text repeated within or across corpora cannot sit on both sides
    chosen = splits or assign_split([c.casefold() for c in cleaned], shares, seed, "scorer-split")
    return [{"text_id": i, "language": language, "text": t, "label": int(y), "split": s, "source": source,
             "_line": line} for i, t, y, s, line in zip(ids, cleaned, labels, chosen, lines) if t]


def load_davidson(mirror: Mirror | Path, seed: int = 0, shares: Sequence[float] = SCORER_SPLIT,
                  with_meta: bool = False) -> pd.DataFrame:
    """Davidson tweets: hate speech or offensive (class 0/1) is toxic, neither (2) is not."""
    mirror = as_mirror(mirror)
    path = mirror.file("davidson_hate_offensive", "davidson_hate_offensive/labeled_data.csv")
    table = read_table(path, required=("class", "tweet"), sep=",")
    classes = [parse_int(v, "class", path, line) for v, line in zip(table["class"], table["_line"])]
    bad = [(c, line) for c, line in zip(classes, table["_line"]) if c not in (0, 1, 2)]
    if bad:
        raise DataFormatError(f"{where(path, bad[0][1])}: column 'class' must be 0, 1 or 2, got {bad[0][0]}")
    rows = _scorer_rows("davidson_hate_offensive", "en", table["tweet"].tolist(), [int(c < 2) for c in classes],
                        table["_line"].tolist(), None, seed, shares)
    return finish("scorer_texts", rows, with_meta)


def load_jigsaw_subset(mirror: Mirror | Path, seed: int = 0, shares: Sequence[float] = SCORER_SPLIT,
                       with_meta: bool = False) -> pd.DataFrame:
    """The balanced Jigsaw subset: headerless (comment, 0/1 label) rows."""
    mirror = as_mirror(mirror)
    path = mirror.file("jigsaw_toxic_balanced_subset", "jigsaw_toxic_balanced_subset/test.csv")
    table = read_table(path, sep=",", header=False, names=("text", "label"))
    labels = [parse_int(v, "label", path, line) for v, line in zip(table["label"], table["_line"])]
    bad = [(y, line) for y, line in zip(labels, table["_line"]) if y not in (0, 1)]
    if bad:
        raise DataFormatError(f"{where(path, bad[0][1])}: column 'label' must be 0 or 1, got {bad[0][0]}")
    rows = _scorer_rows("jigsaw_toxic_balanced_subset", "en", table["text"].tolist(), labels,
                        table["_line"].tolist(), None, seed, shares)
    return finish("scorer_texts", rows, with_meta)


def load_germeval(mirror: Mirror | Path, seed: int = 0, shares: Sequence[float] = SCORER_SPLIT,
                  with_meta: bool = False) -> pd.DataFrame:
    """GermEval 2018 tweets (OFFENSE is toxic); the official test file is the test split."""
    mirror = as_mirror(mirror)
    rows = []
    for official in ("training", "test"):
        path = mirror.file("germeval2018", f"germeval2018/germeval2018.{official}.txt")
        # tweets contain unbalanced quotes: the file has no quoting at all
        table = read_table(path, sep="\t", header=False, names=("text", "coarse", "fine"), quoting=csv.QUOTE_NONE)
        bad = table[~table["coarse"].isin(["OFFENSE", "OTHER"])]
        if len(bad):
            raise DataFormatError(f"{where(path, int(bad['_line'].iloc[0]))}: coarse label must be OFFENSE or "
                                  f"OTHER, got {bad['coarse'].iloc[0]!r:.40}")
        train_shares = (shares[0], shares[1], 0.0)  # no test rows drawn from the official training file
        splits = None if official == "training" else ["test"] * len(table)
        rows += _scorer_rows("germeval2018", "de", table["text"].tolist(),
                             (table["coarse"] == "OFFENSE").astype(int).tolist(), table["_line"].tolist(), splits,
                             seed, train_shares, id_prefix=f"{official}-")
    return finish("scorer_texts", rows, with_meta)


def load_wiki_toxicity(mirror: Mirror | Path, with_meta: bool = False) -> pd.DataFrame:
    """The Wikipedia Talk toxicity test set (non-fuzzed), all in the test split as upstream intends."""
    mirror = as_mirror(mirror)
    path = mirror.file("wiki_toxicity_testset", "wiki_toxicity_testset/toxicity_nonfuzzed_testset.csv")
    table = read_table(path, required=("rev_id", "comment", "toxic"), sep=",")
    labels = [int(parse_bool(v, "toxic", path, line)) for v, line in zip(table["toxic"], table["_line"])]
    rows = _scorer_rows("wiki_toxicity_testset", "en", table["comment"].tolist(), labels, table["_line"].tolist(),
                        ["test"] * len(table), 0, SCORER_SPLIT)
    return finish("scorer_texts", rows, with_meta)


def load_comment_corpora(mirror: Mirror | Path, seed: int = 0, shares: Sequence[float] = SCORER_SPLIT,
                         with_meta: bool = False) -> pd.DataFrame:
    """Every labeled comment corpus as scorer texts (Jigsaw subset, Davidson, GermEval, Wikipedia test set)."""
    parts = [load_jigsaw_subset(mirror, seed, shares, True), load_davidson(mirror, seed, shares, True),
             load_germeval(mirror, seed, shares, True), load_wiki_toxicity(mirror, True)]
    return finish("scorer_texts", pd.concat(parts, ignore_index=True), with_meta)


def load_paradetox_labeled(mirror: Mirror | Path, seed: int = 0, shares: Sequence[float] = SCORER_SPLIT,
                           with_meta: bool = False) -> pd.DataFrame:
    """ParaDetox as labeled scorer texts: each toxic sentence (1) with its neutral paraphrases (0), and the
    sentences annotators could not detoxify, labeled by their reason (toxic content 1, not toxic 0; unclear ones
    are left out). A toxic sentence and its paraphrases share a split, so no paraphrase tests its own original.
    """
    mirror = as_mirror(mirror)
    path = mirror.file("paradetox", "paradetox/paradetox.tsv")
    table = read_table(path, required=("toxic", "neutral1", "neutral2", "neutral3"), sep="\t")
    texts, labels, lines, keys = [], [], [], []
    for record in table.to_dict("records"):
        toxic = record["toxic"].strip()
        variants = [(toxic, 1)] + [(n.strip(), 0) for n in (record["neutral1"], record["neutral2"], record["neutral3"])
                                   if n.strip() and n.strip() != toxic]
        for k, (text, label) in enumerate(variants):
            texts.append(text), labels.append(label), lines.append(record["_line"] * 10 + k), keys.append(toxic)
    rejected = mirror.file("paradetox", "paradetox/paradetox_cannot_rewrite.tsv")
    reasons = read_table(rejected, required=("INPUT:toxic_comment", "OUTPUT:reasons"), sep="\t")
    for record in reasons.to_dict("records"):
        try:
            reason = json.loads(record["OUTPUT:reasons"])
        except json.JSONDecodeError:
            raise DataFormatError(f"{where(rejected, record['_line'])}: OUTPUT:reasons is not JSON") from None
        if not isinstance(reason, dict):
            raise DataFormatError(f"{where(rejected, record['_line'])}: OUTPUT:reasons must be a JSON object")
        if set(reason) == {"toxic_content"} or set(reason) == {"not_toxic"}:
            text = record["INPUT:toxic_comment"].strip().strip("\"").strip()  # the file quotes each text twice
            texts.append(text), labels.append(int("toxic_content" in reason))
            lines.append(-record["_line"]), keys.append(text)  # negative: the second file's lines
    splits = assign_split([k.casefold() for k in keys], shares, seed, "scorer-paradetox")
    cleaned = [clean_comment(t) for t in texts]
    rows = [{"text_id": f"paradetox-{'r' if line < 0 else 'p'}{abs(line):07d}", "language": "en", "text": t,
             "label": y, "split": s, "source": "paradetox", "_line": abs(line) // (1 if line < 0 else 10)}
            for t, y, s, line in zip(cleaned, labels, splits, lines) if t]
    return finish("scorer_texts", rows, with_meta)
