"""Seeded generator of the synthetic world: corpus, prompts, pairs, labeled texts and ground truth."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers import io, schemas
from helpers.seeding import derived_seed
from helpers.world import lexicon as lx
from helpers.world.counterfactual import counterfactual_corpus

SOURCE = "synthetic"
PROMPT_TYPE_SHARES = {"hostile": 0.2, "heated": 0.3, "neutral": 0.5}
# planted prompt toxicity ranges per prompt type (RTP's prompt.toxicity analogue)
PROMPT_TOXICITY_RANGES = {"hostile": (0.6, 0.95), "heated": (0.15, 0.45), "neutral": (0.0, 0.1)}
PROMPT_DOC_SHARE_OF_REST = 0.7  # of documents that are neither bias nor fact statements
HELDOUT_SHARE = 0.05
SEVERE_INSULT_SHARE = 0.3
HELDOUT_INSULT_SHARE = 0.4  # insults the scorer never sees in training
HELDOUT_TOXIC_TEMPLATES = 3  # toxic phrasings the scorer never sees in training
CONTEXT_SENTENCE_PROB = 0.5  # prompts often start with a sentence of context, as in RTP
SECOND_SENTENCE_SHARE = 0.4  # documents that end with a further narrative sentence


@dataclass(frozen=True)
class WorldConfig:
    """Sizes and planted rates of the synthetic world (the matching 00_data parameters)."""

    languages: tuple[str, ...]
    language_shares: Mapping[str, float]
    pretraining_docs: int
    toxic_continuation_rates: Mapping[str, float]
    stereotype_rate_range: tuple[float, float]
    bias_sentence_share: float
    fact_sentence_share: float
    knowledge_facts: int
    rtp_prompts_per_language: int
    crows_pairs_per_group: int
    bold_prompts_per_group: int
    preference_pairs: int
    rewrite_pairs: int
    curated_docs: int
    scorer_texts_per_language: int
    scorer_label_noise: float
    counterfactual_docs: int

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> WorldConfig:
        """Pick the world's fields out of a (validated) parameter mapping."""
        values = {f.name: params[f.name] for f in fields(cls)}
        values["languages"] = tuple(values["languages"])
        values["stereotype_rate_range"] = tuple(values["stereotype_rate_range"])
        return cls(**values)


@dataclass
class World:
    """Every dataset of the world, per-document annotations and the planted ground truth."""

    datasets: dict[str, pd.DataFrame]
    annotations: pd.DataFrame
    ground_truth: dict[str, Any]


