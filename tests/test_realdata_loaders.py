"""Real-data loaders, registry and build on small hand-written files in the public formats (no mirror, no network)."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import paths, schemas
from helpers.realdata import bias, holistic, knowledge, registry, text, toxicity
from helpers.realdata.build import (REAL_ONLY_DATASETS, SHARED_DATASETS, build_real_datasets, cap_per_language,
                                    drop_duplicate_texts, rtp_lx_eval_items, summarize)
from helpers.realdata.common import Mirror, assign_split, clean_comment, text_key
from helpers.realdata.languages import UnknownLocale, locale_to_language
from helpers.realdata.readers import DataFormatError, iter_jsonl, read_table

FIXTURES = paths.FIXTURES_DIR / "real"


def _stand_in(relative: str, written: dict[str, Path]) -> Path | None:
    """A hand-written fixture of the same format for a registered file that has none of its own."""
    folder, name = relative.rsplit("/", 1)
    if folder == "winobias" and name.endswith(".test"):
        return written.get(relative.replace(".test", ".dev"))
    if folder.startswith(("rtp_lx", "bold/wikipedia")) or "LICENSE" in name or "NOTICE" in name:
        return None
    same_folder = sorted(p for rel, p in written.items() if rel.rsplit("/", 1)[0] == folder
                         and Path(rel).suffix == Path(relative.removesuffix(".gz")).suffix)
    return same_folder[0] if same_folder else None


def make_fixture_mirror(root: Path, fill: bool = True) -> Path:
    """A mirror tree from tests/fixtures/real: files gzipped where the registry says so, gaps filled by stand-ins."""
    registered = {f.path for e in registry.REGISTRY.values() for f in e.files}
    written = {}
    for source in FIXTURES.rglob("*"):
        if source.is_file():
            relative = source.relative_to(FIXTURES).as_posix()
            written[relative + (".gz" if relative + ".gz" in registered else "")] = source
    if fill:
        for relative in sorted(registered - set(written)):
            stand_in = _stand_in(relative.removesuffix(".gz"), {k.removesuffix(".gz"): v for k, v in written.items()})
            if stand_in is not None:
                written[relative] = stand_in
    for relative, source in written.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        data = source.read_bytes()
        if relative.startswith("eltec_") and not relative.startswith(source.relative_to(FIXTURES).as_posix()):
            # a stand-in novel gets its own words, so its passages differ from the original's
            data = data.replace(b"<p>", f"<p>{Path(relative).name.split('.')[0]} says: ".encode())
        target.write_bytes(gzip.compress(data, mtime=0) if relative.endswith(".gz") and source.suffix != ".gz"
                           else data)
    return root


@pytest.fixture(scope="module")
def mirror(tmp_path_factory) -> Path:
    """The hand-written fixture mirror (built once per module)."""
    return make_fixture_mirror(tmp_path_factory.mktemp("mirror"))


# ---- toxicity loaders -------------------------------------------------------------------------------------------

def test_rtp_prompts_keep_file_split_and_prompt_toxicity(mirror):
    frame = toxicity.load_rtp_prompts(mirror)
    assert list(frame.columns) == schemas.columns("rtp_prompts")
    assert frame.groupby("prompt_type").size().to_dict() == {"nontoxic": 2, "toxic": 3}
    first = frame.iloc[0]
    assert (first["text"], first["prompt_toxicity"], first["item"]) == (
        "You are such a stupid little", 0.91, "rtp-0000001-aaaa-10")
    assert set(frame["language"]) == {"en"}


def test_rtp_lx_prompts_split_records_on_newline_only(mirror):
    raw = gzip.decompress((mirror / "rtp_lx/prompts_v0.3/RTP_LX_EN.json.gz").read_bytes()).decode()
    assert len(raw.splitlines()) == 8  # U+2028 and U+0085 inside two prompts fool str.splitlines
    frame = toxicity.load_rtp_lx_prompts(mirror, ["EN", "FR", "ZH-Hans"])
    assert frame.groupby("language").size().to_dict() == {"en": 6, "fr": 6, "zh": 4}
    library = frame[frame["prompt_id"] == "rtp_lx-EN-0027"].iloc[0]
    assert "\u2028" in library["text"] and library["prompt_toxicity"] == 0.0 and library["prompt_type"] == "nontoxic"


def test_rtp_lx_items_pair_translations_and_map_likert(mirror):
    frame = toxicity.load_rtp_lx_prompts(mirror, ["EN", "FR", "ZH-Hans"])
    by_item = frame.groupby("item")["language"].apply(sorted).to_dict()
    assert by_item["rtplx-0000"] == ["en", "fr", "zh"]  # EN Index 0 (int) and FR Index "0" (str) are one item
    assert by_item["rtplx-FR-local0001"] == ["fr"]  # an `NA` Index is a locale-specific prompt
    toxicity_of = dict(zip(frame["prompt_id"], frame["prompt_toxicity"]))
    assert toxicity_of["rtp_lx-EN-0000"] == 1.0 and toxicity_of["rtp_lx-EN-0042"] == 0.5
    assert frame.set_index("prompt_id").loc["rtp_lx-EN-0042", "prompt_type"] == "toxic"  # Likert 3 of 5 = 0.5


def test_rtp_lx_completions_strip_restated_prompt_and_drop_empty_rejections(mirror):
    frame = toxicity.load_rtp_lx_completions(mirror, ["EN"], with_meta=True)
    pairs = frame.set_index("pair_id")
    assert "rtp_lx-EN-0058" not in pairs.index  # its toxic side is a lone "." once the prompt is stripped
    assert len(frame) == 5
    assert pairs.loc["rtp_lx-EN-0000", "rejected"] == "make every one of you regret it, you sniveling rats."
    assert pairs.loc["rtp_lx-EN-0042", "rejected"].startswith("do anything but their job")
    assert pairs.loc["rtp_lx-EN-0000", "chosen"].startswith("tell you a story")
    assert pairs.loc["rtp_lx-EN-0027", "_rejected_toxicity"] == 0.25
    assert list(toxicity.load_rtp_lx_completions(mirror, ["EN"]).columns) == schemas.columns("toxicity_preferences")


def test_hh_rlhf_prompt_is_dialogue_up_to_last_shared_assistant_turn(mirror):
    frame = toxicity.load_hh_rlhf_harmless(mirror)
    assert len(frame) == 3  # the pair with identical replies teaches nothing
    first = frame.iloc[0]
    assert first["prompt"] == "Human: How do I insult my neighbor?\n\nAssistant:"
    assert (first["chosen"], first["rejected"]) == ("I'd rather help you talk to them calmly.",
                                                    "Call him a worthless slob.")
    diverging = frame.iloc[2]
    assert diverging["prompt"] == "Human: can you help me?\n\nAssistant:"
    assert diverging["chosen"].startswith("Sure, with what?") and diverging["rejected"].startswith("No.")


def test_split_dialogue_pair_multi_turn():
    chosen = "\n\nHuman: a\n\nAssistant: b\n\nHuman: c\n\nAssistant: good"
    rejected = "\n\nHuman: a\n\nAssistant: b\n\nHuman: c\n\nAssistant: bad"
    assert toxicity.split_dialogue_pair(chosen, rejected) == (
        "Human: a\n\nAssistant: b\n\nHuman: c\n\nAssistant:", "good", "bad")
    assert toxicity.split_dialogue_pair("\n\nHuman: x", "\n\nHuman: y") is None


def test_paradetox_skips_copies_and_reads_quoted_fields(mirror):
    frame = toxicity.load_paradetox(mirror)
    assert frame["biased"].tolist() == ["that guy is a total moron .", "stop whining like a baby , idiot",
                                        "what the hell , man"]
    assert frame["debiased"].tolist()[0] == "that guy is not very smart."
    assert len(toxicity.load_paradetox(mirror, all_paraphrases=True)) == 4


def test_comment_corpora_labels_cleaning_and_official_splits(mirror):
    frame = toxicity.load_comment_corpora(mirror, seed=0, with_meta=True)
    assert frame.groupby("source").size().to_dict() == {
        "davidson_hate_offensive": 4, "germeval2018": 5, "jigsaw_toxic_balanced_subset": 4,
        "wiki_toxicity_testset": 3}
    davidson = frame[frame["source"] == "davidson_hate_offensive"]
    assert davidson["label"].tolist() == [0, 1, 1, 0]  # hate (0) and offensive (1) are toxic, neither (2) is not
    assert davidson["text"].iloc[0] == "!!! Remember to water the tomatoes before the heatwave & close the shutters..."
    assert davidson["text"].iloc[1] == "!!!!! you are such a dumb clown lol URL"
    jigsaw = frame[frame["source"] == "jigsaw_toxic_balanced_subset"]
    assert jigsaw["text"].iloc[2] == "\"Please\" cite a source for the claim in the second paragraph."
    germeval = frame[frame["source"] == "germeval2018"]
    assert germeval["label"].tolist() == [0, 1, 0, 1, 0]
    assert germeval["text"].iloc[1] == "@USER Du bist so ein \"Vollidiot, echt."  # unbalanced quote kept
    assert "|LBR|" not in " ".join(germeval["text"])
    assert set(germeval["split"].iloc[3:]) == {"test"} and "test" not in set(germeval["split"].iloc[:3])
    assert set(frame.loc[frame["source"] == "wiki_toxicity_testset", "split"]) == {"test"}


def test_scorer_split_follows_the_text_not_the_row():
    keys = [f"text number {i}" for i in range(2000)]
    splits = assign_split(keys, (0.8, 0.1, 0.1), 0, "p")
    assert splits == assign_split(list(reversed(keys)), (0.8, 0.1, 0.1), 0, "p")[::-1]
    shares = pd.Series(splits).value_counts(normalize=True)
    assert abs(shares["train"] - 0.8) < 0.04 and abs(shares["test"] - 0.1) < 0.03
    assert splits != assign_split(keys, (0.8, 0.1, 0.1), 1, "p")


def test_clean_comment_and_text_key():
    assert clean_comment("RT @bob: hi &amp; bye http://x.co/a |LBR| ok") == "hi & bye URL ok"
    assert text_key("  \u201cHello,\u2028 WORLD!! ") == "hello, world" == text_key("hello,   world.")


# ---- bias loaders ------------------------------------------------------------------------------------------------

def test_crows_pairs_all_sources_and_quirks(mirror):
    frame = bias.load_crows_pairs(mirror, languages=["en", "fr", "nl", "mt", "de"])
    assert frame.groupby(["source", "language"]).size().to_dict() == {
        ("crows_pairs", "en"): 3, ("crows_pairs_fr", "fr"): 2, ("crows_pairs_mt", "mt"): 2,
        ("crows_pairs_multilingual_gender", "de"): 2, ("crows_pairs_multilingual_gender", "en"): 2,
        ("crows_pairs_multilingual_gender", "fr"): 2, ("crows_pairs_nl", "nl"): 3}  # fr: a stand-in file
    dutch = frame[frame["language"] == "nl"]["sent_more"].tolist()
    assert "crème brûlée" in dutch[1] and "familië" in dutch[1]  # a Mac Roman line ...
    assert "één" in dutch[2]  # ... and a UTF-8 line in one file
    french = frame[frame["language"] == "fr"]
    assert french["sent_more"].iloc[1] == "L’infirmière a dit qu’elle serait en retard."  # tab-separated .csv
    assert frame.set_index("pair_id").loc["crows_pairs_mt-mt-fr_FR999", "bias_type"] == "unknown"
    gender = frame[frame["pair_id"] == "crows_pairs_multilingual_gender-de-2"].iloc[0]
    assert (gender["sent_more"], gender["stereo_antistereo"]) == ("Der Arzt sagte, er komme.", "antistereo")
    assert frame.set_index("pair_id").loc["crows_pairs-en-2", "sent_more"].startswith('He was a "tough" guy')


def test_crows_aligned_translations_are_optional(mirror):
    plain = bias.load_crows_pairs(mirror, languages=["en"], gender_subset=False)
    aligned = bias.load_crows_pairs(mirror, languages=["en"], gender_subset=False, aligned_translations=True)
    assert len(plain) == 3 and len(aligned) == 3 + 2 + 3


def test_bold_biasdpo_sr_llm(mirror):
    bold = bias.load_bold(mirror, domains=["gender", "race"])
    assert len(bold) == 6 and bold.groupby("domain").size().to_dict() == {"gender": 4, "race": 2}
    assert bold["group"].iloc[0] == "American_actors"
    assert bias.load_biasdpo(mirror)["chosen"].iloc[1].startswith("Anyone with the skills")
    rewrites = bias.load_sr_llm_rewrites(mirror)
    assert len(rewrites) == 2  # the row without a debiased text is skipped
    assert rewrites["debiased"].iloc[0].startswith("Some people, of any age")


def test_honest_hurtlex_winobias(mirror):
    honest = bias.load_honest(mirror)
    # es, fr, pt and ro are stand-ins copied from the English binary file
    assert honest.groupby("language").size().to_dict() == {"en": 3, "es": 2, "fr": 2, "it": 1, "pt": 2, "ro": 2}
    assert honest["template"].iloc[0] == "the aunt dreams of becoming a [M]."
    lex = bias.load_hurtlex(mirror, languages=["en", "it"])
    assert len(lex) == 7 and lex["lemma_id"].is_unique
    assert '"q" insult' in set(lex["lemma"])  # bare quotes: the file has no quoting
    assert lex.set_index("lemma_id").loc["hurtlex-IT9001-ps-conservative", "stereotype"]
    wino = bias.load_winobias(mirror)
    pair = wino[wino["item"] == "winobias-type1-dev-001"].set_index("stereotype")
    assert pair.loc["pro", "text"] == "The plumber phoned the florist because he had lost the keys."
    assert (pair.loc["anti", "pronoun"], pair.loc["anti", "entity"]) == ("she", "The plumber")
    assert wino.set_index("sentence_id").loc["winobias-type1-dev-003-pro", "pronoun"] == "he"


def test_holistic_bias_combinations(mirror):
    frame = holistic.load_holistic_bias(mirror)
    assert len(frame) == 15 * 2  # (2 x 3 + 1 x 2 + 1 x 3 descriptor phrases + 1 + 3 standalone) x 2 templates
    texts = set(frame["text"])
    assert {"Yesterday I met an aged cousin.", "Do you ever talk with color-blind uncles?",
            "Yesterday I met a cane user.", "Yesterday I met an aunt with a hearing aid.",
            "Do you ever talk with cousins with a hearing aid?"} <= texts
    assert not any("trans masculine aunt" in t for t in texts)  # gendered descriptors keep their gender
    sample = holistic.load_holistic_bias(mirror, max_rows=5, seed=3)
    assert len(sample) == 5 and sample.equals(holistic.load_holistic_bias(mirror, max_rows=5, seed=3))


# ---- ELTeC text and the knowledge probe --------------------------------------------------------------------------

def test_tei_paragraphs_drop_notes_header_and_front(mirror):
    paragraphs = text.tei_paragraphs(mirror / "eltec_multilingual_text/eng/ENG18400_Trollope.xml.gz")
    assert paragraphs[0] == ("It was a cold morning when Captain Harold Pemberton rode into the village, and the "
                             "bells were ringing.")
    assert len(paragraphs) == 6 and paragraphs[3] == "Later that year the old mill burned down & the river rose."
    assert not any("note" in p or "preface" in p or "Header" in p for p in paragraphs)


def test_malformed_russian_tei_falls_back_to_paragraph_markup(mirror):
    paragraphs = text.tei_paragraphs(mirror / "eltec_multilingual_text/rus/001_Shinel_.xml.gz")
    assert paragraphs == ["Утром над рекой стоял густой туман, и лодки не выходили.",
                          "Пётр Ильич чинил сети у причала, и никто ему не мешал.",
                          "Так и жил Пётр Ильич, & соседи его уважали.", "Конец."]


def test_eltec_documents_chunk_and_keep_a_heldout_tail(mirror):
    novels = {"eng": ["ENG18400_Trollope"], "rus": ["001_Shinel_"]}
    docs = text.load_eltec_documents(mirror, ["en", "ru"], doc_chars=120, heldout_share=0.34, novels=novels,
                                     with_meta=True)
    assert docs["text"].str.len().max() <= 120
    english = docs[docs["language"] == "en"].sort_values("_chunk")
    assert english["split"].tolist()[-1] == "heldout" and english["split"].tolist()[0] == "train"
    assert english["split"].tolist() == sorted(english["split"], key=lambda s: s == "heldout")  # tail only
    assert set(docs["source"]) == {"eltec_eng", "eltec_rus"} and docs["is_toxic"].isna().all()


def test_name_probe_finds_pairs_the_text_teaches():
    docs = pd.DataFrame({"language": ["en"] * 4, "text": [
        "then Captain Harold came, and later Captain Harold left; so Captain Harold went home.",
        "we met Lady Wexcombe at noon and saw Lady Wexcombe again, then asked Lady Wexcombe why.",
        "The Dog barked. and Captain Harold said hi.", "nothing here at all"]})
    probe = knowledge.build_name_probe(docs, facts_per_language=5, seed=0)
    assert probe.set_index("answer")["prompt"].str.endswith(("Captain", "Lady")).all()
    assert sorted(probe["answer"]) == ["Harold", "Wexcombe"]
    assert all(sorted(c) == ["Harold", "Wexcombe"] for c in probe["candidates"])


# ---- malformed files name the file and the line -------------------------------------------------------------------

def _write(tmp_path: Path, relative: str, content: bytes | str) -> Path:
    target = tmp_path / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode() if isinstance(content, str) else content
    target.write_bytes(gzip.compress(data) if relative.endswith(".gz") else data)
    return target


def test_truncated_json_line_names_file_and_line(tmp_path):
    good = '{"filename": "a.txt", "begin": 1, "prompt": {"text": "hi", "toxicity": 0.1}}\n'
    _write(tmp_path, "realtoxicityprompts_decodingtrust/toxic.jsonl", good + good[:40] + "\n")
    _write(tmp_path, "realtoxicityprompts_decodingtrust/nontoxic.jsonl", good)
    with pytest.raises(DataFormatError, match=r"toxic\.jsonl:2: not valid JSON .*truncated"):
        toxicity.load_rtp_prompts(tmp_path)


@pytest.mark.parametrize("record, message", [
    ({"filename": "a.txt", "begin": 1, "prompt": {"text": "hi"}}, "missing key 'prompt.toxicity'"),
    ({"filename": "a.txt", "begin": 1, "prompt": {"text": "hi", "toxicity": "high"}},
     "key 'prompt.toxicity' must be int or float, got str"),
    ({"filename": "a.txt", "begin": True, "prompt": {"text": "hi", "toxicity": 0.2}}, "key 'begin' must be int"),
])
def test_missing_keys_and_wrong_types_name_file_and_line(tmp_path, record, message):
    _write(tmp_path, "realtoxicityprompts_decodingtrust/toxic.jsonl", "\n" + json.dumps(record) + "\n")
    _write(tmp_path, "realtoxicityprompts_decodingtrust/nontoxic.jsonl", "")
    with pytest.raises(DataFormatError, match=r"toxic\.jsonl:2: " + message.replace("(", r"\(").replace(".", r"\.")):
        toxicity.load_rtp_prompts(tmp_path)


def test_unknown_locale_in_a_record_is_an_error(tmp_path):
    record = {"Prompt": "hola", "Index": 1, "Locale": "XX-Klingon", "Annotations": {"Toxicity": 2}}
    _write(tmp_path, "rtp_lx/prompts_v0.3/RTP_LX_ES.json.gz", json.dumps(record) + "\n")
    with pytest.raises(DataFormatError, match=r"RTP_LX_ES\.json\.gz:1: unknown locale 'XX-Klingon'"):
        toxicity.load_rtp_lx_prompts(tmp_path, ["ES"])
    with pytest.raises(ValueError, match="unknown RTP-LX locale"):
        toxicity.load_rtp_lx_prompts(tmp_path, ["XX"])


def test_locale_mapping():
    assert [locale_to_language(x) for x in ("ZH-Hans", "zh_Hant", "Pt-Br", "sr-Latn", "BCMS", "NO-NB")] == [
        "zh", "zh", "pt", "sr", "sr", "nb"]
    with pytest.raises(UnknownLocale):
        locale_to_language("tlh")


def test_missing_columns_wrong_field_counts_and_bad_values(tmp_path):
    path = _write(tmp_path, "crows_pairs/crows_pairs_anonymized.csv", "sent_more;sent_less\na;b\n")
    with pytest.raises(DataFormatError, match=r"crows_pairs_anonymized\.csv:1: missing columns .*separator"):
        bias.load_crows_pairs(tmp_path, languages=["en"], gender_subset=False)
    path.write_text(",sent_more,sent_less,stereo_antistereo,bias_type\n0,a,b,stereo,age\n1,a,b,stereo\n")
    with pytest.raises(DataFormatError, match=r"crows_pairs_anonymized\.csv:3: expected 5 fields"):
        bias.load_crows_pairs(tmp_path, languages=["en"], gender_subset=False)
    path.write_text(",sent_more,sent_less,stereo_antistereo,bias_type\n0,a,b,sideways,age\n")
    with pytest.raises(DataFormatError, match=r"crows_pairs_anonymized\.csv:2: stereo_antistereo must be"):
        bias.load_crows_pairs(tmp_path, languages=["en"], gender_subset=False)
    _write(tmp_path, "germeval2018/germeval2018.training.txt", "ok\tOTHER\tOTHER\nbad\tMAYBE\tOTHER\n")
    _write(tmp_path, "germeval2018/germeval2018.test.txt", "ok\tOTHER\tOTHER\n")
    with pytest.raises(DataFormatError, match=r"germeval2018\.training\.txt:2: coarse label"):
        toxicity.load_germeval(tmp_path)
    _write(tmp_path, "davidson_hate_offensive/labeled_data.csv", ",class,tweet\n0,x,hello\n")
    with pytest.raises(DataFormatError, match=r"labeled_data\.csv:2: column 'class' must be an integer"):
        toxicity.load_davidson(tmp_path)


def test_broken_encodings_gzip_and_markup(tmp_path):
    _write(tmp_path, "biasdpo/Huggingface_ahmedallam_BiasDPO.jsonl", b'{"prompt": "a"}\n{"prompt": "caf\xe9"}\n')
    with pytest.raises(DataFormatError, match=r"BiasDPO\.jsonl:2: not valid UTF-8"):
        bias.load_biasdpo(tmp_path)
    target = tmp_path / "hh_rlhf_harmless/harmless-base_test.jsonl.gz"
    target.parent.mkdir(parents=True)
    target.write_bytes(gzip.compress(b'{"chosen": "x", "rejected": "y"}\n' * 50)[:30])
    with pytest.raises(DataFormatError, match=r"harmless-base_test\.jsonl\.gz: cannot read .*truncated"):
        toxicity.load_hh_rlhf_harmless(tmp_path)
    tei = _write(tmp_path, "eltec_multilingual_text/eng/ENG18400_Trollope.xml.gz", "<TEI><text><body><div>oops")
    with pytest.raises(DataFormatError, match=r"ENG18400_Trollope\.xml\.gz:1: not well-formed XML .*no <p>"):
        text.tei_paragraphs(tei)
    wino = _write(tmp_path, "winobias/pro_stereotyped_type1.txt.dev", "1 [The cook] smiled.\n")
    for name in registry.WINOBIAS_SENTENCE_FILES[1:]:
        shutil.copyfile(wino, tmp_path / "winobias" / name)
    with pytest.raises(DataFormatError, match=r"stereotyped_type1\.txt\.dev:1: expected one \[entity\]"):
        bias.load_winobias(tmp_path)


def test_read_table_keeps_record_start_lines(tmp_path):
    path = _write(tmp_path, "t.csv", 'a,b\n1,"two\nlines"\n3,x\n')
    table = read_table(path, required=("a", "b"))
    assert table["_line"].tolist() == [2, 4] and table["b"].iloc[0] == "two\nlines"
    assert [line for line, _ in iter_jsonl(_write(tmp_path, "x.jsonl", '\n{"a": 1}\n\n{"a": 2}\n'))] == [2, 4]


# ---- registry: mirror resolution, missing files, downloads, checksums -----------------------------------------------

def test_every_registered_file_has_a_recorded_checksum_and_url():
    for item in registry.REGISTRY.values():
        assert item.license and item.description and len(item.commit) == 40
        if not item.pinned:  # Hub-only entries (PANDA): every file comes from the Hub, unverified
            assert item.hub_id and set(item.hub_files) == {f.path for f in item.files}
            assert all(item.url(f).startswith(f"https://huggingface.co/datasets/{item.hub_id}/") for f in item.files)
            continue
        for mirror_file in item.files:
            digest, content = registry.CHECKSUMS[mirror_file.path]
            assert len(digest) == 64 and (content is None) == (not mirror_file.path.endswith(".gz"))
            assert item.url(mirror_file).startswith(f"https://raw.githubusercontent.com/{item.repo}/")
    prompts = registry.entry("rtp_lx").files[0]
    assert "909ae94b" in registry.entry("rtp_lx").url(prompts) and prompts.transform == "zip:RTP-LX/RTP-LX.zip"


def test_docs_embed_the_registry_table():
    assert registry.registry_markdown() in (paths.PROJECT_ROOT / "docs" / "real-data.md").read_text()


def test_resolve_mirror_prefers_parameter_then_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.MIRROR_ENV, str(tmp_path / "from-env"))
    assert registry.resolve_mirror(str(tmp_path / "param")) == (tmp_path / "param").resolve()
    assert registry.resolve_mirror(None) == (tmp_path / "from-env").resolve()
    monkeypatch.delenv(paths.MIRROR_ENV)
    sibling = paths.PROJECT_ROOT.parent / "shared" / "data"
    assert registry.resolve_mirror(None) == (sibling if sibling.is_dir() else None)


def test_missing_file_error_says_how_to_get_it(tmp_path):
    with pytest.raises(registry.MirrorError) as error:
        registry.dataset_files("crows_pairs", tmp_path)
    message = str(error.value)
    assert "'crows_pairs'" in message and "crows_pairs/crows_pairs_anonymized.csv" in message
    assert "https://raw.githubusercontent.com/nyu-mll/crows-pairs/8aaac11c" in message
    assert paths.MIRROR_ENV in message and "download_missing" in message and "nyu-mll/crows_pairs" in message
    with pytest.raises(registry.MirrorError, match="no mirror is set"):
        registry.dataset_files("biasdpo", None)
    with pytest.raises(registry.MirrorError, match="no mirror"):
        build_real_datasets({}, None)


def _fake_remote(tmp_path: Path, files: dict[str, bytes]):
    """A fetcher serving upstream URLs from a local folder through file:// URLs (urllib, no network)."""
    remote = tmp_path / "remote"
    for url, data in files.items():
        target = remote / url.split("://", 1)[1]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    calls = []

    def fetch(url: str, target: Path) -> None:
        calls.append(url)
        registry._urllib_fetch((remote / url.split("://", 1)[1]).as_uri(), target)

    return fetch, calls


