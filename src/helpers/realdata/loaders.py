"""Every real-data loader by name, with the normalized schema it returns."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.realdata import bias, holistic, text, toxicity
from helpers.realdata.common import Mirror

# loader name -> (schema of its result, function(mirror, **options))
LOADERS: dict[str, tuple[str, Callable[..., pd.DataFrame]]] = {
    "rtp": ("rtp_prompts", toxicity.load_rtp_prompts),
    "rtp_llm": ("rtp_prompts", toxicity.load_rtp_llm_prompts),
    "rtp_lx_prompts": ("multilingual_prompts", toxicity.load_rtp_lx_prompts),
    "rtp_lx_completions": ("toxicity_preferences", toxicity.load_rtp_lx_completions),
    "hh_rlhf_harmless": ("toxicity_preferences", toxicity.load_hh_rlhf_harmless),
    "paradetox": ("rewrite_pairs", toxicity.load_paradetox),
    "sr_llm": ("rewrite_pairs", bias.load_sr_llm_rewrites),
    "comments": ("scorer_texts", toxicity.load_comment_corpora),
    "jigsaw": ("scorer_texts", toxicity.load_jigsaw_subset),
    "davidson": ("scorer_texts", toxicity.load_davidson),
    "germeval": ("scorer_texts", toxicity.load_germeval),
    "wiki_toxicity": ("scorer_texts", toxicity.load_wiki_toxicity),
    "crows_pairs": ("crows_pairs", bias.load_crows_pairs),
    "bold": ("bold_prompts", bias.load_bold),
    "biasdpo": ("bias_preferences", bias.load_biasdpo),
    "holistic_bias": ("holistic_bias", holistic.load_holistic_bias),
    "honest": ("honest_templates", bias.load_honest),
    "winobias": ("winobias", bias.load_winobias),
    "hurtlex": ("hurtlex", bias.load_hurtlex),
    "eltec": ("pretraining_corpus", text.load_eltec_documents),
}


def load(name: str, mirror: Mirror | Path, **options: Any) -> pd.DataFrame:
    """Run one loader by name; the frame passes helpers.schemas.validate_frame for its schema."""
    if name not in LOADERS:
        raise KeyError(f"unknown loader {name!r}; available: {', '.join(LOADERS)}")
    return LOADERS[name][1](mirror, **options)
