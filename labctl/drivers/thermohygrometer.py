"""Thermo-hygrometer with a SCPI-like line protocol (the LABCTL-SIM TH-100 and alike).

Command set (lines end in CR LF; see ``labctl.sim.devices.thermohygrometer``)::

    *IDN?        ->  maker,model,serial,firmware
    MEAS:TEMP?   ->  air temperature in degC          +21.37
    MEAS:HUM?    ->  relative humidity in %RH         48.2
    SYST:ERR?    ->  0,"No error" or the oldest queued error
"""

from __future__ import annotations

from typing import ClassVar

from labctl.drivers.base import Instrument, idempotent, measurement
from labctl.drivers.capabilities import EnvironmentReading, Identity
from labctl.errors import InstrumentError


class ThermoHygrometer(Instrument):
    """Reads the room's air temperature and relative humidity (capability ``environment``)."""

    capabilities = ("environment",)
    maker = "LABCTL-SIM"
    option_names: ClassVar[frozenset[str]] = frozenset()

    temperature = measurement("MEAS:TEMP?", unit="degC", doc="air temperature")
    humidity = measurement("MEAS:HUM?", unit="percent", doc="relative humidity")

    @idempotent
    def identify(self) -> Identity:
        reply = self.query("*IDN?")
        parts = [p.strip() for p in reply.split(",")]
        if len(parts) < 3 or not all(parts[:3]):
            raise InstrumentError("cannot read maker, model and serial from the *IDN? reply",
                                  instrument=self.name, command="*IDN?", reply=reply,
                                  hint="expected maker,model,serial,firmware")
        return Identity(maker=parts[0], model=parts[1], serial=parts[2],
                        firmware=parts[3] if len(parts) > 3 else "")

    @idempotent
    def read_environment(self) -> EnvironmentReading:
        return EnvironmentReading(temperature=self.temperature, humidity=self.humidity)

    def error(self) -> str:
        """The oldest error in the instrument's queue (``0,"No error"`` when empty)."""
        return self.query("SYST:ERR?")
