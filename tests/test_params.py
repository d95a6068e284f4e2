"""Parameter files, schema validation and the notebooks' parameters cells."""

from __future__ import annotations

import shutil

import papermill
import pytest
import yaml

from helpers import paths
from helpers.nbtools import parameters_cell_source
from helpers.params import ParamsError, load_profile, stage_keys, validate_stage, stage_params_from_profile
from helpers.runner import available_stages, build_plan, main as runner_main

PROFILES = sorted(p.stem for p in paths.PARAMS_DIR.glob("*.yaml"))


@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_is_valid(profile):
    sections = load_profile(profile)
    assert sections["common"]["profile"] == profile


@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_configures_every_notebook(profile):
    assert set(available_stages()) <= set(load_profile(profile))


@pytest.mark.parametrize("profile", PROFILES)
def test_every_key_of_every_profile_is_a_notebook_parameter(profile):
    sections = load_profile(profile)
    notebooks = {stage: list(papermill.inspect_notebook(str(paths.notebook_path(stage))).keys())
                 for stage in available_stages()}
    declared_anywhere = {key for keys in notebooks.values() for key in keys}
    for section, values in sections.items():
        for key in values:
            assert key in declared_anywhere, f"{profile}.yaml {section}.{key} is no notebook's parameter"
            if section != "common" and section in notebooks:
                assert key in notebooks[section], f"{profile}.yaml {section}.{key} not in notebook {section}"


@pytest.mark.parametrize("stage", available_stages())
def test_parameters_cell_defaults_equal_the_smoke_profile(stage):
    inspected = papermill.inspect_notebook(str(paths.notebook_path(stage)))
    assert list(inspected) == stage_keys(stage)
    smoke = stage_params_from_profile(load_profile("smoke"), stage)
    namespace: dict = {}
    cell = next(c for c in __import__("nbformat").read(paths.notebook_path(stage), 4).cells
                if "parameters" in c.metadata.get("tags", []))
    exec(cell.source, namespace)  # literals only, so executing the cell is safe
    assert {k: namespace[k] for k in smoke} == smoke
    assert cell.source == parameters_cell_source(stage)


def _write_profile(tmp_path, mutate):
    data = yaml.safe_load(paths.params_file("smoke").read_text())
    mutate(data)
    target = tmp_path / "bad.yaml"
    target.write_text(yaml.safe_dump(data))
    return target


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: d["00_data"].update(pretraining_docz=10), "unknown key 00_data.pretraining_docz (did you mean 'pretraining_docs'?)"),
    (lambda d: d["00_data"].update(pretraining_docs="many"), "00_data.pretraining_docs must be int"),
    (lambda d: d["00_data"].update(pretraining_docs=-5), "00_data.pretraining_docs must be >= 50"),
    (lambda d: d["common"].update(seed=1.5), "common.seed must be int"),
    (lambda d: d["common"].update(device="tpu"), "common.device must be one of"),
    (lambda d: d["00_data"].update(language_shares={"en": 0.5, "fr": 0.2, "de": 0.15, "es": 0.1}), "must sum to 1"),
    (lambda d: d["00_data"].update(languages=["en", "xx"]), "00_data.languages must be one of"),
    (lambda d: d["00_data"].pop("scorer_c"), "missing key 00_data.scorer_c"),
    (lambda d: d.update(nonsense={"a": 1}), "unknown section 'nonsense'"),
    (lambda d: d["00_data"].update(stereotype_rate_range=[0.9, 0.2]), "low < high"),
])
def test_bad_profiles_name_the_key_and_the_file(tmp_path, mutate, expected):
    bad = _write_profile(tmp_path, mutate)
    with pytest.raises(ParamsError) as error:
        load_profile(bad)
    assert expected in str(error.value)
    assert str(bad) in str(error.value)


def test_bad_yaml_and_missing_file_are_clear(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("common: [unclosed\n")
    with pytest.raises(ParamsError, match="not valid YAML"):
        load_profile(broken)
    with pytest.raises(ParamsError, match="no such parameter file"):
        load_profile(tmp_path / "absent.yaml")


def test_runner_rejects_a_bad_profile_before_touching_outputs(tmp_path, outputs_root, capsys):
    finished = outputs_root / "smoke" / "00_data"
    finished.mkdir(parents=True)
    (finished / "metrics.json").write_text('{"kept": true}')
    bad = _write_profile(tmp_path, lambda d: d["00_data"].update(tokenizer_vocab_size=10))
    assert runner_main(["--profile", "smoke", "--params", str(bad)]) == 2
    message = capsys.readouterr().err
    assert "00_data.tokenizer_vocab_size must be >= 300" in message and str(bad) in message
    assert (finished / "metrics.json").read_text() == '{"kept": true}'
    assert sorted(p.name for p in (outputs_root / "smoke").iterdir()) == ["00_data"]


def test_validate_stage_rejects_wrong_types_from_a_notebook():
    values = stage_params_from_profile(load_profile("smoke"), "00_data")
    values["seed"] = "zero"
    with pytest.raises(ParamsError, match="common.seed must be int"):
        validate_stage("00_data", values)
    values["seed"] = 0
    params = validate_stage("00_data", values)
    assert params.seed == 0 and params.digest() == validate_stage("00_data", dict(values)).digest()


def test_extends_inherits_and_overrides(tmp_path):
    shutil.copy(paths.params_file("smoke"), tmp_path / "smoke.yaml")
    child = tmp_path / "child.yaml"
    child.write_text("extends: smoke\ncommon: {profile: child, seed: 7}\n")
    sections = load_profile(child)
    assert sections["common"]["seed"] == 7
    assert sections["00_data"] == load_profile("smoke")["00_data"]


def test_plan_injects_only_declared_parameters():
    plan = build_plan("smoke", only=["00"])
    assert [p.stage for p in plan] == ["00_data"]
    assert list(plan[0].params) == stage_keys("00_data")
