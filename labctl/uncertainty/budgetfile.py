"""Budget files: YAML in, a checked :class:`~labctl.uncertainty.budget.Budget` out.

The format is documented in ``docs/uncertainty-budgets.md``. Every mistake is a
``ConfigError`` whose message starts with ``file:line:column`` and the key at fault.
Quantities may be written as numbers (in the input's ``unit``) or as text with a unit
("75 nm"), which is converted to the input's unit.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from labctl.errors import ConfigError, UnitError
from labctl.uncertainty.budget import Budget, BudgetError, BudgetResult, Coverage, McmOptions
from labctl.uncertainty.expression import CONSTANTS, FUNCTIONS, compile_expression
from labctl.uncertainty.inputs import BOUNDED, DISTRIBUTIONS, Input, InputError
from labctl.yamlio import load_yaml, loads_yaml, validation_error, where

if TYPE_CHECKING:
    from labctl.uncertainty.fit_file import FitFile

Number = float | str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MeasurandSpec(_Strict):
    name: str = "y"
    unit: str | None = None
    description: str = ""


class InputSpec(_Strict):
    value: Number | None = None
    unit: str | None = None
    standard_uncertainty: Number | None = None
    expanded_uncertainty: Number | None = None
    k: float | None = None
    coverage_probability: float | None = None
    dof: float | None = None
    distribution: str | None = None
    half_width: Number | None = None
    resolution: Number | None = None
    samples: list[float] | None = None
    pooled_sd: Number | None = None
    pooled_dof: float | None = None
    reliability: float | None = None
    description: str = ""


class CoverageSpec(_Strict):
    probability: float | None = None
    k: float | None = None


def _integer(value: Any) -> Any:
    if isinstance(value, str):  # YAML 1.1 reads 1e6 as text
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() else value
    return value


class MonteCarloSpec(_Strict):
    trials: int = Field(default=1_000_000, ge=2)
    seed: int | None = None
    adaptive: bool = False
    significant_digits: int = Field(default=2, ge=1, le=6)
    max_trials: int = Field(default=10_000_000, ge=2)

    _trials = field_validator("trials", "max_trials", mode="before")(_integer)


class SpecificationSpec(_Strict):
    nominal: Number | None = None
    mpe: Number | None = None
    lower: Number | None = None
    upper: Number | None = None
    rule: str = "simple"
    r: float = 1.0


class BudgetSpec(_Strict):
    title: str = ""
    description: str = ""
    measurand: MeasurandSpec = MeasurandSpec()
    model: str
    inputs: dict[str, InputSpec]
    correlations: list[tuple[str, str, float | Literal["samples"]]] = []
    coverage: CoverageSpec = CoverageSpec()
    second_order: bool = False
    monte_carlo: MonteCarloSpec = MonteCarloSpec()
    specification: SpecificationSpec | None = None


@dataclass(frozen=True)
class BudgetFile:
    """A loaded budget file: the budget and how to run its Monte Carlo evaluation."""

    path: str
    title: str
    budget: Budget
    monte_carlo: McmOptions
    data: Any = None  # the located YAML, to place errors found while evaluating

    def evaluate(self, monte_carlo: McmOptions | None = None) -> BudgetResult:
        """``budget.evaluate``, with errors placed at the file's line and key."""
        try:
            return self.budget.evaluate(monte_carlo=monte_carlo)
        except BudgetError as err:
            raise _located(err, err.key, self.data, self.path, err.unit_error) from err


# --------------------------------------------------------------------------- loading


def load_budget(path: str | Path) -> BudgetFile:
    """Read and check a budget file; any mistake is a ``ConfigError`` at file:line:col."""
    return _build(load_yaml(path, "budget file"), str(path))


def loads_budget(text: str, file: str = "<string>") -> BudgetFile:
    """Like :func:`load_budget`, from YAML text."""
    return _build(loads_yaml(text, file), file)


def load_uncertainty_file(path: str | Path) -> BudgetFile | FitFile:
    """A budget file, or a calibration fit file (a mapping with ``points``,
    :mod:`labctl.uncertainty.fit_file`): what ``labctl uncertainty FILE`` reads."""
    from labctl.uncertainty.fit_file import fit_from_data, is_fit_file

    data = load_yaml(path)
    if is_fit_file(data):
        return fit_from_data(data, str(path))
    return _build(data, str(path))


def _build(data: Any, file: str) -> BudgetFile:
    if not isinstance(data, dict):
        raise ConfigError("a budget file is a mapping with the keys measurand, model and "
                          "inputs", where=where(data, (), default=file),
                          hint="see docs/uncertainty-budgets.md")
    try:
        spec = BudgetSpec.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, data, file) from exc
    try:
        return _make(spec, data, file)
    except BudgetError as err:
        raise _located(err, err.key, data, file, err.unit_error) from err
    except InputError as err:
        raise _located(err, ("inputs",), data, file, False) from err


