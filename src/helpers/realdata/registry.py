"""Registry of the real datasets: upstream source, files in the local mirror, checksums, licenses."""

from __future__ import annotations

import fnmatch
import gzip
import hashlib
import os
import shutil
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from helpers import paths
from helpers.realdata._checksums import CHECKSUMS

RAW_GITHUB = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"
HUB_FILE = "https://huggingface.co/datasets/{hub_id}/resolve/main/{path}"
RTP_LX_PASSWORD_ENV = "RTP_LX_ZIP_PASSWORD"


class MirrorError(FileNotFoundError):
    """A dataset file is missing (or wrong) in the mirror; the message says how to get it."""


@dataclass(frozen=True)
class MirrorFile:
    """One file of a dataset: where it lives in the mirror and where it comes from upstream."""

    path: str  # relative to the mirror root
    upstream_path: str  # path inside the upstream repository (or Hub repository)
    transform: str = "copy"  # copy | gzip (the mirror gzips the upstream file) | zip:<archive path>
    commit: str | None = None  # when the file was taken at another commit than the dataset's


@dataclass(frozen=True)
class DatasetEntry:
    """A dataset: its upstream source, mirror files, license and meaning."""

    name: str
    description: str
    license: str
    repo: str  # GitHub owner/name the mirror files were copied from
    commit: str
    files: tuple[MirrorFile, ...]
    hub_id: str | None = None  # Hugging Face Hub dataset with the same data, where one exists
    hub_files: dict[str, str] = field(default_factory=dict)  # mirror path -> file name in the Hub repository
    homepage: str | None = None
    # False: not in the shared mirror when the registry was written, so no sha256 is recorded; its files come from
    # the Hub (`hub_files`) and are used unverified (a checksum mismatch cannot be told from a new Hub revision)
    pinned: bool = True

    def url(self, mirror_file: MirrorFile) -> str:
        """Upstream URL of a file at the pinned commit (the archive, for files extracted from one)."""
        if not self.pinned:
            return HUB_FILE.format(hub_id=self.hub_id, path=self.hub_files[mirror_file.path])
        upstream = mirror_file.transform[4:] if mirror_file.transform.startswith("zip:") else mirror_file.upstream_path
        return RAW_GITHUB.format(repo=self.repo, commit=mirror_file.commit or self.commit, path=upstream)

    def how_to_get(self) -> str:
        """One sentence on where the data comes from, for error messages."""
        if not self.pinned:
            return f"the Hugging Face Hub dataset {self.hub_id} (unpinned: no checksum recorded)"
        source = f"GitHub {self.repo} @ {self.commit[:7]}"
        if self.hub_id:
            source += f" (also on the Hugging Face Hub as dataset {self.hub_id})"
        return source


def _files(prefix: str, upstream_dir: str, names: Iterable[str], transform: str = "copy") -> tuple[MirrorFile, ...]:
    up = f"{upstream_dir}/" if upstream_dir else ""
    suffix = ".gz" if transform == "gzip" else ""
    return tuple(MirrorFile(f"{prefix}/{n}{suffix}", f"{up}{n}", transform) for n in names)


def _one(path: str, upstream_path: str, transform: str = "copy") -> MirrorFile:
    return MirrorFile(path, upstream_path, transform)


RTP_LX_PROMPT_LOCALES = ("AR", "BCMS", "CS", "DA", "DE", "EN", "ES", "FI", "FR", "HE", "HI", "HU", "ID", "IT", "JA",
                         "KO", "NL", "NO-NB", "PL", "PT", "RU", "SV", "SW", "TH", "TR", "UK", "ZH-Hans", "ZH-Hant")
# RU and TH completions were not in the snapshot the mirror was cut from
RTP_LX_COMPLETION_LOCALES = tuple(loc for loc in RTP_LX_PROMPT_LOCALES if loc not in ("RU", "TH"))
CROWS_GENDER_LANGUAGES = ("ar", "de", "en", "fi", "fr", "id", "ko", "th", "vi", "zh")
HONEST_FILES = ("binary/en_template.tsv", "binary/es_template.tsv", "binary/fr_template.tsv", "binary/it_template.tsv",
                "binary/pt_template.tsv", "binary/ro_template.tsv", "queer_nonqueer/en_template.tsv")
