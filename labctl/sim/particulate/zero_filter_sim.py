"""A simulated zero-filter valve: a three-way valve that puts a HEPA filter in front of
a monitor's inlet (zero air) or takes it out (chamber air), SCPI::

    *IDN?            ->  LABCTL-SIM,ZV-1,<serial>,<firmware>
    VALV:FILT ON|OFF     the HEPA filter in the inlet path, or not
    VALV:FILT?       ->  1 or 0
    SYST:ERR?        ->  0,"No error" or -113,"Undefined header"

Switching is immediate: the step a response-time test needs. Parameters: ``serial``,
``firmware``, ``inlet`` (the port of the monitor whose inlet it sits on, default
``dut``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labctl.sim.device import SimDevice
from labctl.sim.params import ParamReader
from labctl.sim.particulate.chamber import WORLD_NAME, Chamber
from labctl.sim.world import World

KEYS = ("serial", "firmware", "inlet")


class ZeroFilterSim(SimDevice):
    name = "zero-filter-valve"
    read_termination = b"\n"
    write_termination = b"\r\n"

    def __init__(self, world: World, *, inlet: str, serial: str, firmware: str) -> None:
        self.world, self.inlet = world, inlet
        self.serial, self.firmware = serial, firmware
        self.errors: list[str] = []
        super().__init__(world.clock)

    @property
    def chamber(self) -> Chamber:
        return self.world.get(WORLD_NAME, lambda: Chamber(self.world))

    def handle(self, line: str) -> list[str]:
        command, _, arg = line.strip().partition(" ")
        command = command.upper()
        if command == "*IDN?":
            return [f"LABCTL-SIM,ZV-1,{self.serial},{self.firmware}"]
        if command == "VALV:FILT":
            word = arg.strip().upper()
            if word not in ("ON", "OFF", "1", "0"):
                self.errors.append('-224,"Illegal parameter value"')
                return []
            self.chamber.set_filtered(self.inlet, word in ("ON", "1"))
            return []
        if command == "VALV:FILT?":
            return ["1" if self.chamber.filtered(self.inlet) else "0"]
        if command == "SYST:ERR?":
            return [self.errors.pop(0) if self.errors else '0,"No error"']
        self.errors.append('-113,"Undefined header"')
        return []


def create(world: World, params: Mapping[str, Any]) -> ZeroFilterSim:
    """Simulator factory (``zero-filter-valve`` in ``labctl.simulators``)."""
    r = ParamReader(params, "zero-filter-valve", KEYS)
    return ZeroFilterSim(world, inlet=r.text("inlet", "dut"), serial=r.text("serial", "ZV-0001"),
                         firmware=r.text("firmware", "1.0"))
