"""Run the notebooks of a profile with papermill: validated, resumable, atomic, with a manifest."""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers import io, manifest, paths
from helpers.cells import section_of
from helpers.params import ParamsError, load_profile, params_digest, stage_keys, stage_params_from_profile

KERNEL_NAME = "detox-study"
# the backend ipykernel picks when MPLBACKEND is unset; the runner names it, since an inherited MPLBACKEND=agg
# (a habit of headless machines) would make every figure be drawn and dropped; it never opens a window
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


class RunnerError(RuntimeError):
    """A problem found before any notebook runs (bad profile, missing notebook, unfinished upstream)."""


@dataclass(frozen=True)
class StagePlan:
    """One notebook to run: its stage, source, injected parameters and output folder."""

    stage: str
    notebook: Path
    params: dict[str, Any]
    out_dir: Path


def available_stages() -> list[str]:
    """Stages whose source notebook exists, in study order."""
    return [s for s in paths.STAGES if paths.notebook_path(s).is_file()]


def _select(only: Sequence[str] | None) -> list[str]:
    stages = available_stages()
    if not only:
        return stages
    chosen = []
    for token in only:
        matches = [s for s in stages if s == token or s.split("_")[0] == token.zfill(2)]
        if not matches:
            raise RunnerError(f"--only {token}: no such notebook; available: {', '.join(stages)}")
        chosen += [m for m in matches if m not in chosen]
    return [s for s in stages if s in chosen]


def notebook_parameter_names(notebook: Path) -> list[str]:
    """Names assigned in a notebook's `parameters` cell."""
    import papermill

    return list(papermill.inspect_notebook(str(notebook)).keys())


def read_notebook(notebook: Path) -> Any:
    """A source notebook, parsed and schema-checked; a RunnerError names the file (and line) otherwise."""
    import nbformat

    try:
        text = notebook.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RunnerError(f"{notebook}: no such notebook") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RunnerError(f"{notebook}: cannot be read as a notebook ({error})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise RunnerError(f"{notebook}:{error.lineno}:{error.colno}: not a notebook: invalid JSON ({error.msg}); "
                          "was it saved half-way or merged with conflict markers?") from None
    if not (isinstance(data, dict) and isinstance(data.get("cells"), list)
            and all(isinstance(cell, dict) for cell in data["cells"])):
        raise RunnerError(f"{notebook}: not a notebook: expected a JSON object whose `cells` is a list of objects")
    try:
        # validated as written, before nbformat converts it (a conversion fails with less helpful messages)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a missing cell id is repaired on reading, not worth a warning
            nbformat.validate(nbformat.from_dict(data))
        return nbformat.reads(text, as_version=4)
    except Exception as error:  # nbformat raises several types, all meaning "not a valid notebook"
        reason = (getattr(error, "message", None) or str(error) or type(error).__name__).splitlines()[0]
        where = "/".join(str(p) for p in getattr(error, "absolute_path", None) or [])
        raise RunnerError(f"{notebook}: not a valid notebook: {reason}" + (f" (at {where})" if where else "")) from None


def check_parameters_cell(notebook: Path, nb: Any) -> None:
    """The first cell tagged `parameters` must hold `name = literal` lines only (what papermill can override)."""
    index = next((i for i, c in enumerate(nb.cells)
                  if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])), None)
    if index is None:
        raise RunnerError(f"{notebook}: no cell is tagged `parameters`, so papermill cannot set this profile's "
                          "values (`make sync-notebooks` writes one)")
    where = f"{notebook}, parameters cell (cell {index + 1})"
    source = nb.cells[index].source
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        line = (error.text or "").rstrip("\n")
        raise RunnerError(f"{where}, line {error.lineno}: {error.msg}\n    {line}") from None
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else \
            node.target if isinstance(node, ast.AnnAssign) else None
        if not isinstance(target, ast.Name) or node.value is None:
            raise RunnerError(f"{where}, line {node.lineno}: only `name = literal` lines belong in a parameters "
                              f"cell, found `{ast.get_source_segment(source, node)}`")
        try:
            ast.literal_eval(node.value)
        except ValueError:
            raise RunnerError(f"{where}, line {node.lineno}: {target.id} must be a literal (a number, string, "
                              f"list or dict of literals), found `{ast.get_source_segment(source, node.value)}`"
                              ) from None


