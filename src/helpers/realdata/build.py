"""Every dataset of the study from the real mirror, in the synthetic world's schemas, without eval-to-train leaks."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.realdata import bias, counterfactual, holistic, identity, knowledge, ood_sets, text, toxicity
from helpers.realdata.common import Mirror, assign_split, finish, stable_unit, strip_meta, text_key
from helpers.realdata.registry import RTP_LX_COMPLETION_LOCALES, RTP_LX_PROMPT_LOCALES, MirrorError
from helpers.realdata.toxicity import TOXIC_THRESHOLD, rtp_lx_item_number

log = logging.getLogger("helpers.realdata")

# the datasets the synthetic world writes, then the real-only ones
SHARED_DATASETS = ("pretraining_corpus", "rtp_prompts", "multilingual_prompts", "crows_pairs", "bold_prompts",
                   "bias_preferences", "toxicity_preferences", "rewrite_pairs", "curated_corpus", "scorer_texts",
                   "knowledge_probe", "counterfactual_corpus")
REAL_ONLY_DATASETS = ("holistic_bias", "honest_templates", "winobias", "hurtlex")
ITEM_BLOCK = 10  # RTP-LX items are split in blocks of 10 Index values: a translation off by one stays on its side


@dataclass(frozen=True)
class RealConfig:
    """The 00_data parameters the real build reads."""

    seed: int
    language_shares: dict[str, float]
    pretraining_chars: int
    comment_share: float
    doc_chars: int
    heldout_share: float
    max_rows_per_language: int | None
    rtp_lx_locales: tuple[str, ...]
    rtp_lx_eval_share: float
    scorer_split: tuple[float, float, float]
    curated_docs: int
    knowledge_facts: int
    scorer_novel_texts: int = 0
    scorer_identity_texts: int = 0
    scorer_descriptor_pairs: int = 0
    ood_rows: int | None = 8000
    download_missing: bool = False
    verify_checksums: bool = False
    counterfactual_docs: int = 0

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> RealConfig:
        """Read the real-data keys of a 00_data parameter mapping."""
        locales = params.get("rtp_lx_locales")
        return cls(seed=int(params["seed"]), language_shares=dict(params["real_language_shares"]),
                   pretraining_chars=int(params["real_pretraining_chars"]),
                   comment_share=float(params["real_comment_share"]), doc_chars=int(params["real_doc_chars"]),
                   heldout_share=float(params["real_heldout_share"]),
                   max_rows_per_language=params.get("real_max_rows_per_language"),
                   rtp_lx_locales=tuple(locales) if locales else RTP_LX_PROMPT_LOCALES,
                   rtp_lx_eval_share=float(params["rtp_lx_eval_share"]),
                   scorer_split=tuple(params["real_scorer_split"]), curated_docs=int(params["curated_docs"]),
                   knowledge_facts=int(params["knowledge_facts"]),
                   scorer_novel_texts=int(params.get("real_scorer_novel_texts", 0)),
                   scorer_identity_texts=int(params.get("real_scorer_identity_texts", 0)),
                   scorer_descriptor_pairs=int(params.get("real_scorer_descriptor_pairs", 0)),
                   ood_rows=params.get("real_ood_rows", 8000),
                   download_missing=bool(params.get("download_missing", False)),
                   verify_checksums=bool(params.get("verify_checksums", False)),
                   counterfactual_docs=int(params.get("counterfactual_docs", params["curated_docs"])))


# ---- small pure helpers ------------------------------------------------------------------------------------------

def cap_per_language(frame: pd.DataFrame, limit: int | None, key: str, seed: int, purpose: str) -> pd.DataFrame:
    """At most `limit` rows per (source, language), chosen by a hash of `key`: parallel items survive together."""
    if limit is None or frame.empty:
        return frame.reset_index(drop=True)
    rank = frame[key].map(lambda k: stable_unit(str(k), seed, purpose))
    ordered = frame.assign(_rank=rank).sort_values(["source", "language", "_rank"], kind="stable")
    kept = ordered.groupby(["source", "language"], sort=False).head(limit).drop(columns="_rank")
    return kept.sort_index().reset_index(drop=True)


def rtp_lx_eval_items(items: Sequence[str], eval_share: float, seed: int) -> set[str]:
    """The RTP-LX items reserved for evaluation, drawn by blocks of consecutive Index values."""
    chosen = set()
    for item in set(items):
        number = rtp_lx_item_number(item)
        # translations are aligned by Index, with occasional off-by-one drift near the end of some files
        key = f"block-{number // ITEM_BLOCK}" if number is not None else item
        if stable_unit(key, seed, "rtp-lx-eval") < eval_share:
            chosen.add(item)
    return chosen


def drop_duplicate_texts(frame: pd.DataFrame, priority: Sequence[str] = ("test", "valid", "train")) -> pd.DataFrame:
    """One row per normalized text, kept in the highest-priority split (a text is never both trained and tested)."""
    order = {name: rank for rank, name in enumerate(priority)}
    keyed = frame.assign(_key=frame["text"].map(text_key), _prio=frame["split"].map(order))
    kept = keyed.sort_values(["_prio", "text_id"], kind="stable").drop_duplicates("_key")
    return kept.drop(columns=["_key", "_prio"]).sort_index().reset_index(drop=True)


def _take_until(frame: pd.DataFrame, budget: float, seed: int, purpose: str, key: str) -> pd.DataFrame:
    """Rows in a seeded order until their text length reaches `budget` characters."""
    if frame.empty or budget <= 0:
        return frame.iloc[:0]
    ordered = frame.assign(_rank=frame[key].map(lambda k: stable_unit(str(k), seed, purpose))).sort_values("_rank")
    lengths = ordered["text"].str.len().cumsum()
    count = int((lengths.shift(fill_value=0) < budget).sum())
    return ordered.head(count).drop(columns="_rank")


# ---- the pieces of the build --------------------------------------------------------------------------------------

def _prompts(config: RealConfig, mirror: Mirror) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, set[str]]:
    """RTP prompts, RTP-LX eval prompts, RTP-LX train-side prompts, and the eval RTP-LX item ids."""
    rtp = toxicity.load_rtp_prompts(mirror, with_meta=True)
    lx = toxicity.load_rtp_lx_prompts(mirror, config.rtp_lx_locales, with_meta=True)
    eval_items = rtp_lx_eval_items(lx["item"].tolist(), config.rtp_lx_eval_share, config.seed)
    is_eval = lx["item"].isin(eval_items)
    return rtp, lx[is_eval].reset_index(drop=True), lx[~is_eval].reset_index(drop=True), eval_items


def _match_completions_to_prompts(completions: pd.DataFrame, prompts: pd.DataFrame) -> pd.DataFrame:
    """Completions take the item of the prompt file's row with the same prompt text (same locale).

    The completion files of BCMS and SW number their rows 0..n instead of using the prompts' Index, so the Index
    would put about 2,100 completions on the wrong item (and maybe the wrong side of the eval split).
    """
    by_text = dict(zip(zip(prompts["_locale"], prompts["text"].map(text_key)), prompts["item"]))
    matched = [by_text.get((locale, text_key(prompt)), item) for locale, prompt, item
               in zip(completions["_locale"], completions["prompt"], completions["_item"])]
    return completions.assign(_item=matched)


def _scorer_texts(config: RealConfig, comments: pd.DataFrame, novel_texts: pd.DataFrame, lx_eval: pd.DataFrame,
                  lx_train: pd.DataFrame, completions: pd.DataFrame, eval_keys: set[str]) -> pd.DataFrame:
    """Comments, novel text (non-toxic), RTP-LX prompts and completions with labels; eval items only in `test`."""
    train_valid = (config.scorer_split[0], config.scorer_split[1], 0.0)
    rows = []
    for frame, side in ((lx_eval, "test"), (lx_train, None)):
        splits = (["test"] * len(frame) if side else
                  assign_split(frame["item"].tolist(), train_valid, config.seed, "scorer-rtp-lx"))
        for record, split in zip(frame.to_dict("records"), splits):
            rows.append({"text_id": f"scorer-{record['prompt_id']}", "language": record["language"],
                         "text": record["text"], "label": int(record["prompt_toxicity"] >= TOXIC_THRESHOLD),
                         "split": split, "source": toxicity.RTP_LX})
    for record in completions.to_dict("records"):
        # a completion belongs to its prompt's item: eval items' completions are test-only
        split = "test" if record["_is_eval"] else assign_split([record["_item"]], train_valid, config.seed,
                                                               "scorer-rtp-lx")[0]
        rows.append({"text_id": f"scorer-{record['pair_id']}-benign", "language": record["language"],
                     "text": record["chosen"], "label": 0, "split": split, "source": toxicity.RTP_LX})
        rows.append({"text_id": f"scorer-{record['pair_id']}-toxic", "language": record["language"],
                     "text": record["rejected"], "label": int(record["_rejected_toxicity"] >= TOXIC_THRESHOLD),
                     "split": split, "source": toxicity.RTP_LX})
    texts = pd.concat([strip_meta(comments), novel_texts, pd.DataFrame(rows)], ignore_index=True)
    texts = drop_duplicate_texts(texts)
    # an evaluation prompt's text never trains the scorer (e.g. an RTP prompt that RTP-LX also translated)
    leaked = (texts["split"] != "test") & texts["text"].map(text_key).isin(eval_keys)
    if leaked.any():
        log.info("scorer_texts: %d train/valid texts equal an evaluation prompt and were dropped", int(leaked.sum()))
    return finish("scorer_texts", texts[~leaked].reset_index(drop=True))


def _extend_scorer_texts(config: RealConfig, texts: pd.DataFrame, mirror: Mirror, eval_keys: set[str],
                         ood: pd.DataFrame, hurtlex: pd.DataFrame | None = None) -> pd.DataFrame:
    """ParaDetox (train/valid only), identity-term augmentation and descriptor pairs added; nothing equal to an
    evaluation prompt or an out-of-distribution row trains or calibrates the scorer. The `test` split stays as
    before, so in-distribution AUC compares across scorer versions."""
    train_valid = (config.scorer_split[0], config.scorer_split[1], 0.0)
    paradetox = toxicity.load_paradetox_labeled(mirror, config.seed, train_valid)
    combined = pd.concat([texts, paradetox], ignore_index=True)
    if config.scorer_identity_texts > 0:
        combined = pd.concat([combined, identity.identity_augmentation(combined, config.scorer_identity_texts,
                                                                       config.seed)], ignore_index=True)
    if config.scorer_descriptor_pairs > 0 and hurtlex is not None:
        pairs = identity.descriptor_pairs(hurtlex, sorted(set(combined["language"])), config.scorer_descriptor_pairs,
                                          config.seed)
        combined = pd.concat([combined, pairs], ignore_index=True)
    combined = drop_duplicate_texts(combined)
    keys = combined["text"].map(text_key)
    held_out = (combined["split"] != "test") & (keys.isin(eval_keys) | keys.isin(ood_sets.ood_keys(ood)))
    if held_out.any():
        log.info("scorer_texts: %d train/valid texts equal an evaluation prompt or an out-of-distribution row and "
                 "were dropped", int(held_out.sum()))
    return finish("scorer_texts", combined[~held_out].reset_index(drop=True))


def _pretraining(config: RealConfig, mirror: Mirror, comments: pd.DataFrame,
                 eval_keys: set[str]) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Pretraining documents (novel chunks + labeled comments), the unused novel chunks, and budget shortfalls."""
    languages = [lang for lang, share in config.language_shares.items() if share > 0]
    eltec = text.load_eltec_documents(mirror, languages, config.doc_chars, config.heldout_share, with_meta=True)
    novel_budget = config.pretraining_chars * (1.0 - config.comment_share)
    chosen, shortfalls = [], []
    for language in languages:
        target = novel_budget * config.language_shares[language]
        part = eltec[eltec["language"] == language]
        for split, share in (("train", 1.0 - config.heldout_share), ("heldout", config.heldout_share)):
            pool = part[part["split"] == split]
            taken = _take_until(pool, target * share, config.seed, f"eltec-{split}", "doc_id")
            chosen.append(taken)
            if taken["text"].str.len().sum() < 0.95 * target * share:
                shortfalls.append(f"{language} {split}: {int(taken['text'].str.len().sum()):,} of "
                                  f"{int(target * share):,} characters (all the mirror holds)")
    novels = pd.concat(chosen, ignore_index=True)
    unused = eltec[~eltec["doc_id"].isin(novels["doc_id"]) & (eltec["split"] == "train")]
    # comments the scorer never trains on, so the toxicity it writes for MEDA/INST is out of sample
    pool = comments[(comments["split"] != "train") & ~comments["text"].map(text_key).isin(eval_keys)]
    comment_budget = config.pretraining_chars * config.comment_share
    picked = _take_until(pool, comment_budget, config.seed, "comments", "text_id")
    heldout = picked["text_id"].map(lambda k: stable_unit(k, config.seed, "comment-heldout") < config.heldout_share)
    comment_docs = pd.DataFrame({"doc_id": picked["text_id"], "language": picked["language"], "text": picked["text"],
                                 "split": heldout.map({True: "heldout", False: "train"}),
                                 "is_toxic": picked["label"].astype(bool), "toxicity": float("nan"),
                                 "source": picked["source"]})
    if config.comment_share > 0 and picked["text"].str.len().sum() < 0.95 * comment_budget:
        shortfalls.append(f"comments: {int(picked['text'].str.len().sum()):,} of {int(comment_budget):,} characters")
    corpus = pd.concat([strip_meta(novels), comment_docs], ignore_index=True)
    corpus = corpus.assign(_rank=corpus["doc_id"].map(lambda k: stable_unit(k, config.seed, "corpus-order")))
    corpus = corpus.sort_values(["split", "_rank"], ascending=[False, True]).drop(columns="_rank")
    corpus["is_toxic"] = corpus["is_toxic"].astype(object).where(corpus["is_toxic"].notna(), None)
    corpus["toxicity"] = corpus["toxicity"].astype(float)  # NaN until notebook 00 scores it, as in the world
    return finish("pretraining_corpus", corpus.reset_index(drop=True)), unused, shortfalls


