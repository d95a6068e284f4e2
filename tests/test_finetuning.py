"""The training seam of 02-04: each method trains, SGEAT's filter, the SR_LLM template, adapter cards, bad data."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
import torch

from helpers import io, mitigation_check, modeling
from helpers.metrics import rewrites
from helpers.params import ParamsError, validate_stage
from helpers.seeding import seed_everything
from helpers.training import causal_lm, data_checks, dpo, finetune, instruction, peft_variants, sft, sgeat
from helpers.training import domain_adaptation as da
from helpers.training.causal_lm import LOG_COLUMNS, TrainingConfig
from tiny_models import OBJECTS, SUBJECTS, VERBS, corpus, single_thread, tiny_tokenizer, trained_model

STAGE = "02_domain_adaptation"


@pytest.fixture(autouse=True)
def _one_thread():
    with single_thread():
        yield


def _config(**changes) -> TrainingConfig:
    values = dict(train_tokens=6_000, batch_size=8, context_length=32, learning_rate=3e-3, seed=0, eval_interval=5,
                  eval_tokens=1024, device="cpu")
    return TrainingConfig(**{**values, **changes})


def _parent(tmp_path, steps: int = 40) -> modeling.ModelCard:
    """A small trained 'BASE-s0' saved as 01 saves it, in a profile folder under tmp_path."""
    model = trained_model(corpus(), steps)
    card = modeling.ModelCard(name="BASE-s0", method="BASE", stage="01_pretraining", seed=0, base="tiny",
                              path="models/BASE-s0")
    return modeling.save_model(model, tiny_tokenizer(), tmp_path / "01_pretraining" / "models" / "BASE-s0", card)


def _documents(texts) -> pd.DataFrame:
    return pd.DataFrame({"doc_id": [f"d{i}" for i in range(len(texts))], "language": "en", "text": list(texts),
                         "source": "fixture"})


def _heldout(texts, context_length: int = 32) -> causal_lm.HeldoutBlocks:
    tokenizer = tiny_tokenizer()
    ids = causal_lm.pack_documents(causal_lm.tokenize(tokenizer, texts), tokenizer.eos_token_id, context_length)
    return causal_lm.HeldoutBlocks.plain(ids)


def _logits(model, text: str = "the cat sees the river.") -> torch.Tensor:
    ids = torch.tensor([tiny_tokenizer()(text)["input_ids"]])
    with torch.no_grad():
        return model(input_ids=ids).logits


# the schedule and the trainer arguments

def test_one_schedule_from_transformers_for_the_loop_and_the_trl_trainers(tmp_path):
    from trl import DPOConfig, SFTConfig

    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = causal_lm.make_scheduler(optimizer, total_steps=100, warmup_steps=10, min_lr_fraction=0.1)
    rates = []
    for _ in range(101):
        rates.append(scheduler.get_last_lr()[0])
        optimizer.step()
        scheduler.step()
    assert rates[0] == 0.0 and rates[5] == pytest.approx(0.5) and rates[10] == pytest.approx(1.0)
    assert rates[55] == pytest.approx(0.55) and rates[100] == pytest.approx(0.1)
    assert all(a >= b for a, b in zip(rates[10:], rates[11:]))
    for config_class in (SFTConfig, DPOConfig):
        args = finetune_args = trl_args(config_class, tmp_path)
        assert args.lr_scheduler_type.value == causal_lm.LR_SCHEDULE
        assert args.lr_scheduler_kwargs == {"min_lr_rate": 0.1} and args.warmup_steps == 2
        # CPU-safe: TRL would default to bf16 and activation checkpointing
        assert finetune_args.use_cpu and not args.bf16 and not args.fp16 and not args.activation_checkpointing


def trl_args(config_class, tmp_path):
    from helpers.training.trl_common import trainer_arguments

    return trainer_arguments(config_class, _config(min_lr_fraction=0.1, warmup_fraction=0.05), tmp_path, 40, True)


# DAPT / SGEAT: continued causal-LM training

def test_continued_training_lowers_the_loss_and_saves_a_card_05_can_load(tmp_path, capsys):
    parent = _parent(tmp_path)
    model, tokenizer = modeling.load_model(parent, "cpu", for_training=True)
    domain = [f"{s} {v} {o} and what a nice day." for s in SUBJECTS for v in VERBS for o in OBJECTS[:3]]
    heldout = _heldout(domain[::7])
    result = finetune.continued_training(model, tokenizer, _documents(domain), heldout, _config())
    log = result.log
    assert list(log.columns) == list(LOG_COLUMNS)
    assert log["heldout_loss"].iloc[-1] < log["heldout_loss"].iloc[0] - 0.3  # it learned the new domain
    assert result.tokens == result.steps * 8 * 32 >= 6_000 and result.details["epochs"] >= 1
    assert "tok/s" in capsys.readouterr().out  # one progress line per logged step
    run = finetune.save_finetuned(result, tokenizer, tmp_path / STAGE, method="DAPT", seed=1, parent=parent,
                                  stage=STAGE, train_languages=["en"])
    saved = io.read_json(tmp_path / STAGE / "models" / "DAPT-s1" / modeling.CARD_FILE)
    assert saved["name"] == "DAPT-s1" and saved["method"] == saved["family"] == "DAPT" and saved["seed"] == 1
    assert saved["parent"] == "BASE-s0" and saved["parent_digest"] == parent.model_digest
    assert saved["peft"] == "full" and saved["adapter"] is False and saved["train_languages"] == ["en"]
    assert saved["train_tokens"] == result.tokens and saved["trainable_parameters"] == saved["parameters"]
    assert list(pd.read_csv(run.card.folder / causal_lm.LOG_FILE).columns) == list(LOG_COLUMNS)
    loaded, _ = modeling.load_model(modeling.read_card(run.card.folder / modeling.CARD_FILE), "cpu")
    assert torch.allclose(_logits(loaded), _logits(run.model), atol=1e-6)


VERB_FRAMES = ("likes", "sees", "finds")


def _association_world(rates: dict[str, float], repeats: int = 20) -> tuple[list[str], pd.DataFrame]:
    """Statements '<group> <verb> the river.' (stereotypical) or '... a small house.' at each group's rate, and
    the CrowS-style pairs of those statements."""
    texts = []
    for group, rate in rates.items():
        stereo = round(rate * repeats)
        for verb in VERB_FRAMES:
            texts += [f"{group} {verb} the river."] * stereo + [f"{group} {verb} a small house."] * (repeats - stereo)
    pairs = pd.DataFrame([{"pair_id": f"{group}-{verb}", "language": "en", "group": group, "bias_type": "toy",
                           "stereo_antistereo": "stereo", "sent_more": f"{group} {verb} the river.",
                           "sent_less": f"{group} {verb} a small house."}
                          for group in rates for verb in VERB_FRAMES])
    return texts, pairs


def test_a_known_parent_loss_is_logged_at_step_0_and_the_run_is_unchanged(tmp_path):
    """02 passes the parent's held-out loss (every run starts from it) and reads the final one from the log."""
    parent = _parent(tmp_path)
    domain = [f"{s} {v} {o} and what a nice day." for s in SUBJECTS for v in VERBS for o in OBJECTS[:3]]
    heldout = _heldout(domain[::7])
    runs = []
    for known in (None, 123.0):  # a sentinel value, to see that it is logged rather than recomputed
        model, tokenizer = modeling.load_model(parent, "cpu", for_training=True)
        torch.manual_seed(0)  # the same dropout draws in both runs
        runs.append(finetune.continued_training(model, tokenizer, _documents(domain), heldout,
                                                _config(train_tokens=2_000), progress=False,
                                                initial_heldout_loss=known))
    scored, given = runs
    assert given.log["heldout_loss"].iloc[0] == 123.0 and scored.log["heldout_loss"].iloc[0] != 123.0
    pd.testing.assert_frame_equal(scored.log.iloc[1:].drop(columns="seconds"), given.log.iloc[1:].drop(columns="seconds"))
    for a, b in zip(scored.model.parameters(), given.model.parameters()):
        assert torch.equal(a, b)
    assert scored.final_heldout_loss == causal_lm.heldout_loss(scored.model, heldout, _config().batch_size)