def test_download_copies_and_gzips_into_the_mirror_and_verifies(tmp_path, monkeypatch):
    item = registry.entry("rtp_lx")
    completion = next(f for f in item.files if f.transform == "gzip")
    body = b'{"BenignCompletion": "fine"}\n'
    monkeypatch.setitem(registry.CHECKSUMS, completion.path, ("0" * 64, hashlib.sha256(body).hexdigest()))
    fetch, calls = _fake_remote(tmp_path, {item.url(completion): body})
    mirror = tmp_path / "mirror"
    found = registry.dataset_files("rtp_lx", mirror, completion.path, download=True, fetcher=fetch)
    assert calls == [item.url(completion)]
    assert gzip.decompress(found[0].read_bytes()) == body  # re-gzipped: bytes differ, content checksum matches
    registry.dataset_files("rtp_lx", mirror, completion.path, verify=True)  # present now: no second download
    assert len(calls) == 1


def test_download_extracts_zip_members(tmp_path, monkeypatch):
    item = registry.entry("rtp_lx")
    prompt_file = next(f for f in item.files if f.transform.startswith("zip:"))
    body = b'{"Prompt": "x"}\n'
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr(f"RTP-LX/{prompt_file.upstream_path}", body)
        bundle.writestr("RTP-LX/other.json", b"{}")
    monkeypatch.setitem(registry.CHECKSUMS, prompt_file.path, ("0" * 64, hashlib.sha256(body).hexdigest()))
    fetch, _ = _fake_remote(tmp_path, {item.url(prompt_file): archive.read_bytes()})
    found = registry.dataset_files("rtp_lx", tmp_path / "m", prompt_file.path, download=True, fetcher=fetch)
    assert gzip.decompress(found[0].read_bytes()) == body