class _Writer:
    """Renders sentences of one language from aligned word lists (same indices = translations)."""

    def __init__(self, rng: random.Random, insults_seen: dict[str, list[str]], templates_seen: dict[str, list[str]],
                 cities: list[str], countries: list[str]):
        self.rng = rng
        self.insults_seen = insults_seen
        self.templates_seen = templates_seen
        self.countries = countries
        self.cities = cities

    def pick(self, options: list[Any]) -> Any:
        return options[self.rng.randrange(len(options))]

    def filler(self, lang: str) -> str:
        return (f"{self.pick(lx.SUBJECTS[lang])} {self.pick(lx.ACTIONS[lang])} "
                f"{self.pick(lx.PLACES[lang])} {self.pick(lx.TIMES[lang])}.")

    def insult(self, lang: str, seen_only: bool = False, severe: bool | None = None) -> str:
        if severe is None:
            severe = self.rng.random() < SEVERE_INSULT_SHARE
        pool = lx.INSULTS[lang]["severe" if severe else "mild"]
        if seen_only:
            pool = [w for w in pool if w in self.insults_seen[lang]]
        return self.pick(pool)

    def opener(self, lang: str, prompt_type: str, seen_only: bool = False) -> str:
        template = self.pick(lx.OPENERS[prompt_type][lang])
        subject = self.pick(lx.SUBJECTS[lang])
        if not template.startswith("{subject}"):
            subject = subject[0].lower() + subject[1:]
        text = template.format(subject=subject, insult=self.insult(lang, seen_only, severe=False))
        if self.rng.random() < CONTEXT_SENTENCE_PROB:
            text = f"{self.filler(lang)} {text}"
        return text

    def toxic_continuation(self, lang: str, seen_only: bool = False) -> str:
        templates = self.templates_seen[lang] if seen_only else lx.TOXIC_TEMPLATES[lang]
        return self.pick(templates).format(insult=self.insult(lang, seen_only))

    def neutral_continuation(self, lang: str) -> str:
        return self.pick(lx.NEUTRAL_CONTINUATIONS[lang])

    def group_statement(self, lang: str, group: str, stereotyped: bool, pair: int | None = None) -> str:
        pairs = lx.ATTRIBUTE_PAIRS[lang]
        stereo, anti = pairs[self.rng.randrange(len(pairs)) if pair is None else pair]
        return self.pick(lx.BIAS_TEMPLATES[lang]).format(group=lx.GROUPS[group][1][lang],
                                                          attr=stereo if stereotyped else anti)

    def fair_statement(self, lang: str, group: str) -> str:
        stereo, anti = self.pick(lx.ATTRIBUTE_PAIRS[lang])
        return self.pick(lx.FAIR_TEMPLATES[lang]).format(group=lx.GROUPS[group][1][lang], stereo=stereo, anti=anti)

    def bias_preference(self, lang: str, group: str) -> tuple[str, str]:
        """A bias pair's (chosen, rejected) answers: one statement frame, the stereotype vs its fair qualification.

        The fair answer fills the attribute slot of the rejected statement ("... are not all lazy; many are
        hardworking"), so DPO's contrast sits on the attribute. A fair answer in another frame ("Some {group} are
        lazy and some are hardworking") is told apart by its frame words alone, and its "{group} are lazy" raised
        the very association the rejected answer carries.
        """
        stereo, anti = self.pick(lx.ATTRIBUTE_PAIRS[lang])
        template = self.pick(lx.BIAS_TEMPLATES[lang])
        name = lx.GROUPS[group][1][lang]
        fair = lx.FAIR_SLOT[lang].format(stereo=stereo, anti=anti)
        return template.format(group=name, attr=fair), template.format(group=name, attr=stereo)

    def fact(self, lang: str, index: int) -> str:
        return lx.FACT_TEMPLATES[lang][0].format(country=self.countries[index], city=self.cities[index])


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def _invented_names(count: int, rng: random.Random, taken: set[str]) -> list[str]:
    names = []
    while len(names) < count:
        word = "".join(rng.choice(lx.NAME_SYLLABLES) for _ in range(rng.choice([2, 3])))
        word = word.capitalize()
        if word not in taken and 4 <= len(word) <= 10:
            taken.add(word)
            names.append(word)
    return names


def _planted_rates(config: WorldConfig, rng: random.Random) -> dict[str, float]:
    low, high = config.stereotype_rate_range
    groups = list(lx.GROUPS)
    levels = list(np.linspace(low, high, len(groups)))
    rng.shuffle(levels)
    return {group: round(float(level), 4) for group, level in zip(groups, levels)}


def _split_insults(rng: random.Random) -> dict[str, dict[str, list[str]]]:
    split = {}
    for lang, by_level in lx.INSULTS.items():
        words = by_level["mild"] + by_level["severe"]
        order = sorted(words)
        rng.shuffle(order)
        cut = max(2, round(len(order) * HELDOUT_INSULT_SHARE))
        # every level keeps at least one seen word, so seen-only sampling always has a pool
        heldout = [w for w in order[:cut]]
        for level in ("mild", "severe"):
            if all(w in heldout for w in by_level[level]):
                heldout.remove(by_level[level][0])
        templates = list(lx.TOXIC_TEMPLATES[lang])
        rng.shuffle(templates)
        split[lang] = {"seen": [w for w in words if w not in heldout], "heldout": heldout,
                       "templates_seen": templates[HELDOUT_TOXIC_TEMPLATES:],
                       "templates_heldout": templates[:HELDOUT_TOXIC_TEMPLATES]}
    return split


def _choose_language(config: WorldConfig, rng: random.Random) -> str:
    draw, total = rng.random(), 0.0
    for lang in config.languages:
        total += config.language_shares[lang]
        if draw < total:
            return lang
    return config.languages[-1]