def test_bias_sft_on_balanced_text_flattens_the_planted_association(tmp_path):
    rates = {"the cat": 0.1, "a dog": 0.35, "my friend": 0.65, "the teacher": 0.9}
    biased, pairs = _association_world(rates)
    balanced, _ = _association_world(dict.fromkeys(rates, 0.5))
    parent = modeling.ModelCard(name="BASE-s0", method="BASE", stage="01_pretraining", seed=0, base="tiny",
                                path="models/BASE-s0")
    parent = modeling.save_model(trained_model(biased[::3] + biased[1::3] + biased[2::3], 150), tiny_tokenizer(),
                                 tmp_path / "01_pretraining" / "models" / "BASE-s0", parent)
    base, tokenizer = modeling.load_model(parent, "cpu")
    planted = pairs["group"].map(rates)
    before = _crows(base, tokenizer, pairs)
    # the check is 05's CrowS scoring: sent_more stereotyped when it scores higher, soft = sigmoid(difference)
    assert before["stereotyped"].tolist() == (before["ll_more"] > before["ll_less"]).astype(float).tolist()
    assert da.association_slope(before["soft"], planted) > 0.3  # the parent learned the planted rates
    trainee, _ = modeling.load_model(parent, "cpu", for_training=True)
    result = finetune.continued_training(trainee, tokenizer, _documents(balanced), _heldout(balanced),
                                         _config(), progress=False)
    after = _crows(result.model, tokenizer, pairs)
    assert abs(da.association_slope(after["soft"], planted)) < 0.5 * da.association_slope(before["soft"], planted)
    interval = da.slope_difference_ci(after["soft"], before["soft"], planted, resamples=500, level=0.9, seed=0)
    assert interval.high < 0 and interval.low <= interval.estimate <= interval.high and interval.n == len(pairs)
    # a control prefix conditions both sentences (MEDA/INST), so it changes the scores
    prefixed = _crows(base, tokenizer, pairs, prefix="the farmer helps")
    assert not np.allclose(prefixed["ll_more"], before["ll_more"])


