"""NDIR (non-dispersive infrared) CO or CO2 analyzer, one channel, plain-text
request/reply over RS-232 or an RS-485 adapter (capability ``meter``).

Command set (commands end in LF, replies in CR LF; fields separated by commas, no
blanks)::

    *IDN?    ->  maker,model,serial,firmware          e.g. LABCTL-SIM,NDIR-2,N-1,3.1
    READ?    ->  component,value,unit,status          e.g. CO2,412.3,umol/mol,OK
                 unit: umol/mol or %vol; status: OK, WARMUP (source or detector not yet
                 at temperature), OVER (above the range), FAULT (lamp, chopper or detector)
    RANGE?   ->  component,full scale,unit            e.g. CO2,2000,umol/mol
    (error)  ->  ERR,code,text                        e.g. ERR,10,UNKNOWN COMMAND

Replies are checked strictly, and a reply that fails a check is an ``InstrumentError``
(naming the analyzer, the command and the reply), never a reading:

- ``READ?`` must have exactly the four fields, a plain decimal value, and a status of
  the four above; only ``OK`` gives a reading;
- the component and the unit must be those of the data plate (the options below): an
  analyzer that answers ``CO`` where the bench says ``CO2``, or ``%vol`` where it says
  ``umol/mol``, is another instrument or wrongly set up;
- the value must lie within the range plus a margin (``margin``, default 10 % of the
  range, on both sides of 0 .. range): beyond it the analyzer is over range or the
  line was garbled;
- ``identify()`` also asks ``RANGE?`` and refuses an analyzer whose component, unit or
  full scale differ from the data plate, so the mismatch is found before the run starts.

Options (the data plate, as marked on the analyzer): ``component`` (``CO`` or ``CO2``,
required), ``range`` (full scale, e.g. ``2000 umol/mol`` or ``20 %vol``: its unit is the
display unit), ``resolution``, ``accuracy_class`` (required: the class as marked, e.g.
``2``; a verification's limits are chosen by it), ``sampling`` (``pumped`` or
``diffusion``),
``margin`` (a fraction of the range), ``maker``, ``model``. On a bench with cylinders
among its standards, one of them must hold the analyzer's component (the driver is
given them, ``options_from_standards``): an analyzer of CO on a bench of CO2 cylinders
is refused when the bench is read, before any gas flows.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from labctl.drivers.base import Instrument, option_quantity, quantity_maker
from labctl.drivers.capabilities import Identity, Reading
from labctl.drivers.scpi import scpi_identity
from labctl.errors import ConfigError, InstrumentError
from labctl.units import parse_unit

#: the display units the analyzer may use, as its replies spell them
UNITS: dict[str, Any] = {"umol/mol": parse_unit("umol/mol"), "%vol": parse_unit("%vol")}
MAKERS = {word: quantity_maker(unit) for word, unit in UNITS.items()}
COMPONENTS = ("CO", "CO2")
STATUS_MEANING = {"WARMUP": "is warming up (source or detector not at temperature)",
                  "OVER": "is over its range", "FAULT": "reports a fault (lamp, chopper "
                                                        "or detector)"}
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)"
READ_REPLY = re.compile(rf"^([A-Z][A-Z0-9]*),({_NUMBER}),([^,]+),(OK|WARMUP|OVER|FAULT)$")
RANGE_REPLY = re.compile(rf"^([A-Z][A-Z0-9]*),({_NUMBER}),([^,]+)$")


class NdirAnalyzer(Instrument):
    capabilities = ("meter",)
    measurements: ClassVar[tuple[str, ...]] = ("concentration",)
    option_names: ClassVar[frozenset[str]] = frozenset({
        "component", "range", "resolution", "accuracy_class", "sampling", "margin",
        "maker", "model", "cylinders"})
    error_replies: ClassVar[dict[str, str]] = {"ERR": "the analyzer refused the command"}

    def __init__(self, transport: Any, *, name: str, **options: Any) -> None:
        super().__init__(transport, name=name, **options)
        o = self.options
        where = f"instrument {name!r}"
        self.component = str(o.get("component") or "")
        if self.component not in COMPONENTS:
            raise ConfigError(f"component {self.component or '(none)'!r}: an NDIR CO/CO2 "
                              f"analyzer measures {' or '.join(COMPONENTS)}",
                              where=f"{where}, option 'component'",
                              hint="give the component on its data plate, e.g. "
                                   "component: CO2")
        self._check_cylinders(o.get("cylinders"), where)
        full = option_quantity(name, o, "range", "umol/mol", "2000 umol/mol")
        self.unit_word = self._unit_word(full, where)
        self.unit = UNITS[self.unit_word]
        self._make = MAKERS[self.unit_word]
        self.full_scale = float(full.m_as(self.unit))
        if self.full_scale <= 0:
            raise ConfigError(f"range {full}: must be above zero",
                              where=f"{where}, option 'range'")
        default_res = "1 umol/mol" if self.unit_word == "umol/mol" else "0.01 %vol"
        self.resolution = float(option_quantity(name, o, "resolution", "umol/mol",
                                                default_res).m_as(self.unit))
        self.accuracy_class = self._class_text(o.get("accuracy_class"), where)
        self.sampling = str(o.get("sampling", "pumped"))
        if self.sampling not in ("diffusion", "pumped"):
            raise ConfigError(f"sampling {self.sampling!r}: diffusion or pumped",
                              where=f"{where}, option 'sampling'")
        margin = o.get("margin", 0.1)
        if isinstance(margin, bool) or not isinstance(margin, int | float) \
                or not 0 <= margin <= 1:
            raise ConfigError(f"margin {margin!r}: a fraction of the range, 0 .. 1",
                              where=f"{where}, option 'margin'", hint="e.g. margin: 0.1")
        self.margin = float(margin)

    @classmethod
    def options_from_standards(cls, parts: tuple[Any, ...]) -> dict[str, Any]:
        """The bench's cylinders (id and component), so that an analyzer of a component
        no cylinder of its bench holds is refused when the bench is read."""
        from labctl.register.gas import cylinders_of

        found = [{"id": c.id, "component": c.component} for c in cylinders_of(parts)]
        return {"cylinders": found} if found else {}

    def _check_cylinders(self, cylinders: Any, where: str) -> None:
        if not cylinders:
            return
        held = {str(c["component"]).upper() for c in cylinders}
        if self.component.upper() not in held:
            listed = ", ".join(f"{c['id']} ({c['component']})" for c in cylinders)
            raise ConfigError(f"the analyzer measures {self.component} but no cylinder of "
                              f"the bench holds it: {listed}",
                              where=f"{where}, option 'component'",
                              hint=f"list a {self.component} cylinder in the bench's "
                                   "standards; no gas was released")

    @staticmethod
    def _unit_word(full: Any, where: str) -> str:
        text = f"{full.units:~}".replace(" ", "")
        for word, unit in UNITS.items():
            if full.units == unit or text == word:
                return word
        raise ConfigError(f"range {full}: give it in umol/mol or %vol, the analyzer's "
                          "display unit", where=f"{where}, option 'range'",
                          hint="e.g. range: 2000 umol/mol")

    @staticmethod
    def _class_text(value: Any, where: str) -> str:
        if value is None:
            raise ConfigError("the analyzer's accuracy class is not given: a verification's "
                              "limits are chosen by it", where=f"{where}, options",
                              hint="give the class marked on the analyzer, e.g. "
                                   "accuracy_class: 2")
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = -1.0
        if isinstance(value, bool) or number <= 0:
            raise ConfigError(f"accuracy_class {value!r}: the class marked on the analyzer, "
                              "a positive number", where=f"{where}, option 'accuracy_class'",
                              hint="e.g. accuracy_class: 2")
        return f"{number:g}"

    # -- the command set ----------------------------------------------------------------
    def identify(self) -> Identity:
        identity = scpi_identity(self)
        self.check_range()
        return identity

    def check_range(self) -> None:
        """Ask ``RANGE?`` and refuse an analyzer other than its data plate says."""
        reply = self.query("RANGE?")
        m = RANGE_REPLY.match(reply.strip())
        if not m:
            raise self._bad("RANGE?", reply, "cannot read component, full scale and unit",
                            "expected e.g. CO2,2000,umol/mol")
        component, full, unit = m.group(1), float(m.group(2)), m.group(3)
        plate = f"{self.component}, 0 .. {self.full_scale:g} {self.unit_word}"
        if component != self.component or unit != self.unit_word \
                or abs(full - self.full_scale) > 1e-9 * self.full_scale:
            raise self._bad("RANGE?", reply, f"the analyzer is set to {component}, "
                            f"0 .. {full:g} {unit}, its data plate says {plate}",
                            "set the analyzer's range, or correct the options in the bench "
                            "file")

    def measure(self, name: str | None = None, *, stable: bool = False,
                timeout: float | None = None) -> Reading:
        if name not in (None, "concentration"):
            raise InstrumentError(f"the analyzer measures concentration, not {name!r}",
                                  instrument=self.name, command="measure")
        reply = self.query("READ?")
        m = READ_REPLY.match(reply.strip())
        if not m:
            raise self._bad("READ?", reply, "cannot read component, value, unit and status",
                            "expected e.g. CO2,412.3,umol/mol,OK")
        component, value, unit, status = m.group(1), float(m.group(2)), m.group(3), m.group(4)
        if component != self.component:
            raise self._bad("READ?", reply, f"the analyzer answered for {component}, its "
                            f"data plate says {self.component}",
                            "is the right analyzer (channel) connected?")
        if unit != self.unit_word:
            raise self._bad("READ?", reply, f"the analyzer answered in {unit}, not "
                            f"{self.unit_word}", f"set its display unit to {self.unit_word}")
        if status != "OK":
            raise self._bad("READ?", reply, f"the analyzer {STATUS_MEANING[status]}",
                            "wait for it to warm up, or service it")
        low, high = -self.margin * self.full_scale, (1 + self.margin) * self.full_scale
        if not low <= value <= high:
            raise self._bad("READ?", reply, f"{value:g} {unit} is outside the range "
                            f"0 .. {self.full_scale:g} {unit} plus its margin "
                            f"({low:g} .. {high:g})",
                            "check the gas and the analyzer's range")
        return Reading(value=self._make(value), stable=None, raw=reply)

    def _bad(self, command: str, reply: str, message: str, hint: str) -> InstrumentError:
        return InstrumentError(message, instrument=self.name, command=command, reply=reply,
                               hint=hint)

    def data_plate(self) -> dict[str, Any]:
        plate: dict[str, Any] = {
            "component": self.component,
            "range": f"{self.full_scale:g} {self.unit_word}",
            "resolution": f"{self.resolution:g} {self.unit_word}",
            "sampling": self.sampling, "accuracy_class": self.accuracy_class}
        return plate
