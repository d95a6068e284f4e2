"""Each seed paper's headline claim as a paired comparison with a verdict computed from its confidence interval.

The table below is the whole mapping; `evaluate_claims` turns it into numbers. A part states
`treated - baseline <relation> bound` on a metric of `helpers.comparisons.METRICS` (or, for the transfer
claim, `slope of transfer on pretraining share > 0`). Its verdict: reproduced when the whole CI satisfies
the relation, not reproduced when the whole CI contradicts it, inconclusive otherwise; a claim holds when
every part does. Non-inferiority parts ("keeps knowledge") use a margin, a parameter of 06 per metric.
A claim whose models a profile did not train is "not run", with the missing models named.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from helpers import stats
from helpers.comparisons import Comparison, IntervalOptions, ItemValues, compare, models_by_method
from helpers.study_results import StudyResults, is_english_only
from helpers.transfer import TransferResult, transfer_analysis

LANGUAGE_SCOPES = ("all", "non_english")


@dataclass(frozen=True)
class ClaimPart:
    """One comparison of a claim: `treated - baseline <relation> bound (+ margin_sign * margin[metric])`."""

    metric: str
    treated: str
    baseline: str
    relation: str  # "<" or ">"
    margin_sign: int = 0  # -1 or +1: a non-inferiority bound at that side of 0, 0: the bound is 0
    languages: str = "all"  # all | non_english
    kind: str = "difference"  # difference | transfer_slope
    english_only: bool = False  # the treated method must have been trained on English only

    def bound(self, margins: Mapping[str, float]) -> float:
        """The number the difference is compared with."""
        return self.margin_sign * float(margins.get(self.metric, 0.0))

    def describe(self, margins: Mapping[str, float]) -> str:
        """The part in words, e.g. 'EMT: SGEAT - DAPT < 0'."""
        scope = " (non-English)" if self.languages == "non_english" else ""
        if self.kind == "transfer_slope":
            return f"slope of {self.metric} transfer after {self.treated} on pretraining share > 0"
        bound = self.bound(margins)
        return f"{self.metric}{scope}: {self.treated} - {self.baseline} {self.relation} {bound:+g}" if bound else \
            f"{self.metric}{scope}: {self.treated} - {self.baseline} {self.relation} 0"


@dataclass(frozen=True)
class Claim:
    """A paper's headline claim and the comparisons that test it."""

    claim_id: str
    paper: str
    statement: str
    parts: tuple[ClaimPart, ...]


CLAIMS: tuple[Claim, ...] = (
    Claim("P1", "Prabhumoye et al. 2023", "INST (instructions in pretraining) lowers toxicity",
          (ClaimPart("TP", "INST", "BASE", "<"),)),
    Claim("P2", "Prabhumoye et al. 2023", "INST keeps task accuracy",
          (ClaimPart("knowledge", "INST", "BASE", ">", margin_sign=-1),)),
    Claim("W1", "Wang et al. 2022", "SGEAT (self-generated data) detoxifies better than DAPT",
          (ClaimPart("EMT", "SGEAT", "DAPT", "<"),)),
    Claim("W2", "Wang et al. 2022", "SGEAT beats DAPT even when DAPT has 3x the data",
          (ClaimPart("EMT", "SGEAT", "DAPT_3x", "<"),)),
    Claim("N1", "Neplenbroek et al. 2025", "SFT on curated text reduces bias best",
          (ClaimPart("CrowS_bias", "BIAS_SFT", "BASE", "<"), ClaimPart("CrowS_bias", "BIAS_SFT", "BiasDPO", "<"))),
    Claim("N2", "Neplenbroek et al. 2025", "only DPO is effective against toxicity",
          (ClaimPart("EMT", "DetoxDPO", "BASE", "<"),
           ClaimPart("EMT", "DetoxChosenSFT", "BASE", ">", margin_sign=-1))),
    Claim("N3", "Neplenbroek et al. 2025", "transfer of English-only detoxification grows with pretraining share",
          (ClaimPart("EMT_multilingual", "DetoxDPO", "BASE", ">", kind="transfer_slope", english_only=True),)),
    Claim("N4", "Neplenbroek et al. 2025", "English-only mitigation costs non-English fluency and language fidelity",
          (ClaimPart("heldout_nll", "DetoxDPO", "BASE", ">", languages="non_english", english_only=True),
           ClaimPart("off_language_multilingual", "DetoxDPO", "BASE", ">", languages="non_english",
                     english_only=True))),
    Claim("A1", "Allam 2024", "BiasDPO reduces bias",
          (ClaimPart("CrowS_bias", "BiasDPO", "BASE", "<"),)),
    Claim("R1", "Raza et al. 2024", "SR_LLM reduces bias while keeping language ability",
          (ClaimPart("CrowS_bias", "SR_LLM", "BASE", "<"),
           ClaimPart("knowledge", "SR_LLM", "BASE", ">", margin_sign=-1),
           ClaimPart("fluency_log_ppl", "SR_LLM", "BASE", "<", margin_sign=1))),
)

PART_COLUMNS = ["claim_id", "paper", "statement", "part", "metric", "treated", "baseline", "estimate", "low",
                "high", "bound", "relation", "n_items", "seeds_treated", "seeds_baseline", "test", "p_value",
                "verdict", "reason"]


def _not_run(part: ClaimPart, reason: str, margins: Mapping[str, float]) -> dict[str, object]:
    return {"part": part.describe(margins), "metric": part.metric, "treated": part.treated,
            "baseline": part.baseline, "estimate": math.nan, "low": math.nan, "high": math.nan,
            "bound": part.bound(margins), "relation": part.relation, "n_items": 0, "seeds_treated": 0,
            "seeds_baseline": 0, "test": "", "p_value": math.nan, "verdict": "not run", "reason": reason}


