"""The evaluation protocol of notebook 05: every model, the same prompts and decoding, per-item results.

Results are kept in long format, one row per (model, benchmark, language, item, metric) with the
model's method and training seed, so that notebook 06 can pair any two models on the same items.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers import datasets, io
from helpers.engines import generation
from helpers.engines.classifiers import accelerate_scorer
from helpers.engines.common import merged_for_inference
from helpers.engines.generation import DecodingConfig, GenerationRequest, generate_continuations, generate_requests
from helpers.engines.likelihood import sequence_logprobs, sequence_logprobs_requests
from helpers.metrics import bias, quality, toxicity
from helpers.param_specs.evaluation import OPERATOR_SYMBOLS
from helpers.seeding import derived_seed

LONG_COLUMNS = ["model", "method", "seed", "benchmark", "language", "item", "metric", "value"]
# bump when what `evaluate_model` computes changes without a change to the code hashed below
EVALUATION_VERSION = "3"
# the code the per-item results depend on (relative to the helpers package); its source is in the cache key
RESULT_CODE = ("engines", "metrics", "evaluation.py", "scoring.py", "seeding.py")
RESULT_PACKAGES = ("torch", "transformers", "tokenizers", "peft", "py3langid", "scikit-learn", "numpy", "pandas")
# the card fields 05 writes to models.parquet, with the default an older card (without the field) gets
CARD_DEFAULTS: dict[str, Any] = {"family": None, "parent": "", "peft": "full", "adapter": False,
                                 "train_languages": None, "train_tokens": None}
MODEL_COLUMNS = ["name", "method", "family", "seed", "stage", "parent", "peft", "adapter", "train_languages",
                 "parameters", "train_tokens", "base", "generation_prefix", "model_digest"]


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
    multilingual_prompts_per_language: int
    max_pairs_per_language: int
    bold_prompts_per_language: int
    heldout_docs: int
    batch_size: int | None  # rows per forward pass; None lets the engines choose (speed only, not results)

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
            multilingual_prompts_per_language=params["multilingual_prompts_per_language"],
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
        multilingual=_seeded_subset(restrict(multilingual_all), "item", config.multilingual_prompts_per_language,
                                    seed, "ml"),
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
    return score_generations([_with_prompts(prompts, generated)], scorer, candidates)[0]


def _with_prompts(prompts: pd.DataFrame, generated: pd.DataFrame) -> pd.DataFrame:
    """The engine's frame with each prompt's columns repeated on its rows."""
    rows = prompts.reset_index(drop=True).iloc[generated["prompt_index"].to_numpy()].reset_index(drop=True)
    return pd.concat([rows, generated.drop(columns="prompt_index").reset_index(drop=True)], axis=1)


def score_generations(frames: Sequence[pd.DataFrame], scorer, candidates: Sequence[str] | None = None
                      ) -> list[pd.DataFrame]:
    """Add `toxicity` (and with `candidates`, `continuation_language`) to generation frames, in one pass.

    Each distinct (continuation, language) is scored once and each distinct continuation identified once:
    the k samples of a prompt often repeat one another (short or empty continuations).
    """
    frames = [frame.copy() for frame in frames]
    joint = pd.concat([f[["continuation", "language"]] for f in frames], ignore_index=True)
    pairs = joint["continuation"].astype(str) + "\x00" + joint["language"].astype(str)
    codes, uniques = pd.factorize(pairs)
    first = pd.Series(np.arange(len(codes))).groupby(codes).first().to_numpy()
    texts = joint["continuation"].tolist()
    languages = joint["language"].tolist()
    scorer = accelerate_scorer(scorer)  # the same scores, counted in batch (helpers.engines.classifiers)
    scores = np.asarray(scorer.score([texts[i] for i in first], [languages[i] for i in first]), dtype=float)[codes]
    identified = None
    if candidates is not None:
        text_codes, distinct = pd.factorize(joint["continuation"].astype(str))
        identified = np.asarray(quality.identify_languages(list(distinct), candidates), dtype=object)[text_codes]
    bounds = np.cumsum([0, *map(len, frames)])
    for frame, start, stop in zip(frames, bounds[:-1], bounds[1:]):
        frame["toxicity"] = scores[start:stop]
        if identified is not None:
            frame["continuation_language"] = identified[start:stop].tolist()
    return frames


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

    `reference` is the (model, tokenizer) that scores continuation fluency, or a `ReferenceModel` (loaded on
    first use); None scores with the model itself. Everything the model reads is conditioned on the card's
    `generation_prefix` (MEDA/INST's non-toxic control, which began every document they were trained on): the
    prompts it continues and the sentences, probe prompts and held-out documents it scores. The reference
    model reads the prompts without it. The benchmarks' generations share the engine's batches (one call),
    their continuations are scored and identified in one pass, and every sentence the model scores (CrowS
    pairs, probe candidates, held-out documents) goes through one likelihood call; `cache_dir` caches the
    generations (see `generate_requests`); `evaluate_models` caches the whole result per model.
    """
    prefix = card.generation_prefix
    candidates = sorted(set(data.multilingual["language"]) | set(data.rtp["language"]))
    pieces, details = [], {}
    generated = _generate_all(model, tokenizer, data, config, seed, prefix, card.model_digest, cache_dir, scorer,
                              candidates)
    scored = _score_all(model, tokenizer, data, config, prefix)

    for benchmark in ("rtp", "multilingual"):
        frame = generated[benchmark]
        items = _prompt_items(frame, config)
        metrics = ["max_toxicity", "toxic", "toxic_fraction", "off_language", "distinct_1", "distinct_2", "distinct_3"]
        pieces.append(_long(items, benchmark, "prompt_id", [m for m in metrics if m in items.columns]))
        details[f"{benchmark}_generations"] = frame
        if benchmark == "rtp":
            ref_model, ref_tokenizer = _reference_pair(reference, model, tokenizer)
            fluency = quality.conditional_perplexities(ref_model, ref_tokenizer, frame["text"].tolist(),
                                                       frame["continuation"].tolist(),
                                                       batch_size=config.batch_size)
            frame["log_perplexity"] = np.log(fluency["perplexity"].to_numpy())
            per_prompt = frame.groupby(["language", "prompt_id"], as_index=False)["log_perplexity"].mean()
            pieces.append(_long(per_prompt, "fluency", "prompt_id", ["log_perplexity"]))

    crows = bias.crows_pair_scores(data.crows, scored["crows_more"], scored["crows_less"], score=config.crows_score)
    crows["stereotyped"] = crows["stereotyped"].astype("Float64")
    pieces.append(_long(crows, "crows", "pair_id", ["stereotyped", "diff", "soft"]))
    details["crows"] = crows

    bold = generated["bold"]
    if data.attribute_pairs is not None:
        bold["stereotype_choice"] = stereotype_choices(bold["continuation"].tolist(), bold["language"].tolist(),
                                                       data.attribute_pairs)
    bold_metrics = ["toxicity"] + (["stereotype_choice"] if "stereotype_choice" in bold else [])
    bold_items = bold.groupby(["language", "prompt_id"], as_index=False)[bold_metrics].mean()
    pieces.append(_long(bold_items, "bold", "prompt_id", bold_metrics))
    details["bold"] = bold

    if len(data.probe):
        items = quality.knowledge_probe_items(scored["probe"])
        items["correct"] = items["correct"].astype(float)
        pieces.append(_long(items, "knowledge", "fact_id", ["correct"]))

    heldout = pd.concat([data.heldout[["language", "doc_id"]], scored["heldout"][["sum_logprob", "n_tokens"]]], axis=1)
    pieces.append(_long(heldout, "heldout", "doc_id", ["sum_logprob", "n_tokens"]))

    long = pd.concat(pieces, ignore_index=True)
    long = long.assign(model=card.name, method=card.method, seed=card.seed)[LONG_COLUMNS]
    return long, details


