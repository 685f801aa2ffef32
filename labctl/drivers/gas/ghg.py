"""High-precision greenhouse-gas analyzer (cavity ring-down or similar laser
spectrometer): dry mole fractions of CO2 (umol/mol) and CH4 (nmol/mol) and the water
vapour in the cell (%vol), over RS-232 or a TCP socket (capability ``meter``).

The protocol is labctl's, in the style of such analyzers' remote data lines (commands
end in LF, replies in CR LF)::

    *IDN?     ->  maker,model,serial,firmware
    MEAS?     ->  DATA,<seq>,<co2>,<ch4>,<h2o>,<status>*<cs>
                  e.g. DATA,00412,412.345,1987.65,0.0050,0000*3A
    UNITS?    ->  UMOL/MOL,NMOL/MOL,%VOL
    RANGE?    ->  <co2 full scale>,<ch4 full scale>
    (unknown) ->  ERR,UNKNOWN COMMAND

- ``seq``: the measurement's number (0..65535, one per measurement period, wrapping);
- ``co2``, ``ch4``: dry mole fractions, umol/mol and nmol/mol; ``h2o``: %vol;
- ``status``: four hex digits; bit 0 warming up, bit 1 cell pressure out of tolerance,
  bit 2 cell temperature out of tolerance, bit 3 laser fault;
- ``cs``: two hex digits, the XOR of every character before the ``*``.

Every ``MEAS?`` reply is checked strictly: the ``DATA`` tag, six fields, the checksum,
a five-digit sequence number, three finite numbers, a hex status. A reply that fails
any check is an ``InstrumentError`` (a garbled line is retried as an idempotent read);
bits 1-3 (a cell or laser fault: no measurement) are an ``InstrumentError`` too. A
reading while warming up (bit 0) carries the flag ``warming_up`` and is not stable; a
reply repeating the previous ``seq`` (the analyzer has not measured since) carries the
flag ``repeated``. ``UNITS?`` is checked once, before the first reading: an analyzer
set to other units (ppm/ppb wet, say) is refused.

``measure("co2" | "ch4" | "h2o")`` returns that value, and every value of the same
reply in ``Reading.values`` (``co2``, ``ch4``, ``h2o``), so one reading journals all
three at one instant. Options (the data plate): ``co2_range`` (default 1000 umol/mol),
``ch4_range`` (5000 nmol/mol), ``co2_resolution`` (0.001 umol/mol), ``ch4_resolution``
(0.01 nmol/mol).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from labctl.drivers.base import Instrument, idempotent, option_quantity, quantity_maker
from labctl.drivers.capabilities import Identity, Reading
from labctl.drivers.scpi import scpi_identity
from labctl.errors import InstrumentError

UNITS_REPLY = "UMOL/MOL,NMOL/MOL,%VOL"
FAULTS = {1: "cell pressure out of tolerance", 2: "cell temperature out of tolerance",
          3: "laser fault"}


class GhgAnalyzer(Instrument):
    capabilities = ("meter",)
    measurements: ClassVar[tuple[str, ...]] = ("co2", "ch4", "h2o")
    option_names: ClassVar[frozenset[str]] = frozenset({
        "co2_range", "ch4_range", "co2_resolution", "ch4_resolution"})
    error_replies: ClassVar[dict[str, str]] = {"ERR": "the analyzer refused the command"}
    _MAKE: ClassVar[dict[str, Any]] = {"co2": quantity_maker("umol/mol"),
                                       "ch4": quantity_maker("nmol/mol"),
                                       "h2o": quantity_maker("%vol")}

    def __init__(self, transport: Any, *, name: str, **options: Any) -> None:
        super().__init__(transport, name=name, **options)
        o = self.options
        self.co2_range = option_quantity(name, o, "co2_range", "umol/mol", "1000 umol/mol")
        self.ch4_range = option_quantity(name, o, "ch4_range", "nmol/mol", "5000 nmol/mol")
        self.co2_resolution = option_quantity(name, o, "co2_resolution", "umol/mol",
                                              "0.001 umol/mol")
        self.ch4_resolution = option_quantity(name, o, "ch4_resolution", "nmol/mol",
                                              "0.01 nmol/mol")
        self._units_checked = False
        self._last_seq: int | None = None

    def identify(self) -> Identity:
        return scpi_identity(self)

    def check_units(self) -> None:
        reply = self.query("UNITS?")
        if reply.strip().upper() != UNITS_REPLY:
            raise InstrumentError(f"the analyzer reports in {reply.strip()}, not "
                                  f"{UNITS_REPLY}", instrument=self.name, command="UNITS?",
                                  reply=reply, hint="set the analyzer's output to dry mole "
                                  "fractions in umol/mol (CO2) and nmol/mol (CH4)")
        self._units_checked = True

    @idempotent
    def measure(self, name: str | None = None, *, stable: bool = False,
                timeout: float | None = None) -> Reading:
        name = name or "co2"
        if name not in self.measurements:
            raise InstrumentError(f"the analyzer measures {', '.join(self.measurements)}, "
                                  f"not {name!r}", instrument=self.name, command="measure")
        if not self._units_checked:
            self.check_units()
        reply = self.query("MEAS?")
        seq, values, status = parse_data(reply, self.name)
        faults = [text for bit, text in FAULTS.items() if status >> bit & 1]
        if faults:
            raise InstrumentError(f"the analyzer reports {', '.join(faults)}",
                                  instrument=self.name, command="MEAS?", reply=reply,
                                  hint="no measurement while the cell or laser is faulty; "
                                       "see the analyzer's diagnostics")
        flags = set()
        if status & 1:
            flags.add("warming_up")
        if seq == self._last_seq:
            flags.add("repeated")
        self._last_seq = seq
        quantities = {k: self._MAKE[k](v) for k, v in values.items()}
        return Reading(value=quantities[name], stable=not flags, raw=reply,
                       flags=frozenset(flags), values=quantities)

    def data_plate(self) -> dict[str, Any]:
        return {"co2_range": f"{self.co2_range.m_as('umol/mol'):g} umol/mol",
                "ch4_range": f"{self.ch4_range.m_as('nmol/mol'):g} nmol/mol",
                "co2_resolution": f"{self.co2_resolution.m_as('umol/mol'):g} umol/mol",
                "ch4_resolution": f"{self.ch4_resolution.m_as('nmol/mol'):g} nmol/mol"}


def parse_data(reply: str, instrument: str = "") -> tuple[int, dict[str, float], int]:
    """(seq, {"co2", "ch4", "h2o"}, status) of a ``MEAS?`` reply, checked strictly;
    ``InstrumentError`` naming what is wrong otherwise."""
    def bad(why: str) -> InstrumentError:
        return InstrumentError(f"bad MEAS? reply: {why}", instrument=instrument or None,
                               command="MEAS?", reply=reply,
                               hint="expected DATA,<seq>,<co2>,<ch4>,<h2o>,<status>*<cs>")

    text = reply.strip()
    body, star, cs = text.rpartition("*")
    if not star:
        raise bad("no checksum")
    if len(cs) != 2 or not all(c in "0123456789ABCDEF" for c in cs.upper()):
        raise bad(f"checksum {cs!r} is not two hex digits")
    value = 0
    for ch in body.encode("ascii", errors="replace"):
        value ^= ch
    if value != int(cs, 16):
        raise bad(f"checksum {cs} does not match the line ({value:02X})")
    fields = body.split(",")
    if fields[0] != "DATA" or len(fields) != 6:
        raise bad("not a DATA line of six fields")
    seq_text, *numbers, status_text = fields[1:]
    if len(seq_text) != 5 or not seq_text.isdigit():
        raise bad(f"sequence {seq_text!r} is not five digits")
    try:
        co2, ch4, h2o = (float(x) for x in numbers)
        status = int(status_text, 16)
    except ValueError:
        raise bad("a value is not a number") from None
    if len(status_text) != 4 or not all(math.isfinite(x) for x in (co2, ch4, h2o)):
        raise bad("a value is not finite or the status is not four hex digits")
    return int(seq_text), {"co2": co2, "ch4": ch4, "h2o": h2o}, status
