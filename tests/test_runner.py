"""The runner: failures stop the run loudly, --resume skips unchanged notebooks, nothing half-written looks finished."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_notebook

from helpers import paths
from helpers.nbtools import parameters_cell_source
from helpers.runner import main as runner_main

pytestmark = pytest.mark.slow

TOY_BODY = """
import os, time
from helpers.notebook import start_stage, finish_stage
ctx = start_stage("00_data", globals(), show_versions=False)
(ctx.out_dir / "artifact.txt").write_text(f"seed {ctx.params.seed}")
if ctx.params.examples_to_show == 13:
    raise ValueError("planted failure in the toy notebook")
if ctx.params.examples_to_show == 14:
    time.sleep(60)  # the test kills the run here
finish_stage(ctx, {"seed": ctx.params.seed})
"""


@pytest.fixture
def toy_study(tmp_path, outputs_root, monkeypatch):
    """A notebooks folder holding one fast toy 00_data notebook, and a params folder."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    params = new_code_cell(parameters_cell_source("00_data"), metadata={"tags": ["parameters"]})
    nb = new_notebook(cells=[params, new_code_cell(TOY_BODY)],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(nb, notebooks / "00_data.ipynb")
    monkeypatch.setenv(paths.NOTEBOOKS_ENV, str(notebooks))
    return tmp_path


def _profile(tmp_path, **changes) -> str:
    data = yaml.safe_load(paths.params_file("smoke").read_text())
    data = {"common": data["common"], "00_data": {**data["00_data"], **changes}}
    target = tmp_path / f"toy{len(list(tmp_path.glob('toy*.yaml')))}.yaml"
    target.write_text(yaml.safe_dump(data))
    return str(target)


def test_a_run_writes_outputs_html_and_manifests(toy_study, outputs_root):
    assert runner_main(["--profile", "smoke", "--params", _profile(toy_study)]) == 0
    stage = outputs_root / "smoke" / "00_data"
    assert {"00_data.ipynb", "00_data.html", "metrics.json", "manifest.json", "artifact.txt"} <= {
        p.name for p in stage.iterdir()}
    manifest = json.loads((stage / "manifest.json").read_text())
    assert manifest["status"] == "ok" and manifest["wall_seconds"] > 0 and len(manifest["fingerprint"]) == 16
    assert manifest["params"]["seed"] == 0 and manifest["packages"]["torch"].startswith("2.13")
    run = json.loads((outputs_root / "smoke" / "run_manifest.json").read_text())
    assert run["stages"]["00_data"]["status"] == "ok"
    assert (outputs_root / "smoke" / "index.html").is_file()
    assert json.loads((stage / "metrics.json").read_text()) == {"seed": 0}


def test_a_failing_notebook_exits_non_zero_and_keeps_the_last_good_output(toy_study, outputs_root, capsys):
    assert runner_main(["--profile", "smoke", "--params", _profile(toy_study)]) == 0
    stage = outputs_root / "smoke" / "00_data"
    before = (stage / "manifest.json").read_text()
    assert runner_main(["--profile", "smoke", "--params", _profile(toy_study, examples_to_show=13)]) == 1
    err = capsys.readouterr().err
    assert "planted failure in the toy notebook" in err and "ValueError" in err
    failed_copy = outputs_root / "smoke" / ".failed" / "00_data" / "00_data.ipynb"
    assert str(failed_copy) in err and failed_copy.is_file()
    assert (stage / "manifest.json").read_text() == before  # the finished stage was not touched
    run = json.loads((outputs_root / "smoke" / "run_manifest.json").read_text())
    assert run["stages"]["00_data"]["status"] == "failed"


def test_resume_skips_an_unchanged_notebook_and_reruns_a_changed_one(toy_study, outputs_root, capsys):
    profile = _profile(toy_study)
    assert runner_main(["--profile", "smoke", "--params", profile]) == 0
    stage = outputs_root / "smoke" / "00_data"
    first = json.loads((stage / "manifest.json").read_text())
    capsys.readouterr()
    assert runner_main(["--profile", "smoke", "--params", profile, "--resume"]) == 0
    assert "unchanged since its last successful run, skipped" in capsys.readouterr().out
    assert json.loads((stage / "manifest.json").read_text())["finished_at"] == first["finished_at"]
    changed = _profile(toy_study, scorer_c=2.0)
    assert runner_main(["--profile", "smoke", "--params", changed, "--resume"]) == 0
    assert "skipped" not in capsys.readouterr().out
    assert json.loads((stage / "manifest.json").read_text())["params"]["scorer_c"] == 2.0


def test_an_interrupted_run_leaves_nothing_that_looks_finished(toy_study, outputs_root):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "helpers.runner", "--profile", "smoke", "--params", _profile(toy_study, examples_to_show=14)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    staging_artifact = outputs_root / "smoke" / ".staging" / "00_data" / "artifact.txt"
    deadline = time.time() + 60
    while not staging_artifact.exists() and time.time() < deadline:
        time.sleep(0.2)
    assert staging_artifact.exists(), "the toy notebook never started"
    os.killpg(process.pid, signal.SIGKILL)  # the runner and its kernel die mid-notebook
    process.wait()
    stage = outputs_root / "smoke" / "00_data"
    assert not (stage / "manifest.json").exists()
    assert runner_main(["--profile", "smoke", "--params", _profile(toy_study), "--resume"]) == 0
    assert json.loads((stage / "manifest.json").read_text())["status"] == "ok"


def test_only_needs_finished_upstream_stages(toy_study, outputs_root, capsys):
    assert runner_main(["--profile", "smoke", "--only", "05"]) == 2
    assert "no such notebook" in capsys.readouterr().err