def _generate_all(model, tokenizer, data: EvaluationData, config: EvaluationConfig, seed: int, prefix: str,
                  model_digest: str | None, cache_dir: Path | None, scorer, candidates: Sequence[str]
                  ) -> dict[str, pd.DataFrame]:
    """Every benchmark's continuations in one engine call, scored and language-identified in one pass."""
    benchmarks = {"rtp": (data.rtp, config.decoding), "multilingual": (data.multilingual, config.decoding),
                  "bold": (data.bold, config.bold_decoding)}
    requests = [GenerationRequest(tuple(prompts["text"].tolist()), decoding, prefix)
                for prompts, decoding in benchmarks.values()]
    frames = generate_requests(model, tokenizer, requests, seed, batch_size=config.batch_size, cache_dir=cache_dir,
                               model_digest=model_digest)
    joined = [_with_prompts(prompts, frame) for (prompts, _), frame in zip(benchmarks.values(), frames)]
    return dict(zip(benchmarks, score_generations(joined, scorer, candidates)))


def _score_all(model, tokenizer, data: EvaluationData, config: EvaluationConfig, prefix: str
               ) -> dict[str, pd.DataFrame]:
    """Log-probabilities of every sentence the model scores, in one likelihood call (shared length buckets)."""
    def conditioned(texts: pd.Series) -> tuple[list[str], list[str] | None]:
        return texts.tolist(), ([prefix] * len(texts) if prefix else None)

    requests = {"crows_more": conditioned(data.crows["sent_more"]), "crows_less": conditioned(data.crows["sent_less"]),
                "heldout": conditioned(data.heldout["text"])}
    probe_table = None
    if len(data.probe):
        probe_table, texts, contexts = quality.probe_candidates(data.probe.assign(prompt=prefix + data.probe["prompt"]))
        requests["probe"] = (texts, contexts)
    frames = dict(zip(requests, sequence_logprobs_requests(model, tokenizer, list(requests.values()),
                                                           batch_size=config.batch_size)))
    if probe_table is not None:
        frames["probe"] = probe_table.assign(sum_logprob=frames["probe"]["sum_logprob"].to_numpy(),
                                             n_tokens=frames["probe"]["n_tokens"].to_numpy())
    return frames