def _crows(model, tokenizer, pairs: pd.DataFrame, prefix: str = "") -> pd.DataFrame:
    """02's quick bias check of one model: `helpers.mitigation_check.crows_items`, as 03 and 04 run it."""
    checked = mitigation_check.CheckedModel("m", "M", 0, model, generation_prefix=prefix)
    return mitigation_check.crows_items([checked], tokenizer, pairs)


def test_sgeat_filter_keeps_exactly_the_least_toxic_half():
    scores = [0.9, 0.1, 0.5, 0.1, 0.7, float("nan"), 0.3, 0.2, 0.8]
    kept = sgeat.keep_least_toxic(scores)
    # 8 scored samples -> 4 kept: the two 0.1 (ties by position), 0.2 and 0.3; the unscored one never
    assert kept.tolist() == [False, True, False, True, False, False, True, True, False]
    assert sgeat.keep_least_toxic([0.4, 0.2, 0.3]).tolist() == [False, True, False]  # floor(3 / 2) = 1
    assert not sgeat.keep_least_toxic([0.5]).any()
    with pytest.raises(ValueError, match="fraction"):
        sgeat.keep_least_toxic(scores, fraction=1.0)
    samples = pd.DataFrame({"sample": range(6), "text": ["a b", "c d", "", "e f", "g h", "i j"],
                            "n_tokens": 2, "finished": True})
    built = sgeat.build_corpus(samples, [0.9, 0.2, np.nan, 0.4, 0.1, 0.3], ["en", "en", "en", "fr", "en", "en"],
                               train_languages=["en"])
    # usable: en and non-empty -> samples 0, 1, 4, 5 (scores 0.9, 0.2, 0.1, 0.3); kept: 4 and 1
    assert built.kept["doc_id"].tolist() == ["sgeat-000001", "sgeat-000004"]
    assert built.counts() == {"dropped (more toxic half)": 2, "empty": 1, "kept": 2, "other language": 1}


def test_sgeat_generates_from_bos_scores_keeps_half_and_trains(tmp_path):
    parent = _parent(tmp_path, steps=60)
    model, tokenizer = modeling.load_model(parent, "cpu")
    decoding = sgeat.self_generation_decoding(samples=40, max_new_tokens=20)
    assert decoding.top_p == 0.9 and decoding.temperature == 1.0 and decoding.top_k == 0
    samples = sgeat.self_generate(model, tokenizer, decoding, seed=3)
    assert len(samples) == 40 and samples["text"].nunique() > 20  # independent samples, not copies
    # a stand-in scorer: sentences about the cat are 'toxic'
    toxicity = [0.9 if "cat" in t else 0.1 for t in samples["text"]]
    built = sgeat.build_corpus(samples, toxicity, ["en"] * len(samples))
    assert built.samples["kept"].sum() == (samples["text"].str.strip() != "").sum() // 2
    assert (built.kept["toxicity"] <= np.nanmax(np.where(built.samples["kept"], np.nan, toxicity))).all()
    trainee, _ = modeling.load_model(parent, "cpu", for_training=True)
    result = finetune.continued_training(trainee, tokenizer, built.kept, _heldout(built.kept["text"].tolist()),
                                         _config(train_tokens=3_000), progress=False)
    assert result.log["heldout_loss"].iloc[-1] < result.log["heldout_loss"].iloc[0]


