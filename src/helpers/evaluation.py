"""The evaluation protocol of notebook 05: every model, the same prompts and decoding, per-item results.

Results are kept in long format, one row per (model, benchmark, language, item, metric) with the
model's method and training seed, so that notebook 06 can pair any two models on the same items.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers import datasets
from helpers.engines.generation import DecodingConfig, generate_continuations
from helpers.engines.likelihood import sequence_logprobs
from helpers.metrics import bias, quality, toxicity
from helpers.param_specs.evaluation import OPERATOR_SYMBOLS
from helpers.seeding import derived_seed

LONG_COLUMNS = ["model", "method", "seed", "benchmark", "language", "item", "metric", "value"]


@dataclass(frozen=True)
class EvaluationConfig:
    """The protocol: decoding, the toxicity variant, the bias variant and subset sizes."""

    decoding: DecodingConfig
    bold_decoding: DecodingConfig
    threshold: float
    operator: str
    off_language: str
    crows_score: str
    languages: tuple[str, ...] | None
    max_prompts_per_language: int
    max_pairs_per_language: int
    bold_prompts_per_language: int
    heldout_docs: int
    batch_size: int

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> EvaluationConfig:
        """Build the protocol from 05_evaluation's validated parameters."""
        sampling = dict(max_new_tokens=params["max_new_tokens"], top_p=params["top_p"], top_k=params["top_k"],
                        temperature=params["temperature"])
        languages = params["eval_languages"]
        return cls(
            decoding=DecodingConfig(num_samples=params["num_samples"], **sampling),
            bold_decoding=DecodingConfig(num_samples=params["bold_samples"], **sampling),
            threshold=params["toxicity_threshold"], operator=OPERATOR_SYMBOLS[params["toxicity_operator"]],
            off_language=params["off_language"], crows_score=params["crows_score"],
            languages=tuple(languages) if languages is not None else None,
            max_prompts_per_language=params["max_prompts_per_language"],
            max_pairs_per_language=params["max_pairs_per_language"],
            bold_prompts_per_language=params["bold_prompts_per_language"],
            heldout_docs=params["heldout_docs"], batch_size=params["batch_size"],
        )

    def captions(self) -> dict[str, str]:
        """The variants in words, printed under every table that uses them."""
        return {
            "decoding": self.decoding.caption(),
            "toxicity": toxicity.toxicity_caption(self.threshold, self.operator, self.off_language),
            "crows": bias.crows_caption(self.crows_score),
        }


@dataclass
class EvaluationData:
    """The evaluation items, subset once so that every model sees exactly the same ones."""

    rtp: pd.DataFrame
    multilingual: pd.DataFrame
    crows: pd.DataFrame
    bold: pd.DataFrame
    probe: pd.DataFrame
    heldout: pd.DataFrame
    attribute_pairs: dict[str, list[list[str]]] | None  # synthetic world only


def _seeded_subset(frame: pd.DataFrame, key: str, per_language: int, seed: int, label: str) -> pd.DataFrame:
    """At most `per_language` rows per language, chosen by a seeded hash of `key` (parallel items stay aligned)."""
    rank = frame[key].map(lambda value: derived_seed(seed, label, value))
    ordered = frame.assign(_rank=rank).sort_values(["language", "_rank", key], kind="stable")
    return ordered.groupby("language", sort=True).head(per_language).drop(columns="_rank").reset_index(drop=True)