HURTLEX_LANGUAGES = ("AF", "AR", "BG", "BN", "CA", "CS", "CY", "DA", "DE", "EL", "EN", "EO", "ES", "ET", "EU", "FA",
                     "FI", "FR", "GA", "GL", "HE", "HI", "HR", "HU", "ID", "IS", "IT", "JA", "KO", "LT", "LV", "MK", "MS",
                     "MT", "NL", "NO", "PL", "PT", "RO", "RU", "SIMPLE", "SK", "SL", "SQ", "SR", "SV", "SW", "TH",
                     "TL", "TR", "UK", "VI", "ZH")
WINOBIAS_SENTENCE_FILES = tuple(f"{kind}_stereotyped_type{t}.txt.{split}" for kind in ("pro", "anti")
                                for t in (1, 2) for split in ("dev", "test"))
ELTEC_COMMITS = {
    "eng": "3db3b6738a836f0e1b276b6c9703e42f4297f978", "fra": "83f0a43fdb967cd1db646027a1a237307e4924a1",
    "deu": "d1eed488bd579ee95151b1a291a0056a90c36fa4", "spa": "83e2a22d5ef66f96e59f47f7ef810358c4236322",
    "ita": "100a4851ed1a1092f082c0ecd109f621c8f62ed4", "por": "8886868916311001a8a8dd99aa6f18f6a2c68408",
    "pol": "95fe196e35720b3de9644ef3ef1d1bb242bae99a", "rus": "fc5014be10be291a000d7f7397c1f1ff60746d2b",
}
ELTEC_NOVELS = {
    "eng": ("ENG18400_Trollope", "ENG18410_Sinclair", "ENG18411_Tupper", "ENG18440_Disraeli", "ENG18450_Disraeli",
            "ENG18470_Aguilar"),
    "fra": ("FRA00101_Adam", "FRA00102_Adam", "FRA00201_Audoux", "FRA00301_Aimard", "FRA00302_Aimard",
            "FRA00401_Allais", "FRA00501_Balzac", "FRA00502_Balzac", "FRA00503_Balzac", "FRA00601_Boisgobey",
            "FRA00602_Boisgobey"),
    "deu": ("DEU001", "DEU002", "DEU003", "DEU004", "DEU005"),
    "spa": ("SPA1001_GilYCarrasco_ElSenyorDeBembibre", "SPA1002_AlonsoDeAvecilla_LaConquistaDelPeru",
            "SPA1003_ArnoizYBosch_ElTestamento", "SPA1004_Foz_VidaDePedroSaputo", "SPA1005_FernanCaballero_Clemencia",
            "SPA1006_AmadoSalzar_ElHonorCastellano", "SPA1007_RosaliaDeCastro_LaHijaDelMar",
            "SPA1008_Mora_LosTemplarios"),
    "ita": ("IT18370_Tommaseo_Il-Duca-D-Atene", "IT18420_Manzoni_Promessi-Sposi",
            "IT18500_Carcano_Damiano-storia-di-una-famiglia-povera", "IT18520_Tommaseo_Fede-e-bellezza",
            "IT18530_Ruffini_Lorenzo-Benoni-ovvero-scene-della-vita-di-un-italiano", "IT18590_Rovani_Cent-anni"),
    "por": ("POR0001_JulDin_Morgadinha", "POR0002_AnaCO_Sacrificada", "POR0003_AleHer_Cister",
            "POR0004_AlmGar_Viagens", "POR0005_EcaQue_Maias", "POR0006_MMSAV_Lourenco", "POR0007_JulDin_Inglesa",
            "POR0008_EcaQue_Ramires"),
    "pol": ("POL0001_balucki_bialy-murzyn", "POL0002_balucki_pan-burmistrz", "POL0003_balucki_przebudzeni",
            "POL0004_beczkowska_co-bedzie", "POL0005_beczkowska_kedy-droga",
            "POL0006_beczkowska_w-mieszczanskim-gniezdzie", "POL0007_berent_diogenes-w-kontuszu",
            "POL0008_berent_ozimina", "POL0009_berent_prochno", "POL0010_deotyma_branki-w-jasyrze",
            "POL0011_deotyma_panienka-z-okienka", "POL0012_deotyma_zwierciadlana-zagadka"),
    "rus": ("001_Shinel_", "002_asya", "003_kazaki", "004khadzhi-murat", "005_smert-ivana-ilicha",
            "006_v-durnom-obshestve", "007_olesya", "008_geroi-nashego-vremeni", "009_belye-nochi",
            "010_anton-goremyka", "011_gimnazisty", "012_krotkaya", "013_druzheskie-sovety",
            "014_ledi-makbet-mcenskogo-uezda", "015_anna-karenina"),
}