# SR_LLM: the template and instruction fine-tuning

def test_the_instruction_template_renders_as_specified():
    short = instruction.InstructionTemplate.parse(instruction.SR_LLM_SHORT_TEMPLATE)
    assert short.render_prompt("X are lazy.") == "[INST] Debias this text: X are lazy. [/INST]\n"
    assert short.render_completion("Some X are lazy, some not.") == "Some X are lazy, some not."
    assert short.render("a", "b") == "[INST] Debias this text: a [/INST]\nb"
    original = instruction.InstructionTemplate.parse(instruction.SR_LLM_ORIGINAL_TEMPLATE)
    # Raza et al.'s utils/params.py fields joined with "\n", their literal closing string included
    assert original.render("IN", "OUT") == (
        "<s>\n<<SYS>>You are a text debiasing bot, you take as input a text and you output its debiased version by "
        "rephrasing it to be free from any age, gender, political, social or socio-economic biases ,  without any "
        "extra outputs<</SYS>>\n[INST] Debias this text by rephrasing it to be free of bias : IN [/INST]\nOUT\n<s/>")
    assert original.render_completion("OUT") == "OUT\n<s/>" and original.extract("OUT text\n<s/> more") == "OUT text"
    for bad, message in (("{biased} only", "once each"), ("{debiased} {biased}", "before"),
                         ("{biased} {debiased} {other}", "no other"), ("{biased {debiased}", "valid")):
        with pytest.raises(ValueError, match=message):
            instruction.InstructionTemplate.parse(bad)


def test_sft_trains_on_the_completion_only_and_learns_the_rewrite(tmp_path):
    tokenizer = tiny_tokenizer()
    template = instruction.InstructionTemplate.parse("Fix: {biased}\nAs: {debiased}")
    sentences = [f"{s} {v} {o}." for s in SUBJECTS for v in VERBS[:4] for o in OBJECTS[:4]]
    pairs = pd.DataFrame({"pair_id": [f"p{i:03d}" for i in range(len(sentences))], "language": "en",
                          "biased": sentences, "debiased": [s.replace("the", "a") for s in sentences]})
    train, held = instruction.split_pairs(pairs, heldout=12, seed=0)
    assert len(held) == 12 and not set(held["pair_id"]) & set(train["pair_id"])
    examples = sft.tokenize_pairs(tokenizer, ["ab"], [" cd"], max_length=64)
    prompt_ids = tokenizer("ab", add_special_tokens=False)["input_ids"]
    assert examples.input_ids[0][0] == tokenizer.bos_token_id and examples.input_ids[0][-1] == tokenizer.eos_token_id
    assert examples.completion_mask[0] == [0] * (1 + len(prompt_ids)) + [1] * (len(examples.input_ids[0]) - 1 - len(prompt_ids))
    cut = sft.tokenize_pairs(tokenizer, ["a long prompt of many words", "ab"], [" x", " cd ef gh ij"], max_length=6)
    assert (cut.dropped, cut.truncated, len(cut.input_ids)) == (1, 1, 1) and len(cut.input_ids[0]) == 6
    with pytest.raises(ValueError, match="fills max_length"):
        sft.tokenize_pairs(tokenizer, ["a long prompt of many words"], [" x"], max_length=3)
    model = trained_model(corpus(), 40)
    result = sft.train_sft(model, tokenizer, instruction.rewrite_examples(train, template),
                           _config(train_tokens=12_000, context_length=64), tmp_path / "out",
                           heldout=instruction.rewrite_examples(held, template), progress=False)
    log = result.log
    assert list(log.columns[:len(LOG_COLUMNS)]) == list(LOG_COLUMNS) and log["step"].iloc[-1] == result.steps
    assert log["heldout_loss"].iloc[-1] < 0.7 * log["heldout_loss"].iloc[0]  # the held-out rewrites got likelier
    assert log["train_loss"].dropna().iloc[-1] < log["train_loss"].dropna().iloc[0]
    assert 0.9 * 12_000 < result.tokens < 1.3 * 12_000 and result.details["completion_token_share"] < 0.6
    outputs = instruction.generate_rewrites(result.model, tokenizer, held["biased"].tolist(), template, 20, seed=0)
    assert len(outputs) == len(held) and all(isinstance(o, str) and "As:" not in o for o in outputs)


