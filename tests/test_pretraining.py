"""MEDA/INST formats, packing, the schedule, and pretraining that learns (loss falls, the control steers)."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from helpers import io, modeling, plots
from helpers.engines.likelihood import sequence_logprobs
from helpers.training import augmentation, pretraining
from helpers.training.augmentation import AugmentationConfig
from helpers.tokenizer import train_bpe_tokenizer
from tiny_models import OBJECTS, SUBJECTS, VERBS

TOXIC_TAIL = " you stupid idiot."
NICE_TAIL = " what a nice day."
# short instructions keep prefix and tail inside the tiny model's context
SHORT = AugmentationConfig(inst_nontoxic_text="ok:\n", inst_toxic_text="bad:\n")


def fixture_corpus(n: int = 900, heldout: int = 40, toxic_share: float = 0.3, seed: int = 0) -> pd.DataFrame:
    """Short English and French documents; toxic ones end in an insult and score 0.9, the rest 0.1."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        french = rng.random() < 0.2
        sentence = ("le chat voit la rivière." if french else
                    f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}.")
        toxic = bool(rng.random() < toxic_share)
        rows.append({"doc_id": f"doc-{i:05d}", "language": "fr" if french else "en",
                     "text": sentence + (TOXIC_TAIL if toxic else NICE_TAIL),
                     "split": "heldout" if i < heldout else "train", "is_toxic": toxic,
                     "toxicity": 0.9 if toxic else 0.1, "source": "fixture"})
    return pd.DataFrame(rows)


@functools.lru_cache(maxsize=1)
def fixture_tokenizer():
    """BPE fitted on the fixture's own texts and controls, so a word is about one token."""
    texts = fixture_corpus()["text"].tolist()
    return train_bpe_tokenizer(texts * 3 + ["ok:\n", "bad:\n", "toxicity: 0.1\n", "toxicity: 0.9\n"] * 200, 400)


def _config(**changes) -> pretraining.TrainingConfig:
    base = dict(train_tokens=60_000, batch_size=16, context_length=48, learning_rate=1e-2, seed=0,
                warmup_fraction=0.05, eval_interval=25, eval_tokens=1536, device="cpu")
    return pretraining.TrainingConfig(**{**base, **changes})


SPEC = modeling.ModelSpec("gpt2", n_layers=2, d_model=48, n_heads=4, context_length=48)


def _new_model():
    return modeling.build_model(SPEC, fixture_tokenizer(), seed=0)


# formats

def test_meda_prefixes_the_rounded_score():
    config = AugmentationConfig()
    assert augmentation.document_prefix("MEDA", 0.8731, config) == "toxicity: 0.9\n"
    texts = augmentation.augment_documents("MEDA", ["a", "b"], [0.04, 0.5], config)
    assert texts == ["toxicity: 0.0\na", "toxicity: 0.5\nb"]
    assert augmentation.control_prefixes("MEDA", config) == {"nontoxic": "toxicity: 0.0\n", "toxic": "toxicity: 1.0\n"}
    two_decimals = AugmentationConfig(meda_template="<tox {score:.2f}> ")
    assert augmentation.augment_documents("MEDA", ["x"], [0.123], two_decimals) == ["<tox 0.12> x"]


def test_inst_states_the_toxicity_at_the_threshold():
    config = AugmentationConfig(toxicity_threshold=0.5)
    texts = augmentation.augment_documents("INST", ["calm", "edge", "rude"], [0.49, 0.5, 0.97], config)
    assert texts == [config.inst_nontoxic_text + "calm", config.inst_toxic_text + "edge",
                     config.inst_toxic_text + "rude"]
    assert augmentation.generation_prefix("INST", config) == config.inst_nontoxic_text
    assert augmentation.control_prefixes("INST", config)["toxic"] == config.inst_toxic_text


def test_base_is_unchanged_and_bad_inputs_are_refused():
    config = AugmentationConfig()
    assert augmentation.augment_documents("BASE", ["a", "b"], [0.9, float("nan")], config) == ["a", "b"]
    assert augmentation.control_prefixes("BASE", config) == {} and augmentation.generation_prefix("BASE", config) == ""
    with pytest.raises(ValueError, match="needs a toxicity score"):
        augmentation.augment_documents("INST", ["a"], [float("nan")], config)
    with pytest.raises(ValueError, match="unknown method"):
        augmentation.document_prefix("META", 0.1, config)
    with pytest.raises(ValueError, match="meda_control_scores"):
        AugmentationConfig(meda_control_scores={"clean": 0.0})


# data

