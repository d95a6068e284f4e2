"""Model factory: sizes, seeding, save/reload offline, clear errors for bad sources, discovery."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from helpers import io, modeling, paths
from helpers.modeling import ModelCard, ModelSourceError, ModelSpec
from tiny_models import tiny_tokenizer

SPEC = ModelSpec("gpt2", n_layers=2, d_model=32, n_heads=4, context_length=32)


def _card(name: str, stage: str = "01_pretraining", **changes) -> ModelCard:
    return ModelCard(name=name, method=name, stage=stage, seed=0, base=SPEC.describe(), path=f"models/{name}",
                     **changes)


@pytest.mark.parametrize("architecture", ["gpt2", "llama"])
def test_from_scratch_size_follows_the_parameters(architecture):
    tokenizer = tiny_tokenizer()
    small = modeling.build_model(dataclasses.replace(SPEC, architecture=architecture), tokenizer, seed=0)
    wide = modeling.build_model(dataclasses.replace(SPEC, architecture=architecture, d_model=64), tokenizer, seed=0)
    deep = modeling.build_model(dataclasses.replace(SPEC, architecture=architecture, n_layers=4), tokenizer, seed=0)
    n = modeling.count_parameters(small)
    assert n < modeling.count_parameters(deep) < modeling.count_parameters(wide)
    assert small.get_input_embeddings().weight.shape == (len(tokenizer), 32)
    assert small.config.eos_token_id == tokenizer.eos_token_id
    # tied input/output embeddings are counted once
    assert n == sum(p.numel() for p in set(small.parameters()))


def test_same_seed_same_initial_weights_and_global_rng_untouched():
    tokenizer = tiny_tokenizer()
    torch.manual_seed(123)
    expected_draw = torch.rand(3)
    torch.manual_seed(123)
    first = modeling.build_model(SPEC, tokenizer, seed=5)
    assert torch.equal(torch.rand(3), expected_draw)
    second = modeling.build_model(SPEC, tokenizer, seed=5)
    other = modeling.build_model(SPEC, tokenizer, seed=6)
    for a, b in zip(first.parameters(), second.parameters()):
        assert torch.equal(a, b)
    assert not torch.equal(first.transformer.h[0].attn.c_attn.weight, other.transformer.h[0].attn.c_attn.weight)


def test_save_and_reload_offline_gives_the_same_logits(tmp_path):
    tokenizer = tiny_tokenizer()
    model = modeling.build_model(SPEC, tokenizer, seed=1).eval()
    stage_folder = tmp_path / "01_pretraining"
    card = modeling.save_model(model, tokenizer, stage_folder / "models" / "INST",
                               _card("INST", generation_prefix="nice:\n", prefixes={"nontoxic": "nice:\n",
                                                                                    "toxic": "rude:\n"}))
    saved = io.read_json(stage_folder / "models" / "INST" / modeling.CARD_FILE)
    assert saved["path"] == "models/INST" and saved["parameters"] == modeling.count_parameters(model)
    assert saved["model_digest"] == card.model_digest and len(card.model_digest) == 16
    assert set(saved) == {"name", "method", "stage", "seed", "base", "path", "generation_prefix", "prefixes",
                          "model_digest", "parameters", "notes", "family", "parent", "parent_digest", "peft",
                          "adapter", "train_languages", "train_tokens", "trainable_parameters"}
    assert saved["family"] == "INST" and saved["peft"] == "full" and saved["adapter"] is False
    assert (stage_folder / "models" / "INST" / "model.safetensors").is_file()
    reread = modeling.read_card(stage_folder / "models" / "INST" / modeling.CARD_FILE)
    assert reread == card and reread.folder == (stage_folder / "models" / "INST").resolve()
    loaded, loaded_tokenizer = modeling.load_model(reread, device="cpu")
    ids = torch.tensor([tokenizer("the cat sees the river.")["input_ids"]])
    with torch.no_grad():
        assert torch.allclose(model(ids).logits, loaded(ids).logits, atol=1e-6)
    assert loaded_tokenizer.get_vocab() == tokenizer.get_vocab()


def test_tampered_weights_are_refused(tmp_path):
    tokenizer = tiny_tokenizer()
    model = modeling.build_model(SPEC, tokenizer, seed=1)
    card = modeling.save_model(model, tokenizer, tmp_path / "models" / "BASE", _card("BASE"))
    with torch.no_grad():
        model.transformer.wte.weight[0, 0] += 1.0
    model.save_pretrained(str(tmp_path / "models" / "BASE"))
    with pytest.raises(ValueError, match="digest"):
        modeling.load_model(card, device="cpu")


def test_card_path_must_match_the_folder(tmp_path):
    tokenizer = tiny_tokenizer()
    with pytest.raises(ValueError, match="tail of the output folder"):
        modeling.save_model(modeling.build_model(SPEC, tokenizer, 0), tokenizer, tmp_path / "models" / "X",
                            _card("BASE"))


@pytest.mark.parametrize("source, message", [
    ("./no/such/model", "model path './no/such/model' does not exist"),
    ("/definitely/not/here", "does not exist"),
    ("someone-unknown/not-a-cached-model", "not available offline"),
    ("bad id with spaces!", "neither an existing local folder nor a valid Hub id"),
])
def test_bad_model_sources_are_clear_errors(source, message, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelSourceError) as error:
        modeling.check_model_source(source)
    assert message in str(error.value)
    if "offline" in message:
        assert "path" in str(error.value) and source in str(error.value)


def test_folder_without_a_model_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelSourceError, match="no config.json"):
        modeling.check_model_source(str(tmp_path / "empty"))


def test_bad_pretrained_model_fails_before_any_training(tmp_path):
    # the recipe is what a training stage asks for first; a bad source stops it there
    with pytest.raises(ModelSourceError, match="not available offline"):
        modeling.model_recipe(SPEC, tiny_tokenizer(), seed=0, pretrained_model="nobody/absent-model")


def test_a_saved_model_is_a_valid_pretrained_source(tmp_path):
    tokenizer = tiny_tokenizer()
    modeling.save_model(modeling.build_model(SPEC, tokenizer, 2), tokenizer, tmp_path / "models" / "BASE",
                        _card("BASE"))
    recipe = modeling.model_recipe(dataclasses.replace(SPEC, context_length=1024), tokenizer, seed=0,
                                   pretrained_model=str(tmp_path / "models" / "BASE"))
    assert recipe.context_length == 32  # limited by the saved model's positions
    model = recipe.build()
    assert next(model.parameters()).dtype == torch.float32
    assert modeling.count_parameters(model) == modeling.count_parameters(modeling.build_model(SPEC, tokenizer, 0))


def test_discover_models_lists_finished_stages_only(outputs_root):
    tokenizer = tiny_tokenizer()
    model = modeling.build_model(SPEC, tokenizer, seed=0)
    finished = paths.stage_dir("smoke", "01_pretraining")
    for name in ("MEDA", "BASE"):
        modeling.save_model(model, tokenizer, finished / "models" / name, _card(name))
    io.write_json(finished / "manifest.json", {"status": "ok"})
    unfinished = paths.stage_dir("smoke", "03_preference_optimization")
    modeling.save_model(model, tokenizer, unfinished / "models" / "DPO", _card("DPO", "03_preference_optimization"))
    later = paths.stage_dir("smoke", "02_domain_adaptation")
    modeling.save_model(model, tokenizer, later / "models" / "DAPT", _card("DAPT", "02_domain_adaptation"))
    io.write_json(later / "manifest.json", {"status": "ok"})
    cards = modeling.discover_models("smoke")
    assert [c.name for c in cards] == ["BASE", "MEDA", "DAPT"]
    assert cards[2].folder == (later / "models" / "DAPT").resolve()
    loaded, _ = modeling.load_model(cards[0], device="cpu")
    assert modeling.count_parameters(loaded) == cards[0].parameters