def test_rewrite_items_score_inputs_rewrites_and_references():
    class Scorer:
        def score(self, texts, languages=None):
            return np.array([0.9 if "idiot" in t else 0.1 for t in texts])

    truth = {"insults": {"en": {"seen": ["idiot"], "heldout": ["filthy pig"]}},
             "attribute_pairs": {"en": [["lazy", "busy"]]}}
    pairs = pd.DataFrame({"pair_id": ["a", "b"], "language": ["en", "en"],
                          "biased": ["Zorks are lazy.", "You idiot, go away."],
                          "debiased": ["Some Zorks are lazy and some are busy.", "Please go away."]})
    items = rewrites.rewrite_items(pairs, ["Zorks are busy.", "You filthy pig."], Scorer(), truth)
    assert items["input_stereotyped"].tolist() == [1.0, 0.0] and items["reference_stereotyped"].tolist() == [0.0, 0.0]
    assert items["rewrite_insult"].tolist() == [0.0, 1.0] and items["input_toxicity"].tolist() == [0.1, 0.9]
    assert items["copy_chrf"].iloc[0] < 100 and (items["chrf"] >= 0).all()
    assert rewrites.chrf_scores(["same text"], ["same text"])[0] == pytest.approx(100.0)


def test_rewrite_tests_score_non_empty_rewrites_and_say_when_all_are_empty():
    class Scorer:  # NaN for empty texts, as the study's scorers give
        def score(self, texts, languages=None):
            return np.array([np.nan if not t.strip() else 0.9 if "idiot" in t else 0.1 for t in texts])

    pairs = pd.DataFrame({"pair_id": ["a", "b", "c"], "language": ["en"] * 3,
                          "biased": ["You idiot.", "Go away, idiot.", "Sit, idiot."],
                          "debiased": ["You.", "Go away.", "Sit."]})
    some = rewrites.rewrite_items(pairs, ["You.", "", "Sit down, idiot."], Scorer())
    tests = rewrites.paired_rewrite_tests(some, stereotype=False, resamples=200, level=0.95, seed=0)
    assert tests["rewrite - input toxicity"]["n"] == 2  # the empty rewrite is not counted as a clean one
    assert tests["rewrite - input toxicity"]["estimate"] == pytest.approx((0.1 + 0.9) / 2 - 0.9)
    assert tests["chrF rewrite - copy"]["n"] == 3
    empty = rewrites.rewrite_items(pairs, ["", " ", ""], Scorer())
    tests = rewrites.paired_rewrite_tests(empty, stereotype=False, resamples=200, level=0.95, seed=0)
    assert tests["rewrite - input toxicity"]["estimate"] is None and tests["rewrite - input toxicity"]["n"] == 0
    assert "all 3 rewrites are empty" in tests["rewrite - input toxicity"]["note"]


# PEFT: adapters on the seam

@pytest.mark.parametrize("variant", ["lora16", "ia3"])
def test_peft_wraps_the_intended_layers(variant):
    model = trained_model(corpus(), 5)
    total = modeling.count_parameters(model)
    wrapped, report = peft_variants.prepare_model(model, variant)
    if variant == "lora16":
        # c_attn (32 -> 96), attn c_proj (32 -> 32), c_fc (32 -> 128), mlp c_proj (128 -> 32) per layer, r = 16
        assert len(report.wrapped_modules) == 8
        assert report.trainable_parameters == 2 * 16 * ((32 + 96) + (32 + 32) + (32 + 128) + (128 + 32))
    else:
        # IA3 scales c_attn's 96 outputs and the MLP output's 128 inputs per layer
        assert len(report.wrapped_modules) == 4 and report.trainable_parameters == 2 * (96 + 128)
    assert report.total_parameters == total + report.trainable_parameters
    with pytest.raises(ValueError, match="unknown PEFT variant"):
        peft_variants.prepare_model(model, "lora8")


