"""The one pint unit registry of labctl, and quantity parsing with clear errors.

Everything that carries a unit uses ``ureg``/``Q_`` from here, so quantities from
different modules can be combined. Parse unit strings once (at class definition or
file load), never per reading: parsing costs more than a loopback round trip.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import pint

from labctl.errors import UnitError


def _registry() -> pint.UnitRegistry:
    # pint's parsed definitions are cached on disk (the user cache folder): building the
    # registry then takes ~15 ms instead of ~140 ms, which every labctl command pays.
    try:
        return pint.UnitRegistry(autoconvert_offset_to_baseunit=True, cache_folder=":auto:")
    except OSError:  # no writable cache folder: parse the definitions every time
        return pint.UnitRegistry(autoconvert_offset_to_baseunit=True)


ureg = _registry()
# Metrology spellings that pint does not know out of the box.
ureg.define("percent_rh = percent = %RH")
ureg.define("ppm_v = micromole / mole")
ureg.formatter.default_format = "~P"
pint.set_application_registry(ureg)
Q_ = ureg.Quantity
Quantity = pint.Quantity
Unit = pint.Unit

_ALIASES = {
    "ug/m3": "ug/m^3",
    "mg/m3": "mg/m^3",
    "µg/m³": "ug/m^3",
    "mg/m³": "mg/m^3",
    "°C": "degC",
    "℃": "degC",
    "%": "percent",
    "%RH": "percent",
}
_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def _normalise_unit_text(text: str) -> str:
    text = text.strip()
    return _ALIASES.get(text, text.replace("µ", "u").replace("μ", "u"))


@lru_cache(maxsize=512)
def parse_unit(text: str | None, where: str | None = None) -> pint.Unit:
    """Parse a unit string ("ug/m^3", "kg", "umol/mol", "%", "" for dimensionless)."""
    if text is None or str(text).strip() in ("", "1", "dimensionless"):
        return ureg.dimensionless
    try:
        return ureg.Unit(_normalise_unit_text(str(text)))
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, ValueError,
            AttributeError, TypeError, AssertionError) as exc:
        raise UnitError(f"unknown unit {text!r}", where=where,
                        hint="write units like 'kg', 'ug/m^3', 'umol/mol', 'degC', '%'") from exc


def parse_quantity(value: Any, unit: str | None = None, *, where: str | None = None,
                   expect: str | pint.Unit | None = None) -> pint.Quantity:
    """Parse "35 ug/m^3", "10 kg", "400 umol/mol", "2 %", a bare number (with ``unit``),
    or a pint Quantity. With ``expect`` (a unit or unit string) the dimension is checked
    and a mismatch raises ``UnitError`` naming both.
    """
    if isinstance(value, pint.Quantity):
        q = value
    elif isinstance(value, bool):
        raise UnitError(f"expected a quantity, got {value!r}", where=where)
    elif isinstance(value, int | float):
        q = Q_(float(value), parse_unit(unit, where))
    elif isinstance(value, str):
        m = _NUMBER.match(value)
        if not m:
            raise UnitError(f"cannot read a quantity from {value!r}", where=where,
                            hint="write a number then a unit, e.g. '10 kg' or '35 ug/m^3'")
        number, text = m.groups()
        if text and unit:
            raise UnitError(f"{value!r} has a unit and the key 'unit' gives another ({unit!r})",
                            where=where, hint="give the unit once")
        q = Q_(float(number), parse_unit(text or unit, where))
    else:
        raise UnitError(f"expected a quantity, got {type(value).__name__} {value!r}", where=where)
    if expect is not None:
        check_dimension(q, expect, where=where)
    return q


def check_dimension(q: pint.Quantity | pint.Unit, expect: str | pint.Unit | pint.Quantity,
                    *, where: str | None = None, what: str = "quantity") -> None:
    """Raise ``UnitError`` unless ``q`` has the dimension of ``expect``."""
    target = expect if not isinstance(expect, str) else parse_unit(expect, where)
    have = q.dimensionality if hasattr(q, "dimensionality") else ureg.Unit(q).dimensionality
    want = target.dimensionality
    if have != want:
        unit = q.units if isinstance(q, pint.Quantity) else q
        like = target.units if isinstance(target, pint.Quantity) else ureg.Unit(target)
        raise UnitError(
            f"{what} in {format(unit, '~P') or 'dimensionless'} does not fit: "
            f"expected a unit of {want} like {format(like, '~P') or 'dimensionless'}",
            where=where,
        )


def to_float(q: pint.Quantity, unit: str | pint.Unit) -> float:
    """The magnitude of ``q`` in ``unit`` as a float (dimension checked by pint)."""
    try:
        return float(q.to(unit).magnitude)
    except pint.errors.DimensionalityError as exc:
        raise UnitError(f"cannot express {q:~P} in {unit}") from exc
