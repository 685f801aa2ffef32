"""A simulated mass-flow controller (ASCII poll/set-point protocol; commands and replies
end in CR). Every command starts with the unit's address letter (``address``, default
``A``); a unit ignores commands for other addresses::

    A            poll      ->  A +0.49980 +0.50000 N2      (flow, set point, L/min; gas)
    AS0.5        set point ->  the poll line (the set point is taken at once)
    AFS          full scale -> A 5.000 L/min
    AID          identity  ->  A LABCTL-SIM,MFC-5,<serial>,<firmware>
    (bad value or above full scale)  ->  A ?ERR RANGE
    (unknown)                        ->  A ?ERR CMD

The flow follows the set point with a first-order lag (``tau``, default 0.5 s) and shows
its indication with ``noise`` (L/min). Parameters: ``address``, ``serial``,
``firmware``, ``full_scale`` (L/min), ``gas``, ``tau``, ``noise``, ``seed``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from labctl.sim.device import SimDevice
from labctl.sim.params import ParamReader, device_rng
from labctl.sim.world import World

KEYS = ("address", "serial", "firmware", "full_scale", "gas", "tau", "noise", "seed")


class MassFlowControllerSim(SimDevice):
    name = "mass-flow-controller"
    read_termination = b"\r"
    write_termination = b"\r"

    def __init__(self, world: World, *, address: str, serial: str, firmware: str,
                 full_scale: float, gas: str, tau: float, noise: float,
                 rng: np.random.Generator) -> None:
        self.address, self.serial, self.firmware = address, serial, firmware
        self.full_scale, self.gas, self.tau, self.noise, self.rng = (
            full_scale, gas, tau, noise, rng)
        self.set_value = 0.0
        self._from, self._t0 = 0.0, world.clock.now()
        super().__init__(world.clock)

    def flow(self) -> float:
        dt = self.clock.now() - self._t0
        lag = math.exp(-dt / self.tau) if self.tau > 0 else 0.0
        return self.set_value + (self._from - self.set_value) * lag

    def _poll(self) -> str:
        shown = self.flow() + (float(self.rng.normal(0.0, self.noise)) if self.noise else 0.0)
        return f"{self.address} {shown:+.5f} {self.set_value:+.5f} {self.gas}"

    def handle(self, line: str) -> list[str]:
        text = line.strip()
        if not text or text[0].upper() != self.address:
            return []
        a, rest = self.address, text[1:].strip().upper()
        if rest == "":
            return [self._poll()]
        if rest == "FS":
            return [f"{a} {self.full_scale:.3f} L/min"]
        if rest == "ID":
            return [f"{a} LABCTL-SIM,MFC-5,{self.serial},{self.firmware}"]
        if rest.startswith("S"):
            try:
                value = float(rest[1:])
            except ValueError:
                return [f"{a} ?ERR RANGE"]
            if not 0.0 <= value <= self.full_scale:
                return [f"{a} ?ERR RANGE"]
            self._from, self._t0 = self.flow(), self.clock.now()
            self.set_value = value
            return [self._poll()]
        return [f"{a} ?ERR CMD"]


def create(world: World, params: Mapping[str, Any]) -> MassFlowControllerSim:
    """Simulator factory (``mass-flow-controller`` in ``labctl.simulators``)."""
    r = ParamReader(params, "mass-flow-controller", KEYS)
    address = r.text("address", "A").upper()
    return MassFlowControllerSim(
        world, address=address[:1], serial=r.text("serial", "MFC-0001"),
        firmware=r.text("firmware", "5.1"),
        full_scale=r.number("full_scale", 5.0, unit="L/min", minimum=1e-9),
        gas=r.text("gas", "N2"), tau=r.number("tau", 0.5, unit="s", minimum=0),
        noise=r.number("noise", 0.0, unit="L/min", minimum=0),
        rng=device_rng(world, r, "mass-flow-controller"))