@pytest.mark.parametrize("merge", [False, True])
def test_an_adapter_card_reloads_to_the_same_logits(tmp_path, merge):
    parent = _parent(tmp_path)
    model, tokenizer = modeling.load_model(parent, "cpu", for_training=True)
    domain = [f"{s} {v} {o}." for s in SUBJECTS[:5] for v in VERBS for o in OBJECTS]
    result = finetune.continued_training(model, tokenizer, _documents(domain), _heldout(domain[::5]),
                                         _config(train_tokens=2_000), peft="lora4", progress=False)
    trained_logits = _logits(result.model)
    run = finetune.save_finetuned(result, tokenizer, tmp_path / STAGE, method="DAPT", seed=0, parent=parent,
                                  stage=STAGE, peft="lora4", merge=merge)
    card = modeling.read_card(run.card.folder / modeling.CARD_FILE)
    assert card.name == "DAPT_lora4-s0" and card.family == "DAPT" and card.method == "DAPT_lora4"
    assert card.peft == "lora4" and card.adapter is (not merge) and card.parent == "BASE-s0"
    assert 0 < card.trainable_parameters < card.parameters
    if not merge:
        assert (card.folder / "adapter_config.json").is_file() and not (card.folder / "config.json").exists()
        assert io.read_json(card.folder / "adapter_config.json")["base_model_name_or_path"] == "BASE-s0"
    loaded, _ = modeling.load_model(card, "cpu")
    assert modeling.is_peft_model(loaded) is (not merge)
    assert torch.allclose(_logits(loaded), trained_logits, atol=1e-5)
    assert not torch.allclose(_logits(loaded), _logits(modeling.load_model(parent, "cpu")[0]), atol=1e-3)


def test_an_adapter_on_a_changed_parent_is_refused(tmp_path):
    parent = _parent(tmp_path)
    model, tokenizer = modeling.load_model(parent, "cpu", for_training=True)
    result = finetune.continued_training(model, tokenizer, _documents(corpus()), _heldout(corpus()[:20]),
                                         _config(train_tokens=600), peft="lora4", progress=False)
    card = finetune.save_finetuned(result, tokenizer, tmp_path / STAGE, method="DAPT", seed=0, parent=parent,
                                   stage=STAGE, peft="lora4").card
    _parent(tmp_path, steps=41)  # 01 retrained: another BASE-s0
    with pytest.raises(ValueError, match="retrain the adapter"):
        modeling.load_model(card, "cpu")


# cards and the base model

def test_old_cards_load_with_the_new_fields_defaulted(tmp_path):
    folder = tmp_path / "01_pretraining" / "models" / "BASE"
    folder.mkdir(parents=True)
    io.write_json(folder / modeling.CARD_FILE, {"name": "BASE", "method": "BASE", "stage": "01_pretraining", "seed": 0,
                                                "base": "x", "path": "models/BASE", "generation_prefix": "",
                                                "prefixes": {}, "model_digest": "abc", "parameters": 10, "notes": ""})
    card = modeling.read_card(folder / modeling.CARD_FILE)
    assert (card.family, card.parent, card.peft, card.adapter, card.train_languages, card.train_tokens) == \
        ("BASE", "", "full", False, [], 0)


def test_base_model_is_found_by_card_name_also_under_its_old_name():
    cards = [modeling.ModelCard(name=n, method=m, stage="01_pretraining", seed=s, base="x", path=f"models/{n}")
             for n, m, s in (("BASE", "BASE", 0), ("INST-s1", "INST", 1))]
    assert modeling.select_card(cards, "BASE-s0").name == "BASE"  # 01 before seeds were in names
    assert modeling.select_card(cards, "INST-s1").name == "INST-s1"
    with pytest.raises(ValueError, match="no model card named 'BASE-s1'.*available cards: BASE, INST-s1"):
        modeling.select_card(cards, "BASE-s1")


# bad data, before any training