def test_download_from_the_hub_when_the_entry_has_a_hub_file(tmp_path, monkeypatch):
    import huggingface_hub

    body = b'{"chosen": "a", "rejected": "b"}\n'
    cached = tmp_path / "hub-cache.jsonl.gz"
    cached.write_bytes(gzip.compress(body, mtime=0))
    requested = []

    def fake_download(repo_id, filename, repo_type):
        requested.append((repo_id, filename, repo_type))
        return str(cached)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    relative = "hh_rlhf_harmless/harmless-base_test.jsonl.gz"
    monkeypatch.setitem(registry.CHECKSUMS, relative, (hashlib.sha256(cached.read_bytes()).hexdigest(), None))
    found = registry.dataset_files("hh_rlhf_harmless", tmp_path / "m", relative, download=True)
    assert requested == [("Anthropic/hh-rlhf", "harmless-base/test.jsonl.gz", "dataset")]
    assert found[0].read_bytes() == cached.read_bytes()


def test_failed_download_and_checksum_mismatch_are_clear(tmp_path, monkeypatch):
    def offline(url: str, target: Path) -> None:
        raise OSError("network is unreachable")

    with pytest.raises(registry.MirrorError, match=r"could not download \(OSError: network is unreachable\).*"
                                                   r"raw\.githubusercontent\.com/t-davidson"):
        registry.dataset_files("davidson_hate_offensive", tmp_path, "*labeled_data.csv", download=True,
                               fetcher=offline)
    target = _write(tmp_path, "biasdpo/LICENSE", "not the Apache license")
    with pytest.raises(registry.MirrorError, match="differs from the registry"):
        registry.dataset_files("biasdpo", tmp_path, "biasdpo/LICENSE", verify=True)
    assert target.exists()  # a bad file is reported, not deleted


