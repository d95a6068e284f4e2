"""05's per-model loop: results stored per model, reused when nothing they depend on changed, and models.parquet."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pandas as pd
import pytest

from helpers import evaluation, modeling, scoring
from helpers.engines.generation import DecodingConfig
from tiny_models import corpus, single_thread, tiny_model, tiny_tokenizer, trained_model


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    with single_thread():
        yield


def _prompts(language: str, texts: list[str], prefix: str) -> pd.DataFrame:
    return pd.DataFrame({"prompt_id": [f"{prefix}-{language}-{i}" for i in range(len(texts))], "language": language,
                         "item": [f"{prefix}{i}" for i in range(len(texts))], "text": texts,
                         "prompt_toxicity": [0.1, 0.6, 0.2][:len(texts)], "prompt_type": "neutral"})


@pytest.fixture(scope="module")
def data() -> evaluation.EvaluationData:
    crows = pd.DataFrame({"pair_id": ["c0", "c1"], "language": "en", "sent_more": ["the cat sees the river.",
                                                                                   "a dog likes the market."],
                          "sent_less": ["the cat sees the market.", "a dog likes the river."],
                          "stereo_antistereo": "stereo", "bias_type": "t", "group": ["g1", "g2"]})
    return evaluation.EvaluationData(
        rtp=_prompts("en", ["the cat", "a dog likes", "my friend"], "rtp"),
        multilingual=pd.concat([_prompts("en", ["the cat", "my friend"], "ml"),
                                _prompts("fr", ["le chat", "il fait"], "ml")], ignore_index=True),
        crows=crows,
        bold=pd.DataFrame({"prompt_id": ["b0", "b1"], "language": "en", "domain": "d", "group": ["g1", "g2"],
                           "text": ["the teacher", "the farmer"]}),
        probe=pd.DataFrame({"fact_id": ["f0"], "language": "en", "prompt": ["the cat sees"], "answer": ["the river"],
                            "candidates": [["the river", "the market"]]}),
        heldout=pd.DataFrame({"language": "en", "doc_id": ["d0", "d1"], "text": corpus()[:2]}),
        attribute_pairs={"en": [["river", "market"]]},
    )


@pytest.fixture(scope="module")
def scorer() -> scoring.TfidfScorer:
    texts = ["you are stupid and ugly", "idiot fool stupid", "the cat sees the river", "a dog likes the market"] * 3
    trained = scoring.train_tfidf_scorer(pd.DataFrame({"text": texts, "label": [1, 1, 0, 0] * 3}), 3, 500, 1.0, 0)
    trained.digest = "scorer-a"
    return trained


def config(**changes) -> evaluation.EvaluationConfig:
    values = dict(decoding=DecodingConfig(2, 4), bold_decoding=DecodingConfig(2, 4), threshold=0.5, operator=">=",
                  off_language="keep", crows_score="sum", languages=None, max_prompts_per_language=3,
                  multilingual_prompts_per_language=2,
                  max_pairs_per_language=2, bold_prompts_per_language=2, heldout_docs=2, batch_size=None)
    values.update(changes)
    return evaluation.EvaluationConfig(**values)


def save_card(root, name: str, seed: int, steps: int = 20, prefix: str = "") -> modeling.ModelCard:
    model = trained_model(corpus(), steps=steps, seed=seed) if steps else tiny_model(seed)
    card = modeling.ModelCard(name=name, method=name.split("-")[0], stage="01_pretraining", seed=0,
                              base="scratch:test", path=f"models/{name}", generation_prefix=prefix)
    return modeling.save_model(model, tiny_tokenizer(), root / "01_pretraining" / "models" / name, card)


class Loader:
    """load_model, counting which cards were loaded."""

    def __init__(self):
        self.loaded: list[str] = []

    def __call__(self, card):
        self.loaded.append(card.name)
        return modeling.load_model(card, "cpu")


def run(cards, scorer, data, protocol, tmp_path, reference=None, seed=0):
    loader = Loader()
    results = list(evaluation.evaluate_models(cards, loader, scorer, data, protocol, seed, tmp_path / "cache",
                                              reference, "cpu"))
    return results, loader.loaded


@pytest.fixture
def study(tmp_path):
    return [save_card(tmp_path, "BASE-s0", seed=0), save_card(tmp_path, "INST-s0", seed=1, prefix="le chat. ")]


def test_a_rerun_with_nothing_changed_loads_no_model_and_gives_the_same_results(study, scorer, data, tmp_path):
    reference = evaluation.resolve_reference("BASE-s0", study, "cpu")
    first, loaded = run(study, scorer, data, config(), tmp_path, reference)
    assert loaded == ["BASE-s0", "INST-s0"] and not any(r.cached for r in first)
    again_reference = evaluation.resolve_reference("BASE-s0", study, "cpu")
    again, loaded = run(study, scorer, data, config(batch_size=3), tmp_path, again_reference)
    assert loaded == [] and all(r.cached for r in again)
    assert not again_reference.loaded, "a fully cached rerun loaded the fluency reference"
    for old, new in zip(first, again):
        pd.testing.assert_frame_equal(old.long, new.long)
        assert set(old.details) == set(new.details) == {"rtp_generations", "multilingual_generations", "crows", "bold"}
        for name in old.details:
            pd.testing.assert_frame_equal(old.details[name], new.details[name])
    assert set(first[0].long["benchmark"]) >= {"rtp", "multilingual", "fluency", "crows", "bold", "knowledge",
                                               "heldout"}


def test_a_new_model_is_the_only_one_evaluated(study, scorer, data, tmp_path):
    run(study, scorer, data, config(), tmp_path)
    grown = [*study, save_card(tmp_path, "MEDA-s0", seed=2)]
    results, loaded = run(grown, scorer, data, config(), tmp_path)
    assert loaded == ["MEDA-s0"]
    assert [r.cached for r in results] == [True, True, False]


@pytest.mark.parametrize("change", ["protocol", "items", "scorer", "seed", "reference", "weights", "code", "prefix"])
def test_what_the_results_depend_on_invalidates_them(change, study, scorer, data, tmp_path, monkeypatch):
    base_reference = evaluation.ReferenceModel("card:BASE-s0:x", lambda: modeling.load_model(study[0], "cpu"))
    run(study, scorer, data, config(), tmp_path, base_reference)
    cards, protocol, items, used_scorer, seed, reference = study, config(), data, scorer, 0, base_reference
    if change == "protocol":
        protocol = config(decoding=DecodingConfig(3, 4))
    elif change == "items":
        items = dataclasses.replace(data, rtp=data.rtp.iloc[:2])
    elif change == "scorer":
        used_scorer = dataclasses.replace(scorer, digest="scorer-b")
    elif change == "seed":
        seed = 1
    elif change == "reference":
        reference = evaluation.ReferenceModel("card:BASE-s0:y", base_reference.get)
    elif change == "weights":
        cards = [save_card(tmp_path, "BASE-s0", seed=5), study[1]]
    elif change == "code":
        monkeypatch.setattr(evaluation, "result_code_digest", lambda: "edited")
    elif change == "prefix":
        cards = [study[0], save_card(tmp_path, "INST-s0", seed=1, prefix="other. ")]
    _, loaded = run(cards, used_scorer, items, protocol, tmp_path, reference, seed)
    expected = {"weights": ["BASE-s0"], "prefix": ["INST-s0"]}.get(change, ["BASE-s0", "INST-s0"])
    assert loaded == expected


def test_an_interrupted_store_leaves_no_result(study, scorer, data, tmp_path, monkeypatch):
    original = pd.DataFrame.to_parquet
    calls = []

    def failing(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", failing)
    with pytest.raises(OSError, match="disk full"):
        run(study[:1], scorer, data, config(), tmp_path)
    monkeypatch.setattr(pd.DataFrame, "to_parquet", original)
    assert not list((tmp_path / "cache" / "evaluation").glob("*/result.json"))
    _, loaded = run(study[:1], scorer, data, config(), tmp_path)
    assert loaded == ["BASE-s0"]


def test_an_adapter_is_keyed_by_its_parent_too(study):
    adapter = SimpleNamespace(**{**study[1].to_json(), "root": study[1].root, "adapter": True,
                                 "parent": "BASE-s0"})
    adapter.folder = study[1].folder
    other_parent = SimpleNamespace(**{**study[0].to_json(), "model_digest": "changed"})
    other_parent.folder = study[0].folder
    assert (evaluation.model_identity(adapter, study)
            != evaluation.model_identity(adapter, [other_parent, study[1]]))
    assert evaluation.model_identity(study[1], study) == evaluation.model_identity(study[1], [other_parent, study[1]])


def test_models_table_has_the_card_fields_with_defaults_for_older_cards(study):
    newer = SimpleNamespace(**{**study[0].to_json(), "name": "DAPT_lora16-s1", "method": "DAPT_lora16",
                               "family": "DAPT", "parent": "BASE-s0", "peft": "lora16", "adapter": True,
                               "train_languages": ["en", "fr"], "train_tokens": 123456, "seed": 1})
    table = evaluation.model_table([study[0], newer])
    assert list(table.columns) == evaluation.MODEL_COLUMNS
    old, new = table.iloc[0], table.iloc[1]
    assert (old["family"], old["parent"], old["peft"], bool(old["adapter"])) == ("BASE", "", "full", False)
    # the card's own defaults for what an older card does not record
    assert list(old["train_languages"]) == list(study[0].train_languages)
    assert old["train_tokens"] == study[0].train_tokens
    assert (new["family"], new["parent"], new["peft"], bool(new["adapter"])) == ("DAPT", "BASE-s0", "lora16", True)
    assert list(new["train_languages"]) == ["en", "fr"] and new["train_tokens"] == 123456
    assert table["parameters"].iloc[0] == study[0].parameters > 0


def test_models_table_round_trips_through_parquet(study, tmp_path):
    from helpers import io

    table = evaluation.model_table(study)
    again = pd.read_parquet(io.write_parquet(tmp_path / "models.parquet", table))
    assert again["name"].tolist() == ["BASE-s0", "INST-s0"]
    assert again["train_tokens"].tolist() == [card.train_tokens for card in study] and again["adapter"].dtype == bool
