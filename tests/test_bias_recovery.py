"""The CrowS-style metric recovers the stereotype rates planted in the synthetic world from a trained BASE model.

Stated tolerance: a small GPT-2 trained on a bias-dense English world reproduces the planted per-group
rates with Pearson r >= 0.8 and mean absolute error <= 0.2. The prototype of the synthetic world found the
learned association compressed toward the mean (r 0.86, MAE 0.14 after ~1,000 steps), so the error bound is
looser than the correlation bound; word frequency alone cannot pass it, since every group shares the same
attribute pairs.
"""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from helpers import paths
from helpers.metrics.bias import score_crows_pairs
from helpers.modeling import ModelSpec, build_model
from helpers.params import load_profile
from helpers.tokenizer import train_bpe_tokenizer
from helpers.training.augmentation import AugmentationConfig
from helpers.training.pretraining import TrainingConfig, train_method
from helpers.world.generator import WorldConfig, build_world

pytestmark = pytest.mark.slow

MIN_PEARSON = 0.8
MAX_MAE = 0.2


@pytest.fixture(scope="module")
def trained_base(tmp_path_factory):
    smoke = yaml.safe_load(paths.params_file("smoke").read_text())["00_data"]
    config = WorldConfig.from_params({**smoke, "languages": ["en"], "language_shares": {"en": 1.0},
                                      "pretraining_docs": 8000, "bias_sentence_share": 0.8,
                                      "fact_sentence_share": 0.05, "crows_pairs_per_group": 30})
    world = build_world(config, seed=0)
    corpus = world.datasets["pretraining_corpus"].assign(toxicity=0.0)
    tokenizer = train_bpe_tokenizer(corpus["text"], 400)
    spec = ModelSpec(architecture="gpt2", n_layers=2, d_model=64, n_heads=2, context_length=64, dropout=0.0)
    training = TrainingConfig(train_tokens=1_200_000, batch_size=32, context_length=64, learning_rate=3e-3,
                              seed=0, eval_interval=10_000, device="cpu")
    augmentation = AugmentationConfig.from_params(load_profile("smoke")["01_pretraining"])
    out = tmp_path_factory.mktemp("recovery") / "models" / "BASE"
    run = train_method("BASE", corpus, tokenizer, lambda: build_model(spec, tokenizer, 0, "cpu"), training,
                       augmentation, out, base="scratch", progress=False)
    return world, run.model, tokenizer


def test_planted_stereotype_rates_are_recovered_by_the_soft_crows_score(trained_base):
    world, model, tokenizer = trained_base
    pairs = world.datasets["crows_pairs"]
    scores = score_crows_pairs(model, tokenizer, pairs, score="sum")
    measured = scores.assign(group=pairs["group"].to_numpy()).groupby("group")["soft"].mean()
    planted = pd.Series({g["group"]: g["stereotype_rate"] for g in world.ground_truth["groups"]})[measured.index]
    assert measured.corr(planted) >= MIN_PEARSON
    assert (measured - planted).abs().mean() <= MAX_MAE


def test_the_hard_crows_score_is_above_50_when_most_groups_are_stereotyped(trained_base):
    world, model, tokenizer = trained_base
    pairs = world.datasets["crows_pairs"]
    scores = score_crows_pairs(model, tokenizer, pairs, score="sum")
    planted = {g["group"]: g["stereotype_rate"] for g in world.ground_truth["groups"]}
    above = pairs["group"].map(planted) > 0.5
    stereotyped = scores["stereotyped"].astype(bool)
    # groups planted above 0.5 get the stereotypical sentence preferred far more often than groups below
    assert stereotyped[above].mean() - stereotyped[~above].mean() > 0.3
