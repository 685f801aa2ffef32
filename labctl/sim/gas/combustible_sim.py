"""A simulated combustible-gas detector (catalytic or infrared, %LEL, with an alarm set
point). Plain-text request/reply; commands end in CR LF or LF, replies in CR LF::

    *IDN?        ->  LABCTL-SIM,CGD-100,<serial>,<firmware>
    MEAS?        ->  <value>,%LEL,<alarm>        e.g. 23.4,%LEL,0   (alarm: 1 = on)
    ALARM:SET?   ->  the alarm set point, %LEL
    RANGE?       ->  the full scale, %LEL
    anything else -> ERR,UNKNOWN COMMAND

Physics: ``analyzer_model`` (the gas line, first-order response, gain, offset, noise,
drifts, cross-sensitivity, alarm with hysteresis). The cylinder's component is seen
through ``lel`` (the component's LEL as an amount fraction, default ``5 %vol``: methane
by the convention most detectors use): ``x %LEL = fraction / lel * 100``. Parameters:
``serial``, ``firmware``, ``lel`` and those of ``analyzer_model`` (``range`` default
100 %LEL, ``alarm`` default 25 %LEL, ``hysteresis`` default 2 %LEL, ``resolution``
default 0.1 %LEL, ``t90`` default 20 s).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labctl.sim.device import SimDevice
from labctl.sim.gas.analyzer_model import MODEL_KEYS, AnalyzerModel, analyzer_from_params
from labctl.sim.params import ParamReader
from labctl.sim.world import World

KEYS = ("serial", "firmware", "lel", *MODEL_KEYS)


class CombustibleDetectorSim(SimDevice):
    name = "combustible-gas-detector"
    read_termination = b"\n"
    write_termination = b"\r\n"
    model_name = "CGD-100"
    unit_word = "%LEL"
    digits = 1

    def __init__(self, world: World, model: AnalyzerModel, *, serial: str,
                 firmware: str) -> None:
        self.model = model
        self.serial, self.firmware = serial, firmware
        super().__init__(world.clock)

    def handle(self, line: str) -> list[str]:
        command = line.strip().upper()
        m = self.model
        if command == "*IDN?":
            return [f"LABCTL-SIM,{self.model_name},{self.serial},{self.firmware}"]
        if command == "MEAS?":
            value = m.indication()
            return [f"{value:.{self.digits}f},{self.unit_word},{1 if m.alarm_on else 0}"]
        if command == "ALARM:SET?":
            return [f"{m.errors.alarm if m.errors.alarm is not None else 0.0:.1f}"]
        if command == "RANGE?":
            return [f"{m.errors.full_scale:g}"]
        return ["ERR,UNKNOWN COMMAND"]


def create(world: World, params: Mapping[str, Any]) -> CombustibleDetectorSim:
    """Simulator factory (``combustible-gas-detector`` in ``labctl.simulators``)."""
    lel = ParamReader({k: v for k, v in params.items() if k == "lel"},
                      "combustible-gas-detector", ("lel",)).number("lel", 0.05, unit="")
    model, r = analyzer_from_params(world, params, "combustible-gas-detector", KEYS,
                                    unit="%LEL", scale=lel / 100.0, full_scale=100.0,
                                    alarm=25.0, hysteresis=2.0)
    return CombustibleDetectorSim(world, model, serial=r.text("serial", "CGD-0001"),
                                  firmware=r.text("firmware", "2.3"))


class CoDetectorSim(CombustibleDetectorSim):
    """A simulated CO detector: the same line, ``MEAS?`` -> ``35,PPM,0`` (umol/mol)."""

    name = "co-detector"
    model_name = "COD-1000"
    unit_word = "PPM"
    digits = 0


CO_KEYS = tuple(k for k in KEYS if k != "lel")


def create_co(world: World, params: Mapping[str, Any]) -> CoDetectorSim:
    """Simulator factory (``co-detector`` in ``labctl.simulators``): CO in umol/mol
    (``range`` default 1000 umol/mol, ``alarm`` 50 umol/mol, ``hysteresis`` 5 umol/mol,
    ``resolution`` 1 umol/mol, ``t90`` 30 s)."""
    model, r = analyzer_from_params(world, params, "co-detector", CO_KEYS, unit="umol/mol",
                                    scale=1e-6, component="CO", full_scale=1000.0,
                                    alarm=50.0, hysteresis=5.0, resolution=1.0, t90=30.0)
    return CoDetectorSim(world, model, serial=r.text("serial", "COD-0001"),
                         firmware=r.text("firmware", "1.2"))
