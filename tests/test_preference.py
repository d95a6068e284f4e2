"""Notebook 03 on the seam: bad pairs, DPO's reward margin, the SFT-on-chosen control, the collapse flag, parameters."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers import modeling
from helpers.params import ParamsError, validate_stage
from helpers.seeding import seed_everything
from helpers.training import collapse, preference
from helpers.training.causal_lm import HeldoutBlocks, TrainingConfig, pack_documents, tokenize
from helpers.training.data_checks import TrainingDataError
from tiny_models import corpus, single_thread, tiny_tokenizer, trained_model

STAGE = "03_preference_optimization"


@pytest.fixture(autouse=True)
def _one_thread():
    with single_thread():
        yield


def _config(**changes) -> TrainingConfig:
    values = dict(train_tokens=4_000, batch_size=8, context_length=64, learning_rate=3e-3, seed=0, eval_interval=5,
                  eval_tokens=1024, device="cpu")
    return TrainingConfig(**{**values, **changes})


def _pairs(n: int = 48, language: str = "en") -> pd.DataFrame:
    """Prompt = a sentence's subject and verb; chosen = its object; rejected = a garbled object."""
    sentences = corpus()[:n]
    return pd.DataFrame({"pair_id": [f"p{i:03d}" for i in range(n)], "language": language,
                         "prompt": [" ".join(s.split()[:2]) for s in sentences],
                         "chosen": [" ".join(s.split()[2:]) for s in sentences],
                         "rejected": [" ".join(s.split()[2:]).replace(".", " the the.") for s in sentences],
                         "source": "fixture"})


def _data(pairs: pd.DataFrame, heldout: int = 8) -> preference.PreferenceData:
    return preference.prepare_pairs(pairs, "toxicity_preferences", "pairs.parquet", None, heldout, 0)


def _settings(rate: float = 3e-3, **changes) -> preference.PreferenceSettings:
    values = dict(epochs=2.0, learning_rates={method: rate for method in preference.METHODS}, beta=0.1)
    return preference.PreferenceSettings(**{**values, **changes})


def _parent(tmp_path) -> modeling.ModelCard:
    card = modeling.ModelCard(name="BASE-s0", method="BASE", stage="01_pretraining", seed=0, base="tiny",
                              path="models/BASE-s0")
    return modeling.save_model(trained_model(corpus(), 40), tiny_tokenizer(),
                               tmp_path / "01_pretraining" / "models" / "BASE-s0", card)


def _splits(texts) -> dict[str, HeldoutBlocks | None]:
    tokenizer = tiny_tokenizer()
    blocks = HeldoutBlocks.plain(pack_documents(tokenize(tokenizer, texts), tokenizer.eos_token_id, 32))
    return {collapse.OVERALL: blocks, collapse.TRAIN_LANGUAGES: blocks, collapse.OTHER_LANGUAGES: None}


# bad pairs, before any training

def test_bad_pairs_are_counted_by_reason_and_dropped():
    pairs = _pairs(8)
    pairs.loc[1, "prompt"] = "   "
    pairs.loc[2, "chosen"] = None
    pairs.loc[3, "rejected"] = ""
    pairs.loc[4, "rejected"] = pairs.loc[4, "chosen"] + "  "  # equal once stripped
    pairs.loc[5, "chosen"] = float("nan")
    cleaned = preference.clean_preference_pairs(pairs, "bias_preferences.parquet")
    assert cleaned.dropped == {"empty prompt": 1, "empty chosen": 2, "empty rejected": 1,
                               "chosen equal to rejected": 1}
    assert cleaned.dropped_total == 5 and cleaned.total == 8
    assert cleaned.pairs["pair_id"].tolist() == ["p000", "p006", "p007"]
    assert cleaned.report("bias_preferences.parquet") == (
        "bias_preferences.parquet: 3 of 8 pairs kept; dropped: 1 empty prompt, 2 empty chosen, 1 empty rejected, "
        "1 chosen equal to rejected")
    with pytest.raises(TrainingDataError, match=r"bias_preferences.parquet: none of its 2 pairs is usable"):
        preference.clean_preference_pairs(pairs.iloc[[2, 4]], "bias_preferences.parquet")
    with pytest.raises(TrainingDataError, match=r"bias_preferences.parquet: missing columns \['rejected'\]"):
        preference.clean_preference_pairs(pairs.drop(columns="rejected"), "bias_preferences.parquet")
    typed = _pairs(4)
    typed["chosen"] = typed["chosen"].astype(object)
    typed.loc[2, "chosen"] = 7
    with pytest.raises(TrainingDataError, match=r"row 2 \(pair_id 'p002'\): column 'chosen' must be text"):
        preference.clean_preference_pairs(typed, "bias_preferences.parquet")


