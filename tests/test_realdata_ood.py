"""Out-of-distribution sets, identity augmentation and the extra scorer corpora, on hand-written fixtures."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from helpers.realdata import identity, ood_sets, toxicity
from helpers.realdata.build import build_real_datasets
from helpers.realdata.common import text_key
from helpers.realdata.readers import DataFormatError
from test_realdata_loaders import FIXTURE_PARAMS, make_fixture_mirror


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    return make_fixture_mirror(tmp_path_factory.mktemp("mirror"))


def test_identity_templates_read_labels_families_and_identity_groups(mirror):
    frame = ood_sets.load_identity_templates(mirror)
    en = frame[frame["language"] == "en"].set_index("text")
    assert en.loc["I hate middle eastern", "label"] == 1 and en.loc["greet sikh", "label"] == 0
    assert en.loc["Priya is a cheerful middle eastern", "group"] == "middle eastern"  # the longest term
    assert en.loc["You are a kind plumber", "group"] == "" and not en.loc["You are a kind plumber", "identity"]
    assert en.loc["You are a kind sikh", "family"] == "you_are_adj" and en.loc["You are a kind sikh", "identity"]
    de = frame[frame["language"] == "de"].set_index("text")
    # German adjectives inflect: "katholische" is the term "katholisch"
    assert de.loc["Lena ist eine freundliche katholische", "group"] == "katholisch"
    assert de.loc["taub sein ist mies", "group"] == "taub"
    assert de.loc["Du bist ein netter Samoaner", "group"] == "samoaner"  # not a listed term: the identity slot
    assert frame["text_id"].is_unique and set(frame["set"]) == {"identity_templates_en", "identity_templates_de"}
    sample = ood_sets.load_identity_templates(mirror, ["en"], max_rows=4, seed=0)
    assert len(sample) == 4 and sample.equals(ood_sets.load_identity_templates(mirror, ["en"], max_rows=4, seed=0))
    with pytest.raises(ValueError, match="available"):
        ood_sets.load_identity_templates(mirror, ["fr"])


def test_bad_template_label_names_file_and_line(mirror, tmp_path):
    broken = tmp_path / "unintended_bias_templates"
    broken.mkdir()
    (broken / "en_sentence_templates.csv").write_text("template,toxicity,phrase\nverb_adj,maybe,greet sikh\n")
    with pytest.raises(DataFormatError, match="en_sentence_templates.csv:2.*toxic or nontoxic"):
        ood_sets.load_identity_templates(tmp_path, ["en"])


def test_every_ood_set_has_its_columns_and_honest_mentions_lose_the_slot(mirror):
    frame = ood_sets.load_ood_sets(mirror, max_rows=None, seed=0)
    assert list(frame.columns) == list(ood_sets.OOD_COLUMNS)
    assert {"wiki_toxicity", "wiki_toxicity_fuzzed", "identity_templates_en", "identity_templates_de", "honest",
            "holistic_bias"} <= set(frame["set"])
    honest = frame[frame["set"] == "honest"]
    assert not honest["text"].str.contains(r"\[M\]").any() and (honest["label"] == 0).all()
    assert "the aunt dreams of becoming a" in set(honest["text"])
    holistic = frame[frame["set"] == "holistic_bias"]
    assert (holistic["label"] == 0).all() and holistic["identity"].all()
    wiki = frame[frame["set"] == "wiki_toxicity"]
    assert wiki["label"].sum() >= 1 and wiki["text_id"].str.match(r"wiki_toxicity-\d+$").all()


def test_holistic_mentions_leave_out_the_negative_templates(mirror, monkeypatch):
    from helpers.realdata import holistic

    monkeypatch.setattr(holistic, "templates", lambda mirror, version="v1.1": [
        "I hate {plural_noun_phrase}.", "I like {plural_noun_phrase}.", "I think {plural_noun_phrase} are the worst."])
    frame = ood_sets.load_holistic_mentions(mirror, None)
    assert len(frame) and frame["text"].str.startswith("I like ").all()


def test_paradetox_labeled_texts_pair_each_toxic_sentence_with_its_paraphrases(mirror):
    frame = toxicity.load_paradetox_labeled(mirror, with_meta=True)
    by_text = frame.set_index("text")
    assert by_text.loc["that guy is a total moron .", "label"] == 1
    assert by_text.loc["that guy is not very smart.", "label"] == 0
    # the sentence the annotators could not detoxify because it is toxic is toxic; "not toxic" is clean; unclear out
    assert by_text.loc["what a load of crap , you clown", "label"] == 1
    assert by_text.loc["the meeting moved to friday", "label"] == 0
    assert "meh whatever dude" not in by_text.index
    # a paraphrase shares its original's split
    assert by_text.loc["that guy is a total moron .", "split"] == by_text.loc["that guy is wrong.", "split"]
    assert frame["text_id"].is_unique


def test_identity_augmentation_is_deterministic_balanced_and_written_for_the_project():
    train = pd.DataFrame({"text_id": ["a", "b", "c", "d"], "language": ["en", "en", "de", "de"],
                          "text": ["what a lovely morning walk", "you are a worthless idiot", "schönes Wetter heute",
                                   "du bist ein dämlicher Idiot"],
                          "label": [0, 1, 0, 1], "split": "train", "source": "x"})
    rows = identity.identity_augmentation(train, 10, seed=0)
    assert rows.equals(identity.identity_augmentation(train, 10, seed=0))
    assert set(rows["language"]) == {"en", "de"} and (rows["split"] == "train").all()
    for language in ("en", "de"):
        part = rows[rows["language"] == language]
        alone = part[~part["text_id"].str.contains(r"-\d{5}-[01]$")]
        assert len(alone) == 10 and (alone["label"] == 0).all()
        toxic = part[part["label"] == 1]
        assert len(toxic) == 10 and toxic["text"].str.contains("idiot|Idiot").all()
    # every frame names its term, in every language with frames
    for language in identity.LANGUAGES:
        assert all(term in sentence for term, sentence in identity.identity_sentences(language))


def test_build_keeps_out_of_distribution_rows_out_of_scorer_training(mirror):
    params = {**FIXTURE_PARAMS, "real_scorer_identity_texts": 5, "real_ood_rows": None}
    built = build_real_datasets(params, mirror)
    scorer = built["scorer_texts"]
    ood = ood_sets.load_ood_sets(mirror, None, params["seed"])

    def digest(text: str) -> str:  # row identity: the hash of the normalized text
        return hashlib.sha256(text_key(text).encode()).hexdigest()

    trained = set(scorer.loc[scorer["split"] != "test", "text"].map(digest))
    assert trained and not trained & set(ood["text"].map(digest))
    assert {"paradetox", "identity_augmentation"} <= set(scorer.loc[scorer["split"] == "train", "source"])
    assert not (scorer.loc[scorer["source"].isin(["paradetox", "identity_augmentation"]), "split"] == "test").any()


def test_build_drops_a_training_text_equal_to_an_ood_row(mirror, tmp_path):
    # a toxic comment corpus row that is word for word an identity template must leave training
    import shutil

    copy = tmp_path / "mirror"
    shutil.copytree(mirror, copy)
    jigsaw = copy / "jigsaw_toxic_balanced_subset" / "test.csv"
    jigsaw.write_text(jigsaw.read_text() + '"I hate sikh",1\n"I am sikh",0\n')
    params = {**FIXTURE_PARAMS, "real_scorer_identity_texts": 0, "real_ood_rows": None}
    scorer = build_real_datasets(params, copy)["scorer_texts"]
    kept = set(scorer.loc[scorer["split"] != "test", "text"].map(text_key))
    assert "i hate sikh" not in kept and "i am sikh" not in kept


def test_descriptor_pairs_differ_only_in_the_descriptor_and_use_hurtlex_insults():
    hurtlex = pd.DataFrame({
        "lemma_id": [f"h{i}" for i in range(6)], "language": ["en", "en", "en", "de", "de", "de"],
        "lemma": ["scoundrel", "vicious", "homosexual", "Schuft", "gemein", "schwul"],
        "category": ["cds", "dmc", "om", "cds", "dmc", "cds"], "pos": ["n", "a", "a", "n", "a", "a"],
        "stereotype": "no", "level": "conservative", "source": "hurtlex"})
    rows = identity.descriptor_pairs(hurtlex, ["en", "de", "fr"], 40, seed=0)
    assert rows.equals(identity.descriptor_pairs(hurtlex, ["en", "de", "fr"], 40, seed=0))
    assert set(rows["language"]) == {"en", "de"} and (rows["split"] == "train").all()
    assert rows.groupby(["language", "label"]).size().eq(40).all()
    pairs = rows.assign(pair=rows["text_id"].str.replace(r"-[01]$", "", regex=True)).pivot(
        index="pair", columns="label", values="text")
    for clean, toxic in zip(pairs[0], pairs[1]):
        # the same name, identity term and frame: the words of the two sentences differ in one descriptor
        a, b = clean.lower().replace(".", " ").split(), toxic.lower().replace(".", " ").split()
        assert sum(x != y for x, y in zip(a, b)) <= 2 and abs(len(a) - len(b)) <= 1
    toxic = " ".join(rows.loc[rows["label"] == 1, "text"]).lower()
    assert {"scoundrel", "vicious", "schuft", "gemein"} <= set(toxic.replace(".", " ").replace("!", " ").split())
    # a HurtLex word that is an identity term (om, or listed as a term) never labels a sentence toxic
    assert "homosexual and really homosexual" not in toxic and " schwul." not in toxic
    assert identity.hurtlex_insults(hurtlex, "de") == (["gemein"], ["schuft"])
