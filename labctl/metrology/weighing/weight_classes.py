"""Maximum permissible errors of weights by accuracy class (OIML R 111-1:2004, Table 1).

The numbers live in ``labctl/data/oiml-r111-1-2004.yaml``; this module only looks them up.
A weight known by its class only (no calibration certificate) gets the standard
uncertainty MPE / sqrt(3) (rectangular distribution over +/- MPE).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING

from labctl.errors import ConfigError

if TYPE_CHECKING:
    from pint import Quantity

TABLE_FILE = "oiml-r111-1-2004.yaml"
DOCUMENT = "OIML R 111-1:2004"
CLASSES = ("E1", "E2", "F1", "F2", "M1", "M1-2", "M2", "M2-3", "M3")


@lru_cache(maxsize=1)
def _table() -> tuple[str, dict[int, dict[str, float]]]:
    """(unit of the MPE values, {nominal in micrograms: {class: MPE}})."""
    from labctl.metrology.datafiles import load_data_file
    from labctl.units import parse_quantity

    data = load_data_file("", TABLE_FILE.removesuffix(".yaml"), what="weight class table",
                          hint="the package's data files are missing: reinstall labctl")
    rows: dict[int, dict[str, float]] = {}
    for nominal, row in data["mpe"].items():
        q = parse_quantity(nominal, expect="kg", where=data["mpe"].where(nominal))
        rows[_micrograms(q)] = {cls: float(v) for cls, v in row.items()}
    return str(data["unit"]), rows


def _micrograms(q: Quantity) -> int:
    return round(float(q.to("ug").magnitude))


def weight_mpe(weight_class: str, nominal: Quantity, *, where: str | None = None) -> Quantity:
    """The MPE (absolute value) of a weight of ``weight_class`` and ``nominal`` value.

    Raises ``ConfigError`` for an unknown class, or a nominal value the table does not
    list for that class (R 111 nominal values are 1, 2 and 5 times a power of ten).
    """
    from labctl.units import Q_

    if weight_class not in CLASSES:
        raise ConfigError(f"unknown weight class {weight_class!r}", where=where,
                          hint=f"use one of {', '.join(CLASSES)}")
    unit, rows = _table()
    row = rows.get(_micrograms(nominal))
    if row is None or weight_class not in row:
        raise ConfigError(
            f"{DOCUMENT} Table 1 gives no MPE for a {nominal.magnitude:g} {nominal.units:~P} "
            f"weight of class {weight_class}",
            where=where,
            hint="give the weight's certificate values (correction, U, k) instead",
        )
    return Q_(row[weight_class], unit)


def class_uncertainty(weight_class: str, nominal: Quantity, *,
                      where: str | None = None) -> Quantity:
    """Standard uncertainty of a weight known by its class only: MPE / sqrt(3)."""
    return weight_mpe(weight_class, nominal, where=where) / math.sqrt(3)