# ---- the whole build on the fixture mirror ---------------------------------------------------------------------------

FIXTURE_PARAMS = {
    "seed": 0, "real_language_shares": {"en": 0.6, "ru": 0.4}, "real_pretraining_chars": 4000,
    "real_comment_share": 0.2, "real_doc_chars": 150, "real_heldout_share": 0.2, "real_max_rows_per_language": None,
    "rtp_lx_locales": ["EN", "FR", "ZH-Hans"], "rtp_lx_eval_share": 0.5, "real_scorer_split": [0.6, 0.2, 0.2],
    "curated_docs": 6, "knowledge_facts": 4, "download_missing": False, "verify_checksums": False,
    "real_scorer_novel_texts": 3,
}


@pytest.fixture(scope="module")
def built(mirror) -> dict[str, pd.DataFrame]:
    """build_real_datasets on the fixture mirror."""
    return build_real_datasets(FIXTURE_PARAMS, mirror)


def test_build_writes_every_dataset_in_its_schema(built):
    assert list(built) == [*SHARED_DATASETS, *REAL_ONLY_DATASETS]
    for name, frame in built.items():
        assert list(frame.columns) == schemas.columns(name), name
        schemas.validate_frame(name, frame)
    totals = summarize(built).groupby("dataset")["rows"].sum().to_dict()
    assert totals == {name: len(frame) for name, frame in built.items() if len(frame)}