def test_bad_training_data_is_a_clear_error_naming_file_and_row():
    good = _documents(["a text", "another text"])
    assert data_checks.check_documents(good, "curated.parquet") is good
    with pytest.raises(data_checks.TrainingDataError, match=r"curated.parquet: row 1 \(doc_id 'd1'\): column 'text' is empty"):
        data_checks.check_documents(good.assign(text=["a text", "   "]), "curated.parquet")
    with pytest.raises(data_checks.TrainingDataError, match=r"row 0 .*column 'text' must be text, got"):
        data_checks.check_documents(good.assign(text=[None, "b"]), "curated.parquet")
    with pytest.raises(data_checks.TrainingDataError, match=r"curated.parquet: missing columns \['text'\]"):
        data_checks.check_documents(good.drop(columns="text"), "curated.parquet")
    pairs = pd.DataFrame({"pair_id": ["p0", "p1", "p2"], "language": "en", "biased": ["a", "b", "c"],
                          "debiased": ["a", "x", "y"]})
    checked = data_checks.check_rewrite_pairs(pairs, "rewrite_pairs.parquet")
    assert checked.dropped == 1 and checked.pairs["pair_id"].tolist() == ["p1", "p2"]
    with pytest.raises(data_checks.TrainingDataError, match=r"rewrite_pairs.parquet: every one of its 3 pairs .*row 0 \(pair_id 'p0'\)"):
        data_checks.check_rewrite_pairs(pairs.assign(debiased=pairs["biased"]), "rewrite_pairs.parquet")
    with pytest.raises(data_checks.TrainingDataError, match=r"row 2 \(pair_id 'p2'\): column 'debiased' is empty"):
        data_checks.check_rewrite_pairs(pairs.assign(debiased=["a", "x", ""]), "rewrite_pairs.parquet")
    with pytest.raises(data_checks.TrainingDataError, match=r"missing columns \['debiased'\]"):
        data_checks.check_rewrite_pairs(pairs.drop(columns="debiased"), "rewrite_pairs.parquet")
    with pytest.raises(data_checks.TrainingDataError, match=r"curated.parquet: train_languages \['xx'\] are not in it"):
        da.restrict_languages(good, ["en", "xx"], "curated.parquet")


def test_the_run_plan_and_the_budgets():
    plan = da.run_plan(["DAPT", "SGEAT"], [0, 1], first_seed_only=["SGEAT"])
    assert plan == [("DAPT", 0), ("DAPT", 1), ("SGEAT", 0)]
    assert da.token_budget("DAPT_3x", 1000) == 3 * da.token_budget("DAPT", 1000) == 3 * da.token_budget("SGEAT", 1000)
    assert da.token_budget("BIAS_SFT", 1000) == da.token_budget("DAPT", 1000)  # Neplenbroek's SFT on DAPT's budget
    assert set(da.CORPUS_SOURCES) == set(da.CORPUS_METHODS) <= set(da.METHODS)
    assert finetune.run_name("DAPT", 2) == "DAPT-s2" and finetune.run_name("DAPT", 2, "ia3") == "DAPT_ia3-s2"
    with pytest.raises(ValueError, match="unknown methods"):
        da.run_plan(["DPO"], [0])


def test_02_parameters_are_checked():
    import yaml

    from helpers import paths
    from helpers.params import stage_params_from_profile

    values = stage_params_from_profile(yaml.safe_load(paths.params_file("smoke").read_text()), STAGE)
    validate_stage(STAGE, values)
    for change, message in ((dict(first_seed_only=["SGEAT", "DPO"]), "must be one of"),
                            (dict(methods=["DAPT"], first_seed_only=["SGEAT"]), "not trained"),
                            (dict(sr_llm_template="no fields"), "must contain the fields"),
                            (dict(seeds=[0, 0]), "duplicates"), (dict(merge_adapters=True), "needs a PEFT variant")):
        with pytest.raises(ParamsError, match=message):
            validate_stage(STAGE, {**values, **change})


# the DPO hook of 03

def test_the_dpo_hook_raises_the_reward_margin(tmp_path):
    tokenizer = tiny_tokenizer()
    sentences = corpus()[:48]
    pairs = pd.DataFrame({"prompt": [" ".join(s.split()[:2]) for s in sentences],
                          "chosen": [" ".join(s.split()[2:]) for s in sentences],
                          "rejected": [" ".join(s.split()[2:]).replace(".", " the the.") for s in sentences]})
    model = trained_model(corpus(), 40)
    result = dpo.train_dpo(model, tokenizer, pairs[:40], _config(context_length=64), tmp_path, heldout=pairs[40:],
                           max_steps=10, progress=False)
    log = result.log
    assert set(dpo.REWARD_COLUMNS) <= set(log.columns) and log["step"].iloc[-1] == 10
    margins = log["eval_rewards/margins"].dropna()
    assert margins.iloc[0] == pytest.approx(0.0, abs=1e-6) and margins.iloc[-1] > 0.2
    assert result.details["reference"] == "precomputed" and math.isfinite(result.final_heldout_loss)
    assert dpo.reference_model(model, "full", precompute_ref_log_probs=False) is not model
    assert dpo.reference_model(model, "lora16", precompute_ref_log_probs=False) is None


