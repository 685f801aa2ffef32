"""A simulated reference flowmeter on the inlet of a sampler (an ASCII line protocol of
labctl's design, documented in ``labctl.drivers.particulate.flowmeter``)::

    ID      ->  LABCTL-SIM,FM-200,<serial>,<firmware>
    FLOW    ->  FLOW +16.672 L/min      volumetric flow at the inlet, actual conditions
    TEMP    ->  TEMP +23.1 C
    PRES    ->  PRES 101.30 kPa
    other   ->  ERR unknown command

Commands end in CR LF (a bare CR or LF is accepted), replies in CR LF. It reads the flow
of the sampler at port ``inlet`` (default ``dut``), within its own gain (``gain``) and
noise (``noise``, L/min). Parameters: ``serial``, ``firmware``, ``inlet``, ``gain``,
``noise``, ``seed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labctl.sim.device import SimDevice
from labctl.sim.params import ParamReader, device_rng
from labctl.sim.particulate.chamber import WORLD_NAME, Chamber
from labctl.sim.world import World

KEYS = ("serial", "firmware", "inlet", "gain", "noise", "seed")
SAMPLERS = "particulate-sampler/"   # + port: the monitor model a flowmeter can sit on


class FlowmeterSim(SimDevice):
    name = "reference-flowmeter"
    read_termination = b"\r\n"
    write_termination = b"\r\n"

    def __init__(self, world: World, *, inlet: str, gain: float, noise: float, rng: Any,
                 serial: str, firmware: str) -> None:
        self.world, self.inlet = world, inlet
        self.gain, self.noise, self.rng = gain, noise, rng
        self.serial, self.firmware = serial, firmware
        super().__init__(world.clock)

    def flow(self) -> float:
        sampler = self.world.get(SAMPLERS + self.inlet, lambda: None)
        if sampler is None:
            return 0.0          # nothing on the other end: no flow
        value = sampler.actual_flow() * self.gain
        if self.noise:
            value += float(self.rng.normal(0.0, self.noise))
        return value

    def handle(self, line: str) -> list[str]:
        command = line.strip().upper()
        chamber: Chamber = self.world.get(WORLD_NAME, lambda: Chamber(self.world))
        if command == "ID":
            return [f"LABCTL-SIM,FM-200,{self.serial},{self.firmware}"]
        if command == "FLOW":
            return [f"FLOW {self.flow():+.3f} L/min"]
        if command == "TEMP":
            return [f"TEMP {chamber.temperature:+.1f} C"]
        if command == "PRES":
            return [f"PRES {chamber.pressure:.2f} kPa"]
        return ["ERR unknown command"]


def create(world: World, params: Mapping[str, Any]) -> FlowmeterSim:
    """Simulator factory (``reference-flowmeter`` in ``labctl.simulators``)."""
    r = ParamReader(params, "reference-flowmeter", KEYS)
    return FlowmeterSim(world, inlet=r.text("inlet", "dut"), gain=r.number("gain", 1.0),
                        noise=r.number("noise", 0.0, unit="L/min", minimum=0),
                        rng=device_rng(world, r, "reference-flowmeter"),
                        serial=r.text("serial", "FM-0001"), firmware=r.text("firmware", "1.1"))