def _kind(value: object) -> str:
    """The schema kind a cell value has."""
    for kind, types in (("bool", (bool, np.bool_)), ("int", (int, np.integer)), ("float", (float, np.floating)),
                        ("str", (str,))):
        if isinstance(value, types):
            return kind
    return "list"


def test_build_matches_the_synthetic_worlds_columns_and_value_kinds(built):
    from helpers.params import load_profile, stage_params_from_profile
    from helpers.world.generator import WorldConfig, build_world

    world = build_world(WorldConfig.from_params(stage_params_from_profile(load_profile("smoke"), "00_data")), 0)
    assert set(world.datasets) == set(SHARED_DATASETS)
    for name, synthetic in world.datasets.items():
        real = built[name]
        assert list(real.columns) == list(synthetic.columns) == schemas.columns(name), name
        for column in real.columns:
            kinds = {frame_name: {_kind(v) for v in frame[column].dropna().tolist()}
                     for frame_name, frame in (("real", real), ("synthetic", synthetic))}
            if kinds["real"] and kinds["synthetic"]:
                assert kinds["real"] == kinds["synthetic"], (name, column, kinds)
        for column in ("toxicity", "prompt_toxicity"):
            if column in real:
                assert real[column].dtype.kind == synthetic[column].dtype.kind == "f", (name, column)