def load_evaluation_data(profile: str, config: EvaluationConfig, seed: int) -> EvaluationData:
    """Read 00_data's datasets and draw the evaluation subsets (the same for every model)."""
    multilingual_all = datasets.load_dataset(profile, "multilingual_prompts")
    if config.languages is not None:
        unknown = sorted(set(config.languages) - set(multilingual_all["language"]))
        if unknown:
            raise ValueError(f"eval_languages {unknown} are not in the data "
                             f"(it has {sorted(set(multilingual_all['language']))})")

    def restrict(frame: pd.DataFrame) -> pd.DataFrame:
        return frame if config.languages is None else frame[frame["language"].isin(config.languages)]

    corpus = datasets.load_dataset(profile, "pretraining_corpus")
    heldout = corpus[corpus["split"] == "heldout"]
    heldout = restrict(heldout).sort_values("doc_id").head(config.heldout_docs)
    truth = datasets.load_ground_truth(profile)
    return EvaluationData(
        rtp=_seeded_subset(datasets.load_dataset(profile, "rtp_prompts"), "item", config.max_prompts_per_language,
                           seed, "rtp"),
        multilingual=_seeded_subset(restrict(multilingual_all), "item", config.max_prompts_per_language, seed, "ml"),
        crows=_seeded_subset(restrict(datasets.load_dataset(profile, "crows_pairs")), "pair_id",
                             config.max_pairs_per_language, seed, "crows"),
        bold=_seeded_subset(restrict(datasets.load_dataset(profile, "bold_prompts")), "prompt_id",
                            config.bold_prompts_per_language, seed, "bold"),
        probe=restrict(datasets.load_dataset(profile, "knowledge_probe")).reset_index(drop=True),
        heldout=heldout.reset_index(drop=True),
        attribute_pairs=truth["attribute_pairs"] if truth else None,
    )


def _long(frame: pd.DataFrame, benchmark: str, item: str, metrics: Sequence[str], language: str = "language"
          ) -> pd.DataFrame:
    """Melt per-item metric columns into the long layout (without the model columns)."""
    melted = frame[[language, item, *metrics]].melt(id_vars=[language, item], var_name="metric", value_name="value")
    melted = melted.rename(columns={language: "language", item: "item"})
    melted["value"] = pd.to_numeric(melted["value"], errors="coerce").astype(float)
    return melted.assign(benchmark=benchmark)


def stereotype_choices(texts: Sequence[str], languages: Sequence[str],
                       attribute_pairs: Mapping[str, list[list[str]]]) -> np.ndarray:
    """Per continuation: 1 if it uses a stereotypical attribute of the world, 0 an anti-stereotypical one, else NaN."""
    out = np.full(len(texts), np.nan)
    for index, (text, language) in enumerate(zip(texts, languages)):
        words = set(str(text).lower().replace(".", " ").replace(",", " ").split())
        stereo = any(pair[0].lower() in words for pair in attribute_pairs.get(language, []))
        anti = any(pair[1].lower() in words for pair in attribute_pairs.get(language, []))
        if stereo != anti:
            out[index] = 1.0 if stereo else 0.0
    return out


def generate_and_score(model, tokenizer, prompts: pd.DataFrame, decoding: DecodingConfig, seed: int, prefix: str,
                       scorer, model_digest: str | None = None, cache_dir: Path | None = None, batch_size: int = 64,
                       candidates: Sequence[str] | None = None) -> pd.DataFrame:
    """Sample continuations of the `text` of each prompt row, score their toxicity; one row per continuation.

    The prompt's columns are repeated on each of its rows. With `candidates`, each continuation's language
    is identified among them (`continuation_language`), for the off-language metrics.
    """
    generated = generate_continuations(model, tokenizer, prompts["text"].tolist(), decoding, seed,
                                       batch_size=batch_size, cache_dir=cache_dir, model_digest=model_digest,
                                       prefix=prefix)
    rows = prompts.reset_index(drop=True).iloc[generated["prompt_index"].to_numpy()].reset_index(drop=True)
    frame = pd.concat([rows, generated.drop(columns="prompt_index").reset_index(drop=True)], axis=1)
    frame["toxicity"] = scorer.score(frame["continuation"].tolist(), frame["language"].tolist())
    if candidates is not None:
        frame["continuation_language"] = quality.identify_languages(frame["continuation"].tolist(), candidates)
    return frame


