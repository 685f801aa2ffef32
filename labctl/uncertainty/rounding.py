"""Stating a result: uncertainties to two significant digits, values to match (GUM 7.2.6).

Rounding modes for an uncertainty (``ROUNDING``):

* ``"gum"`` (default), GUM 7.2.6 read literally: round *up* ("u_c = 10.47 mOhm might be
  rounded up to 11 mOhm"), but where the digits dropped are below a tenth of the last
  digit kept, round down ("common sense should prevail and 28.05 kHz should be rounded
  down to 28 kHz");
* ``"up"``: always up (DKD-L 13-3, NIST GLP 9 option A), never stating less than evaluated;
* ``"nearest"``: to the nearest digit.

The value is rounded to the same decimal place as its uncertainty. Digits are grouped
in threes with a space ("50.000 838 mm"), as the GUM prints them. These functions only
format: results and JSON keep every digit.
"""

from __future__ import annotations

import math
from typing import Any


def decimals_for(uncertainty: float, digits: int = 2) -> int:
    """Decimal places that give ``uncertainty`` ``digits`` significant digits (may be < 0)."""
    if not math.isfinite(uncertainty) or uncertainty <= 0:
        return 6
    return digits - 1 - math.floor(math.log10(uncertainty))


ROUNDING: tuple[str, ...] = ("gum", "up", "nearest")


def round_up(uncertainty: float, digits: int = 2, mode: str = "gum") -> tuple[float, int]:
    """``uncertainty`` rounded to ``digits`` significant digits by ``mode`` (see the module
    documentation), and its number of decimals.

    A relative slack of 1e-9 keeps exact values (0.25 stays 0.25, not 0.26).
    """
    if mode not in ROUNDING:
        raise ValueError(f"unknown rounding {mode!r}; use one of {', '.join(ROUNDING)}")
    decimals = decimals_for(uncertainty, digits)
    if not math.isfinite(uncertainty) or uncertainty <= 0:
        return uncertainty, decimals
    scale = 10.0 ** decimals
    scaled = uncertainty * scale
    if mode == "nearest":
        rounded = math.floor(scaled + 0.5) / scale
    elif mode == "gum" and scaled - math.floor(scaled) < 0.1:
        rounded = math.floor(scaled) / scale
    else:
        rounded = math.ceil(scaled * (1.0 - 1e-9)) / scale
    # rounding up may carry into one more digit (9.96 -> 10): recount the decimals
    decimals = decimals_for(rounded, digits)
    return rounded, decimals


def group(text: str) -> str:
    """Group the digits of a plain decimal number in threes: 10000.025 -> 10 000.025."""
    sign = "-" if text.startswith("-") else ""
    body = text.lstrip("+-")
    whole, _, fraction = body.partition(".")
    if len(whole) > 4:
        head = len(whole) % 3 or 3
        whole = " ".join([whole[:head]] + [whole[i:i + 3] for i in range(head, len(whole), 3)])
    if len(fraction) > 4:
        fraction = " ".join(fraction[i:i + 3] for i in range(0, len(fraction), 3))
    return sign + whole + ("." + fraction if fraction else "")


def fixed(x: float, decimals: int, grouped: bool = True) -> str:
    """``x`` with ``decimals`` decimal places (a negative count rounds to tens, hundreds...)."""
    text = f"{round(x, decimals):.0f}" if decimals < 0 else f"{x:.{decimals}f}"
    if text.startswith("-") and float(text) == 0.0:
        text = text[1:]
    return group(text) if grouped else text


def compact(value: float, unit: str) -> tuple[float, str]:
    """Express a magnitude in ``unit`` with the SI prefix that makes it readable
    (3.2e-5 mm -> 32 nm). Units with several factors, powers or offsets are kept."""
    from labctl.units import Q_, parse_unit

    if not unit or not math.isfinite(value) or value == 0:
        return value, unit
    try:
        u = parse_unit(unit)
        items = dict(u._units)
        if len(items) != 1 or next(iter(items.values())) != 1 or "percent" in items:
            return value, unit
        q = Q_(value, u).to_compact()
        return float(q.magnitude), format(q.units, "~C")
    except Exception:  # formatting only; keep the unit as given
        return value, unit


def scale_to(value: float, unit: str, target: str) -> float:
    """``value`` in ``unit`` expressed in ``target`` (a multiplicative conversion)."""
    from labctl.units import Q_, parse_unit

    if unit == target:
        return value
    return float(Q_(value, parse_unit(unit)).to(parse_unit(target)).magnitude)


def state(value: float, uncertainty: float, unit: str, digits: int = 2,
          mode: str = "gum") -> dict[str, Any]:
    """Texts for a value and an uncertainty: the value in ``unit`` to the decimals of the
    uncertainty, and the uncertainty rounded (``mode``) in a readable prefixed unit."""
    u_unit_value, u_unit = compact(uncertainty, unit)
    u_rounded, u_decimals = round_up(u_unit_value, digits, mode)
    in_unit = scale_to(u_rounded, u_unit, unit) if u_unit != unit else u_rounded
    value_decimals = decimals_for(in_unit, digits)
    return {
        "value": fixed(value, value_decimals),
        "uncertainty": fixed(u_rounded, u_decimals),
        "uncertainty_unit": u_unit,
        "unit": unit,
    }
