"""Fit files: YAML in, a fitted :class:`~labctl.uncertainty.fit_result.CalibrationFit`
and the values read through it out.

A fit file is a mapping with a ``points`` key (a budget file has ``model`` and
``inputs``); ``labctl uncertainty FILE`` tells them apart by that key. The format is in
``docs/uncertainty-budgets.md``. Every mistake is a ``ConfigError`` whose message starts
with ``file:line:column`` and the key at fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from labctl.errors import ConfigError, UnitError
from labctl.uncertainty.fit import GAMMA_LIMIT, SIGNIFICANCE, fit_calibration
from labctl.uncertainty.fit_error import FitError
from labctl.uncertainty.fit_result import CalibrationFit, ReadValue
from labctl.yamlio import load_yaml, loads_yaml, validation_error, where

Number = float | str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VariableSpec(_Strict):
    name: str | None = None
    unit: str | None = None
    description: str = ""


class PointSpec(_Strict):
    x: Number
    y: Number
    u_x: Number | None = None
    u_y: Number | None = None
    note: str = ""


class ReadSpec(_Strict):
    x: Number | None = None
    y: Number | None = None
    u_x: Number | None = None
    u_y: Number | None = None
    note: str = ""


class GoodnessSpec(_Strict):
    gamma_limit: float = GAMMA_LIMIT
    significance: float = SIGNIFICANCE


class FitSpec(_Strict):
    title: str = ""
    description: str = ""
    function: str = "linear"
    direction: str = "analysis"
    origin: Number = 0.0
    covariance: str = "iso6143"
    goodness: GoodnessSpec = GoodnessSpec()
    x: VariableSpec = VariableSpec()
    y: VariableSpec = VariableSpec()
    points: list[PointSpec]
    read: list[ReadSpec] = []


@dataclass(frozen=True)
class FitFile:
    """A loaded fit file: the fit, and the values its ``read`` list asked for (with
    their covariance matrix: they share the fitted coefficients)."""

    path: str
    title: str
    description: str
    fit: CalibrationFit
    reads: tuple[ReadValue, ...]
    read_covariance: np.ndarray
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "fit", "title": self.title, **self.fit.to_dict(),
                "read": [r.to_dict() for r in self.reads],
                "read_covariance": self.read_covariance.tolist(),
                "notes": list(self.notes)}


def is_fit_file(data: Any) -> bool:
    """Whether parsed YAML is a fit file (a mapping with ``points``)."""
    return isinstance(data, dict) and "points" in data


def load_fit(path: str | Path) -> FitFile:
    """Read a fit file, fit it, read its values; any mistake is a ``ConfigError`` at
    file:line:column."""
    return fit_from_data(load_yaml(path), str(path))


def loads_fit(text: str, file: str = "<string>") -> FitFile:
    """Like :func:`load_fit`, from YAML text."""
    return fit_from_data(loads_yaml(text, file), file)


def fit_from_data(data: Any, file: str) -> FitFile:
    """A fit file from YAML already parsed by ``labctl.yamlio`` (with its locations)."""
    if not isinstance(data, dict):
        raise ConfigError("a fit file is a mapping with the keys function and points",
                          where=where(data, (), default=file),
                          hint="see docs/uncertainty-budgets.md")
    try:
        spec = FitSpec.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, data, file) from exc
    try:
        return _make(spec, file)
    except FitError as err:
        label = ".".join(str(k) for k in err.key)
        cls = UnitError if err.unit_error else ConfigError
        raise cls(f"{label}: {err.message}" if label else err.message,
                  where=where(data, err.key, default=file), hint=err.hint) from err


def _make(spec: FitSpec, file: str) -> FitFile:
    x_unit = _unit(spec.x.unit, ("x", "unit"))
    y_unit = _unit(spec.y.unit, ("y", "unit"))
    analysis = spec.direction == "analysis"
    origin_unit = y_unit if analysis else x_unit
    origin = _number(spec.origin, origin_unit, ("origin",))
    xs, ys, uxs, uys = [], [], [], []
    for i, point in enumerate(spec.points):
        key = ("points", i)
        xs.append(_number(point.x, x_unit, (*key, "x")))
        ys.append(_number(point.y, y_unit, (*key, "y")))
        uxs.append(None if point.u_x is None else _number(point.u_x, x_unit, (*key, "u_x"),
                                                          difference=True))
        uys.append(None if point.u_y is None else _number(point.u_y, y_unit, (*key, "u_y"),
                                                          difference=True))
    u_x = _all_or_none(uxs, "u_x")
    u_y = _all_or_none(uys, "u_y")
    fit = fit_calibration(
        xs, ys, u_x=u_x, u_y=u_y, function=spec.function, direction=spec.direction,
        origin=origin, covariance=spec.covariance, gamma_limit=spec.goodness.gamma_limit,
        significance=spec.goodness.significance, x_name=spec.x.name or "x",
        x_unit=x_unit or "", y_name=spec.y.name or "y", y_unit=y_unit or "")
    items = []
    for k, item in enumerate(spec.read):
        key = ("read", k)
        if (item.x is None) == (item.y is None):
            raise FitError("give x (to read y at it) or y (to read x from it), not both",
                           key=key)
        given = "x" if item.x is not None else "y"
        other = "y" if given == "x" else "x"
        if getattr(item, f"u_{other}") is not None:
            raise FitError(f"u_{other} does not go with {given}", key=(*key, f"u_{other}"),
                           hint=f"the uncertainty of the given {given} is u_{given}")
        unit = x_unit if given == "x" else y_unit
        value = _number(getattr(item, given), unit, (*key, given))
        raw_u = getattr(item, f"u_{given}")
        u = 0.0 if raw_u is None else _number(raw_u, unit, (*key, f"u_{given}"),
                                              difference=True)
        if u < 0:
            raise FitError(f"u_{given} must not be negative", key=(*key, f"u_{given}"))
        items.append((given, value, u))
    reads, cov = fit.read_values(items) if items else ([], np.zeros((0, 0)))
    notes = tuple(
        f"read[{k}]: {r.name} = {r.value:.6g} lies outside the calibration range "
        "(extrapolated)" for k, r in enumerate(reads) if r.extrapolated)
    return FitFile(file, spec.title, spec.description, fit, tuple(reads), cov, notes)


def _all_or_none(values: list[float | None], name: str) -> list[float] | None:
    given = [v is not None for v in values]
    if all(given):
        return values  # type: ignore[return-value]
    if not any(given):
        return None
    missing = given.index(False)
    raise FitError(f"{name} is missing here but given for other points",
                   key=("points", missing),
                   hint=f"give {name} for every point, or for none (exact, or unknown "
                        "and equal)")


def _unit(unit: str | None, key: tuple[Any, ...]) -> str | None:
    if unit is None:
        return None
    from labctl.units import parse_unit

    try:
        parse_unit(unit)
    except ConfigError as err:
        raise FitError(err.message, key=key, hint=err.hint, unit_error=True) from err
    return unit


def _number(raw: Any, unit: str | None, key: tuple[Any, ...], *,
            difference: bool = False) -> float:
    """A number in ``unit``, from a number or from text like "400 umol/mol". An
    uncertainty (``difference``) in an offset unit is converted as a difference."""
    if not isinstance(raw, str):
        return float(raw)
    from labctl.units import check_dimension, parse_quantity, parse_unit, to_float, ureg

    try:
        q = parse_quantity(raw)
        if q.units == ureg.dimensionless:  # a bare number (q.unitless is also true
            return float(q.magnitude)      # for nmol/mol, which must be converted)
        if unit is None:
            raise FitError(f"{raw!r} has a unit, but this variable has none",
                           key=key, hint="give the variable a unit (x: {unit: ...})",
                           unit_error=True)
        target = parse_unit(unit)
        check_dimension(q, target, what=repr(raw))
        if difference:  # 0.5 mK as an uncertainty of a value in degC is 0.0005
            one = ureg.Quantity(1.0, q.units).to(target).magnitude
            zero = ureg.Quantity(0.0, q.units).to(target).magnitude
            return float(q.magnitude * (one - zero))
        return to_float(q, target)
    except FitError:
        raise
    except ConfigError as err:
        raise FitError(err.message, key=key, hint=err.hint, unit_error=True) from err
