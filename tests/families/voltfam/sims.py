"""The family's simulators: the calibrator drives a shared DC line (``world.get("dc_line")``),
whose voltage follows the set point with a first-order lag once the output is on; the
multimeter reads the line through its own gain, offset, noise and resolution."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from labctl.sim.device import SimDevice
from labctl.sim.world import World
from labctl.units import Q_


class DcLine:
    """The voltage on the terminals: a first-order step response to the set point."""

    def __init__(self, clock: Any, tau: float) -> None:
        self.clock, self.tau = clock, tau
        self.target, self.start, self.t0 = 0.0, 0.0, clock.now()

    def voltage(self) -> float:
        dt = self.clock.now() - self.t0
        return self.target + (self.start - self.target) * math.exp(-dt / self.tau)

    def drive(self, volts: float) -> None:
        self.start, self.t0, self.target = self.voltage(), self.clock.now(), volts


class CalibratorSim(SimDevice):
    name = "voltfam-calibrator"
    read_termination = b"\n"

    def __init__(self, world: World, line: DcLine, serial: str) -> None:
        self.line, self.serial = line, serial
        self.set_value, self.on = 0.0, False
        super().__init__(world.clock)

    def handle(self, line: str) -> list[str]:
        cmd, _, arg = line.strip().partition(" ")
        if cmd == "*IDN?":
            return [f"VOLTFAM,CAL-10,{self.serial},1.0"]
        if cmd == "SOUR:VOLT":
            self.set_value = float(arg)
            if self.on:
                self.line.drive(self.set_value)
            return []
        if cmd == "SOUR:VOLT?":
            return [f"{self.set_value:.7g}"]
        if cmd == "OUTP":
            self.on = arg.upper() == "ON"
            self.line.drive(self.set_value if self.on else 0.0)
            return []
        if cmd == "STAT:OPER:COND?":
            settled = abs(self.line.voltage() - self.line.target) < 1e-6
            return ["1" if settled else "0"]
        return []


class MultimeterSim(SimDevice):
    name = "voltfam-dmm"
    read_termination = b"\n"

    def __init__(self, world: World, line: DcLine, *, gain: float, offset: float,
                 noise: float, resolution: float, serial: str, seed: int) -> None:
        self.line = line
        self.gain, self.offset, self.noise = gain, offset, noise
        self.resolution, self.serial = resolution, serial
        self.rng = world.rng(f"voltfam-dmm/{seed}")
        super().__init__(world.clock)

    def true_indication(self) -> float:
        """What the meter would show without noise and rounding (the truth in tests)."""
        return self.line.voltage() * self.gain + self.offset

    def handle(self, line: str) -> list[str]:
        cmd = line.strip()
        if cmd == "*IDN?":
            return [f"VOLTFAM,DMM-6,{self.serial},2.1"]
        if cmd == "MEAS:VOLT:DC?":
            raw = self.true_indication() + float(self.rng.normal(0.0, self.noise))
            shown = round(raw / self.resolution) * self.resolution
            return [f"{shown:.8f}"]
        return []


def _volts(params: Mapping[str, Any], key: str, default: str) -> float:
    return float(Q_(str(params.get(key, default))).m_as("V"))


def _line(world: World, params: Mapping[str, Any]) -> DcLine:
    tau = float(Q_(str(params.get("settling_tau", "0.5 s"))).m_as("s"))
    return world.get("dc_line", lambda: DcLine(world.clock, tau))


def create_calibrator(world: World, params: Mapping[str, Any]) -> CalibratorSim:
    return CalibratorSim(world, _line(world, params), str(params.get("serial", "CAL-0001")))


def create_multimeter(world: World, params: Mapping[str, Any]) -> MultimeterSim:
    return MultimeterSim(world, _line(world, params), gain=float(params.get("gain", 1.0)),
                         offset=_volts(params, "offset", "0 V"),
                         noise=_volts(params, "noise", "0 V"),
                         resolution=_volts(params, "resolution", "10 uV"),
                         serial=str(params.get("serial", "DMM-0001")),
                         seed=int(params.get("seed", 0)))
