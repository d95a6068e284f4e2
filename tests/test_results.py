"""The committed results folder and the README numbers generated from it (on temporary copies, never the real
README), and the drift check of the real README against the committed results."""

from __future__ import annotations

import pytest

from helpers import io, paths, results
from synthetic_profile import fake_manifest

README_TEMPLATE = """# A study

Some text that is not generated.

### What to expect
<!-- results:expected -->
typed by hand
<!-- /results:expected -->

<!-- results:claims -->
<!-- /results:claims -->

## Budgets
<!-- results:budget -->
<!-- /results:budget -->

The end.
"""


@pytest.fixture
def finished_profile(outputs_root):
    """A finished run (fake stage outputs, no heavy files) under a temporary outputs root."""
    folder = outputs_root / "default"
    for stage in ("00_data", "01_pretraining", "02_domain_adaptation", "03_preference_optimization",
                  "04_parameter_efficient", "05_evaluation", "06_statistics"):
        io.write_json(folder / stage / "manifest.json", fake_manifest(stage, seconds=30.0, memory=512.0))
        io.write_text(folder / stage / f"{stage}.html", f"<html>{stage}</html>")
        io.write_text(folder / stage / f"{stage}.ipynb", "{}")
    io.write_json(folder / "00_data" / "metrics.json",
                  {"scorer": {"auc": {"en": 0.93, "fr": 0.91, "all": 0.922}},
                   "planted_vs_recovered_max_abs_difference": 0.031})
    io.write_json(folder / "01_pretraining" / "metrics.json", {
        "model": {"parameters": 1_070_000}, "training": {"BASE": {"tokens": 1_400_000}, "INST": {"tokens": 1_400_000}},
        "headline": {"tp": {"BASE (none)": 0.255, "INST (nontoxic)": 0.015}},
        "comparisons": {"INST (nontoxic) - BASE (none)": {"tp_difference": -0.24, "ci_low": -0.3, "ci_high": -0.185,
                                                          "mcnemar_p": 3e-11}}})
    ci = {"estimate": -0.031, "low": -0.052, "high": -0.01}
    io.write_json(folder / "02_domain_adaptation" / "metrics.json", {"check": {
        "effects_vs_base": {"DAPT": {"mean_toxicity": ci, "per_seed_mean_toxicity_difference": {"DAPT-s0": -0.03,
                                                                                              "DAPT-s1": -0.032}}},
        "sgeat_vs_dapt": {"SGEAT - DAPT": {"mean_toxicity": {"estimate": 0.004, "low": -0.02, "high": 0.03}}}}})
    io.write_json(folder / "03_preference_optimization" / "metrics.json", {"check": {
        "by_method": {"BASE": {"seeds": 1}, "BiasDPO": {"seeds": 3}},
        "effects_vs_base": {"BiasDPO": {"EMT": {"estimate": 0.157, "low": 0.096, "high": 0.22},
                                        "CrowS distance from 50": {"estimate": -3.55, "low": -5.75, "high": -1.43},
                                        "fluency log-ppl": {"estimate": 0.095, "low": 0.065, "high": 0.127}}}}})
    io.write_json(folder / "04_parameter_efficient" / "metrics.json", {
        "variants": [{"family": "DAPT", "peft": "full", "seeds": 3, "EMT": 0.046, "held-out ppl": 2.95,
                      "trainable parameters": 1065728.0},
                     {"family": "DAPT", "peft": "lora16", "seeds": 3, "EMT": 0.045, "held-out ppl": 3.11,
                      "trainable parameters": 131072.0}],
        "check": {"effects": {"DAPT": {"EMT vs base": {"estimate": -0.1, "low": -0.178, "high": -0.035}},
                              "DAPT_lora16": {"EMT vs base": {"estimate": -0.1, "low": -0.171, "high": -0.045}}}}})
    io.write_json(folder / "05_evaluation" / "metrics.json", {"headline": {
        "BASE-s0": {"TP": 0.25, "EMT": 0.28, "CrowS_pct": 71.1},
        "DetoxDPO-s0": {"TP": 0.10, "EMT": 0.15, "CrowS_pct": 70.0},
        "DetoxDPO-s1": {"TP": 0.12, "EMT": 0.17, "CrowS_pct": 69.0}}})
    io.write_json(folder / "06_statistics" / "metrics.json", {
        "verdicts": {"P1": "reproduced", "W2": "not run"},
        "claims": {"P1": {"paper": "Prabhumoye et al. 2023", "statement": "INST lowers toxicity",
                          "verdict": "reproduced", "reason": "",
                          "parts": [{"part": "TP: INST - BASE < 0", "estimate": -0.24, "low": -0.3, "high": -0.19,
                                     "verdict": "reproduced"}]},
                   "W2": {"paper": "Wang et al. 2022", "statement": "SGEAT beats DAPT_3x", "verdict": "not run",
                          "reason": "no evaluated model of DAPT_3x in this profile",
                          "parts": [{"part": "EMT: SGEAT - DAPT_3x < 0", "estimate": None, "low": None,
                                     "high": None, "verdict": "not run"}]}}})
    (folder / "06_statistics" / "figures").mkdir()
    (folder / "06_statistics" / "figures" / "claims_forest.png").write_bytes(b"\x89PNG fake")
    io.write_text(folder / "06_statistics" / "tables" / "headline.csv", "method,metric\n")
    io.write_text(folder / "report" / "index.html", "<html>report</html>")
    (folder / "report" / "figures").mkdir()
    (folder / "report" / "figures" / "claims_forest.png").write_bytes(b"\x89PNG fake")
    # what must never reach the repository
    (folder / "01_pretraining" / "models" / "BASE-s0").mkdir(parents=True)
    (folder / "01_pretraining" / "models" / "BASE-s0" / "model.safetensors").write_bytes(b"0" * 1000)
    io.write_text(folder / "05_evaluation" / "item_scores.parquet", "data")
    (folder / "cache").mkdir()
    return folder


