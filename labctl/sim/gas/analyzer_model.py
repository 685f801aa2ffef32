"""What a gas analyzer under test shows, given the gas line: the physics the family's
analyzer simulators share.

The cell follows the inlet with a first-order response (``t90``; ``line.FirstOrder``);
its input is the amount fraction of the analyzer's component plus, for each other
component ``g`` in the gas, ``cross[g]`` times its fraction (cross-sensitivity). In the
analyzer's own unit (``scale``: mol/mol per displayed unit, e.g. 5e-4 for %LEL of a
5 %vol LEL) the reading is::

    shown = gain * y + offset + zero_drift_per_h * h + span_drift_per_h * h * y / FS
            + noise,   rounded to ``resolution``

``h`` the hours since the simulator started, ``FS`` the full scale (``range``). The
alarm switches on when the shown value reaches ``alarm`` and off only when it falls
below ``alarm - hysteresis``. ``true_indication()`` is the value without noise and
rounding and ``true_t90()`` the time from a step at the calibrator's outlet to 90 % of
the step (line delay + T90): the truth the tests compare results with.

Parameters (``sim:``, dimensional ones with units in the analyzer's unit): ``gain``
(1 = no error), ``offset``, ``noise`` (standard deviation), ``resolution``, ``t90``,
``zero_drift_per_h`` (e.g. ``0.5 %LEL/h``), ``span_drift_per_h`` (at full scale),
``range``, ``alarm``, ``hysteresis``, ``cross`` (mapping component -> factor),
``seed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labctl.errors import ConfigError
from labctl.sim.gas.line import FirstOrder, GasLine, line_of
from labctl.sim.params import ParamReader, device_rng
from labctl.sim.world import World

MODEL_KEYS = ("component", "gain", "offset", "noise", "resolution", "t90",
              "zero_drift_per_h", "span_drift_per_h", "range", "alarm", "hysteresis",
              "cross", "seed")


@dataclass(frozen=True)
class AnalyzerErrors:
    component: str = "CH4"
    gain: float = 1.0
    offset: float = 0.0
    noise: float = 0.0
    resolution: float = 0.1
    t90: float = 20.0
    zero_drift_per_h: float = 0.0
    span_drift_per_h: float = 0.0
    full_scale: float = 100.0
    alarm: float | None = None
    hysteresis: float = 0.0
    cross: Mapping[str, float] = field(default_factory=dict)


class AnalyzerModel:
    def __init__(self, world: World, line: GasLine, errors: AnalyzerErrors, scale: float,
                 rng: np.random.Generator) -> None:
        self.clock = world.clock
        self.errors = errors
        self.scale = scale
        self.rng = rng
        self.t_start = self.clock.now()
        self.line = line
        self.cell = FirstOrder(line, errors.t90, self._signal)
        self.alarm_on = False

    def _signal(self, composition: Mapping[str, float]) -> float:
        e = self.errors
        x = composition.get(e.component, 0.0)
        for other, k in e.cross.items():
            x += k * composition.get(other, 0.0)
        return x / self.scale

    def true_indication(self) -> float:
        e = self.errors
        now = self.clock.now()
        y = self.cell.value(now)
        h = (now - self.t_start) / 3600.0
        return (e.gain * y + e.offset + e.zero_drift_per_h * h
                + e.span_drift_per_h * h * y / e.full_scale)

    def indication(self) -> float:
        e = self.errors
        value = self.true_indication()
        if e.noise:
            value += float(self.rng.normal(0.0, e.noise))
        if e.resolution:
            value = round(value / e.resolution) * e.resolution
        if e.alarm is not None:
            if value >= e.alarm:
                self.alarm_on = True
            elif value < e.alarm - e.hysteresis:
                self.alarm_on = False
        return value

    def true_t90(self) -> float:
        return self.line.delay + self.errors.t90


def analyzer_from_params(world: World, params: Mapping[str, Any], device: str,
                         keys: tuple[str, ...], *, unit: str, scale: float,
                         model_type: type[AnalyzerModel] | None = None,
                         **defaults: Any) -> tuple[AnalyzerModel, ParamReader]:
    """An analyzer model from a ``sim:`` block; concentrations in ``unit``, ``scale``
    the amount fraction (mol/mol) one displayed unit stands for; ``model_type`` a
    subclass of ``AnalyzerModel`` with physics of its own (default: the plain model)."""
    r = ParamReader(params, device, keys)
    d = {**AnalyzerErrors().__dict__, **defaults}
    alarm = r.get("alarm", d["alarm"])
    cross = r.get("cross") or {}
    if not isinstance(cross, Mapping) or not all(isinstance(v, int | float)
                                                 for v in cross.values()):
        raise ConfigError("cross: a mapping of component -> dimensionless factor",
                          where=r.where("cross"), hint="e.g. cross: {H2: 0.5}")
    errors = AnalyzerErrors(
        component=r.text("component", d["component"]),
        gain=r.number("gain", d["gain"], minimum=0),
        offset=r.number("offset", d["offset"], unit=unit),
        noise=r.number("noise", d["noise"], unit=unit, minimum=0),
        resolution=r.number("resolution", d["resolution"], unit=unit, minimum=0),
        t90=r.number("t90", d["t90"], unit="s", minimum=0),
        zero_drift_per_h=r.number("zero_drift_per_h", d["zero_drift_per_h"], unit=unit,
                                  per_hour=True),
        span_drift_per_h=r.number("span_drift_per_h", d["span_drift_per_h"], unit=unit,
                                  per_hour=True),
        full_scale=r.number("range", d["full_scale"], unit=unit, minimum=1e-12),
        alarm=None if alarm is None else r.number("alarm", float(d["alarm"] or 0.0), unit=unit),
        hysteresis=r.number("hysteresis", d["hysteresis"], unit=unit, minimum=0),
        cross={str(k): float(v) for k, v in cross.items()})
    model = (model_type or AnalyzerModel)(world, line_of(world), errors, scale,
                                          device_rng(world, r, device))
    return model, r