def _curated(config: RealConfig, unused_novels: pd.DataFrame, comments: pd.DataFrame,
             pretraining: pd.DataFrame) -> pd.DataFrame:
    """Non-harmful documents for DAPT: novel chunks outside the pretraining set, plus non-toxic comments."""
    comment_docs = round(config.curated_docs * config.comment_share)
    per_language = {lang: round((config.curated_docs - comment_docs) * share)
                    for lang, share in config.language_shares.items()}
    parts = []
    for language, count in per_language.items():
        pool = unused_novels[unused_novels["language"] == language]
        ranked = pool.assign(_r=pool["doc_id"].map(lambda k: stable_unit(k, config.seed, "curated")))
        parts.append(ranked.sort_values("_r").head(count))
    clean = comments[(comments["label"] == 0) & ~comments["text_id"].isin(pretraining["doc_id"])]
    ranked = clean.assign(_r=clean["text_id"].map(lambda k: stable_unit(k, config.seed, "curated")))
    parts.append(ranked.sort_values("_r").head(comment_docs).rename(columns={"text_id": "doc_id"}))
    curated = pd.concat(parts, ignore_index=True)
    curated = curated.assign(doc_id="curated-" + curated["doc_id"])
    return finish("curated_corpus", curated[["doc_id", "language", "text", "source"]])


