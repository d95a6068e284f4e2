"""Notebook 06 end to end through the runner, on synthetic 05 results with planted effects."""

from __future__ import annotations

import json

import pytest

from helpers import paths
from helpers.runner import run_profile
from synthetic_profile import write_synthetic_profile

pytestmark = pytest.mark.slow


def test_notebook_06_recovers_the_planted_effects_and_writes_the_report(outputs_root):
    study = write_synthetic_profile(outputs_root, "smoke")
    assert run_profile("smoke", only=["06"]) == 0
    folder = outputs_root / "smoke" / "06_statistics"
    metrics = json.loads((folder / "metrics.json").read_text())
    verdicts = metrics["verdicts"]
    assert verdicts["P1"] == "reproduced"  # INST's planted toxicity effect
    assert verdicts["P2"] != "reproduced"  # its planted knowledge loss (few facts: maybe inconclusive)
    assert verdicts["W2"] == "not run" and verdicts["N1"] == "not run"  # no DAPT_3x, no BIAS_SFT
    assert set(metrics["design"]["methods"]) == set(study.results.models["method"])
    assert metrics["design"]["methods"]["DetoxDPO"]["seeds"] == 3
    assert "EMT_multilingual" in metrics["mixed_models"]
    assert "DetoxDPO/EMT_multilingual" in metrics["transfer"]
    for figure in ("claims_forest", "multi_objective", "language_heatmaps", "transfer"):
        assert (folder / "figures" / f"{figure}.png").stat().st_size > 10_000, figure
    executed = json.loads((folder / "06_statistics.ipynb").read_text())
    errors = [o for c in executed["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    page = (outputs_root / "smoke" / "report" / "index.html").read_text()
    assert "06_statistics/06_statistics.html" in page and "figures/claims_forest.png" in page
    assert "seconds" not in (folder / "metrics.json").read_text()
    assert str(paths.PROJECT_ROOT) not in (folder / "metrics.json").read_text()
