"""Gross errors: an indication that did not follow a change the procedure made.

A stuck instrument (a scale that reads 0 with 15 kg on it, a monitor repeating its last
frame) gives replies that look like readings. Its readings are not measurements, and a
series of them is not a repeatability of 0: the point fails, naming the instrument.

The check is family-neutral and needs no configuration. For every role, in journal
order over the finished attempts of the run, each reply (a reading's ``raw``) is noted
with the point variables it was first seen at: those of the reading's dimension (a
``load`` in kg for a reading in kg, a ``level`` in ug/m^3 for a reading in ug/m^3).
A point is a gross error of that role when every reply of the role at the point was
first seen at another point whose every such variable differs from this point's by
more than the instrument's resolution (the data plate's ``resolution``, else its ``d``,
for the instrument under test; any change for the others): the procedure changed what
the instrument measures, and it answered exactly as before. Points without a variable of
the reading's dimension, and repeated points at the same value (a repeatability series,
the way down of an up-and-down sequence), are never flagged by it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from labctl.history import Attempt, PlannedPointInfo, RunHistory

#: Data-plate keys read as the resolution of the instrument under test, in order.
RESOLUTION_KEYS: tuple[str, ...] = ("resolution", "d")


@dataclass(frozen=True)
class GrossError:
    """One point of one role whose indication did not follow the procedure's change."""

    step: str
    point: str
    role: str
    instrument: str
    reply: str
    variables: str          # this point's values, in words ("load 15 kg")
    before: str             # where the reply was first seen ("load 0.05 kg at weighing/01")

    @property
    def message(self) -> str:
        return (f"gross error: instrument {self.instrument!r} (role {self.role}) answered "
                f"{self.reply!r} at {self.variables}, exactly as at {self.before}: its "
                f"indication did not follow the change (stuck); not a measurement")

    def as_json(self) -> dict[str, Any]:
        return {"step": self.step, "point": self.point, "role": self.role,
                "instrument": self.instrument, "reply": self.reply,
                "message": self.message}


@functools.lru_cache(maxsize=256)
def _dimension(unit: str) -> Any:
    from labctl.units import parse_unit, ureg

    try:
        return ureg.Quantity(1.0, parse_unit(unit)).dimensionality
    except Exception:  # noqa: BLE001 - a unit this check cannot read: no comparison
        return None


@functools.lru_cache(maxsize=256)
def _factor(unit: str, target: str) -> float:
    from labctl.units import Q_, parse_unit

    return float(Q_(1.0, parse_unit(unit)).m_as(parse_unit(target)))


def _values(info: PlannedPointInfo, unit: str) -> dict[str, float] | None:
    """The point's variables of the dimension of ``unit``, in ``unit``; None when none."""
    dim = _dimension(unit)
    if dim is None:
        return None
    out = {}
    for name, value in (info.variables or {}).items():
        if not isinstance(value, Mapping) or value.get("value") is None:
            continue
        vunit = str(value.get("unit") or "")
        if not vunit or _dimension(vunit) != dim:
            continue
        out[name] = float(value["value"]) * _factor(vunit, unit)
    return out or None


def _resolution(history: RunHistory, role: str, unit: str) -> float:
    if role != "dut":
        return 0.0
    plate = ((history.run_started.get("dut") or {}).get("data_plate")) or {}
    for key in RESOLUTION_KEYS:
        q = plate.get(key)
        if isinstance(q, Mapping) and q.get("value") is not None:
            try:
                if _dimension(str(q.get("unit") or "")) == _dimension(unit):
                    return abs(float(q["value"])) * _factor(str(q["unit"]), unit)
            except Exception:  # noqa: BLE001, S112 - an unreadable plate entry: next key
                continue
    return 0.0


@functools.lru_cache(maxsize=256)
def _pretty(unit: str) -> str:
    from labctl.units import parse_unit

    try:
        return format(parse_unit(unit), "~P")
    except Exception:  # noqa: BLE001 - shown as journalled
        return unit


def _words(values: Mapping[str, float], unit: str) -> str:
    return ", ".join(f"{name} {v:.6g} {_pretty(unit)}" for name, v in sorted(values.items()))


def gross_errors(history: RunHistory) -> list[GrossError]:
    """The gross errors of a run (see the module's doc), in journal order."""
    attempts: list[tuple[PlannedPointInfo, Attempt]] = []
    for step in history.step_order:
        for info, done in history.finished_attempts(step):
            attempts.extend((info, a) for a in done)
    attempts.sort(key=lambda pa: pa[1].started_seq or 0)
    seen: dict[tuple[str, str], tuple[dict[str, float], str, str]] = {}
    names = {role: str(ev.get("instrument") or role)
             for role, ev in history.identified.items()}
    out: list[GrossError] = []
    for info, attempt in attempts:
        by_role: dict[str, list[Any]] = {}
        for r in attempt.readings:
            if r.raw and r.unit:
                by_role.setdefault(r.role, []).append(r)
        for role, readings in by_role.items():
            unit = readings[0].unit
            values = _values(info, unit)
            if values is None:
                continue
            resolution = _resolution(history, role, unit)
            origins = [seen.get((role, r.raw)) for r in readings]
            stuck = all(o is not None and o[1] != info.point and o[2] == unit and all(
                name in o[0] and abs(o[0][name] - v) > resolution
                for name, v in values.items()) for o in origins)
            if stuck:
                first = origins[0]
                assert first is not None
                out.append(GrossError(
                    info.step, info.point, role, names.get(role, role), readings[0].raw,
                    _words(values, unit), f"{_words(first[0], unit)} ({first[1]})"))
            for r in readings:
                seen.setdefault((role, r.raw), (values, info.point, unit))
    return out