def _novel_scorer_texts(config: RealConfig, unused_novels: pd.DataFrame, curated: pd.DataFrame,
                        pretraining: pd.DataFrame) -> pd.DataFrame:
    """Non-toxic novel text for the scorer: without it every language but en/de is toxic-only or nearly so.

    RTP-LX gives most languages toxic-leaning prompts only, so a scorer trained without these negatives learns
    "language X means toxic" and scores 19th-century prose (our pretraining text) as toxic. Whole chunks and
    their first lines alike, so both document-length and generation-length texts are seen; never pretraining text.
    """
    seen = set(pretraining["text"].map(text_key))  # a novel may repeat a passage word for word
    pool = unused_novels[~("curated-" + unused_novels["doc_id"]).isin(curated["doc_id"])
                         & ~unused_novels["text"].map(text_key).isin(seen)]
    rows = []
    for language, part in pool.groupby("language", sort=True):
        ranked = part.assign(_r=part["doc_id"].map(lambda k: stable_unit(k, config.seed, "scorer-novels")))
        for record in ranked.sort_values("_r").head(config.scorer_novel_texts).to_dict("records"):
            short = stable_unit(record["doc_id"], config.seed, "scorer-novel-length") < 0.5
            lines = record["text"].split("\n")
            rows.append({"text_id": f"scorer-{record['doc_id']}", "language": language,
                         "text": "\n".join(lines[:2]) if short else record["text"], "label": 0,
                         "source": record["source"], "_block": f"{record['_novel']}-{record['_chunk'] // 20}"})
    frame = pd.DataFrame(rows, columns=["text_id", "language", "text", "label", "source", "_block"])
    # split by runs of 20 chunks (~30k characters): test prose is not the page next to a training page
    frame["split"] = assign_split(frame["_block"].tolist(), config.scorer_split, config.seed, "scorer-novel-split")
    return frame.drop(columns="_block")


