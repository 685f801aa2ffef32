"""A simulated gas detector under test with a Modbus RTU port: the analyzer model of
``analyzer_model`` (gas line, first-order response, gain, offset, noise, drifts,
cross-sensitivity, alarm with hysteresis) behind a register map
(``labctl.sim.modbus_slave.RegisterSlave``).

The map is the ``register_map`` parameter (default ``labctl-gd-co``; shipped in
``labctl/data/gas/modbus/``, or a file). The simulator fills ``concentration`` (in the
unit of that register: umol/mol, or %LEL of the cylinder's component through ``lel``,
default 5 %vol), ``alarm`` (1 while the alarm is on), ``range`` (the full scale),
``serial_number`` and ``firmware``.

Parameters: ``register_map``, ``unit`` (slave address, default 1), ``serial`` (a
number, default 26030311), ``firmware``, ``lel`` and those of ``analyzer_model``
(defaults: ``range`` 1000 umol/mol or 100 %LEL, ``t90`` 30 s, ``resolution`` 0.1 of the
unit, ``alarm`` 50 umol/mol or 25 %LEL).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labctl.errors import ConfigError
from labctl.sim.gas.analyzer_model import MODEL_KEYS, AnalyzerModel, analyzer_from_params
from labctl.sim.modbus_slave import RegisterSlave, check_map, slave_params
from labctl.sim.params import ParamReader
from labctl.sim.world import World
from labctl.units import parse_unit

KEYS = ("register_map", "unit", "serial", "firmware", "lel", *MODEL_KEYS)
MAP_FOLDER = "gas/modbus"


class ModbusDetectorSim(RegisterSlave):
    name = "modbus-gas-detector"

    def __init__(self, world: World, model: AnalyzerModel, registers: Any, *, unit: int,
                 serial: int, firmware: float) -> None:
        self.model = model
        values = {"concentration": model.indication,
                  "alarm": lambda: 1.0 if model.alarm_on else 0.0,
                  "range": lambda: model.errors.full_scale,
                  "serial_number": lambda: serial, "firmware": lambda: firmware}
        super().__init__(world.clock, registers, unit=unit, values=values)


def create(world: World, params: Mapping[str, Any]) -> ModbusDetectorSim:
    """Simulator factory (``modbus-gas-detector`` in ``labctl.simulators``)."""
    device = "modbus-gas-detector"
    head = ParamReader({k: v for k, v in params.items() if k in KEYS}, device, KEYS)
    ParamReader(params, device, KEYS)                      # unknown keys, with their place
    found, unit, serial, firmware = slave_params(head, device, "labctl-gd-co", MAP_FOLDER,
                                                 26030311)
    regs = found.registers
    if "concentration" not in regs.registers:
        raise ConfigError(f"register map {found.source} has no 'concentration' register",
                          where=head.where("register_map"))
    text = regs["concentration"].unit
    shown = regs["concentration"].pint_unit
    if shown == parse_unit("%LEL"):
        lel = head.number("lel", 0.05, unit="")
        scale, defaults = lel / 100.0, {"full_scale": 100.0, "alarm": 25.0,
                                        "hysteresis": 2.0, "resolution": 0.1, "t90": 20.0}
    else:
        try:
            scale = float((1.0 * shown).m_as("mol/mol"))
        except Exception:  # pint's DimensionalityError
            raise ConfigError(f"register map {found.source}: concentration in {text}: the "
                              "simulator shows an amount fraction or %LEL",
                              where=head.where("register_map")) from None
        defaults = {"full_scale": 1000e-6 / scale, "alarm": 50e-6 / scale,
                    "hysteresis": 5e-6 / scale, "resolution": 0.1e-6 / scale, "t90": 30.0}
    model, r = analyzer_from_params(world, params, device, KEYS, unit=text, scale=scale,
                                    component="CO" if shown != parse_unit("%LEL") else "CH4",
                                    **defaults)
    sim = ModbusDetectorSim(world, model, regs, unit=unit, serial=serial, firmware=firmware)
    check_map(regs, set(sim.values), device, found.source, found.data)
    return sim