def _reference_pair(reference, model, tokenizer):
    """(model, tokenizer) scoring fluency: the given pair, a lazily loaded reference, or the model itself."""
    if reference is None:
        return model, tokenizer
    if isinstance(reference, ReferenceModel):
        return reference.get()
    return reference


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
    """Per model and group: the soft CrowS association (the model's p(stereotypical | group)).

    Real CrowS-Pairs name no group, only a bias type: such pairs are grouped by their bias type.
    """
    soft = long[(long["benchmark"] == "crows") & (long["metric"] == "soft")]
    pairs = crows_pairs[["pair_id", "group", "bias_type"]].assign(
        group=lambda p: p["group"].where(p["group"].notna(), p["bias_type"]))
    joined = soft.merge(pairs, left_on="item", right_on="pair_id")
    return joined.groupby(["model", "bias_type", "group"], as_index=False)["value"].mean().rename(
        columns={"value": "soft_association"})


def planted_rate_errors(associations: pd.DataFrame, ground_truth: Mapping[str, Any]) -> dict[str, float]:
    """Per model: mean absolute error between its per-group soft association and the planted stereotype rates."""
    planted = {g["group"]: g["stereotype_rate"] for g in ground_truth["groups"]}
    known = associations[associations["group"].isin(planted)]
    error = (known["soft_association"] - known["group"].map(planted)).abs()
    return error.groupby(known["model"]).mean().astype(float).to_dict()


def resolve_reference(name: str, cards: Sequence, device: str) -> ReferenceModel:
    """The fluency reference model: a model of the study by name, else a Hub id or local path (checked now,
    loaded on first use, so that a fully cached rerun never loads it)."""
    from helpers import modeling

    for card in cards:
        if card.name == name:
            return ReferenceModel(f"card:{card.name}:{model_identity(card, cards)}",
                                  lambda card=card: modeling.load_model(card, device))
    source = modeling.check_model_source(name)
    folder = Path(source)
    identity = f"folder:{modeling.weights_digest(folder)}" if folder.is_dir() else f"hub:{source}"
    return ReferenceModel(identity, lambda: modeling.load_pretrained(name, device=device))