_RTP_DIR = "data/toxicity/user_prompts"
_RTP_LLM = ("toxic.jsonl.gpt3.n=25.out1.split.annotated.jsonl.filtered.jsonl",
            "toxic.jsonl.gpt4.n=25.out1.split.annotated.jsonl.filtered.jsonl")

_ENTRIES: tuple[DatasetEntry, ...] = (
    DatasetEntry(
        "crows_pairs", "CrowS-Pairs: 1,508 English minimal pairs, more vs less stereotypical sentence",
        "CC BY-SA 4.0", "nyu-mll/crows-pairs", "8aaac11c485473159ec9328a65253a5be9a479dc",
        (_one("crows_pairs/crows_pairs_anonymized.csv", "data/crows_pairs_anonymized.csv"),),
        hub_id="nyu-mll/crows_pairs"),
    DatasetEntry(
        "crows_pairs_fr", "French CrowS-Pairs (1,677 pairs) and the aligned revised English set (tab-separated .csv)",
        "CC BY-SA 4.0", "kinit-sk/bias-methodology", "2acdfb53f70d754b0917323ec0164af197dadd5c",
        _files("crows_pairs_fr", "data/french_crows",
               ("crows_pairs_EN_revised+210.csv", "crows_pairs_FR_languagearc_contribution+210.csv")),
        homepage="https://gitlab.inria.fr/french-crows-pairs"),
    DatasetEntry(
        "crows_pairs_nl", "Dutch CrowS-Pairs: 1,463 aligned pairs in Dutch, English and French",
        "CC0 1.0", "jerryspan/Dutch-CrowS-Pairs", "7cf51965b4818a717d22068477fba951bca1eb90",
        _files("crows_pairs_nl", "datasets", ("crows_dutch.csv", "crows_eng.csv", "crows_french.csv"))
        + (_one("crows_pairs_nl/LICENSE", "LICENSE"),)),
    DatasetEntry(
        "crows_pairs_multilingual_gender", "CrowS-Pairs gender subset (212 pairs) translated into 10 languages",
        "CC BY-SA 4.0", "VSteinborn/s_jsd-multilingual-bias", "b10302047b55043004a0280f8c2f63236ccea878",
        _files("crows_pairs_multilingual_gender", "data",
               tuple(f"cps_translated_{lang}_formatted.csv" for lang in CROWS_GENDER_LANGUAGES))),
    DatasetEntry(
        "crows_pairs_mt", "Maltese CrowS-Pairs: 1,677 pairs, aligned with the French set",
        "none stated (CrowS-Pairs derivative: treat as CC BY-SA 4.0)",
        "melanie-galea/maltese-bias-mitigation-and-measurement", "1a6333913dbddc374f3f13b2f76cc66b3fa83dfa",
        (_one("crows_pairs_mt/crowspairs_mt.csv", "CrowS/crowspairs_mt.csv"),)),
    DatasetEntry(
        "realtoxicityprompts_decodingtrust",
        "RealToxicityPrompts subset from DecodingTrust: 1,196 toxic + 1,200 non-toxic prompts with Perspective scores",
        "CC BY-SA 4.0 (DecodingTrust); RealToxicityPrompts: Apache-2.0", "AI-secure/DecodingTrust",
        "161ae8321ced62f45fcd9ceb412e05b47c603cd4",
        _files("realtoxicityprompts_decodingtrust", _RTP_DIR, ("toxic.jsonl", "nontoxic.jsonl", *_RTP_LLM))
        + (_one("realtoxicityprompts_decodingtrust/LICENSE", "LICENSE"),),
        hub_id="allenai/real-toxicity-prompts"),
    DatasetEntry(
        "rtp_lx", "RTP-LX: 30,263 human-transcreated toxic prompts in 28 locales; 27,937 benign/toxic completions",
        "MIT (+ NOTICE for third-party material; RealToxicityPrompts: Apache-2.0)", "microsoft/RTP-LX",
        "206c3ec548b4538ec68176dabfadbbd7bfea3c47",
        tuple(MirrorFile(f"rtp_lx/prompts_v0.3/RTP_LX_{loc}.json.gz", f"RTP_LX_{loc}.json",
                         "zip:RTP-LX/RTP-LX.zip", "909ae94b89a272824826c8221943ba073e0df3ec")  # release v0.3
              for loc in RTP_LX_PROMPT_LOCALES)
        + _files("rtp_lx/completions_v1", "scoring/acs_results",
                 tuple(f"acs_results_benign_{loc}.json" for loc in RTP_LX_COMPLETION_LOCALES), "gzip")
        + _files("rtp_lx", "", ("LICENSE", "NOTICE", "rtp-lx_metadata.json"))),
    DatasetEntry(
        "bold", "BOLD: 23,679 English prompts (Wikipedia sentence starts) in 5 domains", "CC BY-SA 4.0",
        "amazon-science/bold", "3ad652c773f5d1e30d5f6f61657ed934d768ecad",
        _files("bold/prompts", "prompts", tuple(f"{d}_prompt.json" for d in
                                                ("gender", "political_ideology", "profession", "race",
                                                 "religious_ideology")))
        + _files("bold/wikipedia", "wikipedia", tuple(f"{d}_wiki.json" for d in
                                                      ("gender", "political_ideology", "profession", "race",
                                                       "religious_ideology")))
        + (_one("bold/LICENSE.md", "LICENSE.md"),),
        hub_id="AmazonScience/bold"),
    DatasetEntry(
        "biasdpo", "BiasDPO: 1,145 English prompt / unbiased (chosen) / biased (rejected) preference pairs",
        "Apache-2.0", "anonymous-review-creator/Beyond_Surface-Fairness", "523269b6d39e93f30cb095caf2abc35175879370",
        (_one("biasdpo/Huggingface_ahmedallam_BiasDPO.jsonl",
              "data/Training_Validation_data/Huggingface_ahmedallam_BiasDPO.jsonl"),
         _one("biasdpo/LICENSE", "licenses/BiasDPO-Apache-2.0.txt")),
        hub_id="ahmedallam/BiasDPO"),
    DatasetEntry(
        "hh_rlhf_harmless", "Anthropic HH-RLHF harmless-base test split: 2,312 chosen/rejected dialogues", "MIT",
        "anthropics/hh-rlhf", "354e5c3cb8960630860dd5774a6ac2a58313bf4d",
        (_one("hh_rlhf_harmless/harmless-base_test.jsonl.gz", "harmless-base/test.jsonl.gz"),
         _one("hh_rlhf_harmless/LICENSE", "LICENSE")),
        hub_id="Anthropic/hh-rlhf",
        hub_files={"hh_rlhf_harmless/harmless-base_test.jsonl.gz": "harmless-base/test.jsonl.gz"}),
    DatasetEntry(
        "paradetox", "ParaDetox: 11,927 English toxic sentences with 1-3 human neutral paraphrases",
        "CC0 1.0 (repository LICENSE; the Hub card says openrail++)", "s-nlp/paradetox",
        "d97b17d0813539cf05c74f9cdb5e66372704ca57",
        _files("paradetox", "paradetox", ("paradetox.tsv", "paradetox_cannot_rewrite.tsv"))
        + (_one("paradetox/LICENSE", "LICENSE"),),
        hub_id="s-nlp/paradetox"),
    DatasetEntry(
        "safe_responsible_llm", "SR_LLM samples: 434 + 53 biased -> debiased rewrites, 520 counterfactual rows",
        "none stated (research only)", "shainarazavi/Safe-Responsible-LLM", "86a6deff67281135cef61f38cea0d7488d42d2f8",
        _files("safe_responsible_llm", "datasets", ("train_500.csv", "infer_50.csv", "counterfactual-inhouse.csv"))),
    DatasetEntry(
        "davidson_hate_offensive", "Davidson et al. 2017: 24,783 English tweets labeled hate / offensive / neither",
        "MIT", "t-davidson/hate-speech-and-offensive-language", "cb50f7e9eb855a99abc51423bf40df0e26d6fe30",
        (_one("davidson_hate_offensive/labeled_data.csv", "data/labeled_data.csv"),
         _one("davidson_hate_offensive/LICENSE", "LICENSE")),
        hub_id="tdavidson/hate_speech_offensive"),
    DatasetEntry(
        "jigsaw_toxic_balanced_subset", "Jigsaw toxic comments, balanced binary subset: 12,180 English comments",
        "none stated (Jigsaw: CC0, comment text CC BY-SA 3.0)", "Hongcheng-Gao/RobTest-Demo",
        "ed917c2546bda37908f65e417d28722520eac615",
        (_one("jigsaw_toxic_balanced_subset/test.csv", "data/jigsaw/test.csv"),)),
    DatasetEntry(
        "germeval2018", "GermEval 2018: 5,009 + 3,532 German tweets labeled OFFENSE / OTHER", "CC BY 4.0",
        "uds-lsv/GermEval-2018-Data", "9877472d39523effd54cd079b4c61157ed141508",
        _files("germeval2018", "", ("germeval2018.training.txt", "germeval2018.test.txt"))
        + (_one("germeval2018/LICENSE.md", "LICENSE.md/LICENSE.md"),)),
    DatasetEntry(
        "wiki_toxicity_testset", "Wikipedia Talk toxicity test set: 1,492 comments (plus an identity-fuzzed copy)",
        "Apache-2.0", "conversationai/unintended-ml-bias-analysis", "9c7d91aaa53406a362354661a93e07956d95e59a",
        _files("wiki_toxicity_testset", "archive/unintended_ml_bias/eval_datasets",
               ("toxicity_nonfuzzed_testset.csv", "toxicity_fuzzed_testset.csv"))
        + (_one("wiki_toxicity_testset/LICENSE", "LICENSE"),)),
    DatasetEntry(
        "unintended_bias_templates", "Identity-term templates (Dixon et al. 2018): 76,564 EN + 34,958 DE sentences",
        "Apache-2.0", "conversationai/unintended-ml-bias-analysis", "9c7d91aaa53406a362354661a93e07956d95e59a",
        _files("unintended_bias_templates", "sentence_templates",
               ("en_sentence_templates.csv", "de_sentence_templates.csv"))
        + (_one("unintended_bias_templates/LICENSE", "LICENSE"),)),
    DatasetEntry(
        "honest", "HONEST: [M]-slot templates per identity, 6 languages (binary) + English queer/non-queer", "MIT",
        "MilaNLProc/honest", "6efc7817cbeb36e61bba51a34bbce13ecc8af69f",
        _files("honest", "resources", HONEST_FILES) + (_one("honest/LICENSE", "LICENSE"),),
        hub_id="MilaNLProc/honest"),
    DatasetEntry(
        "hurtlex", "HurtLex v1.2: lexicon of hurtful words, 53 languages (for HONEST)",
        "CC BY-NC-SA 4.0 (non-commercial)", "MilaNLProc/hurtlex", "f80012db58c3ca10b9cba7ceb6d5da860122e5b1",
        tuple(MirrorFile(f"hurtlex/hurtlex_{lang}.tsv", f"lexica/{lang}/1.2/hurtlex_{lang}.tsv")
              for lang in HURTLEX_LANGUAGES)),
    DatasetEntry(
        "winobias", "WinoBias: 8 x 396 pro/anti-stereotyped coreference sentences, occupation and swap lists",
        "MIT", "uclanlp/corefBias", "0bce984dd081bbc10b0622f326727a024c607895",
        _files("winobias", "WinoBias/wino/data",
               (*WINOBIAS_SENTENCE_FILES, "female_occupations.txt", "male_occupations.txt"))
        + _files("winobias", "WinoBias/wino", ("extra_gendered_words.txt", "generalized_swaps.txt"))
        + (_one("winobias/LICENSE", "LICENSE"),)),
    DatasetEntry(
        "holistic_bias", "HolisticBias v1.0 / v1.1: descriptors (13 axes), nouns, 26 sentence templates",
        "CC BY-SA 4.0 (dataset), MIT (code)", "facebookresearch/ResponsibleNLP",
        "0ec714eb084217f44cd9ac466d9e988c795302f9",
        tuple(MirrorFile(f"holistic_bias/{v}/{n}", f"holistic_bias/dataset/{v}/{n}")
              for v in ("v1.0", "v1.1") for n in ("descriptors.json", "nouns.json", "sentence_templates.json",
                                                  "standalone_noun_phrases.json"))
        + (_one("holistic_bias/LICENSE", "LICENSE"),)),
    DatasetEntry(
        "panda", "PANDA: ~100k English snippets rewritten with demographic terms swapped (gender, race, age); "
        "column `perturbed` trains Neplenbroek et al.'s bias SFT",
        "MIT", "facebookresearch/ResponsibleNLP", "0ec714eb084217f44cd9ac466d9e988c795302f9",
        (_one("panda/train.jsonl", "train.jsonl"), _one("panda/valid.jsonl", "valid.jsonl")),
        hub_id="facebook/panda", hub_files={"panda/train.jsonl": "train.jsonl", "panda/valid.jsonl": "valid.jsonl"},
        homepage="https://arxiv.org/abs/2205.12586", pinned=False),
)

