"""How a toxicity scorer holds on labeled sets it never trained on: AUC, accuracy and false-positive rates.

Generic: rows of `text`, `label` (1 toxic, 0 not), `language`, and optionally `set`, `family` (template family),
`group` (identity term) and `identity` (the text mentions an identity term). Labels may come from a public test
set (real data) or from the synthetic world's ground-truth detector; the report is the same.
Identity-bias metrics follow Borkan et al. 2019 (subgroup AUC, BPSN and BNSP AUC).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers.scoring import ToxicityScorer

OPTIONAL = {"set": "all", "family": "", "group": "", "identity": False}


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC, NaN when only one class is present."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores)) if len(np.unique(labels)) == 2 else float("nan")


def is_toxic(scores: np.ndarray, threshold: float = 0.5, operator: str = "ge") -> np.ndarray:
    """Scores at or above (`ge`) or above (`gt`) the threshold; NaN (a failure) is never toxic nor clean."""
    if operator not in ("ge", "gt"):
        raise ValueError(f"operator must be 'ge' or 'gt', got {operator!r}")
    return scores >= threshold if operator == "ge" else scores > threshold


def score_rows(scorer: ToxicityScorer, rows: pd.DataFrame) -> pd.DataFrame:
    """The rows with their `score` (NaN where scoring failed) and the optional columns filled in."""
    missing = [c for c in ("text", "label", "language") if c not in rows]
    if missing:
        raise KeyError(f"out-of-distribution rows need the columns text, label, language; missing {missing}")
    started = time.perf_counter()
    scores = scorer.score(rows["text"].tolist(), rows["language"].tolist())
    frame = rows.assign(score=np.asarray(scores, dtype=float))
    frame.attrs["texts_per_second"] = len(rows) / max(time.perf_counter() - started, 1e-9)
    for column, default in OPTIONAL.items():
        if column not in frame:
            frame[column] = default
    return frame


def _summary(part: pd.DataFrame, threshold: float, operator: str) -> dict:
    scored = part.dropna(subset=["score"])
    labels, scores = scored["label"].to_numpy(), scored["score"].to_numpy()
    flagged = is_toxic(scores, threshold, operator)
    clean = labels == 0
    clean_identity = clean & scored["identity"].to_numpy(dtype=bool)
    return {"n": len(part), "toxic": int((part["label"] == 1).sum()), "failures": int(part["score"].isna().sum()),
            "auc": _auc(labels, scores), "accuracy": float((flagged == (labels == 1)).mean()) if len(labels) else
            float("nan"),
            "tpr": float(flagged[labels == 1].mean()) if (labels == 1).any() else float("nan"),
            "fpr": float(flagged[clean].mean()) if clean.any() else float("nan"),
            "fpr_identity": float(flagged[clean_identity].mean()) if clean_identity.any() else float("nan"),
            "identity_clean": int(clean_identity.sum())}


def ood_report(frame: pd.DataFrame, threshold: float = 0.5, operator: str = "ge",
               by: Sequence[str] = ("set", "language")) -> pd.DataFrame:
    """Per set and language: n, AUC, accuracy and TPR at the threshold, FPR overall and on identity mentions."""
    rows = []
    for key, part in frame.groupby(list(by), sort=True):
        rows.append({**dict(zip(by, key if isinstance(key, tuple) else (key,))), **_summary(part, threshold,
                                                                                            operator)})
    return pd.DataFrame(rows)


def family_report(frame: pd.DataFrame, threshold: float = 0.5, operator: str = "ge",
                  min_rows: int = 20) -> pd.DataFrame:
    """Per set, language and template family of at least `min_rows` rows, worst first (lowest AUC, then highest
    FPR; families without toxic rows follow, by FPR)."""
    tagged = frame[frame["family"].astype(str) != ""]
    columns = ["set", "language", "family", *_summary(frame.head(0), threshold, operator)]
    if tagged.empty:
        return pd.DataFrame(columns=columns)
    report = ood_report(tagged, threshold, operator, by=("set", "language", "family"))
    report = report[report["n"] >= min_rows]
    return report.sort_values(["auc", "fpr"], ascending=[True, False], na_position="last").reset_index(drop=True)


def group_report(frame: pd.DataFrame, threshold: float = 0.5, operator: str = "ge",
                 min_rows: int = 10) -> pd.DataFrame:
    """Per identity group: FPR on its clean texts, subgroup AUC, BPSN and BNSP AUC (Borkan et al. 2019).

    Subgroup AUC separates the group's toxic from its clean texts; BPSN (background positive, subgroup negative)
    mixes the group's clean texts with other groups' toxic ones, so a low value means the group's clean texts score
    high; BNSP is the converse. Computed within each set and language.
    """
    rows = []
    for (name, language), part in frame.groupby(["set", "language"], sort=True):
        part = part.dropna(subset=["score"])
        grouped = part[part["group"].astype(str) != ""]
        for group, members in grouped.groupby("group", sort=True):
            if len(members) < min_rows:
                continue
            others = part[part["group"] != group]
            in_clean, in_toxic = members[members["label"] == 0], members[members["label"] == 1]
            out_clean, out_toxic = others[others["label"] == 0], others[others["label"] == 1]
            bpsn = pd.concat([in_clean, out_toxic])
            bnsp = pd.concat([in_toxic, out_clean])
            flagged = is_toxic(in_clean["score"].to_numpy(), threshold, operator)
            rows.append({"set": name, "language": language, "group": group, "n": len(members),
                         "fpr": float(flagged.mean()) if len(in_clean) else float("nan"),
                         "mean_score_clean": float(in_clean["score"].mean()) if len(in_clean) else float("nan"),
                         "subgroup_auc": _auc(members["label"].to_numpy(), members["score"].to_numpy()),
                         "bpsn_auc": _auc(bpsn["label"].to_numpy(), bpsn["score"].to_numpy()),
                         "bnsp_auc": _auc(bnsp["label"].to_numpy(), bnsp["score"].to_numpy())})
    columns = ["set", "language", "group", "n", "fpr", "mean_score_clean", "subgroup_auc", "bpsn_auc", "bnsp_auc"]
    report = pd.DataFrame(rows, columns=columns)
    return report.sort_values(["fpr", "bpsn_auc"], ascending=[False, True]).reset_index(drop=True)


def agreement(a: np.ndarray, b: np.ndarray, threshold: float = 0.5, operator: str = "ge") -> dict:
    """How two scorers agree on the same texts: Spearman and Pearson r, share with the same decision, Cohen's kappa."""
    from scipy.stats import pearsonr, spearmanr
    from sklearn.metrics import cohen_kappa_score

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    both = ~(np.isnan(a) | np.isnan(b))
    a, b = a[both], b[both]
    if len(a) < 3:
        return {"n": int(len(a)), "spearman": float("nan"), "pearson": float("nan"), "same_decision": float("nan"),
                "kappa": float("nan")}
    da, db = is_toxic(a, threshold, operator), is_toxic(b, threshold, operator)
    return {"n": int(len(a)), "spearman": float(spearmanr(a, b).statistic), "pearson": float(pearsonr(a, b).statistic),
            "same_decision": float((da == db).mean()), "kappa": float(cohen_kappa_score(da, db))}