def test_pairs_are_restricted_to_the_training_languages_and_split_per_language():
    pairs = pd.concat([_pairs(20, "en"), _pairs(20, "fr").assign(pair_id=lambda f: "fr-" + f["pair_id"])],
                      ignore_index=True)
    data = preference.prepare_pairs(pairs, "bias_preferences", "b.parquet", ["en"], 4, seed=0)
    assert data.languages == ["en"] and len(data.train) == 16 and len(data.heldout) == 4
    assert not set(data.train["pair_id"]) & set(data.heldout["pair_id"])
    both = preference.prepare_pairs(pairs, "bias_preferences", "b.parquet", None, 4, seed=0)
    assert both.languages == ["en", "fr"] and len(both.heldout) == 8
    with pytest.raises(TrainingDataError, match=r"train_languages \['de'\] are not in it"):
        preference.prepare_pairs(pairs, "bias_preferences", "b.parquet", ["de"], 4, seed=0)


def test_max_train_pairs_keeps_a_seeded_subset_of_the_training_pairs_and_never_touches_the_heldout_ones():
    pairs = pd.concat([_pairs(30, "en"), _pairs(30, "fr").assign(pair_id=lambda f: "fr-" + f["pair_id"])],
                      ignore_index=True)
    full = preference.prepare_pairs(pairs, "bias_preferences", "b.parquet", None, 4, seed=0)
    capped = preference.prepare_pairs(pairs, "bias_preferences", "b.parquet", None, 4, seed=0, max_train_pairs=20)
    assert (full.available, len(full.train)) == (52, 52) and (capped.available, len(capped.train)) == (52, 20)
    assert set(capped.train["pair_id"]) < set(full.train["pair_id"])
    assert capped.heldout.equals(full.heldout)
    # the subset is the seed's, the same on every call, and its rows keep the file's order
    again = preference.prepare_pairs(pairs, "bias_preferences", "b.parquet", None, 4, seed=0, max_train_pairs=20)
    assert again.train.equals(capped.train)
    assert list(capped.train["pair_id"]) == [p for p in full.train["pair_id"] if p in set(capped.train["pair_id"])]
    other = preference.prepare_pairs(pairs, "bias_preferences", "b.parquet", None, 4, seed=1, max_train_pairs=20)
    assert set(other.train["pair_id"]) != set(capped.train["pair_id"])
    assert preference.prepare_pairs(pairs, "bias_preferences", "b.parquet", None, 4, seed=0,
                                    max_train_pairs=100).train.equals(full.train)


def test_the_reward_subset_is_seeded_kept_in_order_and_independent_of_the_training_cap():
    pairs = _pairs(60, "en")
    subset = preference.seeded_subset(pairs, 15, 0, "reward-pairs")
    assert len(subset) == 15 and subset.equals(preference.seeded_subset(pairs, 15, 0, "reward-pairs"))
    assert list(subset["pair_id"]) == [p for p in pairs["pair_id"] if p in set(subset["pair_id"])]
    # another purpose ranks the pairs differently: the reward subset is not the training cap's first pairs
    assert set(subset["pair_id"]) != set(preference.seeded_subset(pairs, 15, 0, "train-pairs-cap")["pair_id"])
    assert preference.seeded_subset(pairs, None, 0, "reward-pairs") is pairs
    assert preference.seeded_subset(pairs, 60, 0, "reward-pairs") is pairs


