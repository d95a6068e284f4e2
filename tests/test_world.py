"""The synthetic world: determinism, planted rates recoverable, schemas."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from helpers import paths, schemas
from helpers.datasets import StudyData, write_datasets
from helpers.world import lexicon
from helpers.world.generator import WorldConfig, build_world, recovered_rates

SMOKE = yaml.safe_load(paths.params_file("smoke").read_text())["00_data"]


def _config(**changes) -> WorldConfig:
    return WorldConfig.from_params({**SMOKE, **changes})


@pytest.fixture(scope="module")
def big_world():
    # large enough that sampling error is small next to the tolerances below
    return build_world(_config(pretraining_docs=40_000), seed=3)


def test_same_seed_same_bytes(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        world = build_world(_config(), seed=11)
        write_datasets(StudyData(world.datasets, world.ground_truth, world.annotations), folder)
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_other_seed_other_data():
    a = build_world(_config(), seed=1).datasets["pretraining_corpus"]["text"]
    b = build_world(_config(), seed=2).datasets["pretraining_corpus"]["text"]
    assert (a != b).mean() > 0.5


def test_every_dataset_matches_its_schema():
    world = build_world(_config(), seed=0)
    assert set(world.datasets) == set(schemas.SCHEMAS) - _real_only()
    for name, frame in world.datasets.items():
        schemas.validate_frame(name, frame)
        assert len(frame) > 0, name


def _real_only() -> set[str]:
    return {name for name in schemas.SCHEMAS if name not in {
        "pretraining_corpus", "rtp_prompts", "multilingual_prompts", "crows_pairs", "bold_prompts",
        "bias_preferences", "toxicity_preferences", "rewrite_pairs", "curated_corpus", "scorer_texts",
        "knowledge_probe", "counterfactual_corpus"}}


def test_sizes_follow_the_parameters():
    config = _config(pretraining_docs=500, rtp_prompts_per_language=9, crows_pairs_per_group=2)
    world = build_world(config, seed=0)
    assert len(world.datasets["pretraining_corpus"]) == 500
    assert len(world.datasets["rtp_prompts"]) == 9
    assert len(world.datasets["multilingual_prompts"]) == 9 * len(config.languages)
    assert len(world.datasets["crows_pairs"]) == 2 * len(lexicon.GROUPS) * len(config.languages)


def test_planted_stereotype_rates_are_recovered(big_world):
    # binomial error with >= ~500 statements per group: 3 standard errors stay below 0.07
    planted = {g["group"]: g["stereotype_rate"] for g in big_world.ground_truth["groups"]}
    measured = recovered_rates(big_world)["stereotype_rate"]
    assert set(measured) == set(planted)
    for group, rate in planted.items():
        assert abs(measured[group] - rate) < 0.07, group
    low, high = SMOKE["stereotype_rate_range"]
    assert min(planted.values()) == pytest.approx(low) and max(planted.values()) == pytest.approx(high)
    assert len(lexicon.GROUPS) >= 8 and len({g["bias_type"] for g in big_world.ground_truth["groups"]}) >= 3


def test_planted_toxicity_rates_and_language_shares_are_recovered(big_world):
    measured = recovered_rates(big_world)
    for prompt_type, rate in SMOKE["toxic_continuation_rates"].items():
        assert abs(measured["toxic_continuation_rate"][prompt_type] - rate) < 0.03, prompt_type
    for language, share in SMOKE["language_shares"].items():
        assert abs(measured["language_share"][language] - share) < 0.02, language


def test_prompts_are_parallel_translations_with_planted_toxicity():
    world = build_world(_config(), seed=0)
    prompts = world.datasets["multilingual_prompts"]
    per_item = prompts.groupby("item")
    assert (per_item["language"].nunique() == len(SMOKE["languages"])).all()
    assert (per_item["prompt_toxicity"].nunique() == 1).all()
    hostile = prompts[prompts["prompt_type"] == "hostile"]["prompt_toxicity"]
    neutral = prompts[prompts["prompt_type"] == "neutral"]["prompt_toxicity"]
    assert hostile.min() > 0.5 >= neutral.max()


def test_crows_pairs_differ_only_in_the_attribute():
    pairs = build_world(_config(), seed=0).datasets["crows_pairs"]
    for row in pairs.itertuples():
        more, less = row.sent_more.split(), row.sent_less.split()
        assert len(more) == len(less) and sum(a != b for a, b in zip(more, less)) == 1


def test_scorer_texts_hold_out_insults_and_are_balanced():
    world = build_world(_config(), seed=0)
    texts = world.datasets["scorer_texts"]
    insults = world.ground_truth["insults"]["en"]
    train_en = texts[(texts["split"] == "train") & (texts["language"] == "en")]["text"]
    # harmless near-misses ("the clown at the party") may share a word; everything else must not
    for near_miss in lexicon.NEAR_MISSES["en"]:
        train_en = train_en.str.replace(near_miss, "", regex=False)
    seen_text = " ".join(insults["seen"]).lower()
    unseen_only = [w for w in insults["heldout"] if w.lower() not in seen_text]
    assert unseen_only
    assert not any(train_en.str.lower().str.contains(w.lower(), regex=False).any() for w in unseen_only)
    test_en = texts[(texts["split"] == "test") & (texts["language"] == "en")]["text"].str.lower()
    assert any(test_en.str.contains(w.lower(), regex=False).any() for w in unseen_only)
    assert 0.4 < texts["label"].mean() < 0.6
    assert set(texts["split"]) == {"train", "valid", "test"}


def test_corpus_documents_are_labeled_consistently(big_world):
    corpus, notes = big_world.datasets["pretraining_corpus"], big_world.annotations
    assert (corpus["doc_id"] == notes["doc_id"]).all()
    assert np.array_equal(corpus["is_toxic"].to_numpy(), notes["is_toxic"].to_numpy())
    assert corpus["toxicity"].isna().all()  # filled by 00_data once the scorer is trained
    assert 0.02 < (corpus["split"] == "heldout").mean() < 0.08


def test_unknown_language_is_a_clear_error():
    with pytest.raises(ValueError, match="no lexicon for languages"):
        build_world(_config(languages=["en", "it"], language_shares={"en": 0.5, "it": 0.5}), seed=0)


def test_a_bias_pairs_fair_answer_fills_the_attribute_slot_of_the_rejected_statement():
    # a fair answer in another frame is told apart by its frame words, and DPO never touches the attribute
    pairs = build_world(_config(preference_pairs=100), seed=0).datasets["bias_preferences"]
    for language, part in pairs.groupby("language"):
        attributes = dict(lexicon.ATTRIBUTE_PAIRS[language])
        for chosen, rejected in zip(part["chosen"], part["rejected"]):
            words = [w for w in rejected.rstrip(".").split() if w in attributes]
            assert len(words) == 1, rejected  # the rejected answer carries one stereotyped attribute
            stereo = words[0]
            at = rejected.rindex(f" {stereo}") + 1
            fair = lexicon.FAIR_SLOT[language].format(stereo=stereo, anti=attributes[stereo])
            assert chosen == rejected[:at] + fair + rejected[at + len(stereo):], (chosen, rejected)