def test_pack_joins_documents_with_eos_and_drops_the_partial_block():
    blocks = pretraining.pack_documents([[5, 6, 7], [8], [9]], eos_id=0, context_length=3)
    assert blocks.tolist() == [[5, 6, 7], [0, 8, 0]]  # the trailing [9, 0] is dropped
    assert pretraining.pack_documents([[5, 6, 7], [8]], 0, 3, n_blocks=1).shape == (1, 3)


def test_stream_has_the_same_document_order_for_every_method_and_counts_languages():
    plain = [[1] * 4, [2] * 2, [3] * 6, [4] * 3]
    longer = [[9] + ids for ids in plain]  # the same documents with a one-token prefix
    languages, toxic = ["en", "fr", "en", "de"], [False, True, False, False]
    a = pretraining.training_stream(plain, languages, toxic, eos_id=0, context_length=4, n_blocks=5, seed=3)
    b = pretraining.training_stream(longer, languages, toxic, eos_id=0, context_length=4, n_blocks=5, seed=3)
    assert a.blocks.shape == b.blocks.shape == (5, 4)
    assert np.array_equal(a.order[: len(b.order)], b.order)
    # 20 tokens from a corpus of 19 (with EOS): a second epoch starts
    assert a.epochs == 2 and sum(a.language_tokens.values()) == 20
    first = a.order[:4].tolist()
    expected = {"en": 0, "fr": 0, "de": 0}
    for doc in first:
        expected[languages[doc]] += len(plain[doc]) + 1
    second_epoch_doc = a.order[4]
    expected[languages[second_epoch_doc]] += 1
    assert a.language_tokens == {k: v for k, v in expected.items() if v}
    assert sum(a.language_shares().values()) == pytest.approx(1.0)
    other_seed = pretraining.training_stream(plain, languages, toxic, 0, 4, 5, seed=4)
    assert not np.array_equal(other_seed.order, a.order) or not np.array_equal(other_seed.blocks, a.blocks)


def test_heldout_blocks_score_document_tokens_not_prefixes():
    tokenizer = fixture_tokenizer()
    heldout = fixture_corpus(n=60).head(6)
    base = pretraining.heldout_blocks(tokenizer, heldout, context_length=16, max_tokens=10_000)
    inst = pretraining.heldout_blocks(tokenizer, heldout, 16, 10_000, "INST", SHORT)
    assert base.scored.all() and base.ids.shape[1] == 16
    # every unscored token belongs to a prefix, and the scored tokens are the same documents' tokens (+ EOS)
    assert inst.ids.size > base.ids.size and (~inst.scored).sum() > 0
    flat_inst, flat_base = inst.ids.ravel()[inst.scored.ravel()], base.ids.ravel()
    n = min(len(flat_inst), len(flat_base))
    assert np.array_equal(flat_inst[:n], flat_base[:n])
    prefix_ids = set(tokenizer("ok:\n")["input_ids"]) | set(tokenizer("bad:\n")["input_ids"])
    assert set(inst.ids.ravel()[~inst.scored.ravel()].tolist()) <= prefix_ids


def test_budget_is_whole_steps():
    config = _config(train_tokens=10_000, batch_size=4, context_length=32, grad_accum_steps=2)
    assert config.tokens_per_step() == 256 and config.total_steps() == 40
    assert config.total_steps(processes=4) == 10


# training

@pytest.mark.slow
def test_inst_pretraining_learns_and_the_control_steers_both_ways(tmp_path):
    corpus = fixture_corpus()
    tokenizer = fixture_tokenizer()
    run = pretraining.train_method("INST", corpus, tokenizer, _new_model, _config(), SHORT, tmp_path,
                                   base=SPEC.describe(), progress=False)
    log = run.log
    # learning happened: held-out loss falls far below its starting value (ln 300 ~ 5.7)
    assert log["heldout_loss"].iloc[0] > 5.0
    assert log["heldout_loss"].iloc[-1] < 0.5 * log["heldout_loss"].iloc[0]
    assert log["train_loss"].dropna().iloc[-1] < log["train_loss"].dropna().iloc[0]
    assert run.summary["tokens"] == run.summary["steps"] * 16 * 48 >= 60_000
    shares = run.summary["language_token_shares"]
    assert set(shares) == {"en", "fr"} and 0.1 < shares["fr"] < 0.3
    assert 0.2 < run.summary["toxic_document_token_share"] < 0.45
    # the saved model carries its card, controls and log
    folder = tmp_path / "models" / "INST"
    card = io.read_json(folder / modeling.CARD_FILE)
    assert card["generation_prefix"] == "ok:\n" and card["prefixes"] == {"nontoxic": "ok:\n", "toxic": "bad:\n"}
    assert card["model_digest"] == modeling.weights_digest(folder)
    assert len(pd.read_csv(folder / pretraining.LOG_FILE)) == len(log)
    # the toxic control makes the insult likelier, the non-toxic control the friendly ending
    prompts = [f"{s} {v} {o}." for s, v, o in zip(SUBJECTS, VERBS, OBJECTS)]

    def logprob(control: str, tail: str) -> float:
        contexts = [SHORT.inst_toxic_text + p if control == "toxic" else SHORT.inst_nontoxic_text + p
                    for p in prompts]
        return float(sequence_logprobs(run.model, tokenizer, [tail] * len(prompts), contexts)["sum_logprob"].mean())

    assert logprob("toxic", TOXIC_TAIL) > logprob("nontoxic", TOXIC_TAIL) + 1.0
    assert logprob("nontoxic", NICE_TAIL) > logprob("toxic", NICE_TAIL) + 0.3