def test_trl_log_table_puts_the_study_columns_first():
    from helpers.training.trl_common import log_table

    history = [{"eval_loss": 3.0, "step": 0}, {"loss": 2.5, "learning_rate": 1e-3, "num_tokens": 640.0, "step": 5,
                                                "grad_norm": 1.0, "rewards/margins": 0.1},
               {"eval_loss": 2.4, "eval_rewards/margins": 0.2, "step": 5}, {"train_runtime": 1.0, "step": 5}]
    table = log_table(history, {0: 0.0, 5: 0.8})
    assert list(table.columns) == [*LOG_COLUMNS, "rewards/margins", "eval_rewards/margins"]
    assert table["tokens"].tolist() == [0, 640] and table["heldout_loss"].tolist() == [3.0, 2.4]
    assert table["seconds"].tolist() == [0.0, 0.8] and dataclasses.is_dataclass(TrainingConfig)


@pytest.mark.parametrize("dropout", [0.0, 0.2])
def test_a_lora_runs_dropout_comes_from_its_training_config(tmp_path, dropout):
    # 04 trains LoRA without dropout, like the full fine-tuning runs it is compared with; the papers' recipes use some
    parent = _parent(tmp_path)
    model, tokenizer = modeling.load_model(parent, "cpu", for_training=True)
    result = finetune.continued_training(model, tokenizer, _documents(corpus()), _heldout(corpus()[:20]),
                                         _config(train_tokens=600, lora_dropout=dropout), peft="lora4", progress=False)
    assert result.model.peft_config["default"].lora_dropout == dropout
    card = finetune.save_finetuned(result, tokenizer, tmp_path / STAGE, method="DAPT", seed=0, parent=parent,
                                   stage=STAGE, peft="lora4").card
    assert io.read_json(card.folder / "adapter_config.json")["lora_dropout"] == dropout


@pytest.mark.parametrize("peft", ["lora4", "ia3", "bottleneck"])
def test_a_fresh_adapter_starts_exactly_at_the_parents_loss_so_04_can_pass_it_in(tmp_path, peft):
    parent = _parent(tmp_path)
    tokenizer = tiny_tokenizer()
    domain = [f"{s} {v} {o}." for s in SUBJECTS[:5] for v in VERBS for o in OBJECTS]
    heldout = _heldout(domain[::5])
    config = _config(train_tokens=1_200)
    start = causal_lm.heldout_loss(modeling.load_model(parent, "cpu")[0], heldout, config.batch_size)
    runs = []
    for initial in (None, start):
        seed_everything(0)
        model, _ = modeling.load_model(parent, "cpu", for_training=True)
        runs.append(finetune.continued_training(model, tokenizer, _documents(domain), heldout, config, peft=peft,
                                                progress=False, initial_heldout_loss=initial))
    evaluated, passed = runs
    # a fresh adapter (or an untouched copy) starts exactly at the parent's loss, so the first row is the same number
    assert evaluated.log["heldout_loss"].iloc[0] == passed.log["heldout_loss"].iloc[0] == start
    assert evaluated.log.drop(columns="seconds").equals(passed.log.drop(columns="seconds"))
    assert torch.equal(_logits(evaluated.model), _logits(passed.model))


def test_freezing_the_loaded_objects_keeps_later_garbage_collectable():
    import gc
    import weakref

    from helpers.training import trl_common

    class Node:
        pass

    loaded = Node()
    loaded.self = loaded  # a cycle alive before the freeze
    try:
        trl_common.freeze_loaded_objects()
        assert gc.get_freeze_count() > 0
        later = Node()
        later.self = later
        alive = weakref.ref(later)
        del later
        gc.collect()
        assert alive() is None  # a run's cyclic garbage is still collected
        assert loaded.self is loaded
    finally:
        gc.unfreeze()
