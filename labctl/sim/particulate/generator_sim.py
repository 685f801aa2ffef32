"""A simulated aerosol generator / PM calibrator (SCPI; commands end in LF, replies in
CR LF). It drives the world's chamber (``labctl.sim.particulate.chamber``)::

    *IDN?              ->  LABCTL-SIM,AG-1000,<serial>,<firmware>
    SOUR:CONC <c>      set the PM10 mass concentration, ug/m^3 (0 .. max)
    SOUR:CONC?         ->  the set point
    OUTP ON|OFF        the aerosol output (off: the chamber is flushed with clean air)
    OUTP?              ->  1 or 0
    STAT:OPER:COND?    ->  operation status: bit 0 (1) set when the output is on and the
                           chamber has reached the set point within 1 % (or 1 ug/m^3)
    SYST:ERR?          ->  0,"No error" or the oldest error, e.g. -222,"Data out of range"
    *CLS / *RST        clear the errors / output off, set point 0

A set point outside 0 .. ``max`` is refused with -222 and leaves the set point as it was;
an unknown command queues -113,"Undefined header". Parameters: ``serial``, ``firmware``,
``max`` (default 1000 ug/m^3) and the chamber's (see the chamber module).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

from labctl.sim.device import SimDevice
from labctl.sim.params import ParamReader
from labctl.sim.particulate.chamber import CHAMBER_KEYS, Chamber, chamber_from_params
from labctl.sim.world import World

KEYS = ("serial", "firmware", "max", *CHAMBER_KEYS)


class AerosolGeneratorSim(SimDevice):
    name = "aerosol-generator"
    read_termination = b"\n"
    write_termination = b"\r\n"

    def __init__(self, world: World, chamber: Chamber, *, serial: str, firmware: str,
                 maximum: float) -> None:
        self.chamber = chamber
        self.serial, self.firmware, self.maximum = serial, firmware, maximum
        self.set_value = 0.0
        self.on = False
        self.errors: deque[str] = deque(maxlen=20)
        super().__init__(world.clock)

    def _apply(self) -> None:
        self.chamber.drive(self.set_value if self.on else 0.0)

    def handle(self, line: str) -> list[str]:
        command, _, arg = line.strip().partition(" ")
        command = command.upper()
        if command == "*IDN?":
            return [f"LABCTL-SIM,AG-1000,{self.serial},{self.firmware}"]
        if command in ("SOUR:CONC", "SOURCE:CONCENTRATION"):
            try:
                value = float(arg)
            except ValueError:
                self.errors.append('-104,"Data type error"')
                return []
            if not 0.0 <= value <= self.maximum:
                self.errors.append('-222,"Data out of range"')
                return []
            self.set_value = value
            if self.on:
                self._apply()
            return []
        if command in ("SOUR:CONC?", "SOURCE:CONCENTRATION?"):
            return [f"{self.set_value:.6g}"]
        if command in ("OUTP", "OUTPUT"):
            word = arg.strip().upper()
            if word not in ("ON", "OFF", "1", "0"):
                self.errors.append('-224,"Illegal parameter value"')
                return []
            self.on = word in ("ON", "1")
            self._apply()
            return []
        if command in ("OUTP?", "OUTPUT?"):
            return ["1" if self.on else "0"]
        if command in ("STAT:OPER:COND?", "STATUS:OPERATION:CONDITION?"):
            return ["1" if self.on and self.chamber.stable() else "0"]
        if command in ("SYST:ERR?", "SYSTEM:ERROR?"):
            return [self.errors.popleft() if self.errors else '0,"No error"']
        if command == "*CLS":
            self.errors.clear()
            return []
        if command == "*RST":
            self.on, self.set_value = False, 0.0
            self._apply()
            return []
        self.errors.append('-113,"Undefined header"')
        return []


def create(world: World, params: Mapping[str, Any]) -> AerosolGeneratorSim:
    """Simulator factory (``aerosol-generator`` in ``labctl.simulators``)."""
    r = ParamReader(params, "aerosol-generator", KEYS)
    chamber = chamber_from_params(world, params, "aerosol-generator")
    return AerosolGeneratorSim(world, chamber, serial=r.text("serial", "AG-0001"),
                               firmware=r.text("firmware", "2.0.1"),
                               maximum=r.number("max", 1000.0, unit="ug/m^3", minimum=0))
