"""Parameters every notebook declares."""

from helpers.params import ParamSpec

SPECS = [
    ParamSpec("profile", "str", "profile name; outputs go to outputs/<profile>/", nonempty=True),
    ParamSpec("seed", "int", "master random seed of the run", minimum=0, maximum=2**31 - 1),
    ParamSpec("data_source", "str", "synthetic world or the real public datasets", choices=("synthetic", "real")),
    ParamSpec("device", "str", "where models run: auto picks cuda when present", choices=("auto", "cpu", "cuda")),
]