# ELTeC: one repository (and commit) per language, so one registry entry per language
_ELTEC_LEVEL = {"rus": "level0"}
ELTEC_ENTRIES: tuple[DatasetEntry, ...] = tuple(
    DatasetEntry(
        f"eltec_{code}", f"ELTeC-{code}: first {len(novels)} novels of the collection (TEI XML, gzipped)",
        "public-domain texts; TEI markup CC BY 4.0 (eng, deu, spa, ita, por), no statement (fra, pol, rus)",
        f"COST-ELTeC/ELTeC-{code}", ELTEC_COMMITS[code],
        _files(f"eltec_multilingual_text/{code}", _ELTEC_LEVEL.get(code, "level1"),
               tuple(f"{n}.xml" for n in novels), "gzip"),
        homepage="https://distant-reading.net/eltec/")
    for code, novels in ELTEC_NOVELS.items())

REGISTRY: dict[str, DatasetEntry] = {e.name: e for e in (*_ENTRIES, *ELTEC_ENTRIES)}


def entry(name: str) -> DatasetEntry:
    """The registry entry of a dataset; a clear error for an unknown name."""
    if name not in REGISTRY:
        raise KeyError(f"unknown real dataset {name!r}; registered: {', '.join(REGISTRY)}")
    return REGISTRY[name]