def test_the_quick_bias_check_scores_a_seeded_subset_of_pairs_per_language():
    from helpers import mitigation_check as mc

    pairs = pd.DataFrame({"pair_id": [f"{lang}-{i:03d}" for lang in ("en", "fr") for i in range(30)],
                          "language": ["en"] * 30 + ["fr"] * 30})
    assert mc.pairs_per_language(pairs, None, 0).equals(pairs)
    subset = mc.pairs_per_language(pairs, 10, 0)
    assert subset["language"].value_counts().to_dict() == {"en": 10, "fr": 10}
    assert list(subset["pair_id"]) == [p for p in pairs["pair_id"] if p in set(subset["pair_id"])]
    assert subset.equals(mc.pairs_per_language(pairs, 10, 0))
    assert set(subset["pair_id"]) != set(mc.pairs_per_language(pairs, 10, 1)["pair_id"])
    assert mc.pairs_per_language(pairs, 50, 0).equals(pairs)


def test_the_sft_control_trains_on_prompt_and_chosen():
    pairs = _pairs(2)
    full = preference.chosen_sft_examples(pairs, "full")
    assert full["prompt"].tolist() == ["", ""]
    assert full["completion"].iloc[0] == pairs["prompt"].iloc[0] + " " + pairs["chosen"].iloc[0]
    completion = preference.chosen_sft_examples(pairs, "completion")
    assert completion["prompt"].iloc[0] == pairs["prompt"].iloc[0]
    assert completion["completion"].iloc[0] == " " + pairs["chosen"].iloc[0]
    with pytest.raises(ValueError, match="control_loss"):
        preference.chosen_sft_examples(pairs, "rejected")
    assert preference.training_steps(40, 1.0, 8) == 5 and preference.training_steps(40, 0.1, 8) == 1
    assert preference.run_plan(["DetoxDPO", "BiasChosenSFT"], [0, 1], ["BiasChosenSFT"]) == \
        [("DetoxDPO", 0), ("DetoxDPO", 1), ("BiasChosenSFT", 0)]


# training

def test_dpo_raises_the_reward_margin_on_its_training_pairs(tmp_path):
    tokenizer = tiny_tokenizer()
    data = _data(_pairs(48))
    reference = trained_model(corpus(), 40)
    before = preference.implicit_rewards(reference, reference, tokenizer, data.train, beta=0.1)
    assert np.allclose(before["margin"], 0.0)  # the policy starts as its own reference
    result = preference.train_preference_method("DetoxDPO", trained_model(corpus(), 40), tokenizer, data, _config(),
                                                _settings(), tmp_path / "dpo", progress=False)
    after = preference.implicit_rewards(result.model, reference, tokenizer, data.train, beta=0.1)
    assert after["margin"].mean() > 0.5 and after["correct"].mean() > 0.9
    assert (after["reward_rejected"] < 0).mean() > 0.9  # the rejected responses lost probability
    log = result.log
    assert log["rewards/margins"].dropna().iloc[-1] > 0.5 and log["eval_rewards/margins"].dropna().iloc[0] == \
        pytest.approx(0.0, abs=1e-6)
    assert result.steps == preference.training_steps(len(data.train), 2.0, 8)
    assert result.details["reference"] == "precomputed" and result.details["trainer"] == "DPO"
    summary = preference.reward_summary(log)
    assert summary["heldout_reward_accuracy"] > 0.9 and summary["train_reward_margin"] > 0.5