def build_plan(profile: str, only: Sequence[str] | None = None, params_file: Path | None = None) -> list[StagePlan]:
    """Validate the profile and the notebooks' parameter cells; return what to run. Touches nothing."""
    try:
        sections = load_profile(params_file or profile)
    except ParamsError as error:
        raise RunnerError(str(error)) from None
    profile_name = sections["common"]["profile"]
    plan = []
    for stage in _select(only):
        if stage not in sections:
            raise RunnerError(f"{params_file or paths.params_file(profile)} has no section {stage!r}")
        notebook = paths.notebook_path(stage)
        check_parameters_cell(notebook, read_notebook(notebook))
        declared = notebook_parameter_names(notebook)
        expected = stage_keys(stage)
        if declared != expected:
            missing = [k for k in expected if k not in declared]
            extra = [k for k in declared if k not in expected]
            raise RunnerError(
                f"{notebook}: parameters cell does not match the schema (missing {missing}, unknown {extra})"
            )
        plan.append(StagePlan(stage, notebook, stage_params_from_profile(sections, stage),
                              paths.stage_dir(profile_name, stage)))
    return plan


def code_digest() -> str:
    """Hash of the helpers package source: a code change makes every stage stale."""
    return io.tree_sha256(Path(__file__).resolve().parent)


def fingerprint(plan: StagePlan, upstream: Sequence[str]) -> str:
    """Identity of a stage's inputs: notebook, parameters, helpers code and upstream stages."""
    parts = [io.file_sha256(plan.notebook, 64), params_digest(plan.params), code_digest(), *upstream]
    return io.text_sha256("|".join(parts))


def finished_manifest(out_dir: Path) -> dict[str, Any] | None:
    """Manifest of a finished stage, or None when the stage never finished."""
    source = out_dir / "manifest.json"
    if not source.is_file():
        return None
    try:
        data = io.read_json(source)
    except ValueError:
        return None
    return data if data.get("status") == "ok" else None


def _upstream_fingerprints(stage: str, profile_dir: Path) -> list[str]:
    prints = []
    for earlier in paths.STAGES[: paths.STAGES.index(stage)]:
        done = finished_manifest(profile_dir / earlier)
        if done is not None:
            prints.append(f"{earlier}:{done.get('fingerprint', done.get('params_hash', ''))}")
    return prints


def _kernel_name() -> str:
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    if KERNEL_NAME in specs:
        return KERNEL_NAME
    print(f"note: Jupyter kernel {KERNEL_NAME!r} is not installed (run `make setup`); using python3", flush=True)
    return "python3"


def kernel_environment(write_dir: Path) -> dict[str, str]:
    """The kernel's environment: the runner's, plus the staging folder to write into and the inline backend."""
    return {**os.environ, paths.WRITE_DIR_ENV: str(write_dir), "MPLBACKEND": INLINE_BACKEND}


def _swap_in(staging: Path, final: Path) -> None:
    """Replace the finished folder with the staging folder; never leaves a half-written stage."""
    trash = final.parent / ".trash" / f"{final.name}-{os.getpid()}-{time.time_ns()}"
    if final.exists():
        trash.parent.mkdir(parents=True, exist_ok=True)
        os.replace(final, trash)
    os.replace(staging, final)
    shutil.rmtree(trash, ignore_errors=True)