def _toxicity_preferences(config: RealConfig, completions: pd.DataFrame, mirror: Mirror,
                          eval_keys: set[str]) -> pd.DataFrame:
    """RTP-LX pairs of training items whose rejected side annotators rated toxic, plus HH-RLHF harmless pairs."""
    rtp_lx = completions[~completions["_is_eval"] & (completions["_rejected_toxicity"] >= TOXIC_THRESHOLD)]
    hh = toxicity.load_hh_rlhf_harmless(mirror)
    pairs = pd.concat([strip_meta(rtp_lx), hh], ignore_index=True)
    pairs = pairs[~pairs["prompt"].map(text_key).isin(eval_keys)]
    return cap_per_language(pairs, config.max_rows_per_language, "pair_id", config.seed, "cap")


_OOD_CACHE: dict[tuple, pd.DataFrame] = {}


def scorer_ood_sets(config: RealConfig, mirror: Mirror) -> pd.DataFrame:
    """The out-of-distribution rows notebook 00 reports the scorer on (so the build keeps them out of training).

    Kept for the process (the build reads them, then 00's report): a copy of the same rows each time."""
    key = (mirror, config.ood_rows, config.seed)
    if key not in _OOD_CACHE:
        _OOD_CACHE.clear()
        _OOD_CACHE[key] = ood_sets.load_ood_sets(mirror, config.ood_rows, config.seed)
    return _OOD_CACHE[key].copy()