def _located(err: ConfigError, key: tuple[Any, ...], data: Any, file: str,
             unit_error: bool) -> ConfigError:
    label = ".".join(str(k) for k in key)
    cls = UnitError if unit_error or isinstance(err, UnitError) else ConfigError
    message = f"{label}: {err.message}" if label else err.message
    return cls(message, where=where(data, key, default=file), hint=err.hint)


def _make(spec: BudgetSpec, data: Any, file: str) -> BudgetFile:
    try:  # the model first: it stands before the inputs in a file
        compile_expression(spec.model)
    except ConfigError as err:
        raise BudgetError(err.message, key=("model",), hint=err.hint) from err
    inputs = {name: _input(name, item) for name, item in spec.inputs.items()}
    coverage = Coverage(probability=spec.coverage.probability, k=spec.coverage.k)
    budget = Budget(spec.model, inputs, measurand=(spec.measurand.name, spec.measurand.unit),
                    coverage=coverage, correlations=spec.correlations,
                    second_order=spec.second_order)
    if spec.specification is not None:
        _specify(budget, spec.specification)
    mc = spec.monte_carlo
    _check_trials(mc)
    options = McmOptions(trials=mc.trials, seed=mc.seed, adaptive=mc.adaptive,
                         significant_digits=mc.significant_digits, max_trials=mc.max_trials)
    return BudgetFile(file, spec.title, budget, options, data)


def _check_trials(mc: MonteCarloSpec) -> None:
    """The trials the file asks for (``max_trials`` when adaptive) must fit in memory."""
    from labctl.uncertainty.mcm import TooManyTrials, check_trials

    key = "max_trials" if mc.adaptive else "trials"
    try:
        check_trials(getattr(mc, key), adaptive=mc.adaptive)
    except TooManyTrials as exc:
        raise BudgetError(str(exc), key=("monte_carlo", key),
                          hint="lower max_trials" if mc.adaptive else
                          "ask for fewer trials, or adaptive: true (it stops when stable)"
                          ) from None


_KINDS = ("standard_uncertainty", "expanded_uncertainty", "half_width", "resolution",
          "samples")


def _input(name: str, item: InputSpec) -> Input:
    key = ("inputs", name)
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("__"):
        raise BudgetError(f"{name!r} cannot name an input", key=key,
                          hint="use letters, digits and underscores, starting with a letter")
    if name in FUNCTIONS or name in CONSTANTS:
        raise BudgetError(f"{name!r} is a function or constant of the model language",
                          key=key, hint="rename the input")
    given = [k for k in _KINDS if getattr(item, k) is not None]
    if len(given) != 1:
        what = " and ".join(given) if given else "none of them"
        raise BudgetError(
            f"an input needs exactly one of {', '.join(_KINDS)}; got {what}",
            key=key if not given else (*key, given[-1]),
            hint="half_width goes with a distribution (rectangular, triangular, arcsine)")
    kind = given[0]
    unit, value = _value(item, key)
    try:
        return _make_input(item, kind, unit, value, key)
    except InputError as err:
        field = err.field if err.field in item.model_fields_set else kind
        raise BudgetError(err.message, key=(*key, field), hint=err.hint) from err


def _value(item: InputSpec, key: tuple[Any, ...]) -> tuple[str | None, float | None]:
    """The input's unit (the ``unit`` key, else the unit written with ``value``) and value."""
    from labctl.units import parse_quantity, parse_unit

    unit = item.unit
    if unit is not None:
        try:
            parse_unit(unit)
        except ConfigError as err:
            raise BudgetError(err.message, key=(*key, "unit"), hint=err.hint,
                              unit_error=True) from err
    if item.value is None:
        return unit, None
    if isinstance(item.value, str) and unit is None:
        try:
            q = parse_quantity(item.value)
        except ConfigError as err:
            raise BudgetError(err.message, key=(*key, "value"), hint=err.hint,
                              unit_error=True) from err
        return (format(q.units, "~C") or None), float(q.magnitude)
    return unit, _quantity(item.value, unit, (*key, "value"))


def _quantity(raw: Any, unit: str | None, key: tuple[Any, ...]) -> float:
    """A number in ``unit``, from a number or from text like "75 nm" (or "1e-6")."""
    from labctl.units import check_dimension, parse_quantity, parse_unit, to_float

    if not isinstance(raw, str):
        return float(raw)
    try:
        q = parse_quantity(raw)
        if q.unitless:
            return float(q.magnitude)  # a bare number: already in ``unit``
        target = parse_unit(unit)
        check_dimension(q, target, what=repr(raw))
        return to_float(q, target)
    except ConfigError as err:
        raise BudgetError(err.message, key=key, hint=err.hint, unit_error=True) from err