def run_stage(plan: StagePlan, fingerprint_value: str, kernel: str, index: str) -> float:
    """Execute one notebook into a staging folder, showing its progress live, render it, then swap it in."""
    import papermill

    from helpers.live import LiveReport, register_engine
    from helpers.rendering import render_html

    profile_dir = plan.out_dir.parent
    staging = profile_dir / ".staging" / plan.stage
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    executed = staging / f"{plan.stage}.ipynb"
    started = time.perf_counter()
    print(f"{index} {plan.stage}: running ({plan.notebook})", flush=True)
    try:
        papermill.execute_notebook(
            str(plan.notebook), str(executed), parameters=plan.params, kernel_name=kernel,
            cwd=str(paths.PROJECT_ROOT), progress_bar=False, log_output=False,
            engine_name=register_engine(), live=LiveReport(index), kernel_env=kernel_environment(staging),
        )
    except Exception as error:
        failed = profile_dir / ".failed" / plan.stage
        shutil.rmtree(failed, ignore_errors=True)
        failed.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, failed)
        failed_copy = failed / executed.name
        if failed_copy.is_file():
            try:  # the traceback in context is worth a page; a second failure must not hide the first
                render_html(failed_copy, failed / f"{plan.stage}.html")
            except Exception:
                pass
        raise StageFailed(plan.stage, failed_copy, _describe(error, failed_copy)) from None
    seconds = time.perf_counter() - started
    render_html(executed, staging / f"{plan.stage}.html")
    stage_manifest = finished_manifest(staging) or {}
    if not stage_manifest:
        raise StageFailed(plan.stage, executed, "the notebook ended without calling finish_stage (no manifest)")
    stage_manifest.update({"fingerprint": fingerprint_value, "wall_seconds": round(seconds, 2),
                           "executed_notebook": executed.name, "html": f"{plan.stage}.html"})
    io.write_json(staging / "manifest.json", stage_manifest)
    _swap_in(staging, plan.out_dir)
    print(f"{index} {plan.stage}: done in {seconds:.1f} s -> {plan.out_dir}", flush=True)
    return seconds


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_FRAME = re.compile(r"File (\S+?\.py):(\d+)")
_CELL_LINE = re.compile(r"Cell In\[\d+\], line (\d+)")


def _describe(error: Exception, executed: Path) -> str:
    """`cell N (section S): Error: message`, then where it was raised: the innermost project file and line."""
    ename = getattr(error, "ename", type(error).__name__)
    evalue = getattr(error, "evalue", str(error))
    message = f"{ename}: {evalue}"
    cell_index = getattr(error, "cell_index", None)
    if cell_index is None:
        return message
    section = ""
    try:
        import nbformat

        # papermill's index counts the cells before it added its two error-marker cells to the copy
        cells = [c for c in nbformat.read(executed, as_version=4).cells
                 if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]
        section = section_of(cells, cell_index)
    except Exception:  # the failed copy may be half-written; the message stands without its section
        pass
    count = getattr(error, "exec_count", None)
    message = (f"cell {cell_index + 1}" + (f" (In [{count}])" if count else "")
               + (f", section {section!r}" if section else "") + f": {message}")
    traceback = _ANSI.sub("", "\n".join(getattr(error, "traceback", None) or []))
    ours = [(Path(os.path.expanduser(f)), n) for f, n in _FRAME.findall(traceback)
            if Path(os.path.expanduser(f)).resolve().is_relative_to(paths.PROJECT_ROOT)]
    cell_lines = _CELL_LINE.findall(traceback)
    if ours:
        where, line = ours[-1]
        message += f"\n  raised at {where.resolve().relative_to(paths.PROJECT_ROOT)}:{line}"
    elif cell_lines:
        message += f"\n  raised at line {cell_lines[-1]} of the cell"
    return message


class StageFailed(RuntimeError):
    """A notebook raised; carries the executed copy's path and the error."""

    def __init__(self, stage: str, executed: Path, message: str):
        super().__init__(f"{stage} failed: {message}")
        self.stage, self.executed, self.message = stage, executed, message


