"""Aerosol generator / PM calibrator (SCPI over LAN or RS-232; capability ``source``).

Command set (commands end in LF, replies in CR LF)::

    *IDN?              ->  maker,model,serial,firmware
    SOUR:CONC <c>      set the aerosol mass concentration, ug/m^3 (0 .. 1000)
    SOUR:CONC?         ->  the set point
    OUTP ON|OFF        aerosol output on / off
    STAT:OPER:COND?    ->  operation status; bit 0 set when the output is stable
    SYST:ERR?          ->  0,"No error" or the oldest error (-222,"Data out of range")

Every set point and output command is followed by ``SYST:ERR?``: a refused command
raises ``InstrumentError`` at once. A set point is then read back (``SOUR:CONC?``): a
lost one is sent again, never taken for done (``Instrument.confirm_setting``). Safe
state: output off.
"""

from __future__ import annotations

from typing import ClassVar

from labctl.drivers.base import Instrument, setting
from labctl.drivers.capabilities import Identity
from labctl.drivers.scpi import check_errors, scpi_identity


class AerosolGenerator(Instrument):
    """A PM aerosol generator feeding a test chamber."""

    capabilities = ("source",)
    option_names: ClassVar[frozenset[str]] = frozenset()
    concentration = setting("SOUR:CONC", "SOUR:CONC?", unit="ug/m^3", limits=(0, 1000),
                            doc="aerosol mass concentration set point")

    def identify(self) -> Identity:
        return scpi_identity(self)

    def after_set(self, name: str) -> None:
        check_errors(self, f"set {name}")

    def output(self, on: bool) -> None:
        command = f"OUTP {'ON' if on else 'OFF'}"
        self.write(command)
        check_errors(self, command)

    def ready(self) -> bool:
        return int(self.query("STAT:OPER:COND?")) & 1 == 1

    def safe_state(self) -> None:
        self.write("OUTP OFF")
