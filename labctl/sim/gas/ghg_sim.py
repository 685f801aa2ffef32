"""A simulated high-precision greenhouse-gas analyzer (CO2 in umol/mol, CH4 in
nmol/mol, dry mole fractions, and H2O in %vol), the twin of ``labctl.drivers.gas.ghg``.
Commands end in LF, replies in CR LF::

    *IDN?     ->  LABCTL-SIM,GHG-2401,<serial>,<firmware>
    MEAS?     ->  DATA,<seq>,<co2>,<ch4>,<h2o>,<status>*<cs>
    UNITS?    ->  UMOL/MOL,NMOL/MOL,%VOL
    RANGE?    ->  <co2 full scale>,<ch4 full scale>
    anything else -> ERR,UNKNOWN COMMAND

``seq`` counts the analyzer's measurements (one every ``period``, modulo 65536): two
``MEAS?`` within one period answer the same measurement. ``status`` is four hex digits
(bit 0: warming up, the first ``warmup`` after power-on). ``cs`` is two hex digits, the
XOR of every character before the ``*`` (NMEA-style).

Physics, per component (``labctl.sim.gas.analyzer_model``, its gain, offset, noise,
resolution, drifts; the cell's ``t90`` shared), on the dry amount fraction ``x`` of the
gas line, with two effects of this analyzer of its own:

- **nonlinearity**: ``+ nonlinearity * (y - nonlinearity_centre)^2`` (``nonlinearity`` in
  1/(the component's unit), written e.g. ``2e-4 mol/umol``; 0 by default), so that a
  straight line cannot fit the response;
- **water vapour dilution**: the cell sees the wet fraction ``x (1 - h2o)`` and the
  analyzer reports it divided by ``1 - water_correction * h2o``; ``water_correction``
  1 (the default) corrects exactly, another value leaves a bias of about
  ``(water_correction - 1) * h2o`` relative. Calibration gas from a cylinder is dry; the
  ``h2o`` left in the cell (a wet line, a leak) is a parameter.

``shown = gain * y + offset + nonlinearity * (y - centre)^2 + zero_drift_per_h * h +
span_drift_per_h * h * y / FS + noise``, rounded to ``resolution``, with
``y = x (1 - h2o) / (1 - water_correction * h2o)`` in the component's unit.
``channel_truth(...)`` is that without noise and rounding: what the tests compare with.

Parameters: ``serial``, ``firmware``, ``t90`` (shared cell, default 20 s), ``h2o``
(%vol, default 0), ``water_correction`` (1), ``warmup`` (0 s), ``period`` (1 s),
``seed``, and per component a mapping ``co2:`` / ``ch4:`` with ``gain``, ``offset``,
``noise``, ``resolution``, ``zero_drift_per_h``, ``span_drift_per_h``, ``range``,
``nonlinearity``, ``nonlinearity_centre`` (CO2 in umol/mol, CH4 in nmol/mol).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from labctl.errors import ConfigError
from labctl.sim.device import SimDevice
from labctl.sim.gas.analyzer_model import AnalyzerErrors, AnalyzerModel
from labctl.sim.gas.line import line_of
from labctl.sim.params import ParamReader, device_rng
from labctl.sim.world import World

KEYS = ("serial", "firmware", "t90", "h2o", "water_correction", "warmup", "period", "seed",
        "co2", "ch4")
CHANNEL_KEYS = ("gain", "offset", "noise", "resolution", "zero_drift_per_h",
                "span_drift_per_h", "range", "nonlinearity", "nonlinearity_centre")

#: component -> (its key in ``sim:``, its unit, mol/mol per unit, defaults)
CHANNELS: dict[str, tuple[str, str, float, dict[str, float]]] = {
    "CO2": ("co2", "umol/mol", 1e-6, {"resolution": 0.001, "full_scale": 1000.0,
                                      "noise": 0.02}),
    "CH4": ("ch4", "nmol/mol", 1e-9, {"resolution": 0.01, "full_scale": 5000.0,
                                      "noise": 0.3}),
}


@dataclass(frozen=True)
class Water:
    h2o: float = 0.0                 # amount fraction of water in the cell, mol/mol
    correction: float = 1.0          # the analyzer's dilution correction factor


def channel_truth(errors: AnalyzerErrors, nonlinearity: float, centre: float, water: Water,
                  y_dry: float, hours: float) -> float:
    """What a channel shows, without noise and rounding, for a settled cell holding the
    dry fraction ``y_dry`` (in the component's unit), ``hours`` after power-on."""
    y = y_dry * (1.0 - water.h2o) / (1.0 - water.correction * water.h2o)
    e = errors
    return (e.gain * y + e.offset + nonlinearity * (y - centre) ** 2
            + e.zero_drift_per_h * hours + e.span_drift_per_h * hours * y / e.full_scale)


class GhgChannel(AnalyzerModel):
    """One component of the analyzer: the shared analyzer model plus nonlinearity and
    water-vapour dilution."""

    def __init__(self, world: World, errors: AnalyzerErrors, scale: float,
                 rng: np.random.Generator, nonlinearity: float, centre: float,
                 water: Water) -> None:
        super().__init__(world, line_of(world), errors, scale, rng)
        self.nonlinearity, self.centre, self.water = nonlinearity, centre, water

    def true_indication(self) -> float:
        now = self.clock.now()
        return channel_truth(self.errors, self.nonlinearity, self.centre, self.water,
                             self.cell.value(now), (now - self.t_start) / 3600.0)


class GhgAnalyzerSim(SimDevice):
    name = "ghg-analyzer"
    read_termination = b"\n"
    write_termination = b"\r\n"

    def __init__(self, world: World, channels: Mapping[str, GhgChannel], water: Water, *,
                 serial: str, firmware: str, warmup: float, period: float) -> None:
        self.channels = dict(channels)
        self.water = water
        self.serial, self.firmware = serial, firmware
        self.warmup, self.period = warmup, period
        super().__init__(world.clock)
        self.t_start = self.clock.now()
        self._last: tuple[int, str] | None = None

    def _measurement(self) -> str:
        elapsed = self.clock.now() - self.t_start
        count = int(math.floor(elapsed / self.period + 1e-9))
        if self._last is not None and self._last[0] == count:
            return self._last[1]
        co2 = self.channels["CO2"].indication()
        ch4 = self.channels["CH4"].indication()
        status = 1 if elapsed < self.warmup else 0
        body = (f"DATA,{count % 65536:05d},{co2:.3f},{ch4:.2f},"
                f"{self.water.h2o * 100:.4f},{status:04X}")
        line = f"{body}*{checksum(body)}"
        self._last = (count, line)
        return line

    def handle(self, line: str) -> list[str]:
        command = line.strip().upper()
        if command == "*IDN?":
            return [f"LABCTL-SIM,GHG-2401,{self.serial},{self.firmware}"]
        if command == "MEAS?":
            return [self._measurement()]
        if command == "UNITS?":
            return ["UMOL/MOL,NMOL/MOL,%VOL"]
        if command == "RANGE?":
            return [f"{self.channels['CO2'].errors.full_scale:g},"
                    f"{self.channels['CH4'].errors.full_scale:g}"]
        return ["ERR,UNKNOWN COMMAND"]


def checksum(body: str) -> str:
    """Two hex digits: the XOR of the characters of ``body``."""
    value = 0
    for ch in body.encode("ascii"):
        value ^= ch
    return f"{value:02X}"


def channel_params(world: World, r: ParamReader, component: str, t90: float,
                   water: Water) -> tuple[AnalyzerErrors, float, float, GhgChannel]:
    key, unit, scale, d = CHANNELS[component]
    block = r.get(key) or {}
    if not isinstance(block, Mapping):
        raise ConfigError(f"{key}: a mapping of the {component} channel's parameters",
                          where=r.where(key), hint="e.g. co2: {gain: 1.001, offset: 0.2 umol/mol}")
    c = ParamReader(block, f"ghg-analyzer {key}", CHANNEL_KEYS)
    errors = AnalyzerErrors(
        component=component, gain=c.number("gain", 1.0, minimum=0),
        offset=c.number("offset", 0.0, unit=unit),
        noise=c.number("noise", d["noise"], unit=unit, minimum=0),
        resolution=c.number("resolution", d["resolution"], unit=unit, minimum=0),
        t90=t90,
        zero_drift_per_h=c.number("zero_drift_per_h", 0.0, unit=unit, per_hour=True),
        span_drift_per_h=c.number("span_drift_per_h", 0.0, unit=unit, per_hour=True),
        full_scale=c.number("range", d["full_scale"], unit=unit, minimum=1e-12))
    nonlinearity = c.number("nonlinearity", 0.0, unit=f"mol/{unit.split('/')[0]}")
    centre = c.number("nonlinearity_centre", 0.0, unit=unit)
    rng = device_rng(world, r, f"ghg-analyzer/{key}")
    channel = GhgChannel(world, errors, scale, rng, nonlinearity, centre, water)
    return errors, nonlinearity, centre, channel


def create(world: World, params: Mapping[str, Any]) -> GhgAnalyzerSim:
    """Simulator factory (``ghg-analyzer`` in ``labctl.simulators``)."""
    r = ParamReader(params, "ghg-analyzer", KEYS)
    h2o = r.number("h2o", 0.0, unit="%vol", minimum=0) / 100.0
    if h2o >= 0.1:
        raise ConfigError(f"h2o {h2o * 100:g} %vol: at most a few %vol of water vapour",
                          where=r.where("h2o"))
    water = Water(h2o, r.number("water_correction", 1.0, minimum=0))
    t90 = r.number("t90", 20.0, unit="s", minimum=0)
    channels = {name: channel_params(world, r, name, t90, water)[3] for name in CHANNELS}
    return GhgAnalyzerSim(world, channels, water, serial=r.text("serial", "GHG-0001"),
                          firmware=r.text("firmware", "1.7"),
                          warmup=r.number("warmup", 0.0, unit="s", minimum=0),
                          period=r.number("period", 1.0, unit="s", minimum=1e-3))
