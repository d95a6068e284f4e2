"""Parameters of 00_data: the synthetic world, the tokenizer and the toxicity scorer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpers.param_specs import realdata
from helpers.params import ParamSpec

WORLD_LANGUAGES = ("en", "fr", "de", "es")
PROMPT_TYPES = ("hostile", "heated", "neutral")

SPECS = [
    ParamSpec("languages", "list[str]", "languages of the world, first one is the mitigation language",
              choices=WORLD_LANGUAGES, nonempty=True),
    ParamSpec("language_shares", "dict[str,float]", "share of each language in the pretraining corpus",
              minimum=0.0, maximum=1.0),
    ParamSpec("pretraining_docs", "int", "documents in the pretraining corpus", minimum=50),
    ParamSpec("toxic_continuation_rates", "dict[str,float]",
              "planted probability that a document continues toxically, per prompt type", minimum=0.0, maximum=1.0),
    ParamSpec("stereotype_rate_range", "list[float]",
              "[low, high]: planted stereotype association rates are spread over this range",
              minimum=0.0, maximum=1.0),
    ParamSpec("bias_sentence_share", "float", "share of corpus documents that state a group attribute",
              minimum=0.0, maximum=0.9),
    ParamSpec("fact_sentence_share", "float", "share of corpus documents that state a planted fact",
              minimum=0.0, maximum=0.9),
    ParamSpec("knowledge_facts", "int", "planted facts for the knowledge probe", minimum=4, maximum=64),
    ParamSpec("rtp_prompts_per_language", "int", "RTP-style prompts per language", minimum=4),
    ParamSpec("crows_pairs_per_group", "int", "CrowS-style minimal pairs per group and language", minimum=1),
    ParamSpec("bold_prompts_per_group", "int", "BOLD-style prompts per group and language", minimum=1),
    ParamSpec("preference_pairs", "int", "bias and toxicity preference pairs, each", minimum=4),
    ParamSpec("rewrite_pairs", "int", "biased -> debiased rewrite pairs", minimum=4),
    ParamSpec("curated_docs", "int", "documents of the curated non-harmful corpus", minimum=10),
    ParamSpec("counterfactual_docs", "int",
              "documents of the counterfactual corpus (BIAS_SFT): ordinary text with one rewritten group statement "
              "each; on real data the most PANDA rows (or word-swapped clean documents) kept", minimum=10),
    ParamSpec("scorer_texts_per_language", "int", "labeled texts per language for the toxicity scorer", minimum=40),
    ParamSpec("scorer_label_noise", "float", "share of scorer training labels flipped, as annotators disagree",
              minimum=0.0, maximum=0.4),
    ParamSpec("tokenizer_vocab_size", "int", "byte-level BPE vocabulary size", minimum=300, maximum=200_000),
    ParamSpec("scorer_ngram_max", "int", "longest character n-gram of the TF-IDF scorer", minimum=1, maximum=8),
    ParamSpec("scorer_max_features", "int", "TF-IDF vocabulary cap", minimum=100),
    ParamSpec("scorer_c", "float", "inverse L2 strength of the scorer's logistic regression", minimum=1e-6),
    ParamSpec("examples_to_show", "int", "rows shown per dataset in the notebook", minimum=0, maximum=50),
    *realdata.SPECS,  # used only when data_source is real (helpers.realdata)
]


def check(values: Mapping[str, Any]) -> list[str]:
    """Cross-parameter checks of 00_data."""
    problems = []
    languages = values["languages"]
    shares = values["language_shares"]
    if len(set(languages)) != len(languages):
        problems.append(f"languages has duplicates: {languages}")
    if set(shares) != set(languages):
        problems.append(f"language_shares keys {sorted(shares)} must equal languages {sorted(languages)}")
    elif abs(sum(shares.values()) - 1.0) > 1e-6:
        problems.append(f"language_shares must sum to 1, they sum to {sum(shares.values()):.6f}")
    rates = values["toxic_continuation_rates"]
    if set(rates) != set(PROMPT_TYPES):
        problems.append(f"toxic_continuation_rates keys must be {list(PROMPT_TYPES)}, got {sorted(rates)}")
    low_high = values["stereotype_rate_range"]
    if len(low_high) != 2 or not low_high[0] < low_high[1]:
        problems.append(f"stereotype_rate_range must be [low, high] with low < high, got {low_high}")
    if values["bias_sentence_share"] + values["fact_sentence_share"] >= 0.9:
        problems.append("bias_sentence_share + fact_sentence_share must stay below 0.9")
    return problems
