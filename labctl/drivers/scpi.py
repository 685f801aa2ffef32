"""What SCPI instruments share: ``*IDN?`` and the ``SYST:ERR?`` queue."""

from __future__ import annotations

from labctl.drivers.base import Instrument
from labctl.drivers.capabilities import Identity
from labctl.errors import InstrumentError


def scpi_identity(instrument: Instrument, command: str = "*IDN?") -> Identity:
    """Maker, model, serial and firmware from an ``*IDN?``-style reply."""
    reply = instrument.query(command)
    parts = [p.strip() for p in reply.split(",")]
    if len(parts) < 3 or not all(parts[:3]):
        raise InstrumentError(f"cannot read maker, model and serial from the {command} reply",
                              instrument=instrument.name, command=command, reply=reply,
                              hint="expected maker,model,serial,firmware")
    return Identity(parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 else "")


def check_errors(instrument: Instrument, after: str) -> None:
    """Read ``SYST:ERR?`` and raise ``InstrumentError`` naming ``after`` (the command that
    caused it) if the queue holds an error."""
    reply = instrument.query("SYST:ERR?")
    code = reply.split(",", 1)[0].strip()
    if code not in ("0", "+0"):
        raise InstrumentError(f"the instrument refused the command: {reply}",
                              instrument=instrument.name, command=after, reply=reply,
                              hint="check the value against the instrument's range")