def _choose_prompt_type(rng: random.Random, shares: Mapping[str, float] = PROMPT_TYPE_SHARES) -> str:
    draw, total = rng.random(), 0.0
    for prompt_type, share in shares.items():
        total += share
        if draw < total:
            return prompt_type
    return "neutral"


def _corpus(config: WorldConfig, writer: _Writer, rates: Mapping[str, float], rng: random.Random,
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, notes = [], []
    groups = list(lx.GROUPS)
    for index in range(config.pretraining_docs):
        lang = _choose_language(config, rng)
        draw = rng.random()
        note = {"kind": "filler", "prompt_type": "", "group": "", "stereotyped": None, "fact": -1}
        toxic = False
        if draw < config.bias_sentence_share:
            group = groups[rng.randrange(len(groups))]
            stereotyped = rng.random() < rates[group]
            text = writer.group_statement(lang, group, stereotyped)
            note.update(kind="bias", group=group, stereotyped=stereotyped)
        elif draw < config.bias_sentence_share + config.fact_sentence_share:
            fact = rng.randrange(config.knowledge_facts)
            text = writer.fact(lang, fact)
            note.update(kind="fact", fact=fact)
        elif rng.random() < PROMPT_DOC_SHARE_OF_REST:
            prompt_type = _choose_prompt_type(rng)
            toxic = rng.random() < config.toxic_continuation_rates[prompt_type]
            ending = writer.toxic_continuation(lang) if toxic else writer.neutral_continuation(lang)
            text = f"{writer.opener(lang, prompt_type)} {ending}"
            note.update(kind="prompt", prompt_type=prompt_type)
        else:
            text = writer.filler(lang)
        if rng.random() < SECOND_SENTENCE_SHARE:
            text = f"{text} {writer.filler(lang)}"
        doc_id = f"doc-{index:07d}"
        split = "heldout" if rng.random() < HELDOUT_SHARE else "train"
        rows.append({"doc_id": doc_id, "language": lang, "text": text, "split": split,
                     "is_toxic": toxic, "toxicity": None, "source": SOURCE})
        notes.append({"doc_id": doc_id, "language": lang, **note, "is_toxic": toxic})
    corpus = pd.DataFrame(rows)
    corpus["toxicity"] = corpus["toxicity"].astype(float)
    return corpus, pd.DataFrame(notes)


def _ordinary_document(config: WorldConfig, writer: _Writer, rng: random.Random, lang: str) -> str:
    """A non-toxic document of the pretraining corpus's mix that states nothing about a group.

    The same shares as `_corpus` outside its group statements (facts, prompts, narrative, a second narrative
    sentence), every prompt with a harmless ending: the ordinary text of the counterfactual corpus.
    """
    if rng.random() < config.fact_sentence_share / (1 - config.bias_sentence_share):
        text = writer.fact(lang, rng.randrange(config.knowledge_facts))
    elif rng.random() < PROMPT_DOC_SHARE_OF_REST:
        text = f"{writer.opener(lang, _choose_prompt_type(rng))} {writer.neutral_continuation(lang)}"
    else:
        text = writer.filler(lang)
    if rng.random() < SECOND_SENTENCE_SHARE:
        text = f"{text} {writer.filler(lang)}"
    return text


def _prompts(config: WorldConfig, writer: _Writer, rng: random.Random, prefix: str,
             languages: tuple[str, ...]) -> pd.DataFrame:
    """Parallel prompts: an item is rendered in every language from the same random draws."""
    rows = []
    types = list(PROMPT_TYPE_SHARES)
    for item in range(config.rtp_prompts_per_language):
        prompt_type = types[item % len(types)]  # balanced types, as RTP's toxic/non-toxic halves
        low, high = PROMPT_TOXICITY_RANGES[prompt_type]
        toxicity = round(rng.uniform(low, high), 4)
        state = rng.getstate()
        for lang in languages:
            rng.setstate(state)  # same draws in every language -> translations of one another
            rows.append({"prompt_id": f"{prefix}-{lang}-{item:05d}", "language": lang, "item": f"{prefix}-{item:05d}",
                         "text": writer.opener(lang, prompt_type), "prompt_toxicity": toxicity,
                         "prompt_type": prompt_type, "source": SOURCE})
    return pd.DataFrame(rows)


def _crows_pairs(config: WorldConfig, rng: random.Random) -> pd.DataFrame:
    rows = []
    for lang in config.languages:
        for group, (bias_type, names) in lx.GROUPS.items():
            combos = [(t, p) for t in range(len(lx.BIAS_TEMPLATES[lang])) for p in range(len(lx.ATTRIBUTE_PAIRS[lang]))]
            rng.shuffle(combos)
            for number in range(config.crows_pairs_per_group):
                template, pair = combos[number % len(combos)]
                stereo, anti = lx.ATTRIBUTE_PAIRS[lang][pair]
                sentence = lx.BIAS_TEMPLATES[lang][template]
                rows.append({"pair_id": f"crows-{lang}-{group}-{number:03d}", "language": lang,
                             "sent_more": sentence.format(group=names[lang], attr=stereo),
                             "sent_less": sentence.format(group=names[lang], attr=anti),
                             "stereo_antistereo": "stereo", "bias_type": bias_type, "group": group,
                             "source": SOURCE})
    return pd.DataFrame(rows)


def _bold_prompts(config: WorldConfig) -> pd.DataFrame:
    rows = []
    for lang in config.languages:
        for group, (bias_type, names) in lx.GROUPS.items():
            for number in range(config.bold_prompts_per_group):
                template = lx.BOLD_TEMPLATES[lang][number % len(lx.BOLD_TEMPLATES[lang])]
                rows.append({"prompt_id": f"bold-{lang}-{group}-{number:03d}", "language": lang, "domain": bias_type,
                             "group": group, "text": template.format(group=names[lang]), "source": SOURCE})
    return pd.DataFrame(rows)


def _preferences(config: WorldConfig, writer: _Writer, rng: random.Random) -> tuple[pd.DataFrame, pd.DataFrame]:
    bias_rows, toxic_rows = [], []
    groups = list(lx.GROUPS)
    for lang in config.languages:
        for number in range(config.preference_pairs):
            group = groups[rng.randrange(len(groups))]
            prompt = writer.pick(lx.ASK_TEMPLATES[lang]).format(group=lx.GROUPS[group][1][lang])
            chosen, rejected = writer.bias_preference(lang, group)
            bias_rows.append({"pair_id": f"biaspref-{lang}-{number:05d}", "language": lang, "prompt": prompt,
                              "chosen": _capitalize(chosen), "rejected": _capitalize(rejected), "source": SOURCE})
            prompt_type = "hostile" if rng.random() < 0.5 else "heated"
            toxic_rows.append({"pair_id": f"toxpref-{lang}-{number:05d}", "language": lang,
                               "prompt": writer.opener(lang, prompt_type),
                               "chosen": writer.neutral_continuation(lang),
                               "rejected": writer.toxic_continuation(lang), "source": SOURCE})
    return pd.DataFrame(bias_rows), pd.DataFrame(toxic_rows)


def _rewrites(config: WorldConfig, writer: _Writer, rng: random.Random) -> pd.DataFrame:
    rows = []
    groups = list(lx.GROUPS)
    for lang in config.languages:
        for number in range(config.rewrite_pairs):
            if number % 2 == 0:  # SR_LLM-style: a biased statement and its fair rewrite
                group = groups[rng.randrange(len(groups))]
                biased = _capitalize(writer.group_statement(lang, group, stereotyped=True))
                neutral = _capitalize(writer.fair_statement(lang, group))
            else:  # ParaDetox-style: the same sentence with a toxic and a neutral ending
                opener = writer.opener(lang, "heated")
                biased = f"{opener} {writer.toxic_continuation(lang)}"
                neutral = f"{opener} {writer.neutral_continuation(lang)}"
            rows.append({"pair_id": f"rewrite-{lang}-{number:05d}", "language": lang, "biased": biased,
                         "debiased": neutral, "source": SOURCE})
    return pd.DataFrame(rows)


def _curated(config: WorldConfig, writer: _Writer, rng: random.Random) -> pd.DataFrame:
    rows = []
    groups = list(lx.GROUPS)
    for number in range(config.curated_docs):
        lang = _choose_language(config, rng)
        draw = rng.random()
        if draw < 0.5:
            text = f"{writer.filler(lang)} {writer.filler(lang)}"
        elif draw < 0.7:
            text = _capitalize(writer.fair_statement(lang, groups[rng.randrange(len(groups))]))
        elif draw < 0.85:
            text = writer.fact(lang, rng.randrange(config.knowledge_facts))
        else:
            text = f"{writer.opener(lang, _choose_prompt_type(rng))} {writer.neutral_continuation(lang)}"
        rows.append({"doc_id": f"curated-{number:06d}", "language": lang, "text": text, "source": SOURCE})
    return pd.DataFrame(rows)


def _scorer_texts(config: WorldConfig, writer: _Writer, rng: random.Random) -> pd.DataFrame:
    """Balanced labeled texts; training texts use only the seen insults and carry label noise."""
    rows = []
    groups = list(lx.GROUPS)
    for lang in config.languages:
        for number in range(config.scorer_texts_per_language):
            draw = rng.random()
            split = "train" if draw < 0.7 else ("valid" if draw < 0.8 else "test")
            seen_only = split == "train"
            if number % 2 == 0:
                style = rng.random()
                if style < 0.4:
                    text = _capitalize(writer.toxic_continuation(lang, seen_only))
                elif style < 0.8:
                    text = f"{writer.opener(lang, _choose_prompt_type(rng), seen_only)} {writer.toxic_continuation(lang, seen_only)}"
                else:
                    text = writer.opener(lang, "hostile", seen_only)
                label = 1
            else:
                style = rng.random()
                if style < 0.3:
                    text = writer.filler(lang)
                elif style < 0.6:
                    text = f"{writer.opener(lang, rng.choice(['neutral', 'heated']))} {writer.neutral_continuation(lang)}"
                elif style < 0.75:
                    text = writer.pick(lx.NEAR_MISSES[lang])
                    if rng.random() < 0.5:
                        text = f"{writer.filler(lang)} {text}"
                elif style < 0.9:
                    text = _capitalize(writer.group_statement(lang, groups[rng.randrange(len(groups))], rng.random() < 0.5))
                else:
                    text = _capitalize(writer.fair_statement(lang, groups[rng.randrange(len(groups))]))
                label = 0
            # annotators disagree in every split, so even a perfect scorer cannot reach AUC 1
            if rng.random() < config.scorer_label_noise:
                label = 1 - label
            rows.append({"text_id": f"scorer-{lang}-{number:06d}", "language": lang, "text": text, "label": label,
                         "split": split, "source": SOURCE})
    return pd.DataFrame(rows)


def _knowledge_probe(config: WorldConfig, countries: list[str], cities: list[str]) -> pd.DataFrame:
    rows = []
    candidates = sorted(cities)
    for lang in config.languages:
        for index, (country, city) in enumerate(zip(countries, cities)):
            rows.append({"fact_id": f"fact-{index:03d}-{lang}", "language": lang,
                         "prompt": lx.FACT_TEMPLATES[lang][1].format(country=country), "answer": city,
                         "candidates": candidates, "source": SOURCE})
    return pd.DataFrame(rows)


def build_world(config: WorldConfig, seed: int) -> World:
    """Generate every dataset of the world; the same config and seed give the same data."""
    missing = [lang for lang in config.languages if lang not in lx.ATTRIBUTE_PAIRS]
    if missing:
        raise ValueError(f"the synthetic world has no lexicon for languages {missing}")

    def stream(name: str) -> random.Random:
        # one independent stream per dataset: changing one size leaves the others' rows unchanged
        return random.Random(derived_seed(seed, "world", name))

    naming = stream("names")
    taken: set[str] = set()
    countries = _invented_names(config.knowledge_facts, naming, taken)
    cities = _invented_names(config.knowledge_facts, naming, taken)
    insult_split = _split_insults(stream("insults"))
    rates = _planted_rates(config, stream("rates"))

    def writer(name: str) -> tuple[_Writer, random.Random]:
        rng = stream(name)
        return _Writer(rng, {l: v["seen"] for l, v in insult_split.items()},
                       {l: v["templates_seen"] for l, v in insult_split.items()}, cities, countries), rng

    corpus_writer, corpus_rng = writer("corpus")
    corpus, annotations = _corpus(config, corpus_writer, rates, corpus_rng)
    rtp_writer, rtp_rng = writer("rtp")
    ml_writer, ml_rng = writer("multilingual")
    pref_writer, pref_rng = writer("preferences")
    rewrite_writer, rewrite_rng = writer("rewrites")
    curated_writer, curated_rng = writer("curated")
    scorer_writer, scorer_rng = writer("scorer")
    # created last, from a stream of its own: every other dataset keeps its bytes
    counterfactual_writer, counterfactual_rng = writer("counterfactual")
    bias_prefs, toxic_prefs = _preferences(config, pref_writer, pref_rng)
    datasets = {
        "pretraining_corpus": corpus,
        "rtp_prompts": _prompts(config, rtp_writer, rtp_rng, "rtp", config.languages[:1]),
        "multilingual_prompts": _prompts(config, ml_writer, ml_rng, "ml", config.languages),
        "crows_pairs": _crows_pairs(config, stream("crows")),
        "bold_prompts": _bold_prompts(config),
        "bias_preferences": bias_prefs,
        "toxicity_preferences": toxic_prefs,
        "rewrite_pairs": _rewrites(config, rewrite_writer, rewrite_rng),
        "curated_corpus": _curated(config, curated_writer, curated_rng),
        "scorer_texts": _scorer_texts(config, scorer_writer, scorer_rng),
        "knowledge_probe": _knowledge_probe(config, countries, cities),
        "counterfactual_corpus": counterfactual_corpus(
            config.counterfactual_docs, lambda rng: _choose_language(config, rng),
            lambda lang: _ordinary_document(config, counterfactual_writer, counterfactual_rng, lang),
            rates, counterfactual_rng, SOURCE),
    }
    datasets = {name: schemas.validate_frame(name, frame) for name, frame in datasets.items()}
    truth = {
        "seed": seed,
        "languages": list(config.languages),
        "language_shares": dict(config.language_shares),
        "groups": [{"group": g, "bias_type": bt, "stereotype_rate": rates[g], "names": names}
                   for g, (bt, names) in lx.GROUPS.items()],
        "attribute_pairs": {lang: [list(p) for p in lx.ATTRIBUTE_PAIRS[lang]] for lang in config.languages},
        "toxic_continuation_rates": dict(config.toxic_continuation_rates),
        "prompt_type_shares": PROMPT_TYPE_SHARES,
        "prompt_toxicity_ranges": {k: list(v) for k, v in PROMPT_TOXICITY_RANGES.items()},
        "insults": {lang: insult_split[lang] for lang in config.languages},
        "facts": [{"fact": i, "country": c, "city": t} for i, (c, t) in enumerate(zip(countries, cities))],
    }
    return World(datasets=datasets, annotations=annotations, ground_truth=truth)


def write_world(world: World, out_dir: Path) -> dict[str, Path]:
    """Write the datasets as parquet, the annotations and the ground truth; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {name: io.write_parquet(out_dir / f"{name}.parquet", frame) for name, frame in world.datasets.items()}
    written["world_annotations"] = io.write_parquet(out_dir / "world_annotations.parquet", world.annotations)
    written["ground_truth"] = io.write_json(out_dir / "ground_truth.json", world.ground_truth)
    return written


def recovered_rates(world: World) -> dict[str, Any]:
    """Planted rates as measured back from the generated corpus (for checks and the notebook)."""
    notes = world.annotations
    bias = notes[notes["kind"] == "bias"]
    prompts = notes[notes["kind"] == "prompt"]
    shares = notes["language"].value_counts(normalize=True)
    return {
        "stereotype_rate": bias.groupby("group")["stereotyped"].mean().astype(float).to_dict(),
        "toxic_continuation_rate": prompts.groupby("prompt_type")["is_toxic"].mean().astype(float).to_dict(),
        "language_share": shares.astype(float).to_dict(),
    }
