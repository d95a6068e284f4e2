"""Mixed-effects models of harm (statsmodels MixedLM): harm ~ method * language, with crossed random intercepts
for the prompt and for the training run (seed).

Prompts and training runs are crossed (every model answers every prompt), so the model is fitted as
statsmodels documents crossed effects: one group holding all rows, with a variance component per factor
(`vc_formula`, sparse). Such fits are expensive (the cost grows with prompts x rows), so 06 fits them on a seeded
subset of prompts per language and a chosen set of methods; the paired bootstrap of the headline uses every
item. Warnings of the fit (convergence, a variance at the boundary of the parameter space, a singular Hessian)
are recorded and shown, never silenced.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.comparisons import ItemValues, models_by_method


@dataclass
class MixedModelFit:
    """A fitted MixedLM with its fixed effects, per-language method effects, variances and warnings."""

    metric: str
    formula: str
    reference_method: str
    reference_language: str
    n_rows: int
    n_prompts: int
    n_runs: int
    converged: bool
    optimizer: str
    fixed_effects: pd.DataFrame
    method_effects: pd.DataFrame
    variances: dict[str, float]
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def summary_row(self) -> dict[str, object]:
        """One line for a table of fits."""
        return {"metric": self.metric, "rows": self.n_rows, "prompts": self.n_prompts, "training runs": self.n_runs,
                "converged": self.converged, "optimizer": self.optimizer,
                **{f"var({k})": v for k, v in self.variances.items()},
                "warnings": "; ".join(self.warnings) or "none", "notes": "; ".join(self.notes)}


def mixed_model_frame(values: ItemValues, models: pd.DataFrame, metric: str, methods: Sequence[str],
                      baseline_method: str, items_per_language: int | None, seed: int = 0) -> pd.DataFrame:
    """Rows (y, method, language, prompt, run) for the baseline and `methods`, on a seeded subset of the items
    every one of their models scored."""
    groups = models_by_method(models, values.table(metric).columns)
    chosen = [baseline_method] + [m for m in methods if m != baseline_method and m in groups]
    names = [name for method in chosen for name in groups.get(method, [])]
    table = values.table(metric)[names].dropna()
    if items_per_language is not None:
        rng = np.random.default_rng(seed)
        keep = []
        for _, part in table.groupby(level="language", sort=True):
            order = rng.permutation(len(part))[:items_per_language]
            keep.append(part.iloc[np.sort(order)])
        table = pd.concat(keep) if keep else table
    method_of = dict(zip(models["name"], models["method"]))
    frame = table.stack().rename("y").reset_index()
    frame["method"] = frame["model"].map(method_of)
    frame["prompt"] = frame["language"].astype(str) + ":" + frame["item"].astype(str)
    return frame.rename(columns={"model": "run"})[["y", "method", "language", "prompt", "run"]]


def _term_name(factor: str, reference: str, level: str) -> str:
    return f"C({factor}, Treatment(reference={reference!r}))[T.{level}]"


def fit_mixed_model(frame: pd.DataFrame, metric: str, reference_method: str, level: float = 0.95,
                    reference_language: str | None = None, optimizers: Sequence[str] = ("powell", "lbfgs")
                    ) -> MixedModelFit:
    """Fit y ~ method * language + (1 | prompt) + (1 | training run) and report fixed effects with CIs."""
    import statsmodels.formula.api as smf

    if frame.empty:
        raise ValueError(f"no rows to fit a mixed model of {metric!r}")
    languages = sorted(frame["language"].unique())
    reference_language = reference_language or ("en" if "en" in languages else languages[0])
    method_term = f"C(method, Treatment(reference={reference_method!r}))"
    language_term = f"C(language, Treatment(reference={reference_language!r}))"
    rhs = [method_term] if frame["method"].nunique() > 1 else []
    rhs += [language_term] if len(languages) > 1 else []
    formula = "y ~ " + (" * ".join(rhs) if rhs else "1")
    runs_per_method = frame.groupby("method")["run"].nunique()
    components = {"prompt": "0 + C(prompt)"}
    notes = []
    if (runs_per_method > 1).any():
        components["seed"] = "0 + C(run)"
    else:
        notes.append("one training run per method: no seed random effect can be estimated")
    data = frame.assign(group=0)
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = smf.mixedlm(formula, data, groups="group", re_formula="0", vc_formula=components, use_sparse=True)
        result = model.fit(method=list(optimizers), reml=True)
    seconds = time.perf_counter() - started
    messages = list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught
                                  if not issubclass(w.category, (DeprecationWarning, FutureWarning))))
    retried = [m for m in messages if "Retrying MixedLM optimization with" in m]
    optimizer = retried[-1].rsplit(" ", 1)[-1] if retried else optimizers[0]
    fixed = _fixed_effects(result, level)
    effects = _method_effects(result, frame, reference_method, reference_language, method_term, language_term,
                              level)
    variances = {name: float(v) for name, v in zip(model.exog_vc.names, np.atleast_1d(result.vcomp))}
    variances["residual"] = float(result.scale)
    return MixedModelFit(metric=metric, formula=formula + " + (1 | prompt)" + (" + (1 | run)" if "seed" in components
                                                                               else ""),
                         reference_method=reference_method, reference_language=reference_language,
                         n_rows=len(frame), n_prompts=frame["prompt"].nunique(), n_runs=frame["run"].nunique(),
                         converged=bool(result.converged), optimizer=optimizer, fixed_effects=fixed,
                         method_effects=effects, variances=variances, warnings=messages, seconds=seconds,
                         notes=notes)


def readable_term(term: str) -> str:
    """'C(method, Treatment(reference='BASE'))[T.INST]:C(language, ...)[T.fr]' -> 'method[INST]:language[fr]'."""
    import re

    return re.sub(r"C\((\w+), Treatment\(reference='[^']*'\)\)\[T\.([^\]]+)\]", r"\1[\2]", term)


def _fixed_effects(result, level: float) -> pd.DataFrame:
    names = list(result.fe_params.index)
    interval = result.conf_int(alpha=1 - level).loc[names]
    return pd.DataFrame({"term": [readable_term(n) for n in names], "estimate": result.fe_params.to_numpy(),
                         "low": interval[0].to_numpy(),
                         "high": interval[1].to_numpy(), "p_value": result.pvalues.loc[names].to_numpy()})


def _method_effects(result, frame: pd.DataFrame, reference_method: str, reference_language: str,
                    method_term: str, language_term: str, level: float) -> pd.DataFrame:
    """Per method and language: the method's difference from the reference method (a contrast of fixed effects)."""
    names = list(result.fe_params.index)  # MixedLM contrasts take the fixed effects only
    rows = []
    for method in sorted(set(frame["method"]) - {reference_method}):
        main = f"{method_term}[T.{method}]"
        for language in sorted(frame["language"].unique()):
            vector = np.zeros(len(names))
            if main not in names:
                continue
            vector[names.index(main)] = 1.0
            if language != reference_language:
                interaction = f"{main}:{language_term}[T.{language}]"
                if interaction not in names:
                    continue
                vector[names.index(interaction)] = 1.0
            contrast = result.t_test(vector[None, :])
            low, high = np.asarray(contrast.conf_int(alpha=1 - level)).ravel()
            rows.append({"method": method, "language": language, "estimate": float(np.ravel(contrast.effect)[0]),
                         "low": float(low), "high": float(high), "p_value": float(np.ravel(contrast.pvalue)[0])})
    return pd.DataFrame(rows, columns=["method", "language", "estimate", "low", "high", "p_value"])
