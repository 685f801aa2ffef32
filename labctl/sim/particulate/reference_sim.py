"""A simulated reference PM monitor (a transfer standard traceable to the gravimetric
method), SCPI; commands end in LF, replies in CR LF::

    *IDN?         ->  LABCTL-SIM,RPM-2,<serial>,<firmware>
    MEAS:PM25?    ->  PM2.5 mass concentration, ug/m^3       35.2
    MEAS:PM10?    ->  PM10 mass concentration, ug/m^3        61.0
    MEAS:FLOW?    ->  its sampling flow, L/min                16.67
    MEAS:TEMP?    ->  sample air temperature, degC            23.1
    MEAS:PRES?    ->  sample air pressure, kPa                101.3
    SYST:ERR?     ->  0,"No error" or -113,"Undefined header"

Its inlet is dried (no humidity growth) by default. Parameters: ``serial``,
``firmware`` and those of ``monitor_model`` (``port`` defaults to ``reference``;
``t90`` to 60 s, ``resolution`` to 0.1 ug/m^3).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labctl.sim.device import SimDevice
from labctl.sim.particulate.flowmeter_sim import SAMPLERS
from labctl.sim.particulate.monitor_model import MODEL_KEYS, MonitorModel, monitor_from_params
from labctl.sim.world import World

KEYS = ("serial", "firmware", *MODEL_KEYS)


class ReferenceMonitorSim(SimDevice):
    name = "reference-pm-monitor"
    read_termination = b"\n"
    write_termination = b"\r\n"

    def __init__(self, world: World, model: MonitorModel, *, serial: str,
                 firmware: str) -> None:
        self.model = model
        self.serial, self.firmware = serial, firmware
        self.errors: list[str] = []
        super().__init__(world.clock)

    def handle(self, line: str) -> list[str]:
        command = line.strip().upper()
        m = self.model
        if command == "*IDN?":
            return [f"LABCTL-SIM,RPM-2,{self.serial},{self.firmware}"]
        if command == "MEAS:PM25?":
            return [f"{m.indication('pm25'):.2f}"]
        if command == "MEAS:PM10?":
            return [f"{m.indication('pm10'):.2f}"]
        if command == "MEAS:FLOW?":
            return [f"{m.flow_indication():.3f}"]
        if command == "MEAS:TEMP?":
            return [f"{m.chamber.temperature:.1f}"]
        if command == "MEAS:PRES?":
            return [f"{m.chamber.pressure:.2f}"]
        if command == "SYST:ERR?":
            return [self.errors.pop(0) if self.errors else '0,"No error"']
        self.errors.append('-113,"Undefined header"')
        return []


def create(world: World, params: Mapping[str, Any]) -> ReferenceMonitorSim:
    """Simulator factory (``reference-pm-monitor`` in ``labctl.simulators``)."""
    model, r = monitor_from_params(world, params, "reference-pm-monitor", KEYS,
                                   port="reference", t90=60.0, dried=True)
    world.put(SAMPLERS + model.port, model)
    return ReferenceMonitorSim(world, model, serial=r.text("serial", "RPM-0001"),
                               firmware=r.text("firmware", "3.4"))
