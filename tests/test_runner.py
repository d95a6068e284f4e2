"""The runner: failures stop the run loudly, --resume skips unchanged notebooks, nothing half-written looks finished;
figures are drawn into the notebook and its HTML, and the terminal shows the notebook's progress while it runs."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import time

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers import paths
from helpers.cells import FIGURE_TAG, figure_outputs
from helpers.live import NOTEBOOK_PREFIX
from helpers.progress import PROGRESS_ENV
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
    # IPython drops a cell's leading blank lines before it numbers them
    line = TOY_BODY.lstrip("\n").splitlines().index('    raise ValueError("planted failure in the toy notebook")') + 1
    assert "cell 3 (In [3]): ValueError" in err and f"raised at line {line} of the cell" in err
    failed_copy = outputs_root / "smoke" / ".failed" / "00_data" / "00_data.ipynb"
    assert str(failed_copy) in err and failed_copy.is_file()
    assert "ValueError" in failed_copy.with_suffix(".html").read_text()  # the traceback, one click from its code
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


FIGURES_AND_PROGRESS = [
    new_markdown_cell("# A toy with figures and a long loop"),
    new_code_cell("from helpers.notebook import start_stage, finish_stage\n"
                  "ctx = start_stage('00_data', globals(), show_versions=False)"),
    new_markdown_cell("## 1 Two figures"),
    new_code_cell("import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(3, 2))\nax.plot([0, 1], [1, 0]);",
                  metadata={"tags": [FIGURE_TAG]}),
    new_code_cell("import pandas as pd\nfrom helpers import plots\n"
                  "plots.grouped_bars(pd.DataFrame({'en': [0.5, 0.6]}, index=['BASE', 'INST']), ylabel='share');",
                  metadata={"tags": [FIGURE_TAG]}),
    new_code_cell("drawn = 'nothing here'"),
    new_markdown_cell("## 2 A long loop"),
    new_code_cell("import time\nfrom helpers import progress as bars\n"
                  "bars.DELAY_SECONDS = 0.0  # the toy loop is short; a real one is long enough to pass the delay\n"
                  "for step in bars.progress(range(6), desc='toy loop'):\n"
                  "    time.sleep(0.2)\n    print(f'step {step}')"),
    new_code_cell("finish_stage(ctx, {'seed': ctx.params.seed})"),
]


@pytest.fixture(scope="module")
def figures_and_progress(tmp_path_factory):
    """One runner run of a toy notebook that draws two figures and runs a loop with a progress bar."""
    root = tmp_path_factory.mktemp("figures")
    (root / "notebooks").mkdir()
    params = new_code_cell(parameters_cell_source("00_data"), metadata={"tags": ["parameters"]})
    nb = new_notebook(cells=[FIGURES_AND_PROGRESS[0], params, *FIGURES_AND_PROGRESS[1:]],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(nb, root / "notebooks" / "00_data.ipynb")
    terminal = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(terminal):
        patch.setenv(paths.NOTEBOOKS_ENV, str(root / "notebooks"))
        patch.setenv(paths.OUTPUTS_ROOT_ENV, str(root / "outputs"))
        patch.setenv("MPLBACKEND", "agg")  # what the Makefile used to export: the runner must not let it through
        patch.setenv(PROGRESS_ENV, "1")
        status = runner_main(["--profile", "smoke", "--params", _profile(root)])
    assert status == 0, terminal.getvalue()
    stage = root / "outputs" / "smoke" / "00_data"
    return nbformat.read(stage / "00_data.ipynb", as_version=4), (stage / "00_data.html").read_text(), \
        terminal.getvalue()


def test_figure_cells_draw_into_the_notebook_and_its_html(figures_and_progress):
    executed, html, _ = figures_and_progress
    drawn = {i: len(figure_outputs(c)) for i, c in enumerate(executed.cells) if c.cell_type == "code"}
    tagged = [i for i, c in enumerate(executed.cells) if FIGURE_TAG in c.metadata.get("tags", [])]
    assert len(tagged) == 2 and all(drawn[i] == 1 for i in tagged)
    assert sum(drawn.values()) == 2  # nothing drawn twice, nothing drawn by untagged cells
    pngs = [o.data["image/png"] for i in tagged for o in executed.cells[i].outputs if "image/png" in o.get("data", {})]
    embedded = re.findall(r'<img alt="[^"]*" src="data:image/png;base64,([^"]+)"', html)
    assert embedded == pngs


def test_the_terminal_shows_sections_printed_lines_and_the_bar(figures_and_progress):
    _, _, terminal = figures_and_progress
    lines = terminal.splitlines()
    assert any(re.fullmatch(r"  \d\d:\d\d  ## 1 Two figures", line) for line in lines)
    assert any(re.fullmatch(r"  \d\d:\d\d  ## 2 A long loop", line) for line in lines)
    assert [line for line in lines if line.startswith(NOTEBOOK_PREFIX + "step")] == [
        f"{NOTEBOOK_PREFIX}step {n}" for n in range(6)]
    assert any(line.startswith(NOTEBOOK_PREFIX + "toy loop: 100%") and "6/6" in line for line in lines)
    assert lines[-3] == "rendered notebooks:" and lines[-2].endswith("00_data.html")
    assert lines[-1].startswith("report: ") and lines[-1].endswith("index.html")


def test_the_executed_notebook_keeps_the_last_state_of_the_bar_only(figures_and_progress):
    executed, html, _ = figures_and_progress
    loop = next(c for c in executed.cells if "bars.progress" in c.source)
    streams = "".join(o.text for o in loop.outputs if o.output_type == "stream")
    assert streams == "".join(f"step {n}\n" for n in range(6))
    bars = [o.data["text/plain"] for o in loop.outputs if o.output_type == "display_data"]
    assert len(bars) == 1 and "toy loop: 100%" in bars[0] and "6/6" in bars[0]
    assert not any("\r" in json.dumps(o) for c in executed.cells for o in c.get("outputs", []))
    assert "toy loop: 100%" in html


def test_05_needs_00_and_01_but_not_the_fine_tuning_notebooks(tmp_path):
    # 05 evaluates whichever models are finished: a profile may run it before (or without) 02-04
    from types import SimpleNamespace

    from helpers.runner import RunnerError, _require_upstream

    profile = tmp_path / "p"
    for stage in ("00_data", "01_pretraining"):
        (profile / stage).mkdir(parents=True)
        (profile / stage / "manifest.json").write_text(json.dumps({"status": "ok"}))
    plan = [SimpleNamespace(stage="05_evaluation", out_dir=profile / "05_evaluation"),
            SimpleNamespace(stage="06_statistics", out_dir=profile / "06_statistics")]
    _require_upstream(plan)  # 02, 03 and 04 have not run: fine
    with pytest.raises(RunnerError, match="04_parameter_efficient needs 02_domain_adaptation"):
        _require_upstream([SimpleNamespace(stage="04_parameter_efficient", out_dir=profile / "04_parameter_efficient")])
    (profile / "01_pretraining" / "manifest.json").unlink()
    with pytest.raises(RunnerError, match="05_evaluation needs 01_pretraining"):
        _require_upstream(plan)