def resolve_mirror(mirror_dir: str | os.PathLike | None) -> Path | None:
    """The mirror folder: the parameter, else $DETOX_DATA_MIRROR, else ../shared/data; None if none is set up."""
    if mirror_dir is not None and str(mirror_dir).strip():
        return Path(mirror_dir).expanduser().resolve()
    return paths.default_mirror()


def _missing_message(item: DatasetEntry, mirror_file: MirrorFile, mirror: Path | None, reason: str) -> str:
    target = f"{mirror}/{mirror_file.path}" if mirror else f"<mirror>/{mirror_file.path}"
    steps = [f"download {item.url(mirror_file)}"]
    if mirror_file.transform == "gzip":
        steps[0] += " and gzip it"
    elif mirror_file.transform.startswith("zip:"):
        steps[0] += (f" and extract {mirror_file.upstream_path} (the zip password is published in the {item.repo} "
                     f"README; set ${RTP_LX_PASSWORD_ENV} to let download_missing do it), then gzip it")
    if item.hub_id:
        steps.append(f"or get it from the Hugging Face Hub dataset {item.hub_id}")
    where_mirror = (f"the mirror is {mirror}" if mirror else
                    f"no mirror is set: pass mirror_dir or set ${paths.MIRROR_ENV}")
    return (f"real dataset {item.name!r} ({item.description}; license {item.license}): {reason} "
            f"{mirror_file.path} ({where_mirror}). To get it: {'; '.join(steps)}; save it as {target}, "
            f"or point ${paths.MIRROR_ENV} (parameter mirror_dir) at a copy of the shared data folder. "
            f"With network access, download_missing: true (dataset_files(..., download=True)) fetches it from "
            f"{item.how_to_get()}.")