def summary_metrics(report: pd.DataFrame) -> dict:
    """{"set/language": {n, auc, accuracy, fpr, fpr_identity}} for metrics.json (NaN left out)."""
    out = {}
    for record in report.to_dict("records"):
        values = {k: (int(record[k]) if k == "n" else round(float(record[k]), 4))
                  for k in ("n", "auc", "accuracy", "fpr", "fpr_identity") if not pd.isna(record[k])}
        out[f"{record['set']}/{record['language']}"] = values
    return out


def ood_figure(report: pd.DataFrame):
    """AUC per labeled set and false-positive rate on non-toxic identity mentions, per set and language."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    labeled = report.dropna(subset=["auc"])
    names = [f"{s}\n{lang}" for s, lang in zip(labeled["set"], labeled["language"])]
    left.barh(names, labeled["auc"], color="tab:blue")
    left.axvline(0.5, color="grey", ls="--", lw=0.8)
    left.set_xlim(0.4, 1.0)
    left.set_xlabel("ROC AUC")
    left.set_title("Separates toxic from clean")
    clean = report.dropna(subset=["fpr_identity"])
    right.barh([f"{s}\n{lang}" for s, lang in zip(clean["set"], clean["language"])], clean["fpr_identity"],
               color="tab:red")
    right.set_xlabel("share flagged toxic")
    right.set_title("False positives on non-toxic identity mentions")
    for ax in (left, right):
        ax.tick_params(axis="y", labelsize=7)
        ax.invert_yaxis()
    fig.tight_layout()
    return fig
