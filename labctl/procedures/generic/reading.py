"""``read``: any measurement of a ``meter`` role, ``count`` times ``interval`` apart.

``mode: stable`` waits for the instrument's own stability (within ``timeout``);
``immediate`` takes what it shows. With ``window`` each reading is the mean of the
samples taken every ``sample_interval`` over the window: every sample is journaled
(``<as>_sample``, with its group), then the mean (``<as>``, with ``mean_of``)."""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import Field

from labctl.procedures.action_models import Action
from labctl.procedures.execution import Execution, emit_reading
from labctl.procedures.generic.measured import check_quantity, measure
from labctl.procedures.model_base import Scalar
from labctl.procedures.plan_data import PlannedAction
from labctl.procedures.planning import Planning


@dataclass(frozen=True)
class MeanReading:
    """The mean of a window's samples, journaled like a reading."""

    value: Any
    stable: bool | None
    raw: str = ""
    flags: frozenset[str] = frozenset()
    values: Mapping[str, Any] = field(default_factory=dict)


class ReadAction(Action):
    kind: ClassVar[str] = "read"
    capability: ClassVar[str | None] = "meter"
    expressions: ClassVar[tuple[str, ...]] = ("count", "interval", "timeout", "window",
                                              "sample_interval")
    role: str
    quantity: str | None = None
    as_: str = Field("indication", alias="as")
    mode: Literal["stable", "immediate"] = "stable"
    count: Scalar = 1
    interval: Scalar = "0 s"
    timeout: Scalar = "60 s"
    window: Scalar | None = None
    sample_interval: Scalar = "1 s"

    def plan(self, planning: Planning, namespace: Mapping[str, Any],
             what: str) -> PlannedAction:
        check_quantity(planning.roles.get(self.role), self.role, self.quantity, self.where,
                       what)
        args: dict[str, Any] = {
            "name": self.as_, "quantity": self.quantity, "mode": self.mode,
            "count": planning.count(self.value("count"), namespace, f"{what}: count"),
            "interval": planning.seconds(self.value("interval"), namespace,
                                         f"{what}: interval"),
            "timeout": planning.seconds(self.value("timeout"), namespace,
                                        f"{what}: timeout", positive=True),
            "window": None, "samples": 1, "sample_interval": 0.0}
        if self.window is not None:
            window = planning.seconds(self.value("window"), namespace, f"{what}: window",
                                      positive=True)
            step = planning.seconds(self.value("sample_interval"), namespace,
                                    f"{what}: sample_interval", positive=True)
            args.update(window=window, sample_interval=step,
                        samples=max(1, int(round(window / step))))
        return PlannedAction(self.kind, self.where, self.role, args)

    @classmethod
    def execute(cls, action: PlannedAction, ex: Execution) -> None:
        a = action.args
        meter = ex.instruments[action.role]
        for i in range(a["count"]):
            if i and a["interval"] > 0:
                ex.sleep(a["interval"])
            ex.before_reading()
            if a["window"] is None:
                reading = measure(meter, a["quantity"], a["mode"], a["timeout"])
                emit_reading(ex, action.role, a["name"], reading)
                continue
            samples = []
            for k in range(a["samples"]):
                if k:
                    ex.sleep(a["sample_interval"])
                sample = measure(meter, a["quantity"], a["mode"], a["timeout"])
                emit_reading(ex, action.role, f"{a['name']}_sample", sample, group=i + 1)
                samples.append(sample)
            emit_reading(ex, action.role, a["name"], mean_of(samples), mean_of=len(samples))

    @classmethod
    def describe(cls, action: PlannedAction) -> str:
        a = action.args
        times = f" x{a['count']} every {a['interval']:g} s" if a["count"] > 1 else ""
        what = f" {a['quantity']}" if a["quantity"] else ""
        window = (f", each the mean of {a['samples']} samples over {a['window']:g} s"
                  if a["window"] is not None else "")
        return f"read {action.role}{what} as {a['name']} ({a['mode']}){times}{window}"

    @classmethod
    def expected_readings(cls, action: PlannedAction) -> dict[str, int]:
        a = action.args
        counts = {a["name"]: a["count"]}
        if a["window"] is not None:
            counts[f"{a['name']}_sample"] = a["count"] * a["samples"]
        return counts


def mean_of(samples: list[Any]) -> MeanReading:
    """The mean of readings with values (None when none has one)."""
    values = [s.value for s in samples if s.value is not None]
    if not values:
        return MeanReading(None, False, f"no value among {len(samples)} samples")
    unit = values[0].units
    mean = statistics.fmean(float(v.m_as(unit)) for v in values) * unit
    stable = None if any(s.stable is None for s in samples) else all(s.stable for s in samples)
    flags = frozenset().union(*(s.flags for s in samples))
    return MeanReading(mean, stable, f"mean of {len(values)} samples", flags)
