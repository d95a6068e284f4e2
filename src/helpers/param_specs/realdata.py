"""Parameters of 00_data that only matter when `data_source` is `real` (appended to the 00_data section).

Docs avoid '=': papermill cannot parse a parameters-cell comment that contains one.
"""

from __future__ import annotations

import math
from typing import Any

from helpers.params import ParamSpec

# ELTeC languages (ISO 639-1) and RTP-LX locales; kept literal so this module imports nothing heavy
ELTEC_LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "pl", "ru")
RTP_LX_LOCALES = ("AR", "BCMS", "CS", "DA", "DE", "EN", "ES", "FI", "FR", "HE", "HI", "HU", "ID", "IT", "JA", "KO",
                  "NL", "NO-NB", "PL", "PT", "RU", "SV", "SW", "TH", "TR", "UK", "ZH-Hans", "ZH-Hant")


def _shares_problem(shares: dict[str, float]) -> str | None:
    unknown = sorted(set(shares) - set(ELTEC_LANGUAGES))
    if unknown:
        return f"has languages without ELTeC text {unknown}; available: {list(ELTEC_LANGUAGES)}"
    if not shares or not math.isclose(sum(shares.values()), 1.0, abs_tol=1e-6):
        return f"must sum to 1, they sum to {sum(shares.values()):.6f}"
    return None


def _split_problem(shares: list[float]) -> str | None:
    if len(shares) != 3:
        return f"must be [train, valid, test], got {len(shares)} values"
    if not math.isclose(sum(shares), 1.0, abs_tol=1e-6) or shares[0] <= 0 or shares[2] <= 0:
        return f"must sum to 1 with train > 0 and test > 0, got {shares}"
    return None


def _locales_problem(locales: Any) -> str | None:
    if locales is not None and len(set(locales)) != len(locales):
        return f"has duplicates: {locales}"
    return None


SPECS = [
    ParamSpec("mirror_dir", "str?", "folder of the real-data mirror; null: $DETOX_DATA_MIRROR, else ../shared/data"),
    ParamSpec("download_missing", "bool", "real data: fetch files missing from the mirror (needs network)"),
    ParamSpec("verify_checksums", "bool", "real data: check every mirror file against the registry's sha256"),
    ParamSpec("real_language_shares", "dict[str,float]",
              "real data: share of each ELTeC language in the novel text of the pretraining corpus",
              minimum=0.0, maximum=1.0, check=_shares_problem),
    ParamSpec("real_pretraining_chars", "int", "real data: character budget of the pretraining corpus",
              minimum=10_000),
    ParamSpec("real_comment_share", "float",
              "real data: share of the pretraining characters taken from labeled toxic-comment corpora",
              minimum=0.0, maximum=0.9),
    ParamSpec("real_doc_chars", "int", "real data: target characters per novel-text document", minimum=100,
              maximum=100_000),
    ParamSpec("real_heldout_share", "float", "real data: share of each novel (its last part) kept for perplexity",
              minimum=0.01, maximum=0.5),
    ParamSpec("real_max_rows_per_language", "int?",
              "real data: cap on rows per dataset, source and language (null: all rows)", minimum=1),
    ParamSpec("rtp_lx_locales", "list[str]?", "real data: RTP-LX locales to load (null: all 28)",
              choices=RTP_LX_LOCALES, nonempty=True, check=_locales_problem),
    ParamSpec("rtp_lx_eval_share", "float",
              "real data: share of RTP-LX items kept as evaluation prompts (the rest trains DPO and the scorer)",
              minimum=0.05, maximum=0.95),
    ParamSpec("real_scorer_novel_texts", "int",
              "real data: non-toxic novel texts per ELTeC language added to the scorer's labeled texts", minimum=0),
    ParamSpec("real_scorer_identity_texts", "int",
              "real data: hand-written non-toxic identity-term sentences per language added to scorer training "
              "(0: none)", minimum=0),
    ParamSpec("real_scorer_descriptor_pairs", "int",
              "real data: matched person-directed sentence pairs per language (en, de) added to scorer training, "
              "one with a HurtLex insult and one with a kind word (0: none)", minimum=0),
    ParamSpec("real_scorer_identity_neutral", "list[str]",
              "real data: languages whose identity terms (the project's own list per language) the scorer removes "
              "before featurising, so group words carry no weight ([]: none)",
              choices=("en", "de", "fr", "es", "it", "pt")),
    ParamSpec("real_ood_rows", "int?",
              "real data: rows sampled from each large out-of-distribution set of the scorer report (null: all)",
              minimum=100),
    ParamSpec("real_scorer_split", "list[float]",
              "real data: [train, valid, test] shares of labeled texts without an official split",
              minimum=0.0, maximum=1.0, check=_split_problem),
]