def _make_input(item: InputSpec, kind: str, unit: str | None, value: float | None,
                key: tuple[Any, ...]) -> Input:
    def q(field: str) -> float | None:
        raw = getattr(item, field)
        return None if raw is None else _quantity(raw, unit, (*key, field))

    def need_value() -> float:
        if value is None:
            raise InputError("the input needs a value", field="value")
        return value

    def refuse(*fields: str) -> None:
        for f in fields:
            if getattr(item, f) is not None:
                raise InputError(f"{f} does not go with {kind}", field=f,
                                 hint=_HINTS.get(kind))

    distribution = item.distribution
    if distribution is not None and distribution not in DISTRIBUTIONS:
        raise InputError(f"unknown distribution {distribution!r}", field="distribution",
                         hint=f"use one of {', '.join(DISTRIBUTIONS)}")
    common = {"unit": unit, "description": item.description}
    if kind == "standard_uncertainty":
        refuse("k", "coverage_probability", "pooled_sd", "pooled_dof")
        if distribution not in (None, "normal"):
            raise InputError(f"a standard_uncertainty makes a normal input, not "
                             f"{distribution}", field="distribution",
                             hint="for a bounded distribution give its half_width")
        return Input.standard(need_value(), q("standard_uncertainty"), dof=item.dof,
                              reliability=item.reliability, **common)
    if kind == "expanded_uncertainty":
        refuse("pooled_sd", "pooled_dof")
        if distribution not in (None, "normal"):
            raise InputError("an expanded uncertainty makes a normal input",
                             field="distribution")
        return Input.expanded(need_value(), q("expanded_uncertainty"), k=item.k,
                              coverage_probability=item.coverage_probability,
                              dof=item.dof, reliability=item.reliability, **common)
    if kind == "half_width":
        refuse("k", "coverage_probability", "dof", "pooled_sd", "pooled_dof")
        if distribution is None:
            raise InputError("a half_width needs a distribution", field="half_width",
                             hint=f"add distribution: one of {', '.join(BOUNDED)}")
        return Input.bounded(need_value(), q("half_width"), distribution,
                             reliability=item.reliability, **common)
    if kind == "resolution":
        refuse("k", "coverage_probability", "dof", "pooled_sd", "pooled_dof")
        if distribution not in (None, "rectangular"):
            raise InputError("a resolution is rectangular", field="distribution")
        return Input.resolution(need_value(), q("resolution"),
                                reliability=item.reliability, **common)
    # samples
    refuse("k", "coverage_probability", "dof", "reliability")
    if item.value is not None:
        raise InputError("the value of a samples input is their mean: remove value",
                         field="value")
    if distribution not in (None, "normal", "t"):
        raise InputError("samples make a Type A (t) input", field="distribution")
    return Input.samples(item.samples or [], pooled_sd=q("pooled_sd"),
                         pooled_dof=item.pooled_dof, **common)


_HINTS = {
    "standard_uncertainty": "a standard_uncertainty takes dof or reliability",
    "expanded_uncertainty": "an expanded_uncertainty takes k or coverage_probability, "
                            "and dof or reliability",
    "half_width": "a half_width takes distribution and reliability",
    "resolution": "a resolution takes reliability",
    "samples": "samples take pooled_sd and pooled_dof",
}


def _specify(budget: Budget, spec: SpecificationSpec) -> None:
    from labctl.uncertainty.decision import Specification

    unit = budget.result_unit or None
    key = ("specification",)
    nominal = None if spec.nominal is None else _quantity(spec.nominal, unit, (*key, "nominal"))
    mpe = None if spec.mpe is None else _quantity(spec.mpe, unit, (*key, "mpe"))
    lower = None if spec.lower is None else _quantity(spec.lower, unit, (*key, "lower"))
    upper = None if spec.upper is None else _quantity(spec.upper, unit, (*key, "upper"))
    try:
        if nominal is not None or mpe is not None:
            if nominal is None or mpe is None or lower is not None or upper is not None:
                raise BudgetError("give nominal and mpe, or lower and/or upper limits",
                                  key=key)
            specification = Specification.symmetric(nominal, mpe)
        else:
            specification = Specification(lower=lower, upper=upper)
    except ValueError as exc:
        raise BudgetError(str(exc), key=key) from exc
    budget.set_specification(specification, spec.rule, spec.r)
