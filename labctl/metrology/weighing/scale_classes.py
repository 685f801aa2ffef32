"""Accuracy classes of non-automatic weighing instruments: the class table of a document
(OIML R 76-1:2006 Table 3: the range of e, n = Max/e and Min per class) and its rules for
the scale intervals (e of the form 1, 2 or 5 x 10^k; e = d or d < e <= 10 d).

The numbers live in ``labctl/data/<key>.yaml`` (``oiml-r76-1-2006``); this module only
reads and looks them up. The scale drivers check a data plate with it, and the weighing
analyses take Min from it (``labctl/data/mpe/jjg539-2016.yaml`` names this table).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from labctl.errors import ConfigError

DEFAULT = "oiml-r76-1-2006"
_REL_TOL = 1e-9


@dataclass(frozen=True)
class ClassRow:
    """One row of the class table: e range (grams; None = no bound), n range, Min in e."""

    e_min: float | None
    e_max: float | None
    n_min: int | None
    n_max: int | None
    min_capacity: float

    def holds(self, e_grams: float) -> bool:
        lo = -math.inf if self.e_min is None else self.e_min * (1 - _REL_TOL)
        hi = math.inf if self.e_max is None else self.e_max * (1 + _REL_TOL)
        return lo <= e_grams <= hi

    def describe(self) -> str:
        low = "" if self.e_min is None else f"{_grams(self.e_min)} <= "
        high = "" if self.e_max is None else f" <= {_grams(self.e_max)}"
        return f"{low}e{high}"


@dataclass(frozen=True)
class ClassTable:
    """The accuracy classes of one document, as loaded from its data file."""

    key: str
    document: str
    classes: Mapping[str, tuple[ClassRow, ...]]
    mantissas: tuple[float, ...]
    e_equals_d: frozenset[str]
    max_e_over_d: float

    def rows(self, accuracy_class: str) -> tuple[ClassRow, ...]:
        rows = self.classes.get(accuracy_class)
        if not rows:
            raise ConfigError(f"{self.document} lists no accuracy class {accuracy_class!r}",
                              hint=f"classes: {', '.join(self.classes)}")
        return rows

    def row(self, accuracy_class: str, e_grams: float) -> ClassRow:
        """The row of ``accuracy_class`` whose e range holds ``e_grams``."""
        rows = self.rows(accuracy_class)
        for row in rows:
            if row.holds(e_grams):
                return row
        ranges = " or ".join(r.describe() for r in rows)
        raise ConfigError(
            f"e = {_grams(e_grams)} is outside the range {self.document} gives for class "
            f"{accuracy_class} ({ranges})")

    def min_capacity_in_e(self, accuracy_class: str, e_grams: float) -> float:
        """Minimum capacity Min, in e, for the class and the scale's e."""
        return self.row(accuracy_class, e_grams).min_capacity

    def n_limits(self, accuracy_class: str) -> tuple[int | None, int | None]:
        """The widest bounds of n = Max/e over the class's rows (None = no bound)."""
        rows = self.rows(accuracy_class)
        lows = [r.n_min for r in rows]
        highs = [r.n_max for r in rows]
        low = None if any(v is None for v in lows) else min(v for v in lows if v is not None)
        high = None if any(v is None for v in highs) else max(v for v in highs
                                                               if v is not None)
        return low, high

    def is_interval_value(self, value: float) -> bool:
        """True when ``value`` is a mantissa of the table (1, 2, 5) times a power of ten."""
        if not (value > 0 and math.isfinite(value)):
            return False
        mantissa = value / 10 ** math.floor(math.log10(value) + 1e-12)
        return any(abs(mantissa - m) < 1e-6 or abs(mantissa - 10 * m) < 1e-5
                   for m in self.mantissas)


def _grams(value: float) -> str:
    if value < 1:
        return f"{value * 1000:g} mg"
    if value >= 1000:
        return f"{value / 1000:g} kg"
    return f"{value:g} g"


def _in_grams(text: Any, where: str) -> float | None:
    if text is None:
        return None
    from labctl.units import parse_quantity

    return float(parse_quantity(text, expect="kg", where=where).m_as("g"))


def _count(value: Any) -> int | None:
    return None if value is None else int(value)


def load_class_table(key: str = DEFAULT) -> ClassTable:
    """The class table ``labctl/data/<key>.yaml`` (``key`` like ``oiml-r76-1-2006``),
    read once per process: every caller gets the same object."""
    return _load(key)


@lru_cache(maxsize=8)
def _load(key: str) -> ClassTable:
    from labctl.metrology.datafiles import load_data_file

    data = load_data_file("", key, what="class table", hint="name a file in labctl/data/")
    name = f"labctl/data/{key}.yaml"
    try:
        classes = {
            cls: tuple(
                ClassRow(_in_grams(r.get("e_min"), r.where()), _in_grams(r.get("e_max"),
                                                                         r.where()),
                         _count(r.get("n_min")), _count(r.get("n_max")),
                         float(r["min_capacity"]))
                for r in rows)
            for cls, rows in data["classes"].items()
        }
        intervals = data["scale_interval"]
        return ClassTable(
            key=key, document=str(data["document"]), classes=classes,
            mantissas=tuple(float(m) for m in intervals["mantissas"]),
            e_equals_d=frozenset(str(c) for c in intervals["e_equals_d"]),
            max_e_over_d=float(intervals["max_e_over_d"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"malformed class table: {exc}", where=name) from exc
