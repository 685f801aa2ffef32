"""How labctl writes numbers and units for people: one helper for every table and line.

Floating-point noise never reaches the screen (``0.006999999999999999`` is ``0.007``), a
rounded zero has no sign (``-0.00`` is ``0.00``), an uncertainty has two significant
digits and the value it goes with stops at the same decimal (GUM 7.2.6), a value with a
resolution (an instrument's ``d``) stops at the resolution's decimal, and units read as
people write them (``µg/m**3`` is ``µg/m³``; a temperature difference
``delta_degree_Celsius`` is ``°C``). The run summary, ``registry show``, ``reanalyse``,
the dry run's plan and the certificate all write through these functions.

Light on purpose: pint is imported only for a unit text that needs parsing.
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["counted", "decimals_of", "number_text", "quantity_text", "readable_units",
           "uncertainty_text", "unit_text", "value_text"]

#: Significant digits of a number shown without a resolution or an uncertainty.
DIGITS = 6

# Units a record or a register writes in words, as people write them.
_WORDS = {
    "delta_degree_Celsius": "°C", "delta_degC": "°C", "degree_Celsius": "°C", "degC": "°C",
    "delta_degree_Fahrenheit": "°F", "degree_Fahrenheit": "°F", "kelvin": "K",
    "percent": "%", "dimensionless": "",
}


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` things in words: ``1 record``, ``2 records``, ``0 records`` (``plural``:
    the plural when it is not ``noun`` + ``s``)."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def _clean(text: str) -> str:
    """``-0``, ``-0.00`` and the like without their sign."""
    if text.startswith("-") and set(text[1:]) <= set("0.,"):
        return text[1:]
    return text


def decimals_of(step: float) -> int:
    """The decimals that show a number to the last digit of ``step`` (0.005 -> 3)."""
    step = abs(step)
    if not step or not math.isfinite(step):
        return 0
    # round first: 0.1 * 0.05 is 0.005000000000000001, whose last digit is still 0.001
    return max(0, -math.floor(math.log10(float(f"{step:.6g}")) + 1e-9))


def number_text(value: float | None, *, resolution: float | None = None,
                digits: int = DIGITS, sign: bool = False) -> str:
    """``value`` to the decimal of ``resolution`` if given, else to ``digits``
    significant digits with trailing zeros dropped; ``-`` for None. ``sign`` writes a
    ``+`` on positive numbers."""
    if value is None:
        return "-"
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    plus = "+" if sign else ""
    if resolution:
        text = _clean(f"{value:{plus}.{decimals_of(resolution)}f}")
        return text
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if -5 <= magnitude < 15:
        decimals = max(0, digits - 1 - magnitude)
        text = f"{round(value, decimals):{plus}.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return _clean(text)
    return f"{value:{plus}.{digits}g}"


def uncertainty_text(u: float | None) -> str:
    """An uncertainty with two significant digits (GUM 7.2.6): 0.000645 -> ``0.00064``,
    1.5 -> ``1.5``, 3 -> ``3.0``, 160 -> ``160``."""
    if u is None:
        return "-"
    u = abs(float(u))
    if not u:
        return "0"
    decimals = 1 - math.floor(math.log10(u))
    if decimals >= 0:
        return f"{u:.{decimals}f}"
    return f"{round(u, decimals):.0f}"


def value_text(value: float | None, u: float | None, *, sign: bool = False) -> str:
    """A value to the last digit of its two-digit uncertainty (GUM 7.2.6); without an
    uncertainty, to ``DIGITS`` significant digits."""
    if value is None:
        return "-"
    if u:
        step = 10.0 ** math.floor(math.log10(abs(float(u)))) / 10
        return number_text(value, resolution=step, sign=sign)
    return number_text(value, sign=sign)


def unit_text(unit: Any) -> str:
    """A unit as people write it: a pint unit or a record's unit text (``µg/m**3`` ->
    ``µg/m³``, ``delta_degree_Celsius`` -> ``°C``, ``dimensionless`` -> empty)."""
    if unit is None:
        return ""
    if not isinstance(unit, str):
        text = f"{unit:~P}"
    elif unit in _WORDS:
        return _WORDS[unit]
    elif "**" in unit or "_" in unit or "delta" in unit:
        from labctl.units import parse_unit

        try:
            text = f"{parse_unit(unit):~P}"
        except Exception:  # a unit pint cannot read: as it is
            return unit
    else:
        return unit
    text = text.replace("Δ", "")
    return _WORDS.get(text, text)


def quantity_text(q: Any, unit: Any = None, *, resolution: float | None = None,
                  digits: int = DIGITS, sign: bool = False, compact: bool = False) -> str:
    """A quantity as ``number unit``: a pint quantity, a ``{value, unit}`` model or dict,
    or a number with ``unit``; ``-`` for None. ``compact`` picks the prefix that reads
    best (0.0005 kg -> 0.5 g)."""
    if q is None:
        return "-"
    if hasattr(q, "magnitude") and hasattr(q, "units"):
        if compact:
            q = q.to_compact() if q.magnitude else q
        value, unit = float(q.magnitude), q.units
    elif isinstance(q, dict):
        value, unit = q.get("value"), q.get("unit")
    elif hasattr(q, "value") and hasattr(q, "unit"):
        value, unit = q.value, q.unit
    else:
        value = q
    if value is None:
        return "-"
    if compact and isinstance(unit, str) and value:
        from labctl.units import Q_, parse_unit

        try:
            scaled = Q_(round(float(value), 12), parse_unit(unit)).to_compact()
            value, unit = float(scaled.magnitude), scaled.units
        except Exception:  # a unit pint cannot scale: as given
            pass
    number = number_text(value, resolution=resolution, digits=digits, sign=sign)
    text = unit_text(unit)
    return f"{number} {text}" if text else number


_UNIT_WORDS = re.compile(r"(?<=[0-9] )(delta_degree_Celsius|delta_degC|degree_Celsius|degC|"
                         r"delta_degree_Fahrenheit|degree_Fahrenheit)\b|"
                         r"(?<=[0-9] )([A-Za-zµ]+/m\*\*3)\b")


def readable_units(text: str) -> str:
    """Free text (a standard's description, a point's notes) with the unit words of a
    number written as people write them: ``0.2 delta_degree_Celsius`` -> ``0.2 °C``,
    ``21.8 degC`` -> ``21.8 °C``, ``3 µg/m**3`` -> ``3 µg/m³``."""
    def word(match: re.Match[str]) -> str:
        return _WORDS.get(match.group(1), "") if match.group(1) else \
            match.group(2).replace("**3", "³")
    return _UNIT_WORDS.sub(word, text)
