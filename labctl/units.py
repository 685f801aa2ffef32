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


_family_units_loaded = False


def load_family_units() -> bool:
    """Define the units families declare in the ``labctl.units`` entry-point group (each
    entry a sequence of pint definition lines, e.g. the gas family's lower explosive
    limit ``LEL``), once. True when this call defined anything."""
    global _family_units_loaded
    if _family_units_loaded:
        return False
    _family_units_loaded = True
    from importlib.metadata import entry_points

    defined = False
    for ep in entry_points(group="labctl.units"):
        for line in ep.load():
            name = line.split("=", 1)[0].strip()
            if name not in ureg:
                ureg.define(line)
                defined = True
    return defined


@lru_cache(maxsize=512)
def parse_unit(text: str | None, where: str | None = None) -> pint.Unit:
    """Parse a unit string ("ug/m^3", "kg", "umol/mol", "%", "" for dimensionless).
    A unit pint does not know is looked for among the families' units (``labctl.units``
    entry points) before it is refused."""
    if text is None or str(text).strip() in ("", "1", "dimensionless"):
        return ureg.dimensionless
    try:
        try:
            return ureg.Unit(_normalise_unit_text(str(text)))
        except pint.errors.UndefinedUnitError:
            if not load_family_units():
                raise
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
        if unit is None and expect is not None:
            require_unit(value, expect, where=where)  # a bare number where a unit is due
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


# What a dimension is called in an error, by pint's dimensionality text.
_DIMENSION_NAMES = {
    "[mass]": "a mass", "[time]": "a duration", "[temperature]": "a temperature",
    "[length]": "a length", "[mass] / [time]": "a mass per time (a drift)",
    "[current]": "an electric current", "[substance]": "an amount of substance",
    "[mass] / [length] ** 3": "a mass concentration",
}


def dimension_name(expect: str | pint.Unit) -> str:
    """``expect``'s dimension in words for an error ("a mass", "a duration"...)."""
    unit = expect if not isinstance(expect, str) else parse_unit(expect)
    if unit.dimensionless:
        return "a dimensionless number" if unit == ureg.dimensionless else \
            f"a value in {format(unit, '~P')}"
    dimensionality = str(unit.dimensionality)
    return _DIMENSION_NAMES.get(dimensionality, f"a quantity of dimension {dimensionality}")


def require_unit(value: Any, expect: str | pint.Unit, *, key: str | None = None,
                 where: str | None = None, example: str | pint.Unit | None = None) -> None:
    """Refuse (``UnitError``) a bare number where a quantity with a unit is due: ``expect``
    has a dimension (or a unit of its own, such as %). Text, quantities and the numbers of
    dimensionless values (gains, counts, seeds) pass. The message names ``key``, the
    expected dimension and, with ``example``, the unit a bare number used to be taken in."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return
    unit = expect if not isinstance(expect, str) else parse_unit(expect, where)
    if unit == ureg.dimensionless:
        return
    shown = example if example is not None else unit
    text = format(shown, "~P") if not isinstance(shown, str) else shown
    label = f"{key}: " if key else ""
    raise UnitError(f"{label}{value!r} has no unit: expected {dimension_name(unit)}",
                    where=where, hint=f"write the unit, e.g. '{value!r} {text}'")


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
