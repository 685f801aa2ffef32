"""Combustible-gas detector (catalytic or infrared; %LEL; alarm set point): a plain-text
request/reply line (RS-232 or RS-485 adapter; capability ``meter``).

Command set (commands end in LF, replies in CR LF)::

    *IDN?        ->  maker,model,serial,firmware
    MEAS?        ->  <value>,%LEL,<alarm>     e.g. 23.4,%LEL,0  (alarm 1 = alarm on)
    ALARM:SET?   ->  alarm set point, %LEL
    RANGE?       ->  full scale, %LEL
    (unknown)    ->  ERR,UNKNOWN COMMAND

A reading carries the alarm state as the flag ``alarm``. Options (the data plate, as
marked on the detector): ``range`` (full scale, e.g. ``100 %LEL``), ``resolution``
(``0.1 %LEL``), ``alarm`` (set point), ``sampling`` (``diffusion`` or ``pumped``),
``component`` (the gas it is calibrated for, e.g. ``CH4``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from labctl.drivers.base import Instrument, option_quantity, quantity_maker
from labctl.drivers.capabilities import Identity, Reading
from labctl.drivers.particulate.scpi import scpi_identity
from labctl.errors import ConfigError, InstrumentError
from labctl.units import parse_unit

_UNIT = parse_unit("%LEL")
_MAKE = quantity_maker(_UNIT)


class CombustibleGasDetector(Instrument):
    capabilities = ("meter",)
    measurements: ClassVar[tuple[str, ...]] = ("concentration",)
    option_names: ClassVar[frozenset[str]] = frozenset({
        "range", "resolution", "alarm", "sampling", "component", "maker", "model"})
    error_replies: ClassVar[dict[str, str]] = {"ERR": "the detector refused the command"}

    def __init__(self, transport: Any, *, name: str, **options: Any) -> None:
        super().__init__(transport, name=name, **options)
        o = self.options
        self.full_scale = option_quantity(name, o, "range", "%LEL", "100 %LEL")
        self.resolution = option_quantity(name, o, "resolution", "%LEL", "0.1 %LEL")
        self.alarm = option_quantity(name, o, "alarm", "%LEL", None)
        self.sampling = str(o.get("sampling", "diffusion"))
        if self.sampling not in ("diffusion", "pumped"):
            raise ConfigError(f"sampling {self.sampling!r}: diffusion or pumped",
                              where=f"instrument {name!r}, option 'sampling'")

    def identify(self) -> Identity:
        return scpi_identity(self)

    def measure(self, name: str | None = None, *, stable: bool = False,
                timeout: float | None = None) -> Reading:
        if name not in (None, "concentration"):
            raise InstrumentError(f"the detector measures concentration, not {name!r}",
                                  instrument=self.name, command="measure")
        reply = self.query("MEAS?")
        parts = reply.split(",")
        try:
            value = float(parts[0])
            unit = parts[1].strip()
            alarm = parts[2].strip() == "1"
        except (ValueError, IndexError):
            raise InstrumentError("cannot read value, unit and alarm from the reply",
                                  instrument=self.name, command="MEAS?", reply=reply,
                                  hint="expected e.g. 23.4,%LEL,0") from None
        if unit.upper() != "%LEL":
            raise InstrumentError(f"the detector answered in {unit}, not %LEL",
                                  instrument=self.name, command="MEAS?", reply=reply,
                                  hint="set the detector's display unit to %LEL")
        return Reading(value=_MAKE(value), stable=None, raw=reply,
                       flags=frozenset({"alarm"}) if alarm else frozenset())

    def data_plate(self) -> dict[str, Any]:
        plate: dict[str, Any] = {"range": f"{self.full_scale.m_as(_UNIT):g} %LEL",
                                 "resolution": f"{self.resolution.m_as(_UNIT):g} %LEL",
                                 "sampling": self.sampling}
        if self.alarm is not None:
            plate["alarm"] = f"{self.alarm.m_as(_UNIT):g} %LEL"
        if self.options.get("component"):
            plate["component"] = str(self.options["component"])
        return plate
