"""Maintenance of the source notebooks: parameters cells from the smoke profile, outputs stripped."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from helpers import paths

DEFAULTS_PROFILE = "smoke"  # every notebook's parameters-cell defaults equal this profile


def parameters_cell_source(stage: str, profile: str = DEFAULTS_PROFILE) -> str:
    """The literals-only parameters cell of a stage, one commented line per parameter."""
    from helpers.param_specs import SPECS_BY_SECTION
    from helpers.params import load_profile, stage_params_from_profile

    values = stage_params_from_profile(load_profile(profile), stage)
    specs = {s.name: s for section in ("common", stage) for s in SPECS_BY_SECTION[section]}
    lines = [f"# parameters (defaults = the {profile} profile; papermill injects another profile's values below)"]
    for key, value in values.items():
        if "=" in specs[key].doc:
            # papermill cannot parse a parameters-cell line whose comment holds a second '='
            raise ValueError(f"the doc of parameter {key!r} must not contain '=': {specs[key].doc!r}")
        lines.append(f"{key} = {value!r}  # {specs[key].doc}")
    return "\n".join(lines)


def _is_parameters_cell(cell) -> bool:
    return cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", [])


def sync_notebook(notebook: Path, check_only: bool = False) -> bool:
    """Rewrite a notebook's parameters cell from the smoke profile, tag drawing cells, strip outputs; True if changed."""
    import nbformat

    from helpers.cells import FIGURE_TAG, untagged_drawing_cells

    nb = nbformat.read(notebook, as_version=4)
    stage = notebook.stem
    changed = False
    for index in untagged_drawing_cells(nb.cells):
        # the figure tag is what the tests count figures by; a drawing cell without it would go unchecked
        nb.cells[index].setdefault("metadata", {}).setdefault("tags", []).append(FIGURE_TAG)
        changed = True
    for cell in nb.cells:
        if _is_parameters_cell(cell):
            source = parameters_cell_source(stage)
            if cell.source != source:
                cell.source, changed = source, True
        if cell.get("cell_type") == "code" and (cell.get("outputs") or cell.get("execution_count")):
            cell.outputs, cell.execution_count, changed = [], None, True
    if changed and not check_only:
        nbformat.write(nb, notebook)
    return changed


def main(argv: list[str] | None = None) -> int:
    """`python -m helpers.nbtools [--check]`: sync every source notebook (or only report drift)."""
    parser = argparse.ArgumentParser(prog="python -m helpers.nbtools", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if a notebook would change")
    args = parser.parse_args(argv)
    drift = [nb.name for nb in sorted(paths.NOTEBOOKS_DIR.glob("*.ipynb")) if sync_notebook(nb, args.check)]
    if drift:
        print(("out of date: " if args.check else "updated: ") + ", ".join(drift))
    return 1 if (drift and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