def dataset_files(name: str, mirror: Path | None, pattern: str | None = None, download: bool = False,
                  verify: bool = False, fetcher: Callable[[str, Path], None] | None = None) -> list[Path]:
    """Mirror paths of a dataset's files (those matching `pattern`, a glob on the relative path)."""
    item = entry(name)
    chosen = [f for f in item.files if pattern is None or fnmatch.fnmatch(f.path, pattern)]
    if not chosen:
        raise KeyError(f"dataset {name!r} has no file matching {pattern!r}")
    found = []
    for mirror_file in chosen:
        target = mirror / mirror_file.path if mirror else None
        if target is None or not target.is_file():
            if not download or mirror is None:
                raise MirrorError(_missing_message(item, mirror_file, mirror, "missing file"))
            try:
                fetch_file(item, mirror_file, mirror, fetcher)
            except MirrorError:
                raise
            except Exception as error:  # any network or archive failure ends in the same guidance
                raise MirrorError(_missing_message(item, mirror_file, mirror,
                                                   f"could not download ({type(error).__name__}: {error})")) from error
            verify = True  # a fresh download is always checked
        if verify:
            verify_file(item, mirror_file, mirror)
        found.append(mirror / mirror_file.path)
    return found


def dataset_file(name: str, relative_path: str, mirror: Path | None, download: bool = False,
                 verify: bool = False) -> Path:
    """Mirror path of one file of a dataset."""
    return dataset_files(name, mirror, pattern=relative_path, download=download, verify=verify)[0]