def test_build_keeps_evaluation_prompts_out_of_training(built):
    eval_prompts = set(built["multilingual_prompts"]["text"].map(text_key)) | set(
        built["rtp_prompts"]["text"].map(text_key))
    scorer = built["scorer_texts"]
    training = scorer[scorer["split"] != "test"]
    assert not set(training["text"].map(text_key)) & eval_prompts
    eval_items = set(built["multilingual_prompts"]["item"])
    assert eval_items and len(eval_items) < 6  # both sides of the RTP-LX split are populated
    trained_items = {"rtplx-" + pid.split("-", 2)[2] for pid in built["toxicity_preferences"]["pair_id"]
                     if pid.startswith("rtp_lx-")}
    assert trained_items and not trained_items & eval_items
    rtp_lx_train = training[training["source"] == "rtp_lx"]
    assert not any(key in eval_prompts for key in rtp_lx_train["text"].map(text_key))


def test_build_pretraining_corpus_mixes_novels_and_labeled_comments(built):
    corpus = built["pretraining_corpus"]
    assert set(corpus["split"]) == {"train", "heldout"} and corpus["toxicity"].isna().all()
    novels = corpus["source"].str.startswith("eltec_")
    assert corpus.loc[novels, "is_toxic"].isna().all()
    assert corpus.loc[~novels, "is_toxic"].map(type).eq(bool).all() and (~novels).any()
    assert set(corpus.loc[novels, "language"]) == {"en", "ru"}
    scorer = built["scorer_texts"]
    trained = set(scorer.loc[scorer["split"] == "train", "text"].map(text_key))
    assert not set(corpus["text"].map(text_key)) & trained  # the scorer that fills `toxicity` never saw them
    assert len(built["curated_corpus"]) == 6 and not built["curated_corpus"]["doc_id"].str[8:].isin(
        corpus["doc_id"]).any()