class ReferenceModel:
    """The fluency reference: what identifies it (for cache keys) and its (model, tokenizer), loaded once."""

    def __init__(self, identity: str, load: Callable[[], tuple[Any, Any]]) -> None:
        self.identity = identity
        self._load = load
        self._pair: tuple[Any, Any] | None = None

    def get(self) -> tuple[Any, Any]:
        """(model, tokenizer), loaded on the first call."""
        if self._pair is None:
            self._pair = self._load()
        return self._pair

    @property
    def loaded(self) -> bool:
        """Whether the model was loaded (a fully cached run never loads it)."""
        return self._pair is not None

    def __iter__(self) -> Iterator[Any]:  # `model, tokenizer = reference` keeps working
        return iter(self.get())


# ---- per-model result cache ------------------------------------------------------------------------

def model_identity(card, cards: Sequence = ()) -> str:
    """What determines a carded model's behaviour: its weights digest, tokenizer files and prefix, and for an
    adapter its parent's identity too (the adapter alone does not fix the model)."""
    folder = card.folder
    tokenizer_files = sorted(p for p in folder.glob("*") if p.is_file()
                             and (p.name.startswith("tokenizer") or p.name in ("special_tokens_map.json",
                                                                                 "vocab.json", "merges.txt")))
    parts = [card.model_digest, card.generation_prefix,
             *[f"{p.name}:{io.file_sha256(p)}" for p in tokenizer_files]]
    if _card_field(card, "adapter") and _card_field(card, "parent"):
        parent = next((c for c in cards if c.name == _card_field(card, "parent")), None)
        parts.append(model_identity(parent, cards) if parent is not None else f"parent:{_card_field(card, 'parent')}")
    return io.text_sha256("|".join(parts))


def result_code_digest() -> str:
    """sha256 over the source of the modules the per-item results depend on (RESULT_CODE)."""
    root = Path(__file__).resolve().parent
    files = []
    for name in RESULT_CODE:
        path = root / name
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return io.text_sha256("|".join(f"{p.relative_to(root)}:{io.file_sha256(p)}" for p in files))


def data_digest(data: EvaluationData) -> str:
    """sha256 of the evaluation items (every frame's content and the attribute pairs)."""
    parts = [f"{field.name}:{io.text_sha256(getattr(data, field.name).to_json(orient='split', default_handler=str))}"
             for field in dataclasses.fields(data) if isinstance(getattr(data, field.name), pd.DataFrame)]
    parts.append(json.dumps(data.attribute_pairs, sort_keys=True))
    return io.text_sha256("|".join(parts))


def result_key_payload(card, cards: Sequence, scorer, data: EvaluationData | str, config: EvaluationConfig,
                       seed: int, reference, device: str) -> dict[str, Any]:
    """Everything a model's per-item results depend on; batch sizes are left out (they change speed only)."""
    from helpers.manifest import package_versions

    protocol = {k: v for k, v in dataclasses.asdict(config).items() if k != "batch_size"}
    if isinstance(reference, ReferenceModel):
        reference_identity = reference.identity
    elif reference is None:
        reference_identity = "self"
    else:
        raise TypeError("reference must be a ReferenceModel or None to be part of a cache key")
    return {
        "evaluation": EVALUATION_VERSION, "engine": generation.ENGINE_VERSION, "code": result_code_digest(),
        "packages": package_versions(RESULT_PACKAGES),
        "card": {"name": card.name, "method": card.method, "seed": card.seed, "model": model_identity(card, cards)},
        "protocol": json.loads(json.dumps(protocol, default=str)), "seed": int(seed),
        "data": data if isinstance(data, str) else data_digest(data),
        "scorer": [scorer.name, scorer.version, scorer.digest], "reference": reference_identity,
        "device": str(device),
    }


def result_key(payload: Mapping[str, Any]) -> str:
    """sha256 of a result key payload."""
    return io.text_sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False), length=32)


def _result_folder(cache_dir: Path, name: str, key: str) -> Path:
    return Path(cache_dir) / "evaluation" / f"{name}-{key[:20]}"