def _prompt_items(frame: pd.DataFrame, config: EvaluationConfig) -> pd.DataFrame:
    """Per prompt: max toxicity, TP outcome, toxic fraction, off-language share and distinct-n."""
    per_prompt = toxicity.per_prompt_toxicity(frame, config.threshold, config.operator, config.off_language,
                                              by="language")
    per_prompt["toxic_fraction"] = per_prompt["n_toxic"] / per_prompt["n_scored"].replace(0, np.nan)
    per_prompt["toxic"] = per_prompt["toxic"].astype("Float64")
    off = frame.assign(off=(frame["continuation_language"] != frame["language"]).astype(float))
    per_prompt = per_prompt.merge(off.groupby("prompt_id")["off"].mean().rename("off_language").reset_index(),
                                  on="prompt_id")
    distinct = quality.distinct_n_per_prompt(frame, by="language")
    return per_prompt.merge(distinct.drop(columns=["language"], errors="ignore"), on="prompt_id", how="left")


def evaluate_model(card, model, tokenizer, scorer, data: EvaluationData, config: EvaluationConfig, seed: int,
                   cache_dir: Path | None, reference=None) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Run every benchmark on one model; returns the long per-item frame and the per-benchmark detail tables.

    `reference` is the (model, tokenizer) that scores continuation fluency; None scores with the model itself.
    Everything the model reads is conditioned on the card's `generation_prefix` (MEDA/INST's non-toxic
    control, which began every document they were trained on): the prompts it continues and the sentences,
    probe prompts and held-out documents it scores. The reference model reads the prompts without it.
    """
    prefix = card.generation_prefix
    candidates = sorted(set(data.multilingual["language"]) | set(data.rtp["language"]))
    common = dict(seed=seed, prefix=prefix, model_digest=card.model_digest, cache_dir=cache_dir,
                  batch_size=config.batch_size, scorer=scorer, candidates=candidates)
    pieces, details = [], {}

    for benchmark, prompts in (("rtp", data.rtp), ("multilingual", data.multilingual)):
        frame = generate_and_score(model, tokenizer, prompts, config.decoding, **common)
        items = _prompt_items(frame, config)
        metrics = ["max_toxicity", "toxic", "toxic_fraction", "off_language", "distinct_1", "distinct_2", "distinct_3"]
        pieces.append(_long(items, benchmark, "prompt_id", [m for m in metrics if m in items.columns]))
        details[f"{benchmark}_generations"] = frame
        if benchmark == "rtp":
            ref_model, ref_tokenizer = reference if reference is not None else (model, tokenizer)
            fluency = quality.conditional_perplexities(ref_model, ref_tokenizer, frame["text"].tolist(),
                                                       frame["continuation"].tolist(), batch_size=config.batch_size)
            frame["log_perplexity"] = np.log(fluency["perplexity"].to_numpy())
            per_prompt = frame.groupby(["language", "prompt_id"], as_index=False)["log_perplexity"].mean()
            pieces.append(_long(per_prompt, "fluency", "prompt_id", ["log_perplexity"]))

    def logprobs(texts: Sequence[str]) -> pd.DataFrame:
        contexts = [prefix] * len(texts) if prefix else None
        return sequence_logprobs(model, tokenizer, list(texts), contexts=contexts, batch_size=config.batch_size)

    crows = bias.crows_pair_scores(data.crows, logprobs(data.crows["sent_more"]), logprobs(data.crows["sent_less"]),
                                   score=config.crows_score)
    crows["stereotyped"] = crows["stereotyped"].astype("Float64")
    pieces.append(_long(crows, "crows", "pair_id", ["stereotyped", "diff", "soft"]))
    details["crows"] = crows

    bold = generate_and_score(model, tokenizer, data.bold, config.bold_decoding, **common)
    if data.attribute_pairs is not None:
        bold["stereotype_choice"] = stereotype_choices(bold["continuation"].tolist(), bold["language"].tolist(),
                                                       data.attribute_pairs)
    bold_metrics = ["toxicity"] + (["stereotype_choice"] if "stereotype_choice" in bold else [])
    bold_items = bold.groupby(["language", "prompt_id"], as_index=False)[bold_metrics].mean()
    pieces.append(_long(bold_items, "bold", "prompt_id", bold_metrics))
    details["bold"] = bold

    if len(data.probe):
        probe = data.probe.assign(prompt=prefix + data.probe["prompt"])
        scores = quality.probe_candidate_scores(model, tokenizer, probe, batch_size=config.batch_size)
        items = quality.knowledge_probe_items(scores)
        items["correct"] = items["correct"].astype(float)
        pieces.append(_long(items, "knowledge", "fact_id", ["correct"]))

    heldout = logprobs(data.heldout["text"])
    heldout = pd.concat([data.heldout[["language", "doc_id"]], heldout[["sum_logprob", "n_tokens"]]], axis=1)
    pieces.append(_long(heldout, "heldout", "doc_id", ["sum_logprob", "n_tokens"]))

    long = pd.concat(pieces, ignore_index=True)
    long = long.assign(model=card.name, method=card.method, seed=card.seed)[LONG_COLUMNS]
    return long, details


def headline(long: pd.DataFrame, crows_pairs: pd.DataFrame | None = None,
             ground_truth: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """One row per model: the study's headline numbers computed from the long per-item frame."""
    errors = {}
    if ground_truth is not None and crows_pairs is not None:
        errors = planted_rate_errors(group_associations(long, crows_pairs), ground_truth)
    rows = []
    for (model, method, seed), part in long.groupby(["model", "method", "seed"], sort=False):
        def mean(benchmark: str, metric: str, language: str | None = None) -> float:
            sel = part[(part["benchmark"] == benchmark) & (part["metric"] == metric)]
            if language is not None:
                sel = sel[sel["language"] == language]
            return float(sel["value"].mean()) if len(sel) else float("nan")

        heldout = part[part["benchmark"] == "heldout"].pivot_table(index="item", columns="metric", values="value")
        row = {
            "model": model, "method": method, "seed": seed,
            "EMT": mean("rtp", "max_toxicity"), "TP": mean("rtp", "toxic"), "toxic_fraction": mean("rtp", "toxic_fraction"),
            "EMT_multilingual": mean("multilingual", "max_toxicity"),
            "off_language": mean("multilingual", "off_language"),
            "CrowS_pct": 100 * mean("crows", "stereotyped"), "CrowS_soft": mean("crows", "soft"),
            "BOLD_toxicity": mean("bold", "toxicity"),
            "fluency_ppl": float(np.exp(mean("fluency", "log_perplexity"))),
            "heldout_ppl": float(np.exp(-heldout["sum_logprob"].sum() / heldout["n_tokens"].sum()))
            if len(heldout) else float("nan"),
            "distinct_2": mean("rtp", "distinct_2"),
            "knowledge_acc": mean("knowledge", "correct"),
        }
        if errors:
            row["stereotype_rate_MAE"] = errors.get(model, float("nan"))
        rows.append(row)
    return pd.DataFrame(rows)


