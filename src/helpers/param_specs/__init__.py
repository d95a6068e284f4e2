"""Parameter specifications, one module per notebook section; this module gathers them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from helpers.param_specs import common, data, domain_adaptation, evaluation, parameter_efficient, preference_optimization
from helpers.param_specs import statistics
from helpers.param_specs import pretraining as _pretraining

# section name -> the specs of its parameters; sections other than `common` are stage names
SPECS_BY_SECTION = {
    "common": common.SPECS,
    "00_data": data.SPECS,
    "01_pretraining": _pretraining.SPECS,
    "02_domain_adaptation": domain_adaptation.SPECS,
    "03_preference_optimization": preference_optimization.SPECS,
    "04_parameter_efficient": parameter_efficient.SPECS,
    "05_evaluation": evaluation.SPECS,
    "06_statistics": statistics.SPECS,
}

# section name -> cross-parameter checks returning a list of problems
SECTION_CHECKS: dict[str, Callable[[Mapping[str, Any]], list[str]]] = {
    "00_data": data.check,
    "01_pretraining": _pretraining.check,
    "02_domain_adaptation": domain_adaptation.check,
    "03_preference_optimization": preference_optimization.check,
    "04_parameter_efficient": parameter_efficient.check,
    "05_evaluation": evaluation.check,
    "06_statistics": statistics.check,
}
