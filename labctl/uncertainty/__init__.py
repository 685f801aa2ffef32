"""The uncertainty engine: GUM budgets, Monte Carlo (JCGM 101), conformity decisions,
calibration fits with uncertainties in both variables (ISO 6143, ``fit_calibration``).

The public names are re-exported here and imported on first use, so that importing a
submodule (the procedures use :mod:`labctl.uncertainty.expression` alone) does not pull
in scipy::

    from labctl.uncertainty import Budget, Input, Coverage, McmOptions
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    # expression.py
    "Expression": "expression",
    "ExpressionError": "expression",
    "compile_expression": "expression",
    "FUNCTIONS": "expression",
    # inputs.py
    "Input": "inputs",
    "InputError": "inputs",
    "DISTRIBUTIONS": "inputs",
    # gum.py
    "coverage_factor": "gum",
    "coverage_probability": "gum",
    "welch_satterthwaite": "gum",
    "propagate": "gum",
    "second_order_variance": "gum",
    "DEFAULT_PROBABILITY": "gum",
    # budget.py
    "Budget": "budget",
    "BudgetError": "budget",
    "BudgetResult": "budget",
    "Component": "budget",
    "Coverage": "budget",
    "McmOptions": "budget",
    # budgetfile.py
    "BudgetFile": "budgetfile",
    "load_budget": "budgetfile",
    "loads_budget": "budgetfile",
    # mcm.py / distributions.py
    "InputDistribution": "mcm",
    "McmResult": "mcm",
    "GumValidation": "mcm",
    "run_mcm": "mcm",
    "validate_gum": "mcm",
    # decision.py
    "Specification": "decision",
    "Decision": "decision",
    "RULES": "decision",
    "decide": "decision",
    # fit.py / fit_result.py / fit_file.py: calibration fits (ISO 6143)
    "fit_calibration": "fit",
    "CalibrationFit": "fit_result",
    "FitError": "fit_error",
    "GoodnessOfFit": "fit_result",
    "ReadValue": "fit_result",
    "FitFile": "fit_file",
    "load_fit": "fit_file",
    "loads_fit": "fit_file",
}

__all__ = [
    "Budget",
    "BudgetError",
    "BudgetFile",
    "BudgetResult",
    "CalibrationFit",
    "Component",
    "Coverage",
    "DEFAULT_PROBABILITY",
    "DISTRIBUTIONS",
    "Decision",
    "Expression",
    "ExpressionError",
    "FUNCTIONS",
    "FitError",
    "FitFile",
    "GoodnessOfFit",
    "GumValidation",
    "Input",
    "InputDistribution",
    "InputError",
    "McmOptions",
    "McmResult",
    "RULES",
    "ReadValue",
    "Specification",
    "compile_expression",
    "coverage_factor",
    "coverage_probability",
    "decide",
    "fit_calibration",
    "load_budget",
    "load_fit",
    "loads_budget",
    "loads_fit",
    "propagate",
    "run_mcm",
    "second_order_variance",
    "validate_gum",
    "welch_satterthwaite",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'labctl.uncertainty' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"labctl.uncertainty.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from labctl.uncertainty.budget import (
        Budget,
        BudgetError,
        BudgetResult,
        Component,
        Coverage,
        McmOptions,
    )
    from labctl.uncertainty.budgetfile import BudgetFile, load_budget, loads_budget
    from labctl.uncertainty.decision import RULES, Decision, Specification, decide
    from labctl.uncertainty.expression import (
        FUNCTIONS,
        Expression,
        ExpressionError,
        compile_expression,
    )
    from labctl.uncertainty.fit import fit_calibration
    from labctl.uncertainty.fit_error import FitError
    from labctl.uncertainty.fit_file import FitFile, load_fit, loads_fit
    from labctl.uncertainty.fit_result import CalibrationFit, GoodnessOfFit, ReadValue
    from labctl.uncertainty.gum import (
        DEFAULT_PROBABILITY,
        coverage_factor,
        coverage_probability,
        propagate,
        second_order_variance,
        welch_satterthwaite,
    )
    from labctl.uncertainty.inputs import DISTRIBUTIONS, Input, InputError
    from labctl.uncertainty.mcm import (
        GumValidation,
        InputDistribution,
        McmResult,
        run_mcm,
        validate_gum,
    )
