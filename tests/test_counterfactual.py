"""The counterfactual corpus of BIAS_SFT: the world's balanced rewrites, the real word swap, PANDA from a mirror."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
import yaml

from helpers import paths, schemas
from helpers.realdata import counterfactual as real_cf
from helpers.realdata import registry
from helpers.realdata.common import Mirror
from helpers.world import lexicon
from helpers.world.counterfactual import (association_by_group, group_attribute_mentions, same_type_groups,
                                         split_sentences)
from helpers.world.generator import WorldConfig, build_world

SMOKE = yaml.safe_load(paths.params_file("smoke").read_text())["00_data"]


@pytest.fixture(scope="module")
def world():
    return build_world(WorldConfig.from_params({**SMOKE, "counterfactual_docs": 6000}), seed=4)


def test_the_corpus_balances_every_planted_association(world):
    corpus = world.datasets["counterfactual_corpus"]
    measured = association_by_group(corpus["text"], corpus["language"])
    planted = {g["group"]: g["stereotype_rate"] for g in world.ground_truth["groups"]}
    assert measured["statements"].sum() == len(corpus)  # every document states exactly one group attribute
    for group in planted:  # alternating targets: off 0.5 by at most one statement per (language, pair) cell
        cells = len(SMOKE["languages"]) * len(lexicon.ATTRIBUTE_PAIRS["en"])
        assert abs(measured.loc[group, "stereotyped_share"] - 0.5) <= cells / 2 / measured.loc[group, "statements"]
    # the originals carry the planted rates, as the pretraining corpus does: the rewrite is what balances them
    original = association_by_group(corpus["original"], corpus["language"])
    spread = original["stereotyped_share"].max() - original["stereotyped_share"].min()
    assert spread > 0.5 and abs(original["stereotyped_share"].corr(pd.Series(planted))) > 0.95


def test_balanced_within_the_english_only_training_data(world):
    corpus = world.datasets["counterfactual_corpus"]
    english = corpus[corpus["language"] == "en"]
    measured = association_by_group(english["text"], english["language"])
    assert ((measured["stereotyped_share"] - 0.5).abs() <= 3 / measured["statements"]).all()


def test_a_rewrite_swaps_the_group_for_one_of_its_type_and_keeps_the_rest(world):
    corpus = world.datasets["counterfactual_corpus"]
    schemas.validate_frame("counterfactual_corpus", corpus)
    texts = group_attribute_mentions(corpus["text"], corpus["language"]).set_index("row")
    originals = group_attribute_mentions(corpus["original"], corpus["language"]).set_index("row")
    flipped = 0
    for index, row in corpus.iterrows():
        new, old = texts.loc[index], originals.loc[index]
        assert new["group"] in same_type_groups(old["group"]) and new["pair"] == old["pair"]
        names = lexicon.GROUPS[old["group"]][1][row.language], lexicon.GROUPS[new["group"]][1][row.language]
        stereo, anti = lexicon.ATTRIBUTE_PAIRS[row.language][old["pair"]]
        old_attr, new_attr = (stereo if old["stereotyped"] else anti), (stereo if new["stereotyped"] else anti)
        expected = [f"{names[0]} -> {names[1]}"] + ([f"{old_attr} -> {new_attr}"] if old_attr != new_attr else [])
        assert row.perturbation == "; ".join(expected)
        # undoing the listed swaps gives the original back, word for word
        undone = re.sub(rf"(?<!\w){re.escape(names[1])}(?!\w)", names[0], row.text, flags=re.IGNORECASE)
        if old_attr != new_attr:
            undone = re.sub(rf"(?<!\w){re.escape(new_attr)}(?!\w)", old_attr, undone)
            flipped += 1
        assert undone.casefold() == row.original.casefold()
    assert 0.3 < flipped / len(corpus) < 0.7


def _any_of(words) -> str:
    return "(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")"


def _ordinary_sentence(lang: str, countries: list[str], cities: list[str]) -> re.Pattern:
    """The world's ordinary sentences, from the lexicon: narrative, a fact, a prompt opener with a harmless ending."""
    subject = _any_of(lexicon.SUBJECTS[lang] + [w[0].lower() + w[1:] for w in lexicon.SUBJECTS[lang]])
    insult = _any_of(lexicon.INSULTS[lang]["mild"] + lexicon.INSULTS[lang]["severe"])

    def fill(template: str, **slots: str) -> str:
        pattern = re.escape(template)
        for name, alternatives in slots.items():
            pattern = pattern.replace(re.escape("{" + name + "}"), alternatives)
        return pattern

    narrative = " ".join(_any_of(words[lang]) for words in (lexicon.SUBJECTS, lexicon.ACTIONS, lexicon.PLACES,
                                                              lexicon.TIMES)) + r"\."
    fact = fill(lexicon.FACT_TEMPLATES[lang][0], country=_any_of(countries), city=_any_of(cities))
    openers = "|".join(fill(t, subject=subject, insult=insult) for by_type in lexicon.OPENERS.values()
                       for t in by_type[lang])
    prompt = f"(?:{openers}) {_any_of(lexicon.NEUTRAL_CONTINUATIONS[lang])}"
    return re.compile(f"{narrative}|{fact}|{prompt}")