def test_collect_copies_what_a_reviewer_reads_and_nothing_heavy(finished_profile, tmp_path):
    done = results.collect("default", tmp_path / "results" / "default")
    copied = {str(p.relative_to(done.target)) for p in done.target.rglob("*") if p.is_file()}
    assert {"00_data/00_data.html", "00_data/00_data.ipynb", "00_data/metrics.json", "00_data/manifest.json",
            "06_statistics/tables/headline.csv", "report/index.html", "report/figures/claims_forest.png",
            "README.md"} <= copied
    assert not any(p.startswith("06_statistics/figures") for p in copied)  # they travel once, with the report
    assert not any("models" in p or p.endswith(".parquet") or p.startswith("cache") for p in copied)
    assert done.files == len(copied) and done.megabytes < 1
    # a second collect replaces the folder (no stale files survive)
    (finished_profile / "00_data" / "00_data.ipynb").unlink()
    again = results.collect("default", done.target)
    assert not (again.target / "00_data" / "00_data.ipynb").exists()


def test_collect_refuses_a_missing_run_and_an_oversized_one(finished_profile, tmp_path):
    with pytest.raises(FileNotFoundError, match="no finished stage"):
        results.collect("nothing-here", tmp_path / "x")
    with pytest.raises(ValueError, match="more than"):
        results.collect("default", tmp_path / "small", max_megabytes=1e-6)
    assert not (tmp_path / "small").exists()


def test_readme_blocks_are_generated_from_the_committed_metrics(finished_profile, tmp_path):
    committed = results.collect("default", tmp_path / "results" / "default").target
    readme = tmp_path / "README.md"
    readme.write_text(README_TEMPLATE)
    blocks = results.readme_blocks(committed)
    assert results.check_readme(readme, blocks)  # the hand-typed block differs
    assert set(results.update_readme(readme, blocks)) == {"expected", "claims", "budget"}
    text = readme.read_text()
    assert results.check_readme(readme, blocks) == []
    assert "Some text that is not generated." in text and text.endswith("The end.\n")
    assert "typed by hand" not in text
    assert "scorer held-out AUC 0.922 (0.910-0.930 per language)" in text
    assert "INST (nontoxic) - BASE (none): TP difference -0.240, 95% CI [-0.300, -0.185], McNemar p < 0.001" in text
    assert "DetoxDPO (2 seeds) TP 0.11" in text
    assert "DAPT (2 seeds) -0.031 [-0.052, -0.010]" in text and "SGEAT - DAPT +0.004 [-0.020, +0.030]" in text
    assert ("BiasDPO (3 seeds) EMT +0.157 [+0.096, +0.220], CrowS distance from 50 -3.5 [-5.8, -1.4] points, "
            "fluency log-ppl +0.095 [+0.065, +0.127]") in text
    assert ("- 04 DAPT by variant (mean of 3 seeds, paired 95% CI): full EMT 0.046 (-0.100 [-0.178, -0.035] vs BASE), "
            "held-out ppl 2.95, 1,065,728 trainable; lora16 EMT 0.045") in text
    assert "| P1: INST lowers toxicity | Prabhumoye et al. 2023 | **reproduced** | TP: INST - BASE < 0: -0.240 " in text
    assert "no evaluated model of DAPT_3x" in text
    assert "| `00_data` | 30 s | 512 MiB | 45 s | 60 s |" in text
    assert results.update_readme(readme, blocks) == []  # idempotent


def test_the_drift_check_fails_when_a_committed_number_changes(finished_profile, tmp_path):
    committed = results.collect("default", tmp_path / "results" / "default").target
    readme = tmp_path / "README.md"
    readme.write_text(README_TEMPLATE)
    results.update_readme(readme, results.readme_blocks(committed))
    metrics = io.read_json(committed / "00_data" / "metrics.json")
    metrics["scorer"]["auc"]["all"] = 0.9
    io.write_json(committed / "00_data" / "metrics.json", metrics)
    problems = results.check_readme(readme, results.readme_blocks(committed))
    assert len(problems) == 1 and "'expected' differs" in problems[0]
    readme.write_text(README_TEMPLATE.replace("<!-- results:budget -->\n<!-- /results:budget -->\n", ""))
    assert any("no block <!-- results:budget -->" in p for p in results.check_readme(
        readme, results.readme_blocks(committed)))
    assert results.main(["check", "--results", str(committed), "--readme", str(readme)]) == 1


def test_without_committed_results_the_blocks_hold_a_placeholder(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(README_TEMPLATE)
    results.update_readme(readme, results.readme_blocks(None))
    assert readme.read_text().count(results.PLACEHOLDER) == 3


def test_the_readme_agrees_with_the_committed_results():
    committed = results.RESULTS_DIR / "default"
    blocks = results.readme_blocks(committed if committed.is_dir() else None)
    problems = results.check_readme(paths.PROJECT_ROOT / "README.md", blocks)
    assert problems == [], "\n".join(problems) + "\nrun `make results` (or python -m helpers.results readme)"
