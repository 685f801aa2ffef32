"""Simulated PM and cooking-fume monitors under test with a Modbus RTU port: the
monitor model of ``monitor_model`` (the same physics as the HJ 212 monitor: gain,
offset, nonlinearity, noise, resolution, T90, averaging, drift, humidity growth, seed)
behind a register map (``labctl.sim.modbus_slave.RegisterSlave``: function codes 03,
04, 06, 16, exception replies).

The register map is the bench's ``register_map`` parameter: a map shipped in
``labctl/data/particulate/modbus/`` (default ``labctl-pm-100m``; ``labctl-fume-20m``
for the fume monitor) or a map file (relative to the bench file). The simulator fills:

- PM monitor: ``pm25``, ``pm10`` (the model's indications, ug/m^3), ``temperature``,
  ``humidity``, ``pressure`` (the chamber's air), ``flow`` (its own flow indication),
  ``serial_number`` and ``firmware``;
- fume monitor: ``fume`` (mg/m^3), ``velocity`` (the duct's air velocity, m/s),
  ``serial_number``, ``firmware``;

and any register the map marks ``writable`` (kept and read back). A map naming another
register is refused with its file and line.

Parameters: ``register_map``, ``unit`` (slave address, default 1), ``serial`` (a
number: the serial-number register, default 24010117 / 24020031), ``firmware`` (default
1.07) and those of ``monitor_model`` (``port`` defaults to ``dut``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from labctl.sim.modbus_slave import RegisterSlave, check_map, slave_params
from labctl.sim.particulate.flowmeter_sim import SAMPLERS
from labctl.sim.particulate.monitor_model import MODEL_KEYS, MonitorModel, monitor_from_params
from labctl.sim.world import World

MAP_FOLDER = "particulate/modbus"
KEYS = ("register_map", "unit", "serial", "firmware", *MODEL_KEYS)


class ModbusMonitorSim(RegisterSlave):
    name = "modbus-pm-monitor"

    def __init__(self, world: World, model: MonitorModel, registers: Any, *, unit: int,
                 values: Mapping[str, Callable[[], float]]) -> None:
        self.model = model
        super().__init__(world.clock, registers, unit=unit, values=values)


def pm_values(model: MonitorModel, serial: int, firmware: float
              ) -> dict[str, Callable[[], float]]:
    chamber = lambda: model.chamber  # noqa: E731 (created on first use)
    return {"pm25": lambda: model.indication("pm25"),
            "pm10": lambda: model.indication("pm10"),
            "temperature": lambda: chamber().temperature,
            "humidity": lambda: chamber().humidity,
            "pressure": lambda: chamber().pressure,
            "flow": model.flow_indication,
            "serial_number": lambda: serial, "firmware": lambda: firmware}


def fume_values(model: MonitorModel, serial: int, firmware: float
                ) -> dict[str, Callable[[], float]]:
    return {"fume": lambda: model.indication("pm10"),
            "velocity": lambda: model.chamber.velocity,
            "serial_number": lambda: serial, "firmware": lambda: firmware}


def _create(world: World, params: Mapping[str, Any], device: str, default_map: str,
            default_serial: int, values: Callable[..., dict[str, Callable[[], float]]],
            **model_defaults: Any) -> ModbusMonitorSim:
    model, r = monitor_from_params(world, params, device, KEYS, port="dut",
                                   **model_defaults)
    found, unit, serial, firmware = slave_params(r, device, default_map, MAP_FOLDER,
                                                 default_serial)
    filled = values(model, serial, firmware)
    check_map(found.registers, set(filled), device, found.source, found.data)
    sim = ModbusMonitorSim(world, model, found.registers, unit=unit, values=filled)
    sim.name = device
    return sim


def create_pm(world: World, params: Mapping[str, Any]) -> ModbusMonitorSim:
    """Simulator factory (``modbus-pm-monitor`` in ``labctl.simulators``)."""
    sim = _create(world, params, "modbus-pm-monitor", "labctl-pm-100m", 24010117,
                  pm_values, t90=120.0, resolution=0.1)
    world.put(SAMPLERS + sim.model.port, sim.model)
    return sim


def create_fume(world: World, params: Mapping[str, Any]) -> ModbusMonitorSim:
    """Simulator factory (``modbus-fume-monitor``): the duct of ``fume_sims``
    (mg/m^3, with its air velocity)."""
    from labctl.sim.particulate.fume_sims import DUCT

    return _create(world, params, "modbus-fume-monitor", "labctl-fume-20m", 24020031,
                   fume_values, unit="mg/m^3", chamber_name=DUCT, t90=60.0,
                   resolution=0.01, dried=True)
