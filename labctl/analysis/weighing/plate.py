"""The data plate of the scale under test (Max, e, d, Min, accuracy class), and unit
conversion of journal values into the plate's unit.

The analysis works in one unit per run: the unit of the scale's capacity (``kg`` for a
15 kg market scale). Journal values come with their own unit strings; conversion
factors are looked up once per unit pair.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from labctl.errors import ConfigError

CLASS_NAMES = ("I", "II", "III", "IIII")
_CLASS_ALIASES = {"1": "I", "2": "II", "3": "III", "4": "IIII"}


@lru_cache(maxsize=256)
def unit_factor(unit: str, to: str) -> float:
    """The factor that converts a value in ``unit`` into ``to`` (masses: "g" -> "kg")."""
    if unit == to:
        return 1.0
    from labctl.units import Q_, parse_unit, to_float

    return to_float(Q_(1.0, parse_unit(unit)), parse_unit(to))


def convert(value: float, unit: str, to: str) -> float:
    return value * unit_factor(unit or to, to)


def quantity_in(value: Any, to: str | None = None, *, what: str = "value") -> tuple[float, str]:
    """(magnitude, unit) of a pint Quantity, ``"15 kg"``, ``{"value": 15, "unit": "kg"}``
    or ``(15.0, "kg")``; converted into ``to`` when given."""
    if isinstance(value, tuple) and len(value) == 2:
        mag, unit = float(value[0]), str(value[1])
    elif isinstance(value, Mapping) and "value" in value:
        mag, unit = float(value["value"]), str(value.get("unit") or "")
    elif hasattr(value, "magnitude") and hasattr(value, "units"):
        mag, unit = float(value.magnitude), f"{value.units:~P}"
    elif isinstance(value, str):
        from labctl.units import parse_quantity

        q = parse_quantity(value, where=what)
        mag, unit = float(q.magnitude), f"{q.units:~P}"
    else:
        raise ConfigError(f"{what}: expected a quantity with a unit, got {value!r}")
    if to is not None and unit != to:
        return convert(mag, unit, to), to
    return mag, unit


def _field(data: Any, *names: str) -> Any:
    for name in names:
        if isinstance(data, Mapping):
            if data.get(name) is not None:
                return data[name]
        elif getattr(data, name, None) is not None:
            return getattr(data, name)
    return None


@dataclass(frozen=True)
class ScalePlate:
    """Max, e, d and Min of the scale under test, all in ``unit``; its accuracy class."""

    max: float
    e: float
    d: float
    min: float | None
    accuracy_class: str
    unit: str

    @classmethod
    def from_data(cls, dut: Any) -> ScalePlate:
        """From the ``dut`` the analysis receives: a mapping or an object with
        ``capacity`` (or ``Max``), ``e``, ``d``, ``min_load`` (or ``Min``) and
        ``accuracy_class`` (or ``class``)."""
        if isinstance(dut, ScalePlate):
            return dut
        cap = _field(dut, "capacity", "Max", "max")
        e = _field(dut, "e")
        if cap is None or e is None:
            raise ConfigError("the scale under test has no capacity (Max) or no e",
                              hint="the dut data plate needs capacity, e, d and accuracy_class")
        max_, unit = quantity_in(cap, what="dut capacity")
        d_value = _field(dut, "d")
        e_v = quantity_in(e, unit, what="dut e")[0]
        d_v = quantity_in(d_value, unit, what="dut d")[0] if d_value is not None else e_v
        min_value = _field(dut, "min_load", "Min", "min")
        min_v = quantity_in(min_value, unit, what="dut Min")[0] if min_value is not None else None
        cls_name = _field(dut, "accuracy_class", "class", "klass")
        if cls_name is None:
            raise ConfigError("the scale under test has no accuracy class",
                              hint=f"give accuracy_class, one of {', '.join(CLASS_NAMES)}")
        name = str(cls_name).strip().upper()
        name = _CLASS_ALIASES.get(name, name)
        if name not in CLASS_NAMES:
            raise ConfigError(f"unknown accuracy class {cls_name!r} of the scale under test",
                              hint=f"use one of {', '.join(CLASS_NAMES)}")
        if e_v <= 0 or d_v <= 0 or max_ <= 0:
            raise ConfigError("the scale's Max, e and d must be positive")
        return cls(max=max_, e=e_v, d=d_v, min=min_v, accuracy_class=name, unit=unit)

    def in_e(self, load: float) -> float:
        """A load in the plate's unit, in verification scale intervals."""
        return load / self.e
