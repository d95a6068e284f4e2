"""Every error names the file it comes from (and the line where there is one), before anything runs."""

from __future__ import annotations

import json
import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from helpers import paths
from helpers.nbtools import parameters_cell_source
from helpers.params import ParamsError, load_profile
from helpers.runner import main as runner_main


@pytest.fixture
def params_dir(tmp_path):
    """A folder holding a copy of the smoke profile, for children that extend it."""
    shutil.copy(paths.params_file("smoke"), tmp_path / "smoke.yaml")
    return tmp_path


def _error(path) -> str:
    with pytest.raises(ParamsError) as error:
        load_profile(path)
    return str(error.value)


def test_a_yaml_syntax_error_names_the_file_line_and_column_and_shows_the_line(params_dir):
    bad = params_dir / "bad.yaml"
    bad.write_text("extends: smoke\ncommon:\n  profile: bad\n  seed: 1: 2\n")
    message = _error(bad)
    assert message.startswith(f"{bad}:4:10: not valid YAML: mapping values are not allowed here")
    assert "    4 |   seed: 1: 2\n" in message and message.endswith("^")


def test_an_unclosed_bracket_names_where_it_was_opened(params_dir):
    bad = params_dir / "bad.yaml"
    bad.write_text("common:\n  languages: [en, fr\n  seed: 0\n")
    message = _error(bad)
    assert message.startswith(f"{bad}:3:")
    assert "while parsing a flow sequence begun on line 2" in message


def test_an_error_in_a_parent_profile_names_the_parent_and_the_chain(params_dir):
    (params_dir / "middle.yaml").write_text("extends: smoke\n00_data:\n  scorer_c: [1.0\n")
    child = params_dir / "child.yaml"
    child.write_text("extends: middle\ncommon: {profile: child}\n")
    message = _error(child)
    assert message.startswith(f"{params_dir / 'middle.yaml'}:") and "not valid YAML" in message
    assert f"(read because {child} extends 'middle')" in message


def test_a_bad_value_is_reported_in_the_file_that_set_it(params_dir):
    (params_dir / "middle.yaml").write_text("extends: smoke\n00_data: {scorer_c: -1.0}\n")
    child = params_dir / "child.yaml"
    child.write_text("extends: middle\ncommon: {profile: child, seed: 3}\n")
    message = _error(child)
    assert f"{params_dir / 'middle.yaml'}: 00_data.scorer_c must be" in message


def test_extends_in_a_circle_or_of_the_wrong_type_is_named(params_dir):
    (params_dir / "a.yaml").write_text("extends: b\n")
    (params_dir / "b.yaml").write_text("extends: a\n")
    assert "`extends:` goes round in a circle" in _error(params_dir / "a.yaml")
    (params_dir / "c.yaml").write_text("extends: [smoke]\n")
    assert _error(params_dir / "c.yaml").startswith(f"{params_dir / 'c.yaml'}: `extends:` must name a profile")


def test_a_key_given_twice_is_an_error_not_a_silent_override(params_dir):
    bad = params_dir / "bad.yaml"
    bad.write_text("extends: smoke\ncommon:\n  profile: bad\n  seed: 1\n  seed: 2\n")
    message = _error(bad)
    assert message.startswith(f"{bad}:5:3: not valid YAML: key 'seed' is given twice (first on line 4)")


def test_a_file_that_is_not_text_is_named(params_dir):
    bad = params_dir / "bad.yaml"
    bad.write_bytes(b"\xff\xfe\x00common")
    assert _error(bad).startswith(f"{bad}: not UTF-8 text")


def _toy_notebooks(tmp_path, monkeypatch, parameters: str | None = None, raw: str | None = None):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    target = notebooks / "00_data.ipynb"
    if raw is not None:
        target.write_text(raw)
    else:
        cells = [new_code_cell(parameters, metadata={"tags": ["parameters"]})] if parameters is not None else []
        nbformat.write(new_notebook(cells=cells + [new_code_cell("pass")]), target)
    monkeypatch.setenv(paths.NOTEBOOKS_ENV, str(notebooks))
    return target


def _runner_error(capsys, outputs_root) -> str:
    assert runner_main(["--profile", "smoke", "--only", "00"]) == 2
    assert not outputs_root.exists()  # checked before anything is written
    return capsys.readouterr().err


def test_a_notebook_that_is_not_json_is_named_with_its_line(tmp_path, monkeypatch, capsys, outputs_root):
    good = json.dumps(nbformat.v4.new_notebook(cells=[new_code_cell("x = 1")]), indent=1)
    target = _toy_notebooks(tmp_path, monkeypatch, raw=good[:len(good) // 2])
    message = _runner_error(capsys, outputs_root)
    assert f"error: {target}:" in message and "not a notebook: invalid JSON" in message


def test_a_notebook_that_breaks_the_schema_is_named(tmp_path, monkeypatch, capsys, outputs_root):
    broken = {"cells": [{"cell_type": "code", "source": "x", "metadata": {}}], "metadata": {},
              "nbformat": 4, "nbformat_minor": 5}
    target = _toy_notebooks(tmp_path, monkeypatch, raw=json.dumps(broken))
    message = _runner_error(capsys, outputs_root)
    assert f"error: {target}: not a valid notebook: 'outputs' is a required property (at cells/0)" in message


def test_a_parameters_cell_that_does_not_parse_is_named_with_its_line(tmp_path, monkeypatch, capsys, outputs_root):
    source = parameters_cell_source("00_data").replace("seed = 0", "seed = = 0")
    target = _toy_notebooks(tmp_path, monkeypatch, parameters=source)
    message = _runner_error(capsys, outputs_root)
    line = source.splitlines().index(next(l for l in source.splitlines() if l.startswith("seed = = 0"))) + 1
    assert f"error: {target}, parameters cell (cell 1), line {line}: invalid syntax" in message
    assert "seed = = 0" in message


def test_a_parameters_cell_computing_a_value_is_named(tmp_path, monkeypatch, capsys, outputs_root):
    source = parameters_cell_source("00_data").replace("seed = 0", "seed = int('0')")
    target = _toy_notebooks(tmp_path, monkeypatch, parameters=source)
    message = _runner_error(capsys, outputs_root)
    assert f"error: {target}, parameters cell (cell 1), line" in message
    assert "seed must be a literal" in message and "int('0')" in message


def test_a_notebook_without_a_parameters_cell_is_named(tmp_path, monkeypatch, capsys, outputs_root):
    target = _toy_notebooks(tmp_path, monkeypatch)
    message = _runner_error(capsys, outputs_root)
    assert f"error: {target}: no cell is tagged `parameters`" in message
