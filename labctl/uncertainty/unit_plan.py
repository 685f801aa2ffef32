"""The units of a budget: from each input's unit to coherent SI and back to the result's.

The model is evaluated once with pint quantities to derive the result's unit and to
refuse a model that mixes dimensions (mm + K); the plan that comes out of it (a scale and
an offset per input, and for the result) is cached per model and set of units, so building
the same kind of budget again costs no pint work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from labctl.errors import ConfigError
from labctl.uncertainty.budget_error import relocate
from labctl.uncertainty.expression import Expression
from labctl.uncertainty.inputs import Input


@dataclass(frozen=True, slots=True)
class UnitPlan:
    """How to take a budget's numbers to coherent SI units and its result back."""

    scales: tuple[float, ...]  # input unit -> coherent unit: x_si = offset + scale * x
    offsets: tuple[float, ...]
    out_scale: float
    out_offset: float
    unit: str


def _scale_offset(unit: Any) -> tuple[float, float]:
    """(scale, offset) from a pint unit to its coherent SI unit (offset: degC, degF)."""
    from labctl.units import Q_

    zero = float(Q_(0.0, unit).to_base_units().magnitude)
    one = float(Q_(1.0, unit).to_base_units().magnitude)
    return one - zero, zero


@lru_cache(maxsize=1024)
def _conversion(unit: str | None) -> tuple[float, float]:
    """(scale, offset) from the unit written ``unit`` to its coherent SI unit."""
    from labctl.units import parse_unit

    return _scale_offset(parse_unit(unit))


_PLANS: dict[tuple[Any, ...], UnitPlan] = {}


def unit_plan(expr: Expression, names: tuple[str, ...], inputs: Mapping[str, Input],
              out_unit: str | None) -> UnitPlan:
    """The plan of a model over ``inputs`` with its result in ``out_unit`` (None: the unit
    derived from the inputs'), from the cache when the same model and units came before.
    Errors are ``BudgetError`` at the key of the input, model or measurand at fault."""
    key = (expr.text, tuple(inputs[n].unit for n in names), out_unit,
           tuple(inputs[n].value for n in names if n in expr.exponent_names))
    plan = _PLANS.get(key)
    if plan is None:
        plan = _derive_units(expr, names, inputs, out_unit)
        if len(_PLANS) > 4096:
            _PLANS.clear()
        _PLANS[key] = plan
    return plan


def _derive_units(expr: Expression, names: tuple[str, ...], inputs: Mapping[str, Input],
                  out_unit: str | None) -> UnitPlan:
    from labctl.units import Q_, check_dimension, parse_unit, ureg

    scales, offsets, quantities = [], [], {}
    for n in names:
        unit = inputs[n].unit
        try:
            scale, offset = _conversion(unit)
            quantities[n] = Q_(inputs[n].value, parse_unit(unit))
        except ConfigError as err:
            raise relocate(err, ("inputs", n, "unit")) from err
        scales.append(scale)
        offsets.append(offset)
    try:
        result = expr.evaluate(quantities, backend="pint")
    except ConfigError as err:
        raise relocate(err, ("model",)) from err
    derived = getattr(result, "units", ureg.dimensionless)
    if out_unit is not None:
        try:
            target = parse_unit(out_unit)
            check_dimension(ureg.Quantity(1.0, derived), target,
                            what=f"the model's result (in {format(derived, '~C') or '1'})")
        except ConfigError as err:
            raise relocate(err, ("measurand", "unit")) from err
        unit_text = out_unit
    else:
        target = derived
        unit_text = format(derived, "~C")
    out_scale, out_offset = _scale_offset(target)
    return UnitPlan(tuple(scales), tuple(offsets), out_scale, out_offset, unit_text)