def summarize(datasets: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Rows per dataset and language."""
    rows = [{"dataset": name, "language": language, "rows": int(count)}
            for name, frame in datasets.items() if "language" in frame
            for language, count in frame.groupby("language").size().items()]
    return pd.DataFrame(rows, columns=["dataset", "language", "rows"])


def build_real_datasets(params: Mapping[str, Any], mirror: Path | None) -> dict[str, pd.DataFrame]:
    """Every dataset the synthetic world makes (plus the real-only ones) from the mirror; deterministic for a seed."""
    if mirror is None:
        raise MirrorError("data_source is real but no mirror of the real datasets is set up: set the 00_data "
                          "parameter mirror_dir or the environment variable DETOX_DATA_MIRROR to a copy of the shared "
                          "data folder (see docs/real-data.md for where each dataset comes from)")
    started = time.perf_counter()
    config = RealConfig.from_params(params)
    source = Mirror(Path(mirror), download=config.download_missing, verify=config.verify_checksums)
    cap = config.max_rows_per_language

    rtp, lx_eval, lx_train, eval_items = _prompts(config, source)
    eval_keys = set(rtp["text"].map(text_key)) | set(lx_eval["text"].map(text_key))
    completion_locales = [loc for loc in config.rtp_lx_locales if loc in RTP_LX_COMPLETION_LOCALES]
    completions = _match_completions_to_prompts(
        toxicity.load_rtp_lx_completions(source, completion_locales, with_meta=True),
        pd.concat([lx_eval, lx_train], ignore_index=True))
    completions["_is_eval"] = completions["_item"].isin(eval_items)

    comments = toxicity.load_comment_corpora(source, config.seed, config.scorer_split, with_meta=True)
    pretraining, unused, shortfalls = _pretraining(config, source, comments, eval_keys)
    for note in shortfalls:
        log.warning("pretraining_corpus budget not met: %s", note)
    curated = _curated(config, unused, comments, pretraining)
    novel_texts = _novel_scorer_texts(config, unused, curated, pretraining)
    scorer = _scorer_texts(config, comments, novel_texts, lx_eval, lx_train, completions, eval_keys)
    hurtlex = bias.load_hurtlex(source)
    scorer = _extend_scorer_texts(config, scorer, source, eval_keys, scorer_ood_sets(config, source), hurtlex)
    novels_train = pretraining[(pretraining["split"] == "train") & pretraining["source"].str.startswith("eltec_")]

    datasets: dict[str, pd.DataFrame] = {
        "pretraining_corpus": pretraining,
        "rtp_prompts": cap_per_language(strip_meta(rtp), cap, "item", config.seed, "cap"),
        "multilingual_prompts": cap_per_language(strip_meta(lx_eval), cap, "item", config.seed, "cap"),
        "crows_pairs": _cap_crows(bias.load_crows_pairs(source, with_meta=True), cap, config.seed),
        "bold_prompts": cap_per_language(bias.load_bold(source), cap, "prompt_id", config.seed, "cap"),
        "bias_preferences": cap_per_language(bias.load_biasdpo(source), cap, "pair_id", config.seed, "cap"),
        "toxicity_preferences": _toxicity_preferences(config, completions, source, eval_keys),
        "rewrite_pairs": cap_per_language(pd.concat([toxicity.load_paradetox(source),
                                                     bias.load_sr_llm_rewrites(source)], ignore_index=True),
                                          cap, "pair_id", config.seed, "cap"),
        "curated_corpus": curated,
        "scorer_texts": scorer,
        "knowledge_probe": knowledge.build_name_probe(novels_train, config.knowledge_facts, config.seed),
        "counterfactual_corpus": None,
        "holistic_bias": holistic.load_holistic_bias(source, "v1.1", cap, config.seed),
        "honest_templates": bias.load_honest(source),
        "winobias": bias.load_winobias(source),
        "hurtlex": hurtlex,
    }
    crows = datasets["crows_pairs"]
    bias_keys = set(crows["sent_more"].map(text_key)) | set(crows["sent_less"].map(text_key))
    datasets["counterfactual_corpus"] = counterfactual.build_counterfactual(
        source, curated, config.counterfactual_docs, config.seed, eval_keys | bias_keys)
    # every frame above left a loader or builder through schemas.validate_frame; caps only drop rows
    for name, frame in datasets.items():
        log.info("%s: %d rows, %d languages", name, len(frame), frame["language"].nunique())
    log.info("real datasets built in %.1f s", time.perf_counter() - started)
    return datasets


def _cap_crows(frame: pd.DataFrame, cap: int | None, seed: int) -> pd.DataFrame:
    # capped by aligned item, so the pairs kept in one language are the translations of those kept in another
    return strip_meta(cap_per_language(frame, cap, "_item", seed, "cap"))
