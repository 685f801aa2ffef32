"""A simulated NDIR (non-dispersive infrared) CO or CO2 analyzer: one channel, plain-text
request/reply; commands end in LF (CR LF accepted), replies in CR LF::

    *IDN?    ->  LABCTL-SIM,NDIR-2,<serial>,<firmware>
    READ?    ->  <component>,<value>,<unit>,<status>     e.g. CO2,412.3,umol/mol,OK
                 status OK; WARMUP for ``warmup`` after power-on; OVER when the value
                 is above 110 % of the range
    RANGE?   ->  <component>,<full scale>,<unit>         e.g. CO2,2000,umol/mol
    anything else -> ERR,10,UNKNOWN COMMAND

Physics: ``analyzer_model`` on the gas line (transport delay, first-order response with
``tau = t90 / ln 10``, gain, offset, zero and span drift per hour, noise, resolution,
cross-interference ``cross: {CO2: 0.002}`` of another component on this channel), plus
water vapour: the sample at the cell holds the amount fraction ``h2o`` of water vapour
(a dryer missing from the line: zero gas and span gas alike), which

- dilutes the measured component: the cell sees ``x * (1 - h2o)`` of it, and
- overlaps its absorption band: with ``cross: {H2O: k}`` the cell sees ``k * h2o`` more.

Parameters (``sim:``): ``serial``, ``firmware``, ``component`` (``CO`` or ``CO2``,
default CO2), ``unit`` (``umol/mol`` or ``%vol``: what the analyzer displays and the
unit of every concentration parameter), ``h2o`` (an amount fraction, e.g. ``1.5 %vol``;
default 0), ``warmup`` (a time, default 0 s), and those of ``analyzer_model``: ``gain``,
``offset``, ``noise``, ``resolution``, ``t90`` (default 15 s), ``zero_drift_per_h``,
``span_drift_per_h``, ``range`` (default 2000 umol/mol), ``cross``, ``seed``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, cast

from labctl.errors import ConfigError
from labctl.sim.device import SimDevice
from labctl.sim.gas.analyzer_model import MODEL_KEYS, AnalyzerModel, analyzer_from_params
from labctl.sim.params import ParamReader
from labctl.sim.world import World

DEVICE = "ndir-analyzer"
KEYS = ("serial", "firmware", "unit", "h2o", "warmup",
        *(k for k in MODEL_KEYS if k not in ("alarm", "hysteresis")))
#: the analyzer's display units: the amount fraction (mol/mol) one unit stands for
UNITS = {"umol/mol": 1e-6, "%vol": 1e-2}
COMPONENTS = ("CO", "CO2")
OVER = 1.1    # READ? says OVER above this fraction of the range


class NdirModel(AnalyzerModel):
    """The analyzer model with water vapour in the sample (``water``, mol/mol)."""

    water: float = 0.0

    def _signal(self, composition: Mapping[str, float]) -> float:
        w = self.water
        if not w:
            return super()._signal(composition)
        wet = {name: x * (1.0 - w) for name, x in composition.items()}
        wet["H2O"] = w
        return super()._signal(wet)


class NdirAnalyzerSim(SimDevice):
    name = DEVICE
    read_termination = b"\n"
    write_termination = b"\r\n"
    model_name = "NDIR-2"

    def __init__(self, world: World, model: NdirModel, *, serial: str, firmware: str,
                 unit: str, warmup: float) -> None:
        self.model = model
        self.serial, self.firmware = serial, firmware
        self.unit = unit
        self.warmup = warmup
        resolution = model.errors.resolution
        self.digits = max(0, -math.floor(math.log10(resolution) + 1e-9)) if resolution else 3
        super().__init__(world.clock)

    def handle(self, line: str) -> list[str]:
        command = line.strip().upper()
        m = self.model
        e = m.errors
        if command == "*IDN?":
            return [f"LABCTL-SIM,{self.model_name},{self.serial},{self.firmware}"]
        if command == "READ?":
            value = m.indication()
            if self.clock.now() - m.t_start < self.warmup:
                status = "WARMUP"
            elif value > OVER * e.full_scale:
                status = "OVER"
            else:
                status = "OK"
            return [f"{e.component},{value:.{self.digits}f},{self.unit},{status}"]
        if command == "RANGE?":
            return [f"{e.component},{e.full_scale:g},{self.unit}"]
        return ["ERR,10,UNKNOWN COMMAND"]


def create(world: World, params: Mapping[str, Any]) -> NdirAnalyzerSim:
    """Simulator factory (``ndir-analyzer`` in ``labctl.simulators``)."""
    head = ParamReader({k: v for k, v in params.items() if k in ("unit", "component")},
                       DEVICE, ("unit", "component"))
    unit = head.text("unit", "umol/mol")
    if unit not in UNITS:
        raise ConfigError(f"unit {unit!r}: the analyzer displays umol/mol or %vol",
                          where=head.where("unit"))
    component = head.text("component", "CO2")
    if component not in COMPONENTS:
        raise ConfigError(f"component {component!r}: an NDIR CO/CO2 analyzer measures "
                          f"{' or '.join(COMPONENTS)}", where=head.where("component"))
    full_scale = 2000.0 if unit == "umol/mol" else 20.0
    resolution = 1.0 if unit == "umol/mol" else 0.01
    built, r = analyzer_from_params(world, params, DEVICE, KEYS, unit=unit, scale=UNITS[unit],
                                    model_type=NdirModel, component=component,
                                    full_scale=full_scale, resolution=resolution, t90=15.0)
    model = cast(NdirModel, built)
    model.water = r.number("h2o", 0.0, unit="", minimum=0.0)
    if model.water >= 1.0:
        raise ConfigError(f"h2o = {model.water:g}: an amount fraction below 1",
                          where=r.where("h2o"), hint="e.g. h2o: 1.5 %vol")
    warmup = r.number("warmup", 0.0, unit="s", minimum=0.0)
    return NdirAnalyzerSim(world, model, serial=r.text("serial", "NDIR-0001"),
                           firmware=r.text("firmware", "3.1"), unit=unit, warmup=warmup)
