"""The out-of-distribution report (helpers.ood) against hand-computed figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import ood


class _KeywordScorer:
    """Scores 0.9 for texts with 'bad', 0.6 with 'gay' (an identity-biased scorer), else 0.1; '' fails."""

    name, version, digest = "keyword", "0", "0"

    def score(self, texts, languages=None):
        return np.array([np.nan if not t else 0.9 if "bad" in t else 0.6 if "gay" in t else 0.1 for t in texts])


@pytest.fixture()
def rows() -> pd.DataFrame:
    return pd.DataFrame({
        "set": ["t"] * 6 + ["mentions"] * 2,
        "text": ["bad gay", "bad muslim", "nice gay", "nice muslim", "bad plumber", "", "gay people", "a muslim"],
        "label": [1, 1, 0, 0, 1, 0, 0, 0],
        "language": ["en"] * 6 + ["de"] * 2,
        "family": ["adj", "adj", "adj", "adj", "occupation", "occupation", "", ""],
        "group": ["gay", "muslim", "gay", "muslim", "", "", "gay", "muslim"],
        "identity": [True, True, True, True, False, False, True, True],
    })


def test_report_counts_auc_accuracy_and_identity_false_positives(rows):
    scored = ood.score_rows(_KeywordScorer(), rows)
    report = ood.ood_report(scored).set_index("set")
    t = report.loc["t"]
    # scored rows of t: toxic 0.9, 0.9, 0.9; clean 0.6 (nice gay), 0.1 (nice muslim); the empty text failed
    assert (t["n"], t["toxic"], t["failures"]) == (6, 3, 1)
    assert t["auc"] == 1.0 and t["accuracy"] == pytest.approx(4 / 5) and t["tpr"] == 1.0
    assert t["fpr"] == pytest.approx(1 / 2) and t["fpr_identity"] == pytest.approx(1 / 2)
    mentions = report.loc["mentions"]  # one class only: no AUC, but a false-positive rate
    assert np.isnan(mentions["auc"]) and mentions["fpr_identity"] == pytest.approx(1 / 2)
    assert mentions["language"] == "de"


def test_threshold_operator_and_optional_columns():
    frame = ood.score_rows(_KeywordScorer(), pd.DataFrame({"text": ["gay"], "label": [0], "language": ["en"]}))
    assert list(frame[["set", "family", "group", "identity"]].iloc[0]) == ["all", "", "", False]
    assert ood.ood_report(frame, threshold=0.6, operator="ge")["fpr"].iloc[0] == 1.0
    assert ood.ood_report(frame, threshold=0.6, operator="gt")["fpr"].iloc[0] == 0.0
    with pytest.raises(ValueError, match="operator"):
        ood.is_toxic(np.array([0.5]), operator="eq")
    with pytest.raises(KeyError, match="label"):
        ood.score_rows(_KeywordScorer(), pd.DataFrame({"text": ["a"], "language": ["en"]}))


def test_family_report_puts_the_worst_family_first(rows):
    families = ood.family_report(ood.score_rows(_KeywordScorer(), rows), min_rows=1)
    assert list(families["family"]) == ["adj", "occupation"]  # adj: FPR 1/2; occupation: no clean row scored
    assert families.loc[0, "fpr"] == pytest.approx(0.5)
    assert ood.family_report(ood.score_rows(_KeywordScorer(), rows)).empty  # families under 20 rows are noise


def test_group_report_subgroup_bpsn_and_bnsp_by_hand():
    frame = pd.DataFrame({
        "set": "s", "language": "en", "text": "", "family": "", "identity": True,
        "group": ["a", "a", "a", "a", "b", "b", "b", "b"],
        "label": [1, 1, 0, 0, 1, 1, 0, 0],
        "score": [0.9, 0.7, 0.8, 0.2, 0.95, 0.85, 0.1, 0.05],
    })
    report = ood.group_report(frame, min_rows=2).set_index("group")
    a = report.loc["a"]
    # subgroup a: toxic {0.9, 0.7} vs clean {0.8, 0.2}: pairs won 3 of 4
    assert a["subgroup_auc"] == pytest.approx(0.75)
    # BPSN: a's clean {0.8, 0.2} vs b's toxic {0.95, 0.85}: all pairs won
    assert a["bpsn_auc"] == pytest.approx(1.0)
    # BNSP: a's toxic {0.9, 0.7} vs b's clean {0.1, 0.05}: all won
    assert a["bnsp_auc"] == pytest.approx(1.0)
    assert a["fpr"] == pytest.approx(0.5) and report.loc["b", "fpr"] == 0.0
    assert report.index[0] == "a"  # the group with the most false positives first


def test_agreement_of_two_scorers():
    a = np.array([0.1, 0.2, 0.8, 0.9, np.nan])
    b = np.array([0.2, 0.1, 0.7, 0.4, 0.5])
    result = ood.agreement(a, b)
    assert result["n"] == 4 and result["same_decision"] == pytest.approx(0.75)
    # ranks 1 2 3 4 against 2 1 4 3: sum of squared rank differences 4, rho = 1 - 6 * 4 / (4 * 15) = 0.6
    assert result["spearman"] == pytest.approx(0.6)
    assert np.isnan(ood.agreement(a[:2], b[:2])["kappa"])


def test_summary_metrics_for_metrics_json(rows):
    summary = ood.summary_metrics(ood.ood_report(ood.score_rows(_KeywordScorer(), rows)))
    assert summary["t/en"]["auc"] == 1.0 and summary["t/en"]["n"] == 6
    assert "auc" not in summary["mentions/de"]  # NaN is left out
