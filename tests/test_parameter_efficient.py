"""Notebook 04 on the seam: each PEFT variant wraps exactly its layers, the bottleneck adapter, the plan, parameters."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from helpers import io, modeling
from helpers.params import ParamsError, load_profile, stage_params_from_profile, validate_stage
from helpers.training import bottleneck, finetune, peft_variants, preference
from helpers.training import parameter_efficient as pe
from helpers.training.causal_lm import TrainingConfig
from tiny_models import corpus, single_thread, tiny_tokenizer, trained_model

STAGE = "04_parameter_efficient"
# the tiny GPT-2 of the fixtures: 2 layers, width 32, MLP 128
LAYERS, WIDTH, MLP = 2, 32, 128


@pytest.fixture(autouse=True)
def _one_thread():
    with single_thread():
        yield


def _logits(model, text: str = "the cat sees the river.") -> torch.Tensor:
    ids = torch.tensor([tiny_tokenizer()(text)["input_ids"]])
    with torch.no_grad():
        return model(input_ids=ids).logits


def _parent(tmp_path) -> modeling.ModelCard:
    card = modeling.ModelCard(name="BASE-s0", method="BASE", stage="01_pretraining", seed=0, base="tiny",
                              path="models/BASE-s0")
    return modeling.save_model(trained_model(corpus(), 40), tiny_tokenizer(),
                               tmp_path / "01_pretraining" / "models" / "BASE-s0", card)


# each variant wraps exactly the intended layers

@pytest.mark.parametrize("variant", ["lora4", "lora64"])
def test_lora_ranks_wrap_every_attention_and_mlp_projection(variant):
    model = trained_model(corpus(), 5)
    total = modeling.count_parameters(model)
    _, report = peft_variants.prepare_model(model, variant)
    rank = peft_variants.LORA_RANKS[variant]
    # per layer: c_attn (32 -> 96), attention c_proj (32 -> 32), c_fc (32 -> 128), MLP c_proj (128 -> 32)
    per_layer = (WIDTH + 3 * WIDTH) + (WIDTH + WIDTH) + (WIDTH + MLP) + (MLP + WIDTH)
    assert report.trainable_parameters == LAYERS * rank * per_layer
    assert len(report.wrapped_modules) == 4 * LAYERS
    assert {name.rsplit(".", 1)[-1] for name in report.wrapped_modules} == {"c_attn", "c_proj", "c_fc"}
    assert report.total_parameters == total + report.trainable_parameters


def test_ia3_scales_attention_outputs_and_mlp_inputs_only():
    _, report = peft_variants.prepare_model(trained_model(corpus(), 5), "ia3")
    assert sorted({".".join(name.split(".")[-2:]) for name in report.wrapped_modules}) == ["attn.c_attn", "mlp.c_proj"]
    assert report.trainable_parameters == LAYERS * (3 * WIDTH + MLP)


# the bottleneck adapter

def test_the_bottleneck_adapter_is_the_identity_at_initialisation_and_trains_only_itself():
    base = trained_model(corpus(), 20)
    expected = _logits(base)
    wrapped, report = peft_variants.prepare_model(trained_model(corpus(), 20), "bottleneck")
    assert torch.equal(_logits(wrapped), expected)
    config = bottleneck.adapter_config(wrapped)
    assert config.bottleneck_size == WIDTH // bottleneck.DEFAULT_REDUCTION_FACTOR
    assert config.target_modules == ("transformer.h.0.mlp", "transformer.h.1.mlp")
    assert report.trainable_parameters == bottleneck.trainable_parameters(config) == \
        LAYERS * (2 * WIDTH * config.bottleneck_size + config.bottleneck_size + WIDTH)
    assert all(("adapter_" in name) == parameter.requires_grad for name, parameter in wrapped.named_parameters())
    with pytest.raises(ValueError, match="already carries"):
        bottleneck.wrap(wrapped)


def test_a_trained_bottleneck_adapter_is_saved_as_an_adapter_and_reloads_to_identical_logits(tmp_path):
    parent = _parent(tmp_path)
    model, tokenizer = modeling.load_model(parent, "cpu", for_training=True)
    pairs = pd.DataFrame({"pair_id": [f"p{i}" for i in range(40)], "language": "en",
                          "prompt": [" ".join(s.split()[:2]) for s in corpus()[:40]],
                          "chosen": [" ".join(s.split()[2:]) for s in corpus()[:40]],
                          "rejected": [" ".join(s.split()[2:]).replace(".", " the the.") for s in corpus()[:40]]})
    data = preference.prepare_pairs(pairs, "toxicity_preferences", "pairs.parquet", None, 8, 0)
    config = TrainingConfig(train_tokens=0, batch_size=8, context_length=64, learning_rate=0.0, seed=0,
                            eval_interval=5, eval_tokens=1024, device="cpu")
    settings = preference.PreferenceSettings(epochs=2.0, learning_rates={"DetoxDPO": 3e-2})
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = preference.train_preference_method("DetoxDPO", model, tokenizer, data, config, settings,
                                                tmp_path / "dpo", peft="bottleneck", progress=False)
    # DPO through TRL trained the adapter and nothing else; the reference was the (identity-initialised) base
    assert result.details["reference"] == "precomputed"
    state = result.model.state_dict()
    assert all(torch.equal(state[k.replace(".mlp.", ".mlp.base.")] if ".mlp." in k else state[k], v)
               for k, v in before.items())
    rewards = preference.implicit_rewards(result.model, modeling.load_model(parent, "cpu")[0], tokenizer,
                                          data.train, 0.1)
    assert rewards["margin"].mean() > 0.05
    trained = _logits(result.model.eval())
    run = finetune.save_finetuned(result, tokenizer, tmp_path / STAGE, method="DetoxDPO", seed=0, parent=parent,
                                  stage=STAGE, peft="bottleneck")
    card = modeling.read_card(run.card.folder / modeling.CARD_FILE)
    assert (card.name, card.method, card.family, card.peft, card.adapter, card.parent) == \
        ("DetoxDPO_bottleneck-s0", "DetoxDPO_bottleneck", "DetoxDPO", "bottleneck", True, "BASE-s0")
    assert sorted(p.name for p in card.folder.glob("adapter_*")) == ["adapter_config.json", "adapter_model.safetensors"]
    assert not (card.folder / "config.json").exists()
    assert io.read_json(card.folder / "adapter_config.json")["base_model_name_or_path"] == "BASE-s0"
    loaded, _ = modeling.load_model(card, "cpu")
    assert torch.equal(_logits(loaded), trained)
    assert not torch.allclose(trained, _logits(modeling.load_model(parent, "cpu")[0]), atol=1e-4)
    with pytest.raises(ValueError, match="cannot be merged"):
        finetune.save_finetuned(result, tokenizer, tmp_path / "merged", method="DetoxDPO", seed=0, parent=parent,
                                stage=STAGE, peft="bottleneck", merge=True)
    # the same pairs under LoRA: TRL wraps the model from the config's dropout (04 trains without)
    model, _ = modeling.load_model(parent, "cpu", for_training=True)
    lora = preference.train_preference_method("DetoxDPO", model, tokenizer, data,
                                              dataclasses.replace(config, lora_dropout=0.0),
                                              dataclasses.replace(settings, epochs=0.2), tmp_path / "lora",
                                              peft="lora4", progress=False)
    assert lora.model.peft_config["default"].lora_dropout == 0.0


def test_a_bottleneck_folder_that_does_not_fit_is_a_clear_error(tmp_path):
    wrapped = bottleneck.wrap(trained_model(corpus(), 5))
    bottleneck.save(wrapped, tmp_path / "adapter", "BASE-s0")
    (tmp_path / "adapter" / bottleneck.WEIGHTS_FILE).unlink()
    with pytest.raises(FileNotFoundError, match="lacks adapter_model.safetensors"):
        bottleneck.load(trained_model(corpus(), 5), tmp_path / "adapter")
    bottleneck.save(wrapped, tmp_path / "other", "BASE-s0")
    data = io.read_json(tmp_path / "other" / bottleneck.CONFIG_FILE)
    io.write_json(tmp_path / "other" / bottleneck.CONFIG_FILE, {**data, "hidden_size": 64})
    with pytest.raises(ValueError, match="hidden size 64"):
        bottleneck.load(trained_model(corpus(), 5), tmp_path / "other")


# the plan of 04

def test_the_plan_reuses_the_full_runs_of_02_and_03_and_summarises_by_variant():
    plan = pe.run_plan(["DAPT", "DetoxDPO"], ["lora4", "bottleneck"], [0, 1], ["DetoxDPO_bottleneck"])
    assert plan == [("DAPT", "lora4", 0), ("DAPT", "lora4", 1), ("DAPT", "bottleneck", 0), ("DAPT", "bottleneck", 1),
                    ("DetoxDPO", "lora4", 0), ("DetoxDPO", "lora4", 1), ("DetoxDPO", "bottleneck", 0)]
    with pytest.raises(ValueError, match="unknown families or variants"):
        pe.run_plan(["DAPT"], ["lora8"], [0])
    assert pe.mergeable("lora16") and pe.mergeable("ia3") and not pe.mergeable("bottleneck")
    assert pe.learning_rate(1e-5, "lora16", {"lora16": 10.0}) == pytest.approx(1e-4)
    with pytest.raises(ValueError, match="no entry for 'ia3'"):
        pe.learning_rate(1e-5, "ia3", {"lora16": 10.0})

    def card(name, method, stage, seed, peft="full", parent="BASE-s0"):
        return modeling.ModelCard(name=name, method=method, stage=stage, seed=seed, base="tiny", path=f"models/{name}",
                                  peft=peft, parent=parent)

    cards = [card("DAPT-s1", "DAPT", "02_domain_adaptation", 1), card("DAPT-s0", "DAPT", "02_domain_adaptation", 0),
             card("DAPT-s2", "DAPT", "02_domain_adaptation", 2), card("DAPT_3x-s0", "DAPT_3x", "02_domain_adaptation", 0),
             card("DAPT_lora16-s0", "DAPT_lora16", "02_domain_adaptation", 0, peft="lora16"),
             card("DetoxDPO-s0", "DetoxDPO", "03_preference_optimization", 0, parent="MEDA-s0")]
    assert [c.name for c in pe.full_runs(cards, "DAPT", "BASE-s0", [0, 1])] == ["DAPT-s0", "DAPT-s1"]
    assert pe.full_runs(cards, "DetoxDPO", "BASE-s0", [0, 1]) == []

    runs = pd.DataFrame({"family": ["DAPT"] * 4, "peft": ["lora4", "full", "lora4", "full"], "seed": [0, 0, 1, 1],
                         "EMT": [0.2, 0.1, 0.4, 0.3], "trainable parameters": [10, 100, 10, 100],
                         "parameters": [110, 100, 110, 100], "train s": [1.0, 2.0, 3.0, 4.0],
                         "tokens/s": [5.0, 6.0, 7.0, 8.0]})
    table = pe.order_variants(pe.variant_summary(runs, ["EMT"]))
    assert list(table["peft"]) == ["full", "lora4"] and list(table["seeds"]) == [2, 2]
    lora = table.set_index("peft").loc["lora4"]
    assert lora["EMT"] == pytest.approx(0.3) and lora["EMT sd"] == pytest.approx(np.std([0.2, 0.4], ddof=1))
    assert lora["trainable share"] == pytest.approx(10 / 110) and lora["train s"] == pytest.approx(2.0)


def test_upstream_recipes_come_from_finished_stages_only(tmp_path, monkeypatch):
    from helpers import paths

    monkeypatch.setenv(paths.OUTPUTS_ROOT_ENV, str(tmp_path))
    with pytest.raises(FileNotFoundError, match="run stage 02_domain_adaptation"):
        pe.upstream_params("smoke", "02_domain_adaptation")
    folder = paths.stage_dir("smoke", "03_preference_optimization")
    io.write_json(folder / "manifest.json", {"status": "failed"})
    with pytest.raises(ValueError, match="did not finish"):
        pe.upstream_params("smoke", "03_preference_optimization")
    io.write_json(folder / "manifest.json", {"status": "ok", "params": {"epochs": 0.5}})
    assert pe.upstream_params("smoke", "03_preference_optimization") == {"epochs": 0.5}


def test_04_parameters_are_checked():
    values = stage_params_from_profile(load_profile("smoke"), STAGE)
    validate_stage(STAGE, values)
    for profile in ("default", "real-tiny"):
        validate_stage(STAGE, stage_params_from_profile(load_profile(profile), STAGE))
    for change, message in ((dict(families=["DAPT", "SGEAT"]), "must be one of"),
                            (dict(variants=["lora16", "lora8"]), "must be one of"),
                            (dict(seeds=[0, 0]), "duplicates"),
                            (dict(first_seed_only=["DAPT_lora4"]), "not trained"),
                            (dict(learning_rate_multipliers={"lora16": 10.0}), "lacks the variants"),
                            (dict(learning_rate_multipliers={**values["learning_rate_multipliers"], "lora8": 1.0}),
                             "unknown variants"),
                            (dict(collapse_margin={"DAPT": -0.1, "DetoxDPO": 0.05}), ">= 0"),
                            (dict(collapse_margin={"DAPT": 0.5}), "collapse_margin lacks the families"),
                            (dict(eval_interval={"DAPT": 20}), "eval_interval lacks the families"),
                            (dict(eval_interval={"DAPT": 0, "DetoxDPO": 8}), ">= 1"),
                            (dict(eval_interval={"DAPT": 2.5, "DetoxDPO": 8}), "dict\\[str,int\\]"),
                            (dict(lora_dropout=1.5), "<= 0.9")):
        with pytest.raises(ParamsError, match=message):
            validate_stage(STAGE, {**values, **change})


def test_the_default_profile_trains_every_variant_of_both_families_with_three_seeds():
    values = stage_params_from_profile(load_profile("default"), STAGE)
    assert set(values["families"]) == set(pe.FAMILIES) and set(values["variants"]) == set(pe.VARIANTS)
    assert len(values["seeds"]) >= 3 and values["first_seed_only"] == []
    smoke = stage_params_from_profile(load_profile("smoke"), STAGE)
    plan = pe.run_plan(smoke["families"], smoke["variants"], smoke["seeds"], smoke["first_seed_only"])
    per_method = pd.Series([f"{f}_{v}" for f, v, _ in plan]).value_counts()
    assert (per_method == 2).sum() == 1 and (per_method <= 2).all()  # one method with two seeds, the others one


@pytest.mark.parametrize("variant", ["lora16", "ia3"])
def test_an_adapters_digest_is_the_same_in_processes_with_other_hash_seeds(variant, tmp_path):
    # PEFT writes its target modules in set order, which follows the process's hash seed: the digest keyed 05's cache
    import os
    import subprocess
    import sys

    script = ("import sys, torch; from pathlib import Path; from helpers import modeling; "
              "from helpers.training import peft_variants; from tiny_models import tiny_model, tiny_tokenizer; "
              "torch.manual_seed(0); model, _ = peft_variants.prepare_model(tiny_model(), sys.argv[1]); "
              "card = modeling.ModelCard(name='X-s0', method='X', stage='04_parameter_efficient', seed=0, "
              "base='tiny', path='models/X-s0', parent='BASE-s0', peft=sys.argv[1], adapter=True); "
              "print(modeling.save_model(model, tiny_tokenizer(), Path(sys.argv[2]) / 'models' / 'X-s0', card)"
              ".model_digest)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])}
    digests = {subprocess.run([sys.executable, "-c", script, variant, str(tmp_path / seed)], check=True,
                              capture_output=True, text=True, env={**env, "PYTHONHASHSEED": seed}).stdout.strip()
               for seed in ("1", "2", "3")}
    assert len(digests) == 1 and "" not in digests
    config = io.read_json(tmp_path / "1" / "models" / "X-s0" / modeling.ADAPTER_CONFIG)
    assert config["target_modules"] == sorted(config["target_modules"])
