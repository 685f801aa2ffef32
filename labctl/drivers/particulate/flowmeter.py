"""Reference flowmeter for the sampling-flow tests (capability ``meter``).

Its line protocol is labctl's own design (the simulated FM-200; a real flowmeter with
another protocol gets its own driver). Commands are words ending in CR LF; each reply is
one line ending in CR LF, the echoed word, a blank, a signed number, a blank, its unit::

    ID      ->  LABCTL-SIM,FM-200,<serial>,<firmware>
    FLOW    ->  FLOW +16.672 L/min     volumetric flow at actual conditions
    TEMP    ->  TEMP +23.1 C           gas temperature
    PRES    ->  PRES 101.30 kPa        absolute pressure
    other   ->  ERR <text>             (raised as InstrumentError)

A reply whose word or unit is not the one asked for is refused (a crossed line or another
instrument on the port), so a value is never taken in the wrong unit.
"""

from __future__ import annotations

from typing import ClassVar

from labctl.drivers.base import Instrument, quantity_maker
from labctl.drivers.capabilities import Identity, Reading
from labctl.drivers.scpi import scpi_identity
from labctl.errors import InstrumentError

_COMMANDS = {"flow": ("FLOW", "L/min"), "temperature": ("TEMP", "C"),
             "pressure": ("PRES", "kPa")}
_MAKERS = {"flow": quantity_maker("L/min"), "temperature": quantity_maker("degC"),
           "pressure": quantity_maker("kPa")}


class ReferenceFlowmeter(Instrument):
    capabilities = ("meter",)
    measurements: ClassVar[tuple[str, ...]] = ("flow", "temperature", "pressure")
    option_names: ClassVar[frozenset[str]] = frozenset()
    error_replies: ClassVar[dict[str, str]] = {"ERR": "the flowmeter refused the command"}

    def identify(self) -> Identity:
        return scpi_identity(self, "ID")

    def measure(self, name: str | None = None, *, stable: bool = False,
                timeout: float | None = None) -> Reading:
        name = name or "flow"
        if name not in _COMMANDS:
            raise InstrumentError(f"the flowmeter measures {', '.join(self.measurements)}, "
                                  f"not {name!r}", instrument=self.name, command="measure")
        word, unit = _COMMANDS[name]
        reply = self.query(word)
        parts = reply.split()
        try:
            if len(parts) != 3 or parts[0] != word or parts[2] != unit:
                raise ValueError(reply)
            number = float(parts[1])
        except ValueError:
            raise InstrumentError(f"expected '{word} <number> {unit}'", instrument=self.name,
                                  command=word, reply=reply,
                                  hint="is the flowmeter on this port and in its ASCII mode?"
                                  ) from None
        return Reading(value=_MAKERS[name](number), stable=None, raw=reply)
