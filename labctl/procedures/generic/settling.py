"""``settle``: wait until a meter's measurement is stable.

The measurement is sampled every ``interval``; once ``window`` of samples is in hand,
the least-squares slope and the standard deviation over the moving window are compared
with ``slope`` (a quantity per time, e.g. ``2 ug/m^3/min``) and ``sd`` (a quantity);
both given criteria must hold. Every sample is journaled (``<as>``, with the settle's
``window_s``); the end is a ``settled`` event with the slope and SD found. Past
``timeout`` the point fails with a ``RunError`` naming the instrument and what was
seen (the chamber never stabilised).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from labctl.errors import RunError
from labctl.numbers import quantity_text as qt
from labctl.procedures.action_models import Action
from labctl.procedures.execution import Execution, emit_reading
from labctl.procedures.generic.measured import check_quantity, measure
from labctl.procedures.journal import unit_text
from labctl.procedures.model_base import Scalar
from labctl.procedures.plan_data import PlannedAction
from labctl.procedures.planning import Planning


class SettleAction(Action):
    kind: ClassVar[str] = "settle"
    capability: ClassVar[str | None] = "meter"
    expressions: ClassVar[tuple[str, ...]] = ("window", "interval", "slope", "sd",
                                              "timeout")
    role: str
    quantity: str | None = None
    as_: str = Field("settle", alias="as")
    window: Scalar = "60 s"
    interval: Scalar = "5 s"
    slope: Scalar | None = None
    sd: Scalar | None = None
    timeout: Scalar = "30 min"

    def check(self, check: Any) -> None:
        if self.slope is None and self.sd is None:
            from labctl.errors import ConfigError

            raise ConfigError("settle needs a criterion: slope, sd or both",
                              where=check.where(),
                              hint="e.g. `settle: {role: reference, window: 2 min, "
                                   "slope: 2 ug/m^3/min, sd: 1 ug/m^3}`")

    def plan(self, planning: Planning, namespace: Mapping[str, Any],
             what: str) -> PlannedAction:
        check_quantity(planning.roles.get(self.role), self.role, self.quantity, self.where,
                       what)
        window = planning.seconds(self.value("window"), namespace, f"{what}: window",
                                  positive=True)
        interval = planning.seconds(self.value("interval"), namespace, f"{what}: interval",
                                    positive=True)
        if interval * 2 > window:
            raise RunError(f"{what}: the window ({window:g} s) holds fewer than 3 samples "
                           f"every {interval:g} s", where=self.where,
                           hint="widen the window or sample more often")
        slope = sd = None
        if self.slope is not None:
            slope = planning.evaluate(self.value("slope"), namespace, f"{what}: slope")
            _per_time(slope, self.where, what)
        if self.sd is not None:
            sd = planning.evaluate(self.value("sd"), namespace, f"{what}: sd")
            if not hasattr(sd, "units"):
                raise RunError(f"{what}: sd {sd!r} needs its unit", where=self.where,
                               hint="e.g. sd: 1 ug/m^3")
        timeout = planning.seconds(self.value("timeout"), namespace, f"{what}: timeout",
                                   positive=True)
        return PlannedAction(self.kind, self.where, self.role, {
            "name": self.as_, "quantity": self.quantity, "window": window,
            "interval": interval, "slope": slope, "sd": sd, "timeout": timeout})

    @classmethod
    def execute(cls, action: PlannedAction, ex: Execution) -> None:
        a = action.args
        meter = ex.instruments[action.role]
        n = int(a["window"] // a["interval"]) + 1
        times: deque[float] = deque(maxlen=n)
        values: deque[float] = deque(maxlen=n)
        start = ex.now()
        unit = None
        slope = sd = float("nan")
        while True:
            reading = measure(meter, a["quantity"], "immediate", a["interval"] * 10)
            emit_reading(ex, action.role, a["name"], reading, window_s=a["window"])
            if reading.value is not None:
                unit = unit or reading.value.units
                times.append(ex.now())
                values.append(float(reading.value.m_as(unit)))
            if len(values) == n:
                slope, sd = _slope_sd(times, values)
                if _within(a, slope, sd, unit):
                    ex.emit("settled", **ex.tags, role=action.role, name=a["name"],
                            slope={"value": slope * 60, "unit": f"{unit_text(unit)}/min"},
                            sd={"value": sd, "unit": unit_text(unit)},
                            duration=ex.now() - start)
                    return
            if ex.now() - start >= a["timeout"]:
                seen = (f"slope {slope * 60:.3g} {unit:~P}/min, SD {sd:.3g} {unit:~P}"
                        if unit is not None and len(values) == n else "too few readings")
                raise RunError(f"{action.role} did not settle within {a['timeout']:g} s "
                               f"({seen})", hint="check the source and the instrument; "
                                                 "or give settle a longer timeout")
            ex.sleep(a["interval"])

    @classmethod
    def describe(cls, action: PlannedAction) -> str:
        a = action.args
        criteria = " and ".join(c for c in (
            f"|slope| <= {qt(a['slope'])}" if a["slope"] is not None else "",
            f"SD <= {qt(a['sd'])}" if a["sd"] is not None else "") if c)
        return (f"settle {action.role}: {criteria} over {a['window']:g} s, every "
                f"{a['interval']:g} s, at most {a['timeout']:g} s")


def _per_time(slope: Any, where: str, what: str) -> None:
    """A slope is a quantity whose unit ends in a time (``ug/m^3/min``, ``uV/s``); its
    dimension against the measured quantity is checked when the first sample comes."""
    units = getattr(slope, "units", None)
    per_time = units is not None and any(
        exponent < 0 and (1 * _unit(name)).check("[time]")
        for name, exponent in units._units.items())
    if not per_time:
        raise RunError(f"{what}: slope {slope!r} is not a quantity per time", where=where,
                       hint="e.g. slope: 2 ug/m^3/min")


def _unit(name: str) -> Any:
    from labctl.units import ureg

    return ureg.Unit(name)


def _slope_sd(times: deque[float], values: deque[float]) -> tuple[float, float]:
    t = np.asarray(times) - times[0]
    v = np.asarray(values)
    slope = float(np.polyfit(t, v, 1)[0]) if np.ptp(t) > 0 else 0.0
    return slope, float(np.std(v, ddof=1))


def _within(a: Mapping[str, Any], slope: float, sd: float, unit: Any) -> bool:
    if a["slope"] is not None:
        try:
            limit = float(a["slope"].m_as(unit / _second()))
        except Exception as exc:  # pint's DimensionalityError
            raise RunError(f"settle: the slope {a['slope']:~P} is not a rate of the "
                           f"measured {unit:~P}",
                           hint=f"give the slope in {unit:~P}/min or the like") from exc
        if abs(slope) > limit:
            return False
    return a["sd"] is None or sd <= float(a["sd"].m_as(unit))


def _second() -> Any:
    from labctl.units import ureg

    return ureg.second
