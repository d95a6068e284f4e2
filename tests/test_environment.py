"""Pins agree across pyproject, environment.yml and the lock; source notebooks are clean."""

from __future__ import annotations

import re
import tomllib

import nbformat
import yaml

from helpers import paths
from helpers.nbtools import sync_notebook

ROOT = paths.PROJECT_ROOT


def _pins(lines) -> dict[str, str]:
    pins = {}
    for line in lines:
        match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)==([^\s;#]+)\s*", line)
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def test_pyproject_environment_and_lock_pin_the_same_versions():
    project = _pins(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])
    conda = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in conda["dependencies"] if isinstance(d, dict))
    environment = _pins(pip_section)
    lock = _pins((ROOT / "requirements.lock").read_text().splitlines())
    assert project == environment
    for name, version in project.items():
        assert lock.get(name) == version, f"requirements.lock pins {name}=={lock.get(name)}, pyproject {version}"
    assert project["torch"] == "2.13.0"  # an unpinned torch pulls gigabytes of CUDA wheels


def test_source_notebooks_are_stored_without_outputs_and_in_sync():
    notebooks = sorted(paths.NOTEBOOKS_DIR.glob("*.ipynb"))
    assert notebooks
    for notebook in notebooks:
        nb = nbformat.read(notebook, as_version=4)
        assert nb.metadata["kernelspec"]["name"] == "detox-study"
        assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), notebook.name
        assert not sync_notebook(notebook, check_only=True), f"{notebook.name}: run `make sync-notebooks`"


def test_notebooks_follow_the_house_layout():
    for notebook in sorted(paths.NOTEBOOKS_DIR.glob("*.ipynb")):
        cells = nbformat.read(notebook, as_version=4).cells
        assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# ")
        assert any("parameters" in c.metadata.get("tags", []) for c in cells), notebook.name
        sources = "\n".join(c.source for c in cells if c.cell_type == "code")
        assert "start_stage(" in sources and "finish_stage(" in sources, notebook.name
        assert "%run" not in sources and "import notebooks" not in sources


def test_schema_docs_are_generated_from_the_schemas():
    from helpers.schemas import schema_markdown

    assert (ROOT / "docs" / "schemas.md").read_text() == schema_markdown()
