"""The cooking-fume (oil-mist) simulators: a fume generator with a duct fan, a reference
fume instrument and an online fume monitor with an HJ 212-2017 data logger, around a
simulated duct (the chamber model under the world name ``fume-duct``, concentrations in
mg/m^3, with an air velocity).

Fume generator (SCPI; commands end in LF, replies in CR LF)::

    *IDN?              ->  LABCTL-SIM,FG-20,<serial>,<firmware>
    SOUR:CONC <c>      oil-mist mass concentration in the duct, mg/m^3 (0 .. max)
    SOUR:CONC?         ->  the set point
    SOUR:VEL <v>       duct air velocity (the fan), m/s (0 .. max_velocity)
    SOUR:VEL?          ->  the set velocity
    OUTP ON|OFF        the mist on / off (the fan keeps running)
    STAT:OPER:COND?    ->  bit 0 set when the mist is on and the duct is at its set point
    SYST:ERR?          ->  0,"No error" or -222,"Data out of range"

Reference fume instrument (SCPI)::

    *IDN?        ->  LABCTL-SIM,RFM-1,<serial>,<firmware>
    MEAS:CONC?   ->  oil-mist mass concentration, mg/m^3
    MEAS:VEL?    ->  duct air velocity, m/s

Online fume monitor: the HJ 212 logger of ``hj212_monitor_sim`` reporting ``fume``
(mg/m^3) and ``velocity`` (m/s) under the codes of its ``codes`` parameter: cooking-fume
codes differ between local platforms, so ``codes: {fume: ...}`` is required.

Parameters: the generator's ``serial``, ``firmware``, ``max`` (20 mg/m^3),
``max_velocity`` (15 m/s) and the duct's (``tau``, default 20 s; ``non_uniformity``,
``unsteady``... as the chamber's); the monitors' as ``monitor_model`` (concentrations in
mg/m^3, ``velocity_coefficient`` in s/m).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labctl.errors import ConfigError
from labctl.protocols import hj212
from labctl.sim.device import SimDevice
from labctl.sim.params import ParamReader
from labctl.sim.particulate.chamber import CHAMBER_KEYS, Chamber, chamber_from_params
from labctl.sim.particulate.generator_sim import AerosolGeneratorSim
from labctl.sim.particulate.hj212_monitor_sim import KEYS as HJ212_KEYS
from labctl.sim.particulate.hj212_monitor_sim import Hj212MonitorSim
from labctl.sim.particulate.monitor_model import MODEL_KEYS, MonitorModel, monitor_from_params
from labctl.sim.world import World

DUCT = "fume-duct"
GENERATOR_KEYS = ("serial", "firmware", "max", "max_velocity", *CHAMBER_KEYS)


class FumeGeneratorSim(AerosolGeneratorSim):
    name = "fume-generator"

    def __init__(self, world: World, duct: Chamber, *, serial: str, firmware: str,
                 maximum: float, max_velocity: float) -> None:
        super().__init__(world, duct, serial=serial, firmware=firmware, maximum=maximum)
        self.max_velocity = max_velocity

    def handle(self, line: str) -> list[str]:
        command, _, arg = line.strip().partition(" ")
        command = command.upper()
        if command == "*IDN?":
            return [f"LABCTL-SIM,FG-20,{self.serial},{self.firmware}"]
        if command == "SOUR:VEL":
            try:
                value = float(arg)
            except ValueError:
                self.errors.append('-104,"Data type error"')
                return []
            if not 0.0 <= value <= self.max_velocity:
                self.errors.append('-222,"Data out of range"')
                return []
            self.chamber.velocity = value
            return []
        if command == "SOUR:VEL?":
            return [f"{self.chamber.velocity:.6g}"]
        return super().handle(line)


class ReferenceFumeSim(SimDevice):
    name = "reference-fume-monitor"
    read_termination = b"\n"
    write_termination = b"\r\n"

    def __init__(self, world: World, model: MonitorModel, *, serial: str,
                 firmware: str) -> None:
        self.model, self.serial, self.firmware = model, serial, firmware
        super().__init__(world.clock)

    def handle(self, line: str) -> list[str]:
        command = line.strip().upper()
        if command == "*IDN?":
            return [f"LABCTL-SIM,RFM-1,{self.serial},{self.firmware}"]
        if command == "MEAS:CONC?":
            return [f"{self.model.indication('pm10'):.3f}"]
        if command == "MEAS:VEL?":
            return [f"{self.model.chamber.velocity:.2f}"]
        return []


class Hj212FumeMonitorSim(Hj212MonitorSim):
    name = "hj212-fume-monitor"

    def values(self) -> dict[str, str]:
        m = self.model
        return {"fume": f"{m.indication('pm10'):.3f}", "velocity": f"{m.chamber.velocity:.2f}"}


def create_generator(world: World, params: Mapping[str, Any]) -> FumeGeneratorSim:
    """Simulator factory (``fume-generator``)."""
    r = ParamReader(params, "fume-generator", GENERATOR_KEYS)
    duct = chamber_from_params(world, params, "fume-generator", name=DUCT, unit="mg/m^3",
                               tau=20.0)
    return FumeGeneratorSim(world, duct, serial=r.text("serial", "FG-0001"),
                            firmware=r.text("firmware", "1.3"),
                            maximum=r.number("max", 20.0, unit="mg/m^3", minimum=0),
                            max_velocity=r.number("max_velocity", 15.0, unit="m/s",
                                                  minimum=0))


def create_reference(world: World, params: Mapping[str, Any]) -> ReferenceFumeSim:
    """Simulator factory (``reference-fume-monitor``)."""
    model, r = monitor_from_params(world, params, "reference-fume-monitor",
                                   ("serial", "firmware", *MODEL_KEYS), port="reference",
                                   unit="mg/m^3", chamber_name=DUCT, t90=30.0,
                                   resolution=0.001, dried=True)
    return ReferenceFumeSim(world, model, serial=r.text("serial", "RFM-0001"),
                            firmware=r.text("firmware", "2.2"))


def create_monitor(world: World, params: Mapping[str, Any]) -> Hj212FumeMonitorSim:
    """Simulator factory (``hj212-fume-monitor``)."""
    model, r = monitor_from_params(world, params, "hj212-fume-monitor", HJ212_KEYS,
                                   port="dut", unit="mg/m^3", chamber_name=DUCT, t90=60.0,
                                   resolution=0.01, dried=True)
    codes = r.get("codes") or {}
    if not isinstance(codes, Mapping) or not codes.get("fume") \
            or set(codes) - {"fume", "velocity"}:
        raise ConfigError("codes: {fume: <code>} is required: cooking-fume codes differ "
                          "between local platforms", where=r.where("codes"),
                          hint="e.g. codes: {fume: a34xxx, velocity: a01011} as the "
                               "platform names them")
    stop = r.get("stop_after")
    return Hj212FumeMonitorSim(
        world, model, mn=r.text("mn", "LABCTL-FUME-0001"), pw=r.text("pw", "123456"),
        st=r.text("st", hj212.ST_AIR_SOURCE),
        codes={k: str(v) for k, v in codes.items()},
        upload_interval=r.number("upload_interval", 0.0, unit="s", minimum=0),
        ack=r.flag("ack", True),
        stop_after=None if stop is None else r.number("stop_after", 0.0, unit="s", minimum=0))
