"""The plan's values: a procedure's compiled ``Value`` evaluated in the namespace of a
point, and checked to be a quantity of a unit, a duration in seconds, or a count; every
refusal a ``RunError`` at the value's place in the procedure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labctl.errors import LabctlError, RunError
from labctl.procedures.values import Value


def evaluate(value: Value, namespace: Mapping[str, Any], what: str) -> Any:
    try:
        return value.evaluate(namespace)
    except LabctlError as exc:
        raise RunError(f"{what} {str(value)!r}: {exc.message}", where=value.where,
                       hint=exc.hint) from None


def quantity(value: Value, namespace: Mapping[str, Any], expect: str, what: str) -> Any:
    from labctl.units import check_dimension, dimension_name, parse_unit

    result = evaluate(value, namespace, what)
    if not hasattr(result, "dimensionality"):
        raise RunError(f"{what} {str(value)!r} is {result!r}, expected "
                       f"{dimension_name(expect)} like '2 {expect}'", where=value.where)
    try:
        check_dimension(result, parse_unit(expect), what=f"{what} {str(value)!r}")
    except LabctlError as exc:
        raise RunError(exc.message, where=value.where, hint=exc.hint) from None
    return result


def seconds(value: Value, namespace: Mapping[str, Any], what: str, *,
             positive: bool = False) -> float:
    seconds = float(quantity(value, namespace, "s", what).to("s").magnitude)
    if seconds < 0 or (positive and seconds == 0):
        raise RunError(f"{what} {str(value)!r} must be {'more than' if positive else 'at least'}"
                       f" 0 s", where=value.where)
    return seconds


def count(value: Value, namespace: Mapping[str, Any], what: str) -> int:
    result = evaluate(value, namespace, what)
    if hasattr(result, "dimensionality"):
        if not result.dimensionless:
            raise RunError(f"{what} {str(value)!r} must be a plain number",
                           where=value.where)
        result = result.to("").magnitude
    if isinstance(result, bool) or not isinstance(result, int | float) or result < 1 \
            or float(result) != int(result):
        raise RunError(f"{what} {str(value)!r} must be a whole number of at least 1",
                       where=value.where)
    return int(result)