def test_dpo_with_lora_uses_the_base_with_the_adapter_disabled_as_reference(tmp_path):
    tokenizer = tiny_tokenizer()
    data = _data(_pairs(48))
    result = preference.train_preference_method("BiasDPO", trained_model(corpus(), 40), tokenizer, data, _config(),
                                                _settings(1e-2), tmp_path / "dpo", peft="lora4",
                                                progress=False)
    assert modeling.is_peft_model(result.model) and result.details["reference"] == "adapter disabled"
    assert result.details["peft"]["trainable_parameters"] == 2 * 4 * ((32 + 96) + (32 + 32) + (32 + 128) + (128 + 32))
    with result.model.disable_adapter():
        rewards = preference.implicit_rewards(result.model, trained_model(corpus(), 40), tokenizer, data.train, 0.1)
    assert np.allclose(rewards["margin"], 0.0, atol=1e-4)  # adapter off: exactly the parent
    after = preference.implicit_rewards(result.model, trained_model(corpus(), 40), tokenizer, data.train, 0.1)
    assert after["margin"].mean() > 0.1


def test_the_sft_control_raises_the_likelihood_of_chosen_responses(tmp_path):
    from helpers.engines.likelihood import sequence_logprobs

    tokenizer = tiny_tokenizer()
    data = _data(_pairs(48))
    model = trained_model(corpus(), 40)
    texts = [" " + c for c in data.train["chosen"]]
    before = sequence_logprobs(model, tokenizer, texts, contexts=list(data.train["prompt"]))["sum_logprob"].mean()
    result = preference.train_preference_method("DetoxChosenSFT", model, tokenizer, data, _config(), _settings(),
                                                tmp_path / "sft", progress=False)
    after = sequence_logprobs(result.model, tokenizer, texts, contexts=list(data.train["prompt"]))["sum_logprob"].mean()
    assert after > before + 0.5
    assert "rewards/margins" not in result.log and result.details["trainer"] == "SFT on chosen (full)"
    assert math.isnan(preference.reward_summary(result.log)["train_reward_margin"])


# the collapse flag

def test_the_collapse_check():
    fine = collapse.collapse_check(2.0, 2.03, 0.05)
    assert not fine.collapsed and fine.rise == pytest.approx(0.03)
    assert fine.note().startswith("held-out loss 2.0300 vs parent 2.0000 (+0.0300")
    broken = collapse.collapse_check(2.0, 2.5, 0.05)
    assert broken.collapsed and broken.note().startswith("COLLAPSED")
    assert broken.as_dict() == {"parent_heldout_loss": 2.0, "heldout_loss_rise": 0.5, "collapse_margin": 0.05,
                                "collapsed": True}
    assert collapse.collapse_check(2.0, float("nan"), 0.05).collapsed
    with pytest.raises(ValueError, match="margin"):
        collapse.collapse_check(2.0, 2.1, -0.1)
    margins = {"DAPT": 0.5, "DetoxDPO": 0.05, "BiasDPO": 0.05}
    assert collapse.margin_of(margins, "DAPT") == 0.5
    assert collapse.margins_text(margins, ["DetoxDPO", "DAPT", "BiasDPO"]) == "0.05 (DetoxDPO, BiasDPO), 0.5 (DAPT)"
    with pytest.raises(ValueError, match=r"collapse_margin has no margin for 'SGEAT'"):
        collapse.margin_of(margins, "SGEAT")


