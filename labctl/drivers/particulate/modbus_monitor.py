"""PM and cooking-fume monitors under test with a Modbus RTU port (capability
``meter``), read through a register map (``labctl.drivers.modbus``).

The register map says where each quantity is (``labctl/data/particulate/modbus/``
ships ``labctl-pm-100m``, ``labctl-pm-int16`` and ``labctl-fume-20m``; a real monitor's
map is written from its manual and named by path). A reading is one request::

    -> 01 04 00 00 00 02 71 cb             read input registers 0-1 (pm25, float32)
    <- 01 04 04 cc cd 42 0c 65 8e          35.2 ug/m^3 (CDAB: low word first)

    -> 01 04 00 40 00 02 70 1f             a register the monitor does not have
    <- 01 84 02 c2 c1                      ILLEGAL_DATA_ADDRESS: InstrumentError naming
                                           the instrument and the register

Options: ``register_map``, ``unit`` (slave address, default 1), ``maker``, ``model``,
``serial_number`` (when the map has no serial register), and the data plate:
``resolution`` (e.g. 0.1 ug/m^3), ``range`` (1000 ug/m^3), ``flow_nominal``
(16.67 L/min; PM monitors only).
"""

from __future__ import annotations

from typing import Any, ClassVar

from labctl.drivers.modbus import ModbusMeter
from labctl.drivers.options import option_quantity


class ModbusPmMonitor(ModbusMeter):
    map_folder: ClassVar[str] = "particulate/modbus"
    default_map: ClassVar[str] = "labctl-pm-100m"
    required_registers: ClassVar[tuple[str, ...]] = ("pm25",)
    measurement_units: ClassVar[dict[str, str]] = {
        "pm25": "ug/m^3", "pm10": "ug/m^3", "temperature": "degC", "humidity": "percent",
        "pressure": "kPa", "flow": "L/min"}
    main_quantity: ClassVar[str] = "pm25"
    default_model: ClassVar[str] = "PM monitor (Modbus RTU)"
    option_names: ClassVar[frozenset[str]] = ModbusMeter.option_names | {
        "resolution", "range", "flow_nominal"}
    #: data plate option -> (unit, default)
    plate: ClassVar[dict[str, tuple[str, str]]] = {
        "resolution": ("ug/m^3", "0.1 ug/m^3"), "range": ("ug/m^3", "1000 ug/m^3"),
        "flow_nominal": ("L/min", "16.67 L/min")}

    def data_plate(self) -> dict[str, Any]:
        out: dict[str, Any] = {"register_map": self.map_source,
                               "modbus_unit": str(self.unit)}
        for key, (unit, default) in self.plate.items():
            out[key] = option_quantity(self.name, self.options, key, unit, default)
        return out


class ModbusFumeMonitor(ModbusPmMonitor):
    default_map: ClassVar[str] = "labctl-fume-20m"
    required_registers: ClassVar[tuple[str, ...]] = ("fume",)
    measurement_units: ClassVar[dict[str, str]] = {"fume": "mg/m^3", "velocity": "m/s"}
    main_quantity: ClassVar[str] = "fume"
    default_model: ClassVar[str] = "cooking-fume monitor (Modbus RTU)"
    option_names: ClassVar[frozenset[str]] = ModbusMeter.option_names | {
        "resolution", "range"}
    plate: ClassVar[dict[str, tuple[str, str]]] = {
        "resolution": ("mg/m^3", "0.01 mg/m^3"), "range": ("mg/m^3", "20 mg/m^3")}
