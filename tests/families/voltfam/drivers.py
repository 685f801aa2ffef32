"""The family's drivers: a DC voltage calibrator and a digital multimeter, both SCPI.

Calibrator::

    *IDN?            ->  maker,model,serial,firmware
    SOUR:VOLT <v>    set the output voltage, in V (limits -10 V .. +10 V)
    SOUR:VOLT?       ->  the set voltage
    OUTP ON|OFF      output on or off
    STAT:OPER:COND?  ->  bit 0 set when the output has settled

Multimeter::

    *IDN?            ->  maker,model,serial,firmware
    MEAS:VOLT:DC?    ->  the DC voltage, in V
"""

from __future__ import annotations

from typing import Any, ClassVar

from labctl.drivers.base import Instrument, measurement, setting
from labctl.drivers.capabilities import Identity, Reading
from labctl.errors import InstrumentError
from labctl.units import Q_


def _identity(instrument: Instrument) -> Identity:
    reply = instrument.query("*IDN?")
    parts = [p.strip() for p in reply.split(",")]
    if len(parts) < 3:
        raise InstrumentError("cannot read *IDN?", instrument=instrument.name,
                              command="*IDN?", reply=reply)
    return Identity(parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 else "")


class VoltageCalibrator(Instrument):
    """A DC voltage source (capability ``source``)."""

    capabilities = ("source",)
    option_names: ClassVar[frozenset[str]] = frozenset()
    voltage = setting("SOUR:VOLT", "SOUR:VOLT?", unit="V", limits=(-10, 10))

    def identify(self) -> Identity:
        return _identity(self)

    def output(self, on: bool) -> None:
        self.write(f"OUTP {'ON' if on else 'OFF'}")

    def ready(self) -> bool:
        return int(self.query("STAT:OPER:COND?")) & 1 == 1

    def safe_state(self) -> None:
        self.output(False)


class Multimeter(Instrument):
    """A DC voltmeter (capability ``meter``), with its range and resolution as options."""

    capabilities = ("meter",)
    measurements: ClassVar[tuple[str, ...]] = ("voltage",)
    option_names: ClassVar[frozenset[str]] = frozenset({"range", "resolution"})
    dc_voltage = measurement("MEAS:VOLT:DC?", unit="V")

    def identify(self) -> Identity:
        return _identity(self)

    def measure(self, name: str | None = None, *, stable: bool = False,
                timeout: float | None = None) -> Reading:
        if name not in (None, "voltage"):
            raise InstrumentError(f"the multimeter measures voltage, not {name!r}",
                                  instrument=self.name, command="measure")
        value = self.dc_voltage
        return Reading(value=value, stable=None, raw=f"{value.magnitude:.7g}")

    def data_plate(self) -> dict[str, Any]:
        return {"range": Q_(self.options.get("range", "10 V")),
                "resolution": Q_(self.options.get("resolution", "10 uV"))}
