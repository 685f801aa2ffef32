"""``record_series``: a meter's measurement sampled every ``interval`` for ``duration``,
or until it crosses a level (``until: {above: ...}`` or ``{below: ...}``). Each sample is
journaled as a reading ``<as>`` with ``elapsed`` (seconds since the series began): the
raw material of response time (T90) and drift tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field

from labctl.errors import RunError
from labctl.numbers import quantity_text as qt
from labctl.procedures.action_models import Action
from labctl.procedures.execution import Execution, emit_reading
from labctl.procedures.generic.measured import check_quantity, measure
from labctl.procedures.model_base import Scalar, _Model
from labctl.procedures.plan_data import PlannedAction
from labctl.procedures.planning import Planning


class Until(_Model):
    above: Scalar | None = None
    below: Scalar | None = None


class RecordSeriesAction(Action):
    kind: ClassVar[str] = "record_series"
    capability: ClassVar[str | None] = "meter"
    expressions: ClassVar[tuple[str, ...]] = ("interval", "duration")
    role: str
    quantity: str | None = None
    as_: str = Field("series", alias="as")
    interval: Scalar
    duration: Scalar
    until: Until | None = None

    def plan(self, planning: Planning, namespace: Mapping[str, Any],
             what: str) -> PlannedAction:
        check_quantity(planning.roles.get(self.role), self.role, self.quantity, self.where,
                       what)
        interval = planning.seconds(self.value("interval"), namespace, f"{what}: interval",
                                    positive=True)
        duration = planning.seconds(self.value("duration"), namespace, f"{what}: duration",
                                    positive=True)
        until = None
        if self.until is not None:
            given = [(k, v) for k, v in (("above", self.until.above),
                                         ("below", self.until.below)) if v is not None]
            if len(given) != 1:
                raise RunError(f"{what}: until takes one of above or below", where=self.where)
            from labctl.procedures.values import compile_value

            key, text = given[0]
            level = planning.evaluate(compile_value(text, set(namespace), where=self.where,
                                                    what=f"until {key}"), namespace,
                                      f"{what}: until {key}")
            if not hasattr(level, "units"):
                raise RunError(f"{what}: until {key} {level!r} needs its unit",
                               where=self.where)
            until = (key, level)
        return PlannedAction(self.kind, self.where, self.role, {
            "name": self.as_, "quantity": self.quantity, "interval": interval,
            "duration": duration, "until": until})

    @classmethod
    def execute(cls, action: PlannedAction, ex: Execution) -> None:
        a = action.args
        meter = ex.instruments[action.role]
        start = ex.now()
        n = int(a["duration"] // a["interval"]) + 1
        for k in range(n):
            if k:
                ex.sleep(start + k * a["interval"] - ex.now())
            reading = measure(meter, a["quantity"], "immediate", a["interval"] * 10)
            emit_reading(ex, action.role, a["name"], reading, elapsed=ex.now() - start)
            if a["until"] is not None and reading.value is not None \
                    and _crossed(a["until"], reading.value):
                return

    @classmethod
    def describe(cls, action: PlannedAction) -> str:
        a = action.args
        until = (f", until {a['until'][0]} {qt(a['until'][1])}" if a["until"] is not None
                 else "")
        what = f" {a['quantity']}" if a["quantity"] else ""
        return (f"record {action.role}{what} as {a['name']} every {a['interval']:g} s for "
                f"{a['duration']:g} s{until}")

    @classmethod
    def expected_readings(cls, action: PlannedAction) -> dict[str, int]:
        a = action.args
        if a["until"] is not None:
            return {}
        return {a["name"]: int(a["duration"] // a["interval"]) + 1}


def _crossed(until: tuple[str, Any], value: Any) -> bool:
    key, level = until
    v = float(value.m_as(level.units))
    return v > float(level.magnitude) if key == "above" else v < float(level.magnitude)