def group_associations(long: pd.DataFrame, crows_pairs: pd.DataFrame) -> pd.DataFrame:
    """Per model and group: the soft CrowS association (the model's p(stereotypical | group))."""
    soft = long[(long["benchmark"] == "crows") & (long["metric"] == "soft")]
    joined = soft.merge(crows_pairs[["pair_id", "group", "bias_type"]], left_on="item", right_on="pair_id")
    return joined.groupby(["model", "bias_type", "group"], as_index=False)["value"].mean().rename(
        columns={"value": "soft_association"})


def planted_rate_errors(associations: pd.DataFrame, ground_truth: Mapping[str, Any]) -> dict[str, float]:
    """Per model: mean absolute error between its per-group soft association and the planted stereotype rates."""
    planted = {g["group"]: g["stereotype_rate"] for g in ground_truth["groups"]}
    known = associations[associations["group"].isin(planted)]
    error = (known["soft_association"] - known["group"].map(planted)).abs()
    return error.groupby(known["model"]).mean().astype(float).to_dict()


def resolve_reference(name: str, cards: Sequence, device: str):
    """The fluency reference model: a model of the study by name, else a Hub id or local path (checked first)."""
    from helpers import modeling

    for card in cards:
        if card.name == name:
            return modeling.load_model(card, device)
    modeling.check_model_source(name)
    return modeling.load_pretrained(name, device=device)
