"""Small command-line aids for the test command (`python -m helpers.testing nbval-targets`)."""

from __future__ import annotations

import sys

from helpers import paths

NBVAL_PROFILE = "smoke"


def nbval_targets(profile: str = NBVAL_PROFILE) -> list[str]:
    """Executed notebooks of a finished profile, in study order, for nbval."""
    found = []
    for stage in paths.STAGES:
        executed = paths.stage_dir(profile, stage) / f"{stage}.ipynb"
        if executed.is_file():
            found.append(str(executed.relative_to(paths.PROJECT_ROOT)))
    return found


def main(argv: list[str] | None = None) -> int:
    """Print the nbval targets; fail loudly when the smoke study has not produced any."""
    argv = sys.argv[1:] if argv is None else argv
    if argv != ["nbval-targets"]:
        print("usage: python -m helpers.testing nbval-targets", file=sys.stderr)
        return 2
    targets = nbval_targets()
    if not targets:
        print(f"no executed {NBVAL_PROFILE} notebooks under outputs/{NBVAL_PROFILE}/: "
              "the smoke study test (tests/test_smoke_study.py) must run first", file=sys.stderr)
        return 1
    print(" ".join(targets))
    return 0


if __name__ == "__main__":
    sys.exit(main())