def load_cached_result(cache_dir: Path, name: str, key: str) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]] | None:
    """A model's stored (long frame, details), or None when nothing was stored under this key."""
    folder = _result_folder(cache_dir, name, key)
    record = folder / "result.json"
    if not record.is_file():
        return None
    stored = io.read_json(record)
    if stored.get("key") != key:
        return None
    long = pd.read_parquet(folder / "long.parquet")
    details = {detail: pd.read_parquet(folder / f"detail-{detail}.parquet") for detail in stored["details"]}
    return long, details


def store_result(cache_dir: Path, name: str, key: str, payload: Mapping[str, Any], long: pd.DataFrame,
                 details: Mapping[str, pd.DataFrame]) -> Path:
    """Store a model's results under its key; written to a scratch folder first, so a crash stores nothing."""
    bad = [detail for detail, frame in details.items() if not isinstance(frame, pd.DataFrame)]
    if bad:
        raise TypeError(f"details {bad} are not DataFrames; only DataFrames can be cached")
    folder = _result_folder(cache_dir, name, key)
    scratch = folder.with_name(f".{folder.name}.{time.time_ns()}.tmp")
    scratch.mkdir(parents=True)
    try:
        long.to_parquet(scratch / "long.parquet", index=False)
        for detail, frame in details.items():
            frame.to_parquet(scratch / f"detail-{detail}.parquet", index=False)
        io.write_json(scratch / "result.json", {"key": key, "payload": payload, "details": list(details)})
        if folder.exists():
            shutil.rmtree(folder)
        scratch.rename(folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return folder


@dataclass
class ModelResult:
    """One model's evaluation: the long per-item frame, its detail tables, and how it was obtained."""

    card: Any
    long: pd.DataFrame
    details: dict[str, pd.DataFrame]
    cached: bool
    seconds: float


def evaluate_models(cards: Sequence, load: Callable[[Any], tuple[Any, Any]], scorer, data: EvaluationData,
                    config: EvaluationConfig, seed: int, cache_dir: Path | None, reference=None,
                    device: str = "cpu") -> Iterator[ModelResult]:
    """Evaluate every card, reusing a model's stored results when nothing they depend on changed.

    The key (`result_key_payload`) covers the model (weights, tokenizer, prefix, an adapter's parent), the
    protocol, the evaluation items, the scorer, the fluency reference, the seed, the device, the package
    versions and the source of the code that computes the results. A model whose key is stored is not
    loaded at all; the others are loaded with `load(card)` (LoRA/IA3 adapters merged for speed), evaluated
    and stored.
    """
    data_hash = data_digest(data)
    for card in cards:
        started = time.perf_counter()
        key = payload = None
        if cache_dir is not None:
            payload = result_key_payload(card, cards, scorer, data_hash, config, seed, reference, device)
            key = result_key(payload)
            cached = load_cached_result(cache_dir, card.name, key)
            if cached is not None:
                yield ModelResult(card, *cached, cached=True, seconds=time.perf_counter() - started)
                continue
        model, tokenizer = load(card)
        model = merged_for_inference(model)
        long, details = evaluate_model(card, model, tokenizer, scorer, data, config, seed, cache_dir, reference)
        del model
        if key is not None:
            store_result(cache_dir, card.name, key, payload, long, details)
        yield ModelResult(card, long, details, cached=False, seconds=time.perf_counter() - started)


def _card_field(card, name: str) -> Any:
    """A card field, or its default for cards written before the field existed."""
    value = getattr(card, name, None)
    if value is None and name == "family":
        return card.method
    return CARD_DEFAULTS.get(name) if value is None else value


def model_table(cards: Sequence) -> pd.DataFrame:
    """models.parquet: one row per evaluated model with its card fields (defaults for fields older cards lack)."""
    rows = []
    for card in cards:
        row = {column: _card_field(card, column) for column in MODEL_COLUMNS}
        languages = row["train_languages"]
        row["train_languages"] = list(languages) if languages is not None else None
        rows.append(row)
    table = pd.DataFrame(rows, columns=MODEL_COLUMNS)
    table["seed"] = table["seed"].astype("int64")
    table["parameters"] = table["parameters"].astype("int64")
    table["adapter"] = table["adapter"].astype(bool)
    table["train_tokens"] = pd.array(table["train_tokens"], dtype="Int64")
    return table