def _missing_reason(part: ClaimPart, values: ItemValues, results: StudyResults, groups: Mapping[str, list[str]]
                    ) -> str | None:
    absent = [m for m in dict.fromkeys((part.treated, part.baseline)) if m not in groups]
    if absent:
        return f"no evaluated model of {', '.join(absent)} in this profile"
    if not values.has(part.metric):
        return f"metric {part.metric} is not in the results ({values.absent.get(part.metric, 'unknown')})"
    if part.english_only:
        trained = results.models.loc[results.models["method"] == part.treated, "train_languages"]
        if not all(is_english_only(t) for t in trained):
            shown = sorted({str(list(t)) if t is not None else "unknown" for t in trained})
            return f"{part.treated} was not trained on English only (train_languages {', '.join(shown)})"
    return None


def evaluate_part(part: ClaimPart, values: ItemValues, results: StudyResults, options: IntervalOptions,
                  margins: Mapping[str, float], baseline_method: str = "BASE",
                  transfers: dict[tuple[str, str], TransferResult] | None = None) -> dict[str, object]:
    """One part: its comparison, CI and verdict (or 'not run' and why)."""
    groups = models_by_method(results.models, results.items["model"].unique())
    reason = _missing_reason(part, values, results, groups)
    if reason:
        return _not_run(part, reason, margins)
    bound = part.bound(margins)
    if part.kind == "transfer_slope":
        key = (part.treated, part.metric)
        cache = transfers if transfers is not None else {}
        if key not in cache:
            cache[key] = transfer_analysis(values, results, part.treated, part.metric, part.baseline, options)
        transfer = cache[key]
        if not transfer.fitted:
            return _not_run(part, transfer.reason, margins)
        return {"part": part.describe(margins), "metric": part.metric, "treated": part.treated,
                "baseline": part.baseline, "estimate": transfer.slope, "low": transfer.slope_low,
                "high": transfer.slope_high, "bound": 0.0, "relation": ">",
                "n_items": int(transfer.per_language["n_items"].sum()), "seeds_treated": len(groups[part.treated]),
                "seeds_baseline": len(groups[part.baseline]),
                "test": f"OLS over {len(transfer.regression_languages)} languages", "p_value": transfer.slope_p,
                "verdict": stats.verdict(transfer.slope_low, transfer.slope_high, ">", 0.0), "reason": ""}
    languages = None
    if part.languages == "non_english":
        languages = tuple(lg for lg in values.languages(part.metric) if lg != "en")
        if not languages:
            return _not_run(part, f"{part.metric} has no non-English items", margins)
    row = compare(values, Comparison(part.metric, tuple(groups[part.treated]), tuple(groups[part.baseline]),
                                     languages), options)
    if not row["n_items"]:
        return _not_run(part, "no item was scored by every model of the comparison", margins)
    return {"part": part.describe(margins), "metric": part.metric, "treated": part.treated,
            "baseline": part.baseline, "estimate": row["estimate"], "low": row["low"], "high": row["high"],
            "bound": bound, "relation": part.relation, "n_items": row["n_items"],
            "seeds_treated": row["seeds_treated"], "seeds_baseline": row["seeds_baseline"], "test": row["test"],
            "p_value": row["p_value"], "verdict": stats.verdict(row["low"], row["high"], part.relation, bound),
            "reason": ""}


def evaluate_claims(values: ItemValues, results: StudyResults, options: IntervalOptions,
                    margins: Mapping[str, float], claims: Sequence[Claim] = CLAIMS, baseline_method: str = "BASE",
                    transfers: dict[tuple[str, str], TransferResult] | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per claim with its verdict, one row per part with its CI); never raises on absent models."""
    part_rows, claim_rows = [], []
    evaluated = set(results.models.loc[results.models["name"].isin(results.items["model"].unique()), "method"])
    for claim in claims:
        rows = [{"claim_id": claim.claim_id, "paper": claim.paper, "statement": claim.statement,
                 **evaluate_part(part, values, results, options, margins, baseline_method, transfers)}
                for part in claim.parts]
        part_rows += rows
        absent = [m for part in claim.parts for m in (part.treated, part.baseline) if m not in evaluated]
        reasons = [f"no evaluated model of {', '.join(dict.fromkeys(absent))} in this profile"] if absent else []
        reasons += [r["reason"] for r in rows if r["reason"] and not r["reason"].startswith("no evaluated model")]
        claim_rows.append({"claim_id": claim.claim_id, "paper": claim.paper, "statement": claim.statement,
                           "verdict": stats.combine_verdicts([r["verdict"] for r in rows]),
                           "parts": len(rows), "reason": "; ".join(dict.fromkeys(reasons))})
    parts = pd.DataFrame(part_rows, columns=PART_COLUMNS)
    parts["p_holm"] = stats.holm(parts["p_value"].to_numpy())
    return pd.DataFrame(claim_rows), parts


COST_METRICS = ("knowledge", "fluency_log_ppl", "heldout_nll", "off_language_multilingual")


def claim_costs(parts: pd.DataFrame, headline: pd.DataFrame, metrics: Sequence[str] = COST_METRICS) -> pd.DataFrame:
    """What each claim's treated methods cost against the baseline (the headline's knowledge, fluency and
    language-fidelity rows), to read next to the verdict: a toxicity gain from a broken model is not a gain."""
    columns = ["claim_id", "method", "metric", "estimate", "low", "high", "significant"]
    if parts.empty or headline.empty:
        return pd.DataFrame(columns=columns)
    ran = parts[parts["verdict"] != "not run"][["claim_id", "treated"]].drop_duplicates()
    costs = ran.merge(headline[headline["metric"].isin(metrics)], left_on="treated", right_on="method")
    return costs[columns].reset_index(drop=True)