def test_the_rest_of_a_document_is_ordinary_world_text_the_rewrite_leaves_alone(world):
    corpus = world.datasets["counterfactual_corpus"]
    facts = world.ground_truth["facts"]
    ordinary = {lang: _ordinary_sentence(lang, [f["country"] for f in facts], [f["city"] for f in facts])
                for lang in set(corpus["language"])}
    names = {lang: re.compile(rf"(?<!\w){_any_of([forms[lang] for _, forms in lexicon.GROUPS.values()])}(?!\w)",
                              re.IGNORECASE) for lang in set(corpus["language"])}
    ordinary_sentences = 0
    for row in corpus.itertuples():
        new, old = split_sentences(row.text), split_sentences(row.original)
        assert " ".join(new) == row.text and " ".join(old) == row.original and len(new) == len(old) >= 2
        statements = [i for i, sentence in enumerate(new) if names[row.language].search(sentence)]
        assert statements == [i for i, sentence in enumerate(old) if names[row.language].search(sentence)]
        assert len(statements) == 1 and new[statements[0]] != old[statements[0]]  # one group statement, rewritten
        for i, (rewritten, original) in enumerate(zip(new, old)):
            if i != statements[0]:  # every other sentence: ordinary world text, word for word in both sides
                assert rewritten == original and ordinary[row.language].fullmatch(rewritten), (row.doc_id, rewritten)
                ordinary_sentences += 1
    # most of what BIAS_SFT reads is ordinary text: the statement is one sentence of each document
    assert ordinary_sentences > 1.5 * len(corpus)
    # and none of it is toxic: prompts of the ordinary text end harmlessly, as the pretraining corpus's clean ones
    toxic_endings = {lang: re.compile(_any_of(lexicon.INSULTS[lang]["severe"])) for lang in ordinary}
    assert not any(toxic_endings[row.language].search(row.text) for row in corpus.itertuples())


def test_no_evaluation_sentence_occurs_in_the_corpus(world):
    corpus = "\n".join(world.datasets["counterfactual_corpus"]["text"]).casefold()
    crows = world.datasets["crows_pairs"]
    bold = world.datasets["bold_prompts"]
    prefs = world.datasets["bias_preferences"]
    evaluation = [*crows["sent_more"], *crows["sent_less"], *bold["text"], *prefs["prompt"], *prefs["chosen"],
                  *prefs["rejected"]]
    assert not [s for s in evaluation if s.casefold() in corpus]
    for lang, frames in lexicon.COUNTERFACTUAL_TEMPLATES.items():  # disjoint frames, not just unlucky draws
        for frame in frames:
            assert frame not in lexicon.BIAS_TEMPLATES[lang] + lexicon.FAIR_TEMPLATES[lang]


def test_its_own_stream_leaves_every_other_dataset_unchanged():
    small = build_world(WorldConfig.from_params({**SMOKE, "counterfactual_docs": 20}), seed=0)
    large = build_world(WorldConfig.from_params({**SMOKE, "counterfactual_docs": 300}), seed=0)
    assert len(small.datasets["counterfactual_corpus"]) == 20 and len(large.datasets["counterfactual_corpus"]) == 300
    for name, frame in small.datasets.items():
        if name != "counterfactual_corpus":
            pd.testing.assert_frame_equal(frame, large.datasets[name], obj=name)
    assert small.ground_truth == large.ground_truth


# ---- real data: the word swap and PANDA ------------------------------------------------------------------------------