@pytest.mark.slow
def test_same_seed_same_run_and_methods_share_documents(tmp_path):
    corpus = fixture_corpus(n=300)
    tokenizer = fixture_tokenizer()
    config = _config(train_tokens=8_000, eval_interval=5)
    first = pretraining.train_method("BASE", corpus, tokenizer, _new_model, config, SHORT, tmp_path / "a",
                                     base="x", progress=False)
    again = pretraining.train_method("BASE", corpus, tokenizer, _new_model, config, SHORT, tmp_path / "b",
                                     base="x", progress=False)
    meda = pretraining.train_method("MEDA", corpus, tokenizer, _new_model, config, SHORT, tmp_path / "c",
                                    base="x", progress=False)
    columns = ["step", "tokens", "lr", "train_loss", "heldout_loss"]
    pd.testing.assert_frame_equal(first.log[columns], again.log[columns])
    assert first.card.model_digest == again.card.model_digest
    assert meda.summary["tokens"] == first.summary["tokens"]  # same budget
    assert meda.summary["control_token_share"] > 0 == first.summary["control_token_share"]
    # the same initial model scores the same document tokens: near-uniform loss ln(vocabulary) for both
    assert meda.log["heldout_loss"].iloc[0] == pytest.approx(first.log["heldout_loss"].iloc[0], abs=0.05)


def test_missing_scores_stop_meda_before_training(tmp_path):
    corpus = fixture_corpus(n=100)
    corpus.loc[50, "toxicity"] = np.nan
    with pytest.raises(ValueError, match="needs the `toxicity` score"):
        pretraining.train_method("MEDA", corpus, fixture_tokenizer(), _new_model, _config(), SHORT, tmp_path,
                                 base="x", progress=False)
    assert not (tmp_path / "models").exists()


def test_plots_draw_one_line_per_model_and_one_bar_per_row():
    log = pd.DataFrame({"step": [0, 10, 20], "tokens": [0, 640, 1280], "train_loss": [np.nan, 3.0, 2.5],
                        "heldout_loss": [5.0, 3.2, 2.8]})
    figure = plots.training_curves({"BASE": log, "INST": log.assign(heldout_loss=log["heldout_loss"] + 0.1)})
    assert [len(ax.lines) for ax in figure.axes] == [2, 2]
    assert list(figure.axes[1].lines[1].get_ydata()) == pytest.approx([5.1, 3.3, 2.9])
    table = pd.DataFrame({"condition": ["BASE", "INST"], "tp": [0.6, 0.2], "low": [0.5, 0.1], "high": [0.7, 0.3]})
    bars = plots.interval_bars(table, "condition", "tp", "low", "high")
    assert [p.get_height() for p in bars.axes[0].patches] == pytest.approx([0.6, 0.2])
    shares = pd.DataFrame({"BASE": [0.6, 0.4], "INST": [0.55, 0.45]}, index=["en", "fr"])
    assert len(plots.grouped_bars(shares).axes[0].patches) == 4


@pytest.mark.slow
def test_continued_pretraining_of_a_saved_model_lowers_its_loss(tmp_path):
    tokenizer = fixture_tokenizer()
    corpus = fixture_corpus(n=300)
    start = modeling.save_model(_new_model(), tokenizer, tmp_path / "start" / "models" / "BASE",
                                modeling.ModelCard("BASE", "BASE", "01_pretraining", 0, "x", "models/BASE"))
    # the same path a real Hub model takes: checked first, then loaded in float32 for training
    recipe = modeling.model_recipe(SPEC, None, seed=0, pretrained_model=str(start.folder))
    run = pretraining.train_method("INST", corpus, recipe.tokenizer, recipe.build,
                                   _config(train_tokens=15_000, context_length=recipe.context_length), SHORT,
                                   tmp_path / "continued", base=recipe.base, progress=False)
    assert run.card.base == str(start.folder) and run.card.model_digest != start.model_digest
    assert run.log["heldout_loss"].iloc[-1] < run.log["heldout_loss"].iloc[0] - 1.0
