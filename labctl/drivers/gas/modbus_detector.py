"""Gas detectors and analyzers under test with a Modbus RTU port (capability ``meter``),
read through a register map (``labctl.drivers.modbus``), on the register maps the
particulate family's Modbus monitors use.

``labctl/data/gas/modbus/`` ships ``labctl-gd-co`` (CO in umol/mol, int16 in 0.1 steps)
and ``labctl-gd-lel`` (combustible gas in %LEL, float32 CDAB); a real detector's map is
written from its manual and named by path. The measurement is ``concentration``, in
the unit of the map's ``concentration`` register (an amount fraction or %LEL: the unit
the procedure's set points are in). A map with an ``alarm`` register raises the reading
flag ``alarm`` while it is not 0 (one more request per reading)::

    -> 01 04 00 00 00 01 31 ca             read input register 0 (concentration)
    <- 01 04 02 01 5e 39 58                350 x 0.1 = 35.0 umol/mol
    -> 01 04 00 01 00 01 60 0a             read input register 1 (alarm)
    <- 01 04 02 00 00 b9 30                0: alarm off

Options: ``register_map`` (default ``labctl-gd-co``), ``unit`` (slave address),
``maker``, ``model``, ``serial_number``, and the data plate as marked on the detector:
``range`` (full scale), ``resolution``, ``alarm`` (set point), ``sampling``
(``diffusion`` or ``pumped``), ``component``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from labctl.drivers.modbus import ModbusMeter
from labctl.drivers.options import option_quantity
from labctl.errors import ConfigError


class ModbusGasDetector(ModbusMeter):
    map_folder: ClassVar[str] = "gas/modbus"
    default_map: ClassVar[str] = "labctl-gd-co"
    required_registers: ClassVar[tuple[str, ...]] = ("concentration",)
    main_quantity: ClassVar[str] = "concentration"
    flag_registers: ClassVar[dict[str, str]] = {"alarm": "alarm"}
    default_model: ClassVar[str] = "gas detector (Modbus RTU)"
    option_names: ClassVar[frozenset[str]] = ModbusMeter.option_names | {
        "range", "resolution", "alarm", "sampling", "component"}

    def __init__(self, transport: Any, *, name: str, **options: Any) -> None:
        super().__init__(transport, name=name, **options)
        reg = self.registers["concentration"]
        if not reg.unit:
            raise ConfigError(f"register map {self.map_source}: register 'concentration' "
                              "has no unit", where=f"instrument {name!r}",
                              hint="give it the detector's unit (umol/mol, %LEL, %vol)")
        self.unit_text = reg.unit
        self._convert["concentration"] = lambda q: q
        o = self.options
        self.full_scale = option_quantity(name, o, "range", reg.unit, None)
        self.resolution = option_quantity(name, o, "resolution", reg.unit, None)
        self.alarm = option_quantity(name, o, "alarm", reg.unit, None)
        self.sampling = str(o.get("sampling", "diffusion"))
        if self.sampling not in ("diffusion", "pumped"):
            raise ConfigError(f"sampling {self.sampling!r}: diffusion or pumped",
                              where=f"instrument {name!r}, option 'sampling'")
        if self.full_scale is None:
            raise ConfigError("the detector's range (full scale) is needed",
                              where=f"instrument {name!r}, option 'range'",
                              hint=f"e.g. range: 1000 {reg.unit}, as marked on the detector")

    def data_plate(self) -> dict[str, Any]:
        unit = self.registers["concentration"].pint_unit

        def text(q: Any) -> str:
            return f"{q.m_as(unit):g} {self.unit_text}"

        plate: dict[str, Any] = {"range": text(self.full_scale), "sampling": self.sampling,
                                 "register_map": self.map_source,
                                 "modbus_unit": str(self.unit)}
        if self.resolution is not None:
            plate["resolution"] = text(self.resolution)
        if self.alarm is not None:
            plate["alarm"] = text(self.alarm)
        if self.options.get("component"):
            plate["component"] = str(self.options["component"])
        return plate