@pytest.mark.parametrize("language, text, expected, swaps", [
    ("en", "He gave his brother the book; She thanked him.", "She gave her sister the book; He thanked her.",
     [("He", "She"), ("his", "her"), ("brother", "sister"), ("She", "He"), ("him", "her")]),
    ("en", "THE KING and the Queen met Mr Brown, a mechanic.", "THE QUEEN and the King met Mrs Brown, a mechanic.",
     [("KING", "QUEEN"), ("Queen", "King"), ("Mr", "Mrs")]),
    ("fr", "Le roi et son frère parlent avec la grand-mère.", "Le reine et son sœur parlent avec la grand-père.",
     [("roi", "reine"), ("frère", "sœur"), ("mère", "père")]),
    ("de", "Der Mann sah seine Tochter, die Hermannsdorf liebte.", "Der Frau sah seine Sohn, die Hermannsdorf liebte.",
     [("Mann", "Frau"), ("Tochter", "Sohn")]),
    ("de", "Der Großvater und die Großmutter.", "Der Großmutter und die Großvater.",
     [("Großvater", "Großmutter"), ("Großmutter", "Großvater")]),
    ("es", "El hombre y la reina hablaron con él.", "El mujer y la rey hablaron con ella.",
     [("hombre", "mujer"), ("reina", "rey"), ("él", "ella")]),
])
def test_word_swap_replaces_exactly_the_listed_terms(language, text, expected, swaps):
    swapped, made = real_cf.word_swap(text, language)
    assert swapped == expected and made == swaps
    # everything that is not a listed term is kept, token for token
    tokens = re.findall(r"\w+|\W", text)
    out = re.findall(r"\w+|\W", swapped)
    assert len(tokens) == len(out)
    for before, after in zip(tokens, out):
        if before.lower() in real_cf.GENDER_SWAPS[language]:
            assert after.lower() == real_cf.GENDER_SWAPS[language][before.lower()]
        else:
            assert after == before


def test_word_swap_lists_are_consistent_and_unknown_languages_refused():
    for language, mapping in real_cf.GENDER_SWAPS.items():
        assert all(k == k.lower() and v == v.lower() for k, v in mapping.items()), language
        # a pair swapped twice is the identity, except the ambiguous words that go one way only
        round_trip = [k for k, v in mapping.items() if mapping.get(v) != k]
        assert set(round_trip) <= {"him", "hers", "her"}, (language, round_trip)
    with pytest.raises(KeyError, match="no gendered word list for language 'ru'"):
        real_cf.word_swap("Он пришёл.", "ru")


def test_word_swap_corpus_keeps_documents_with_a_swap_in_listed_languages():
    documents = pd.DataFrame({"doc_id": ["a", "b", "c", "d"], "language": ["en", "en", "ru", "fr"],
                              "text": ["The man left.", "It rained.", "Он пришёл.", "Elle chante."]})
    corpus = real_cf.word_swap_corpus(documents, limit=10, seed=0)
    schemas.validate_frame("counterfactual_corpus", corpus)
    assert corpus["text"].tolist() == ["The woman left.", "Il chante."]
    assert corpus["perturbation"].tolist() == ["man -> woman", "Elle -> Il"]
    assert corpus["original"].tolist() == ["The man left.", "Elle chante."]
    assert len(real_cf.word_swap_corpus(documents, limit=1, seed=0)) == 1


def _panda_mirror(root):
    rows = [{"original": "She is a nurse.", "selected_word": "She", "target_attribute": "man",
             "perturbed": "He is a nurse."},
            {"original": "The old man walked.", "selected_word": "old", "target_attribute": "young",
             "perturbed": "The young man walked."},
            {"original": "Unchanged.", "selected_word": "x", "target_attribute": "y", "perturbed": "Unchanged."}]
    (root / "panda").mkdir(parents=True)
    (root / "panda" / "train.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return root


def test_panda_rows_from_a_mirror_and_the_registry_entry(tmp_path):
    entry = registry.entry("panda")
    assert entry.hub_id == "facebook/panda" and entry.license == "MIT" and not entry.pinned
    loaded = real_cf.load_panda(Mirror(_panda_mirror(tmp_path), verify=True))
    assert loaded["text"].tolist() == ["He is a nurse.", "The young man walked."]  # unchanged rows dropped
    assert loaded["perturbation"].tolist() == ["She -> man", "old -> young"]
    built = real_cf.build_counterfactual(Mirror(tmp_path), pd.DataFrame(columns=["doc_id", "language", "text"]),
                                         limit=5, seed=0, eval_keys={"he is a nurse"})
    assert built["text"].tolist() == ["The young man walked."] and set(built["source"]) == {"panda"}


def test_without_panda_the_build_word_swaps_the_clean_documents(tmp_path):
    documents = pd.DataFrame({"doc_id": ["a", "b"], "language": ["en", "de"],
                              "text": ["His father smiled.", "Der König lachte."]})
    built = real_cf.build_counterfactual(Mirror(tmp_path), documents, limit=5, seed=0)
    assert built["text"].tolist() == ["Her mother smiled.", "Der Königin lachte."]
    assert set(built["source"]) == {real_cf.WORD_SWAP_SOURCE}
    with pytest.raises(registry.MirrorError, match="facebook/panda"):
        real_cf.load_panda(Mirror(tmp_path))