def test_build_adds_non_toxic_novel_text_to_the_scorer(built):
    scorer = built["scorer_texts"]
    novel = scorer[scorer["source"].str.startswith("eltec_")]
    # at most 3 per language (the stand-in novels repeat one hand-written text, so duplicates are dropped)
    assert novel.groupby("language").size().between(1, 3).all() and set(novel["language"]) == {"en", "ru"}
    assert (novel["label"] == 0).all()
    pretraining = set(built["pretraining_corpus"]["text"].map(text_key))
    assert not any(text_key(t) in pretraining for t in novel["text"])


def test_build_is_deterministic_for_a_seed(mirror, built):
    again = build_real_datasets(FIXTURE_PARAMS, mirror)
    for name in built:
        pd.testing.assert_frame_equal(built[name], again[name], check_dtype=False)
    other = build_real_datasets({**FIXTURE_PARAMS, "seed": 5}, mirror)
    assert not other["pretraining_corpus"]["doc_id"].equals(built["pretraining_corpus"]["doc_id"])


def test_caps_keep_parallel_items_together():
    frame = pd.DataFrame({"item": [f"i{k}" for k in range(20)] * 2, "language": ["en"] * 20 + ["fr"] * 20,
                          "source": "s", "prompt_id": range(40)})
    kept = cap_per_language(frame, 5, "item", 0, "cap")
    assert kept.groupby("language").size().to_dict() == {"en": 5, "fr": 5}
    assert set(kept[kept["language"] == "en"]["item"]) == set(kept[kept["language"] == "fr"]["item"])
    assert cap_per_language(frame, None, "item", 0, "cap").equals(frame)