# ---- checksums -----------------------------------------------------------------------------------------------

_digest_cache: dict[tuple[str, int, int], tuple[str, str | None]] = {}


def file_digests(path: Path) -> tuple[str, str | None]:
    """sha256 of the file's bytes, and of its gunzipped content for .gz files."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _digest_cache:
        raw = path.read_bytes()
        content = hashlib.sha256(gzip.decompress(raw)).hexdigest() if path.suffix == ".gz" else None
        _digest_cache[key] = (hashlib.sha256(raw).hexdigest(), content)
    return _digest_cache[key]


def verify_file(item: DatasetEntry, mirror_file: MirrorFile, mirror: Path) -> None:
    """Check a mirror file against its recorded sha256 (for .gz files, that of the content is enough)."""
    expected = CHECKSUMS.get(mirror_file.path)
    if expected is None and not item.pinned:
        return  # nothing to check against (see DatasetEntry.pinned)
    if expected is None:
        raise MirrorError(f"{mirror_file.path}: no checksum recorded in the registry")
    try:
        actual = file_digests(mirror / mirror_file.path)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise MirrorError(f"{mirror / mirror_file.path}: unreadable ({error}); re-download it") from None
    # gzip headers carry a time stamp, so a re-gzipped download differs in bytes but not in content
    if actual[0] != expected[0] and (expected[1] is None or actual[1] != expected[1]):
        raise MirrorError(
            f"{mirror / mirror_file.path}: sha256 {actual[0][:16]}... differs from the registry's "
            f"{expected[0][:16]}... "
            f"(dataset {item.name!r}, pinned to {item.repo} @ {item.commit[:7]}): the file is not the pinned version; "
            f"re-download it or turn checksum verification off")


def compute_checksums(mirror: Path) -> dict[str, tuple[str, str | None]]:
    """Digests of every registered file present in a mirror (how `_checksums.py` was made)."""
    return {f.path: file_digests(mirror / f.path) for item in REGISTRY.values() for f in item.files
            if (mirror / f.path).is_file()}


# ---- downloads (users with network only; tests use a fake fetcher) --------------------------------------------

def _urllib_fetch(url: str, target: Path) -> None:
    """Copy a URL (https:// or file://) to a local file."""
    with urllib.request.urlopen(url, timeout=60) as response, open(target, "wb") as out:  # noqa: S310
        shutil.copyfileobj(response, out)


def _hub_fetch(item: DatasetEntry, mirror_file: MirrorFile, target: Path) -> None:
    """Copy a file of the item's Hugging Face Hub dataset to `target`."""
    from huggingface_hub import hf_hub_download

    cached = hf_hub_download(repo_id=item.hub_id, filename=item.hub_files[mirror_file.path], repo_type="dataset")
    shutil.copyfile(cached, target)


def fetch_file(item: DatasetEntry, mirror_file: MirrorFile, mirror: Path,
               fetcher: Callable[[str, Path], None] | None = None) -> Path:
    """Download one file into the mirror (atomically), applying the mirror's gzip / zip-extract step."""
    target = mirror / mirror_file.path
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        raw = Path(scratch) / "download"
        if mirror_file.path in item.hub_files and fetcher is None and not os.environ.get("HF_HUB_OFFLINE"):
            _hub_fetch(item, mirror_file, raw)
        else:
            (fetcher or _urllib_fetch)(item.url(mirror_file), raw)
        if mirror_file.transform.startswith("zip:"):
            raw = _extract_member(raw, mirror_file.upstream_path, Path(scratch) / "member")
        final = Path(scratch) / "final"
        if mirror_file.transform == "copy":
            shutil.move(raw, final)
        else:  # the mirror stores these gzipped; mtime=0 keeps the bytes reproducible
            with open(raw, "rb") as source, gzip.GzipFile(final, "wb", compresslevel=9, mtime=0) as out:
                shutil.copyfileobj(source, out)
        os.replace(final, target)
    return target


def _extract_member(archive: Path, member_name: str, out: Path) -> Path:
    """Extract the member whose base name is `member_name` from a (possibly password-protected) zip."""
    password = os.environ.get(RTP_LX_PASSWORD_ENV)
    with zipfile.ZipFile(archive) as bundle:
        names = [n for n in bundle.namelist() if n.rsplit("/", 1)[-1] == member_name]
        if not names:
            raise MirrorError(f"{archive.name}: no member named {member_name}")
        try:
            data = bundle.read(names[0], pwd=password.encode() if password else None)
        except RuntimeError as error:  # zipfile's way of saying "encrypted" / "bad password"
            raise MirrorError(f"{member_name}: the archive is password-protected ({error}); set "
                              f"${RTP_LX_PASSWORD_ENV} to the password the upstream README publishes") from None
    out.write_bytes(data)
    return out


def registry_markdown() -> str:
    """The registry as a markdown table (docs/real-data.md embeds it)."""
    lines = ["| dataset | what | license | upstream (pinned) | Hub | files |", "|---|---|---|---|---|---|"]
    for item in REGISTRY.values():
        commits = sorted({f.commit or item.commit for f in item.files})
        pinned = f"[{item.repo}](https://github.com/{item.repo}) @ " + ", ".join(c[:7] for c in commits)
        if not item.pinned:
            pinned = f"Hub only, unpinned (project: [{item.repo}](https://github.com/{item.repo}))"
        lines.append(f"| `{item.name}` | {item.description} | {item.license} | {pinned} | {item.hub_id or ''} | "
                     f"{len(item.files)} |")
    return "\n".join(lines)
