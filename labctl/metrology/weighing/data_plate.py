"""A scale's data plate checked against OIML R 76-1 (the class table of
``labctl/data/oiml-r76-1-2006.yaml``, read through ``scale_classes``).

The scale drivers parse the marking the bench file gives (Max, e, d, Min, class) into
numbers in the scale's unit; ``check_data_plate`` applies the regulation's rules: d <= e;
e of the form 1, 2 or 5 x 10^k; e <= Max; with a class, e = d for classes III and IIII and
d < e <= 10 d for I and II (R 76-1 3.4.2), e within the class's range and n = Max / e
within its limits (Table 3); Min defaults to Table 3's minimum capacity for the class, and
0 < Min < Max.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from labctl.errors import ConfigError
from labctl.metrology.weighing.scale_classes import ClassTable, load_class_table

_CLASS_SPELLINGS = {"1": "I", "2": "II", "3": "III", "4": "IIII"}


@dataclass(frozen=True)
class CheckedPlate:
    """The accuracy class (None when not marked) and Min (None when neither marked nor
    derivable), in the scale's unit."""

    accuracy_class: str | None
    min_load: float | None


def check_data_plate(max_v: float, e_v: float, d_v: float, *, e_grams: float,
                     accuracy_class: Any, min_v: float | None, unit: Any,
                     where: Callable[[str], str]) -> CheckedPlate:
    """Check a data plate given in ``unit`` (``e_grams``: e in grams, for the table);
    ``where(key)`` names the bench-file place of an option. ``ConfigError`` on a rule
    broken, with the clause as its hint."""
    if d_v > e_v * (1 + 1e-9):
        raise ConfigError(f"d ({d_v:g} {unit:~P}) is larger than e ({e_v:g} {unit:~P})",
                          where=where("d"), hint="OIML R76-1 requires d <= e")
    table = load_class_table()
    if not table.is_interval_value(e_grams):
        forms = ", ".join(f"{m:g}" for m in table.mantissas[:-1])
        raise ConfigError(f"e = {e_v:g} {unit:~P} is not {forms} or "
                          f"{table.mantissas[-1]:g} times a power of ten",
                          where=where("e"), hint="OIML R76-1 3.4.2")
    if e_v > max_v:
        raise ConfigError(f"e ({e_v:g} {unit:~P}) is larger than Max ({max_v:g} {unit:~P})",
                          where=where("e"))
    cls: str | None = None
    if accuracy_class is not None:
        text = str(accuracy_class).strip().upper()
        cls = _CLASS_SPELLINGS.get(text, text)
        if cls not in table.classes:
            raise ConfigError(f"unknown accuracy class {accuracy_class!r}",
                              where=where("class"), hint=f"one of {', '.join(table.classes)}")
        _check_class(table, cls, max_v, e_v, d_v, e_grams, unit, where)
    if min_v is None and cls is not None:
        min_v = table.min_capacity_in_e(cls, e_grams) * e_v
    if min_v is not None and not (0 < min_v < max_v):
        raise ConfigError(f"Min ({min_v:g} {unit:~P}) must lie between 0 and Max",
                          where=where("min"))
    return CheckedPlate(cls, min_v)


def _check_class(table: ClassTable, cls: str, max_v: float, e_v: float, d_v: float,
                 e_grams: float, unit: Any, where: Callable[[str], str]) -> None:
    if cls in table.e_equals_d and abs(d_v - e_v) > 1e-9 * e_v:
        raise ConfigError(f"class {cls} requires e = d (e = {e_v:g}, d = {d_v:g} {unit:~P})",
                          where=where("d"), hint="OIML R76-1 3.4.2")
    ratio = table.max_e_over_d
    if d_v < e_v and e_v > ratio * d_v * (1 + 1e-9):
        raise ConfigError(f"e ({e_v:g}) is more than {ratio:g} d ({d_v:g} {unit:~P})",
                          where=where("e"), hint=f"OIML R76-1 3.4.2: d < e <= {ratio:g} d")
    try:
        table.row(cls, e_grams)
    except ConfigError as exc:
        raise ConfigError(exc.message, where=where("e"), hint="OIML R76-1 table 3") from None
    n = round(max_v / e_v)
    low, high = table.n_limits(cls)
    if (low is not None and n < low) or (high is not None and n > high):
        span = (f"{low}..{high}" if low is not None and high is not None
                else f">= {low}" if low is not None else f"<= {high}")
        raise ConfigError(f"n = Max/e = {n} is outside {span} for class {cls}",
                          where=where("max"), hint="OIML R76-1 table 3")