def run_profile(profile: str, only: Sequence[str] | None = None, resume: bool = False,
                params_file: Path | None = None) -> int:
    """Run a profile's notebooks in order; returns the process exit code."""
    try:
        plan = build_plan(profile, only, params_file)
        if only:
            _require_upstream(plan)
    except RunnerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not plan:
        print("error: no notebooks to run", file=sys.stderr)
        return 2
    profile_dir = plan[0].out_dir.parent
    profile_dir.mkdir(parents=True, exist_ok=True)
    kernel = _kernel_name()
    run_record: dict[str, Any] = {
        "profile": plan[0].params["profile"], "git_commit": manifest.git_commit(),
        "packages": manifest.package_versions(), "device": manifest.device_description(),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "stages": {},
    }
    total = time.perf_counter()
    status = 0
    for number, step in enumerate(plan, start=1):
        index = f"[{number}/{len(plan)}]"
        fp = fingerprint(step, _upstream_fingerprints(step.stage, profile_dir))
        entry: dict[str, Any] = {"params_hash": params_digest(step.params), "fingerprint": fp}
        done = finished_manifest(step.out_dir)
        if resume and done is not None and done.get("fingerprint") == fp:
            print(f"{index} {step.stage}: unchanged since its last successful run, skipped", flush=True)
            entry.update(status="skipped", wall_seconds=0.0)
        else:
            try:
                entry.update(status="ok", wall_seconds=round(run_stage(step, fp, kernel, index), 2))
            except StageFailed as failure:
                entry.update(status="failed", error=failure.message, executed=str(failure.executed))
                print(f"{index} {step.stage}: FAILED\n  notebook: {failure.executed}\n  error: {failure.message}",
                      file=sys.stderr, flush=True)
                status = 1
        run_record["stages"][step.stage] = entry
        io.write_json(profile_dir / "run_manifest.json", run_record)
        if status:
            break
    run_record["total_seconds"] = round(time.perf_counter() - total, 2)
    io.write_json(profile_dir / "run_manifest.json", run_record)
    if status == 0:
        from helpers.report import write_report

        page = write_report(profile_dir)
        print(f"all done in {run_record['total_seconds']:.1f} s", flush=True)
        _print_where([p.out_dir / f"{p.stage}.html" for p in plan], page)
    else:
        failed = [Path(e["executed"]).with_suffix(".html") for e in run_record["stages"].values()
                  if e["status"] == "failed"]
        _print_where([p.out_dir / f"{p.stage}.html" for p in plan if p.stage in run_record["stages"]
                      and run_record["stages"][p.stage]["status"] != "failed"] + failed, None)
    return status


def _shown(path: Path) -> str:
    """A path as the user typed it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _print_where(pages: Sequence[Path], report: Path | None) -> None:
    """The run's last lines: where to open the rendered notebooks and the report."""
    pages = [page for page in pages if page.is_file()]
    if pages:
        print("rendered notebooks:" + "".join(f"\n  {_shown(page)}" for page in pages), flush=True)
    if report is not None:
        print(f"report: {_shown(report)}", flush=True)


def _require_upstream(plan: Sequence[StagePlan]) -> None:
    """Every stage a planned stage reads (`paths.STAGE_NEEDS`) is planned too or has finished."""
    for step in plan:
        for earlier in paths.STAGE_NEEDS.get(step.stage, paths.STAGES[: paths.STAGES.index(step.stage)]):
            if earlier in {p.stage for p in plan} or not paths.notebook_path(earlier).is_file():
                continue
            if finished_manifest(step.out_dir.parent / earlier) is None:
                raise RunnerError(f"{step.stage} needs {earlier} of this profile, which has not finished; "
                                  f"run it first (--only {earlier[:2]})")


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: `python -m helpers.runner --profile smoke`."""
    parser = argparse.ArgumentParser(prog="python -m helpers.runner", description=__doc__)
    parser.add_argument("--profile", default="default", help="profile name under params/ (default: default)")
    parser.add_argument("--params", type=Path, help="a YAML parameter file instead of params/<profile>.yaml")
    parser.add_argument("--only", action="append", metavar="NN",
                        help="run only this notebook (number or name); repeatable. The notebooks it reads must "
                        "have finished; 05 and 06 need only 00 and 01 (they evaluate whichever models exist)")
    parser.add_argument("--resume", action="store_true",
                        help="skip notebooks whose parameters and inputs are unchanged since their last success")
    parser.add_argument("--check", action="store_true", help="validate the profile and notebooks, run nothing")
    args = parser.parse_args(argv)
    if args.check:
        try:
            plan = build_plan(args.profile, args.only, args.params)
        except RunnerError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print("ok:", ", ".join(p.stage for p in plan))
        return 0
    return run_profile(args.profile, args.only, args.resume, args.params)


if __name__ == "__main__":
    sys.exit(main())
