"""MPE of a weighing instrument for a load, from the accuracy-class table of a document.

The numbers live in ``labctl/data/mpe/<key>.yaml`` (``jjg539-2016``: JJG 539-2016,
which uses the accuracy classes and MPE of OIML R 76-1:2006 Tables 3 and 6); this module
only reads and looks them up. Loads and MPEs in the file are in verification scale
intervals e. The class table (Table 3) is named by the file's ``classes:`` and read
through ``labctl.metrology.weighing.scale_classes``, the table the scale drivers check plates with.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from labctl.errors import ConfigError
from labctl.metrology.datafiles import load_data_file
from labctl.metrology.weighing.scale_classes import ClassTable, load_class_table

CATEGORIES = ("initial", "subsequent", "in_service")
# A load at a band limit is in the lower band; allow for float noise in load/e.
_REL_TOL = 1e-9


@dataclass(frozen=True)
class Band:
    up_to: float | None   # in e; None = open upwards
    mpe: float            # in e


@dataclass(frozen=True)
class MpeTable:
    """The metrological requirements of one document, as loaded from its data file."""

    key: str
    document: str
    bands: Mapping[str, tuple[Band, ...]]
    category_factor: Mapping[str, float]
    classes: ClassTable
    zero_setting_mpe: float
    tare_setting_mpe: float
    repetitions: Mapping[str, int]
    discrimination_added: float
    discrimination_change: float
    test_load_fraction: float
    raw: Mapping[str, Any]

    def factor(self, category: str) -> float:
        try:
            return float(self.category_factor[category])
        except KeyError:
            raise ConfigError(
                f"{self.document} has no MPE for category {category!r}",
                hint=f"use one of {', '.join(self.category_factor)}",
            ) from None

    def mpe_in_e(self, load_in_e: float, accuracy_class: str, category: str = "initial") -> float:
        """The MPE (absolute value, in e) for a load of ``load_in_e`` e."""
        bands = self._bands(accuracy_class)
        m = abs(load_in_e)
        for band in bands:
            if band.up_to is None or m <= band.up_to * (1 + _REL_TOL):
                return band.mpe * self.factor(category)
        top = bands[-1].up_to
        raise ConfigError(
            f"a load of {m:g} e is above the {self.document} table for class "
            f"{accuracy_class} (up to {top:g} e)",
            hint="check Max and e of the scale under test",
        )

    def mpe(self, load: float, e: float, accuracy_class: str, category: str = "initial") -> float:
        """The MPE for ``load`` in the unit of ``load`` and ``e``."""
        return self.mpe_in_e(load / e, accuracy_class, category) * e

    def min_capacity_in_e(self, accuracy_class: str, e: tuple[float, str]) -> float:
        """Minimum capacity Min (in e) for the class and the scale's e (Table 3)."""
        from labctl.analysis.weighing.plate import convert

        value, unit = e
        return self.classes.min_capacity_in_e(accuracy_class, convert(value, unit, "g"))

    def _bands(self, accuracy_class: str) -> tuple[Band, ...]:
        try:
            return self.bands[accuracy_class]
        except KeyError:
            raise ConfigError(
                f"{self.document} has no MPE table for accuracy class {accuracy_class!r}",
                hint=f"classes in the table: {', '.join(self.bands)}",
            ) from None


@lru_cache(maxsize=16)
def load_mpe_table(key: str) -> MpeTable:
    """The table ``labctl/data/mpe/<key>.yaml`` (``key`` like ``jjg539-2016``)."""
    data = load_data_file("mpe", key, what="MPE table",
                          hint="data.mpe names a file in labctl/data/mpe/")
    name = f"labctl/data/mpe/{key}.yaml"
    try:
        bands = {
            cls: tuple(Band(None if b["up_to"] is None else float(b["up_to"]), float(b["mpe"]))
                       for b in rows)
            for cls, rows in data["mpe"].items()
        }
        classes = load_class_table(str(data["classes"]))
        rep = data.get("repeatability") or {}
        disc = data.get("discrimination") or {}
        return MpeTable(
            key=key,
            document=str(data["document"]),
            bands=bands,
            category_factor={k: float(v) for k, v in data["category_factor"].items()},
            classes=classes,
            zero_setting_mpe=float((data.get("zero_setting") or {}).get("mpe", math.nan)),
            tare_setting_mpe=float((data.get("tare_setting") or {}).get("mpe", math.nan)),
            repetitions={k: int(v) for k, v in (rep.get("repetitions") or {}).items()},
            discrimination_added=float(disc.get("added", math.nan)),
            discrimination_change=float(disc.get("required_change", math.nan)),
            test_load_fraction=float(data["test_load_fraction_of_mpe"]),
            raw=data,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"malformed MPE table: {exc}", where=name) from exc