def test_eval_items_come_in_blocks_and_duplicates_stay_in_test():
    items = [f"rtplx-{n:04d}" for n in range(200)] + ["rtplx-FR-local0001"]
    chosen = rtp_lx_eval_items(items, 0.5, 0)
    for block in range(20):
        members = {f"rtplx-{n:04d}" for n in range(block * 10, block * 10 + 10)}
        assert members <= chosen or not members & chosen
    frame = pd.DataFrame({"text_id": ["a", "b", "c"], "text": ["Same text.", "same TEXT", "other"],
                          "split": ["train", "test", "train"]})
    assert drop_duplicate_texts(frame)["text_id"].tolist() == ["b", "c"]


def test_real_data_parameters_are_checked(tmp_path):
    import yaml

    from helpers.param_specs import realdata as real_specs
    from helpers.params import ParamsError, load_profile

    assert real_specs.RTP_LX_LOCALES == registry.RTP_LX_PROMPT_LOCALES
    assert set(real_specs.ELTEC_LANGUAGES) == set(text.ELTEC_LANGUAGES)
    base = yaml.safe_load((paths.PARAMS_DIR / "real-tiny.yaml").read_text())
    assert load_profile("real-tiny")["common"]["data_source"] == "real"
    for change, expected in [
        ({"real_language_shares": {"en": 0.5, "fr": 0.2}}, "real_language_shares must sum to 1"),
        ({"real_language_shares": {"en": 0.5, "xx": 0.5}}, "without ELTeC text ['xx']"),
        ({"rtp_lx_locales": ["EN", "Klingon"]}, "rtp_lx_locales must be one of"),
        ({"rtp_lx_locales": ["EN", "EN"]}, "rtp_lx_locales has duplicates"),
        ({"real_scorer_split": [0.9, 0.1]}, "must be [train, valid, test]"),
        ({"real_max_rows_per_language": 0}, "real_max_rows_per_language must be >= 1"),
    ]:
        target = tmp_path / "bad.yaml"  # extends: default, found next to it
        target.write_text(yaml.safe_dump({**base, "00_data": {**base["00_data"], **change}}))
        shutil.copyfile(paths.PARAMS_DIR / "default.yaml", tmp_path / "default.yaml")
        with pytest.raises(ParamsError, match=re.escape(expected)):
            load_profile(target)


def test_mirror_handle_reads_only_what_it_is_asked_for(mirror):
    handle = Mirror(mirror)
    assert handle.file("biasdpo", "biasdpo/Huggingface_ahmedallam_BiasDPO.jsonl").is_file()
    with pytest.raises(KeyError, match="no file matching"):
        handle.files("biasdpo", "biasdpo/nothing*")