def test_a_collapsed_run_is_flagged_in_its_card_summary_and_table(tmp_path):
    tokenizer = tiny_tokenizer()
    parent = _parent(tmp_path)
    splits = _splits(corpus()[::7])
    parent_model, _ = modeling.load_model(parent, "cpu")
    parent_losses = collapse.heldout_losses(parent_model, splits, 8)
    data = _data(_pairs(48))
    runs = {}
    for name, rate in (("gentle", 1e-4), ("destroyed", 0.3)):
        model, _ = modeling.load_model(parent, "cpu", for_training=True)
        result = preference.train_preference_method("DetoxDPO", model, tokenizer, data, _config(seed=0),
                                                    _settings(rate), tmp_path / name,
                                                    progress=False)
        seed = 0 if name == "gentle" else 1
        runs[name] = collapse.save_checked(result, tokenizer, tmp_path / STAGE, method="DetoxDPO", seed=seed,
                                           parent=parent, stage=STAGE, splits=splits, parent_losses=parent_losses,
                                           margin=0.05, batch_size=8, train_languages=["en"], notes="DPO")
    (gentle, gentle_check), (destroyed, destroyed_check) = runs["gentle"], runs["destroyed"]
    assert not gentle_check.collapsed and destroyed_check.collapsed and destroyed_check.rise > 0.05
    card = modeling.read_card(destroyed.card.folder / modeling.CARD_FILE)
    assert card.notes.startswith("DPO; COLLAPSED") and "collapse margin 0.05" in card.notes
    assert "COLLAPSED" not in modeling.read_card(gentle.card.folder / modeling.CARD_FILE).notes
    assert destroyed.summary["collapsed"] is True and gentle.summary["collapsed"] is False
    assert destroyed.summary[collapse.OVERALL] > parent_losses[collapse.OVERALL] + 0.05
    assert math.isnan(destroyed.summary[collapse.OTHER_LANGUAGES])
    table = collapse.run_table({r.card.name: r for r, _ in runs.values()})
    assert table.set_index("model")["collapsed"].to_dict() == {"DetoxDPO-s0": False, "DetoxDPO-s1": True}


# parameters

def _smoke_values(stage: str) -> dict:
    import yaml

    from helpers import paths
    from helpers.params import stage_params_from_profile

    return stage_params_from_profile(yaml.safe_load(paths.params_file("smoke").read_text()), stage)


def test_03_parameters_are_checked():
    values = _smoke_values(STAGE)
    validate_stage(STAGE, values)
    for change, message in ((dict(methods=["BiasDPO", "PPO"]), "must be one of"),
                            (dict(seeds=[1, 1]), "duplicates"),
                            (dict(first_seed_only=["DetoxDPO"], methods=["BiasDPO"]), "not trained"),
                            (dict(learning_rates={"BiasDPO": 1e-5}), "learning_rates lacks"),
                            (dict(loss_type="kto"), "must be one of"),
                            (dict(dpo_optimizer="sgd"), "must be one of"),
                            (dict(train_languages=[]), "non-empty"),
                            (dict(merge_adapters=True), "needs a PEFT variant"),
                            (dict(collapse_margin={**values["collapse_margin"], "BiasDPO": -1.0}), ">= 0"),
                            (dict(collapse_margin={"BiasDPO": 0.05}), "collapse_margin lacks")):
        with pytest.raises(ParamsError, match=message):
            validate_stage(STAGE, {**values, **change})


# the reference shared by every DPO run on one pair set

def _without_timing(log: pd.DataFrame) -> pd.DataFrame:
    return log.drop(columns="seconds")


@pytest.mark.parametrize("peft", ["full", "lora4", "bottleneck"])
def test_reference_pairs_computed_once_give_the_same_run_as_trl_computing_them(tmp_path, peft):
    """Tokenized pairs and reference log-probs made once (`reference_pairs`) leave every number of a run unchanged:
    the losses, reward curves and held-out rewards of the log, the trained weights and the implicit rewards."""
    tokenizer = tiny_tokenizer()
    data = _data(_pairs(48))
    base = trained_model(corpus(), 40)
    shared = preference.reference_pairs(base.train(), tokenizer, data, _config(), _settings())
    heldout_reference = preference.response_logprobs(base, tokenizer, data.heldout)
    runs = {}
    # the second run on the same cache shows that a run leaves it as it found it
    for name, reference in (("trl", None), ("shared", shared), ("shared again", shared)):
        seed_everything(1)  # as 04 does before each run: the bottleneck adapter's initialisation draws from it
        result = preference.train_preference_method("DetoxDPO", trained_model(corpus(), 40).train(), tokenizer, data,
                                                    _config(seed=1), _settings(), tmp_path / name, peft=peft,
                                                    progress=False, reference=reference)
        rewards = preference.implicit_rewards(result.model, base, tokenizer, data.heldout, 0.1,
                                              reference_logps=heldout_reference if reference is not None else None)
        runs[name] = (result, rewards)
    trl_run, trl_rewards = runs.pop("trl")
    assert trl_run.log["rewards/margins"].notna().any() and trl_run.log["eval_rewards/margins"].notna().any()
    assert trl_rewards["margin"].abs().max() > 0  # the run moved: the comparison is not between two untrained models
    trained = trl_run.model.state_dict()
    for shared_run, shared_rewards in runs.values():
        pd.testing.assert_frame_equal(_without_timing(shared_run.log), _without_timing(trl_run.log), check_exact=True)
        weights = shared_run.model.state_dict()
        assert weights.keys() == trained.keys()
        assert all(np.array_equal(weights[k].numpy(), trained[k].numpy()) for k in trained)
        pd.testing.assert_frame_equal(shared_rewards, trl_rewards, check_exact=True)
        assert shared_run.final_heldout_loss == trl_run.final_heldout_loss and shared_run.tokens == trl_run.tokens


