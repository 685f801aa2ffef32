"""Gas detectors with a plain-text request/reply line (RS-232 or RS-485 adapter;
capability ``meter``): the combustible-gas detector (catalytic or infrared; %LEL; alarm
set point) and the carbon monoxide detector (umol/mol, shown as ppm; ``CoDetector``).

Command set (commands end in LF, replies in CR LF)::

    *IDN?        ->  maker,model,serial,firmware
    MEAS?        ->  <value>,<unit>,<alarm>   e.g. 23.4,%LEL,0 or 35,PPM,0 (alarm 1 = on)
    ALARM:SET?   ->  alarm set point (%LEL; ppm)
    RANGE?       ->  full scale (%LEL; ppm)
    (unknown)    ->  ERR,UNKNOWN COMMAND

A reading carries the alarm state as the flag ``alarm``; a reply in another unit than
the detector's is refused. Options (the data plate, as marked on the detector):
``range`` (full scale, e.g. ``100 %LEL``; ``1000 umol/mol``), ``resolution``, ``alarm``
(set point), ``sampling`` (``diffusion`` or ``pumped``), ``component`` (the gas it is
calibrated for, e.g. ``CH4``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from labctl.drivers.base import Instrument, option_quantity, quantity_maker
from labctl.drivers.capabilities import Identity, Reading
from labctl.drivers.scpi import scpi_identity
from labctl.errors import ConfigError, InstrumentError
from labctl.units import parse_unit


class CombustibleGasDetector(Instrument):
    capabilities = ("meter",)
    measurements: ClassVar[tuple[str, ...]] = ("concentration",)
    option_names: ClassVar[frozenset[str]] = frozenset({
        "range", "resolution", "alarm", "sampling", "component", "maker", "model"})
    error_replies: ClassVar[dict[str, str]] = {"ERR": "the detector refused the command"}
    unit: ClassVar[Any] = parse_unit("%LEL")
    unit_word: ClassVar[str] = "%LEL"          # how the reply spells the unit
    defaults: ClassVar[dict[str, str]] = {"range": "100 %LEL", "resolution": "0.1 %LEL"}
    _make: ClassVar[Any] = staticmethod(quantity_maker(parse_unit("%LEL")))

    def __init__(self, transport: Any, *, name: str, **options: Any) -> None:
        super().__init__(transport, name=name, **options)
        o = self.options
        unit = self.unit_word if self.unit_word != "PPM" else "umol/mol"
        self.full_scale = option_quantity(name, o, "range", unit, self.defaults["range"])
        self.resolution = option_quantity(name, o, "resolution", unit,
                                          self.defaults["resolution"])
        self.alarm = option_quantity(name, o, "alarm", unit, None)
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
        if unit.upper() != self.unit_word.upper():
            raise InstrumentError(f"the detector answered in {unit}, not {self.unit_word}",
                                  instrument=self.name, command="MEAS?", reply=reply,
                                  hint=f"set the detector's display unit to {self.unit_word}")
        return Reading(value=self._make(value), stable=None, raw=reply,
                       flags=frozenset({"alarm"}) if alarm else frozenset())

    def data_plate(self) -> dict[str, Any]:
        text = "%LEL" if self.unit_word == "%LEL" else "umol/mol"
        plate: dict[str, Any] = {"range": f"{self.full_scale.m_as(self.unit):g} {text}",
                                 "resolution": f"{self.resolution.m_as(self.unit):g} {text}",
                                 "sampling": self.sampling}
        if self.alarm is not None:
            plate["alarm"] = f"{self.alarm.m_as(self.unit):g} {text}"
        if self.options.get("component"):
            plate["component"] = str(self.options["component"])
        return plate


class CoDetector(CombustibleGasDetector):
    """A carbon monoxide detector: the same line, readings in umol/mol (``35,PPM,0``)."""

    unit: ClassVar[Any] = parse_unit("umol/mol")
    unit_word: ClassVar[str] = "PPM"
    defaults: ClassVar[dict[str, str]] = {"range": "1000 umol/mol",
                                          "resolution": "1 umol/mol"}
    _make: ClassVar[Any] = staticmethod(quantity_maker(parse_unit("umol/mol")))
