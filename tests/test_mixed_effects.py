"""MixedLM (crossed prompt and training-run intercepts) recovers planted effects and reports its warnings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.mixed_effects import fit_mixed_model, readable_term


def _planted(seed_sd: float, seed: int = 0, prompts: int = 20) -> pd.DataFrame:
    """BASE (one run) and M (three runs) on the same prompts in two languages; M lowers harm by 0.20 in en and
    by 0.10 in fr (an interaction of +0.10 with fr)."""
    rng = np.random.default_rng(seed)
    effects = {"en": -0.20, "fr": -0.10}
    prompt_effect = {lang: rng.normal(0, 0.15, prompts) for lang in effects}
    rows = []
    for method, runs in (("BASE", 1), ("M", 3)):
        for run in range(runs):
            shift = rng.normal(0, seed_sd) if method == "M" else 0.0
            for lang, effect in effects.items():
                y = 0.5 + prompt_effect[lang] + (effect + shift if method == "M" else 0) + rng.normal(0, 0.05, prompts)
                rows.append(pd.DataFrame({"y": y, "method": method, "language": lang,
                                          "prompt": [f"{lang}:{p}" for p in range(prompts)],
                                          "run": f"{method}-s{run}"}))
    return pd.concat(rows, ignore_index=True)


def test_mixed_model_recovers_a_planted_method_effect_per_language():
    fit = fit_mixed_model(_planted(seed_sd=0.03), "harm", "BASE")
    assert fit.converged and fit.n_prompts == 40 and fit.n_runs == 4
    effects = fit.method_effects.set_index("language")
    for lang, planted in (("en", -0.20), ("fr", -0.10)):
        row = effects.loc[lang]
        assert row["low"] < planted < row["high"], lang
        assert row["high"] < 0, lang  # both effects are detected
    interaction = fit.fixed_effects.set_index("term").loc["method[M]:language[fr]"]
    assert interaction["low"] < 0.10 < interaction["high"]
    assert fit.variances["prompt"] == pytest.approx(0.15 ** 2, rel=0.6)
    assert set(fit.variances) == {"prompt", "seed", "residual"}


def test_a_seed_variance_at_the_boundary_is_reported_not_hidden():
    fit = fit_mixed_model(_planted(seed_sd=0.0, seed=3), "harm", "BASE")
    assert any("boundary" in warning for warning in fit.warnings)
    assert fit.summary_row()["warnings"] != "none"


def test_one_run_per_method_fits_without_a_seed_effect_and_says_so():
    frame = _planted(seed_sd=0.03)
    frame = frame[frame["run"].isin(["BASE-s0", "M-s0"])]
    fit = fit_mixed_model(frame, "harm", "BASE")
    assert "seed" not in fit.variances and "no seed random effect" in fit.notes[0]
    assert "(1 | run)" not in fit.formula


def test_readable_terms():
    term = "C(method, Treatment(reference='BASE'))[T.INST]:C(language, Treatment(reference='en'))[T.fr]"
    assert readable_term(term) == "method[INST]:language[fr]"