def test_reference_pairs_refuse_other_pairs_batch_shapes_and_base_models(tmp_path):
    tokenizer = tiny_tokenizer()
    data = _data(_pairs(48))
    shared = preference.reference_pairs(trained_model(corpus(), 40).train(), tokenizer, data, _config(), _settings())
    other_pairs = _data(_pairs(40))
    cases = ((other_pairs, _config(), trained_model(corpus(), 40), "other train pairs"),
             (data, _config(batch_size=4), trained_model(corpus(), 40), "other per_device_eval_batch_size, "
                                                                         "per_device_train_batch_size"),
             (data, _config(), trained_model(corpus(), 20), "another model"))
    for pairs, config, model, message in cases:
        with pytest.raises(ValueError, match=message):
            preference.train_preference_method("DetoxDPO", model.train(), tokenizer, pairs, config, _settings(),
                                               tmp_path / "run", progress=False, reference=shared)
    with pytest.raises(ValueError, match="SFT control"):
        preference.train_preference_method("DetoxChosenSFT", trained_model(corpus(), 40), tokenizer, data, _config(),
                                           _settings(), tmp_path / "run", progress=False, reference=shared)
    heldout_reference = preference.response_logprobs(trained_model(corpus(), 40), tokenizer, data.heldout)
    with pytest.raises(ValueError, match="other pairs"):
        preference.implicit_rewards(trained_model(corpus(), 40), None, tokenizer, data.train, 0.1,
                                    reference_logps=heldout_reference)


def test_a_run_on_every_language_scores_its_training_languages_split_once(monkeypatch):
    tokenizer = tiny_tokenizer()
    texts = corpus()[::5]
    docs = pd.DataFrame({"text": texts, "language": ["en", "fr"] * (len(texts) // 2) + ["en"] * (len(texts) % 2)})
    every = collapse.heldout_splits(tokenizer, docs, ["en", "fr"], 32, 512)
    english = collapse.heldout_splits(tokenizer, docs, ["en"], 32, 512)
    assert every[collapse.TRAIN_LANGUAGES] is every[collapse.OVERALL] and every[collapse.OTHER_LANGUAGES] is None
    assert english[collapse.TRAIN_LANGUAGES] is not english[collapse.OVERALL]
    model = trained_model(corpus(), 10)
    calls = []
    original = collapse.heldout_loss
    monkeypatch.setattr(collapse, "heldout_loss", lambda *a, **k: calls.append(1) or original(*a, **k))
    losses = collapse.heldout_losses(model, every, 8)
    assert len(calls) == 1 and losses[collapse.TRAIN_LANGUAGES] == losses[collapse.OVERALL]
    assert math.isnan(losses[collapse.OTHER_LANGUAGES])
    separate = collapse.heldout_losses(model, english, 8)
    assert len(calls) == 4 and separate[collapse.OVERALL] == losses[collapse.OVERALL]
