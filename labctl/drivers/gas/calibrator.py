"""Gas dilution calibrator: two mass-flow controllers mixing a certified cylinder with
zero gas, ``c = c0 * Qs / (Qs + Qd)`` (SCPI over VISA: LAN or RS-232; capabilities
``dilution_calibrator``: a ``source`` and a ``meter``).

Command set (commands end in LF, replies in CR LF)::

    *IDN?                 ->  maker,model,serial,firmware
    CONF:CYL:CONC <c0>    the connected cylinder's certified value, umol/mol
    CONF:CYL:COMP <name>  the component the procedure expects (the instrument refuses a
                          name other than its cylinder's with -221)
    CONF:CYL:LEL <lel>    the component's LEL, umol/mol (for %LEL set points)
    SOUR:FLOW <Q>         total outlet flow, L/min
    SOUR:CONC <c>,<unit>  outlet concentration; unit UMOL (umol/mol), PCTLEL, PCTVOL
    SOUR:CONC?            ->  <c>,<unit>
    OUTP ON|OFF           outlet open / closed (closed: both flows off)
    STAT:OPER:COND?       ->  operation status; bit 0 set when the flows are stable
    MEAS:FLOW:SOUR?       ->  source (cylinder) MFC flow, L/min
    MEAS:FLOW:DIL?        ->  dilution (zero gas) MFC flow, L/min
    MEAS:CONC?            ->  concentration from the measured flows, umol/mol
    SYST:ERR?             ->  0,"No error" or the oldest error

Every configuration and set-point command is followed by ``SYST:ERR?``; a refused one
raises ``InstrumentError`` at once. A set point is then read back (``SOUR:CONC?``): a
lost one is sent again, never taken for done (``Instrument.confirm_setting``). Safe
state: output closed (flows off).

The driver knows its cylinder from the bench's standards (the register's ``cylinders``
entry: c0, component, LEL; option ``cylinder: <id>`` when the bench lists several) and
its MFCs' ranges from its options (``source_full_scale``, ``dilution_full_scale``,
``turndown``, ``total_flow``). A set point is checked against them before anything is
sent, also at plan time, so a procedure asking for more than the cylinder and flows can
make, a dilution ratio outside the MFCs' ranges, a cylinder of another component, or a
``%LEL`` (or ppm where the calibrator works in %LEL) without the cylinder's LEL to
convert, is refused before gas flows.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any, ClassVar

from labctl.drivers.base import Instrument, option_quantity, quantity_maker, setting
from labctl.drivers.capabilities import Identity, Reading
from labctl.drivers.scpi import check_errors, scpi_identity
from labctl.errors import ConfigError, InstrumentError
from labctl.units import parse_quantity, parse_unit

_LEL = parse_unit("LEL")
_FRACTION = parse_unit("umol/mol")
_WORDS = {"umol/mol": "UMOL", "%LEL": "PCTLEL", "%vol": "PCTVOL"}


def _where(obj: Instrument, name: str) -> str:
    return f"instrument {obj.name!r}, setting {name!r}"


class _ComponentSetting(setting):
    """The component the procedure expects: checked against the cylinder's."""

    def __init__(self) -> None:
        super().__init__("CONF:CYL:COMP", None, unit=None, parser=str, formatter=str,
                         doc="the component the procedure expects in the cylinder")

    def check(self, obj: Instrument, value: Any) -> Any:
        cylinder = obj.cylinder()  # type: ignore[attr-defined]
        wanted = str(value).strip()
        if wanted.upper() != str(cylinder["component"]).upper():
            raise ConfigError(
                f"the procedure expects {wanted} but cylinder {cylinder['id']} "
                f"({cylinder['crm']}) holds {cylinder['component']} in {cylinder['balance']}",
                where=_where(obj, self.name),
                hint="connect a cylinder of the component and list it in the bench's "
                     "standards; no gas was released")
        return wanted

    def __set__(self, obj: Instrument, value: Any) -> None:
        obj.write(f"CONF:CYL:COMP {self.check(obj, value)}")


class _ConcentrationSetting(setting):
    """The outlet concentration: an amount fraction or %LEL, checked against what the
    cylinder and the MFCs can make."""

    def __init__(self) -> None:
        super().__init__("SOUR:CONC", "SOUR:CONC?", unit=None, parser=str,
                         doc="outlet concentration (umol/mol, %vol or %LEL)")

    def check(self, obj: Instrument, value: Any) -> Any:
        return obj.plan_concentration(value)  # type: ignore[attr-defined]

    def __set__(self, obj: Instrument, value: Any) -> None:
        number, word, _ = obj.plan_concentration(value)  # type: ignore[attr-defined]
        obj.configure_cylinder()  # type: ignore[attr-defined]
        obj.write(f"SOUR:CONC {number:.8g},{word}")

    def holds(self, obj: Instrument, value: Any, reply: str) -> bool | None:
        """Whether ``SOUR:CONC?`` (``<c>,<unit>``) shows the set point sent."""
        number, word, _ = obj.plan_concentration(value)  # type: ignore[attr-defined]
        held, _, held_word = reply.partition(",")
        try:
            return held_word.strip() == word and f"{float(held):.8g}" == f"{number:.8g}"
        except ValueError:
            return False


class GasDilutionCalibrator(Instrument):
    """A gas dilution calibrator with a source and a dilution mass-flow controller."""

    capabilities = ("dilution_calibrator",)
    measurements: ClassVar[tuple[str, ...]] = ("concentration", "source_flow",
                                               "dilution_flow")
    option_names: ClassVar[frozenset[str]] = frozenset({
        "cylinder", "cylinders", "unit", "source_full_scale", "dilution_full_scale",
        "turndown", "total_flow"})
    _COMMANDS: ClassVar[dict[str, tuple[str, Any]]] = {
        "concentration": ("MEAS:CONC?", quantity_maker("umol/mol")),
        "source_flow": ("MEAS:FLOW:SOUR?", quantity_maker("L/min")),
        "dilution_flow": ("MEAS:FLOW:DIL?", quantity_maker("L/min"))}

    component = _ComponentSetting()
    concentration = _ConcentrationSetting()

    def __init__(self, transport: Any, *, name: str, **options: Any) -> None:
        super().__init__(transport, name=name, **options)
        o = self.options
        self.unit = parse_unit(str(o.get("unit", "umol/mol")))
        if self.unit.dimensionality not in (_LEL.dimensionality, _FRACTION.dimensionality):
            raise ConfigError(f"unit {o['unit']!r}: the calibrator works in umol/mol, %vol "
                              "or %LEL", where=f"instrument {name!r}, option 'unit'")
        self.source_fs = float(option_quantity(name, o, "source_full_scale", "L/min",
                                               "0.5 L/min").m_as("L/min"))
        self.dilution_fs = float(option_quantity(name, o, "dilution_full_scale", "L/min",
                                                 "5 L/min").m_as("L/min"))
        self.total_flow = float(option_quantity(name, o, "total_flow", "L/min",
                                                "1 L/min").m_as("L/min"))
        self.turndown = float(o.get("turndown", 50))
        self._configured = False

    # -- the cylinder ------------------------------------------------------------
    @classmethod
    def options_from_standards(cls, parts: tuple[Any, ...]) -> dict[str, Any]:
        from labctl.register.gas import cylinders_of

        found = [_cylinder_dict(c) for c in cylinders_of(parts)]
        return {"cylinders": found} if found else {}

    @classmethod
    def simulation_params(cls, parts: tuple[Any, ...], world: Any) -> dict[str, Any]:
        """The simulator's true cylinder: the certified value plus a seeded draw within
        its standard uncertainty (the truth a certificate only bounds)."""
        from labctl.register.gas import cylinders_of

        cylinders = cylinders_of(parts)
        if not cylinders:
            return {}
        c = cylinders[0]
        rng = world.rng(f"gas-cylinder/{c.id}")
        true = c.c0 + float(rng.normal(0.0, c.U / c.k))
        return {"cylinder_true": {"id": c.id, "component": c.component, "c0": true}}

    def cylinder(self) -> Mapping[str, Any]:
        """The cylinder this calibrator dilutes (from the bench's standards)."""
        found = list(self.options.get("cylinders") or [])
        wanted = self.options.get("cylinder")
        if wanted is not None:
            found = [c for c in found if c["id"] == wanted]
        if len(found) != 1:
            what = ("no cylinder" if not found else f"{len(found)} cylinders")
            raise ConfigError(
                f"calibrator {self.name!r}: {what} among the bench's standards"
                + (f" with id {wanted!r}" if wanted else ""),
                where=f"instrument {self.name!r}",
                hint="list the cylinder's register id in the bench's standards (and with "
                     "several, name it in the calibrator's option cylinder: <id>)")
        return found[0]

    def standards_in_use(self) -> list[str]:
        """The cylinder it dilutes: the standard its set points put to use."""
        try:
            return [str(self.cylinder()["id"])]
        except ConfigError:
            return []

    def plan_concentration(self, value: Any) -> tuple[float, str, tuple[float, float]]:
        """(number, unit word, (Qs, Qd) in L/min) for the set point ``value``, refused
        (``ConfigError``) where the cylinder and the MFCs cannot make it."""
        where = _where(self, "concentration")
        cyl = self.cylinder()
        q = parse_quantity(value, where=where) if not hasattr(value, "units") else value
        lel = cyl.get("lel")
        if q.dimensionality == _LEL.dimensionality:
            if lel is None:
                raise ConfigError(
                    f"{q:~P} asks for %LEL but cylinder {cyl['id']} gives no LEL of "
                    f"{cyl['component']} to convert it", where=where,
                    hint="add lel: (e.g. 5.0 %vol) to the cylinder's register entry")
            fraction = float(q.m_as("LEL")) * lel
        elif q.dimensionless:
            if self.unit.dimensionality == _LEL.dimensionality and lel is None:
                raise ConfigError(
                    f"{q:~P} is an amount fraction where this calibrator works in %LEL, "
                    f"and cylinder {cyl['id']} gives no LEL to convert it", where=where,
                    hint="give the set point in %LEL with the cylinder's lel: in the "
                         "register, or set the calibrator's option unit: umol/mol")
            fraction = float(q.m_as(""))
        else:
            raise ConfigError(f"{q:~P} is not a gas concentration", where=where,
                              hint="write it in umol/mol, %vol or %LEL")
        c0 = float(cyl["c0"])
        if fraction < 0 or fraction > c0 * (1 + 1e-9):
            raise ConfigError(
                f"{q:~P} ({fraction * 1e6:.6g} umol/mol) is above what cylinder {cyl['id']} "
                f"({c0 * 1e6:.6g} umol/mol {cyl['component']}) can make", where=where,
                hint="use a cylinder of a higher concentration; no gas was released")
        r = fraction / c0
        qs, qd = r * self.total_flow, (1 - r) * self.total_flow
        for label, flow, fs in (("source", qs, self.source_fs),
                                ("dilution", qd, self.dilution_fs)):
            low = fs / self.turndown
            if flow > 1e-12 and not low * (1 - 1e-9) <= flow <= fs * (1 + 1e-9):
                raise ConfigError(
                    f"{q:~P} needs a dilution ratio Qs/(Qs+Qd) = {r:.4g}: the {label} flow "
                    f"{flow:.4g} L/min is outside its MFC's range {low:.4g} .. {fs:g} L/min",
                    where=where, hint="change total_flow, use another cylinder or MFC; "
                                      "no gas was released")
        word = _word(q, self.unit)
        if word == "PCTLEL":
            number = fraction / lel * 100  # type: ignore[operator]
        elif word == "PCTVOL":
            number = fraction * 100
        else:
            number = fraction * 1e6
        return number, word, (qs, qd)

    def configure_cylinder(self) -> None:
        if self._configured:
            return
        cyl = self.cylinder()
        for command in (f"CONF:CYL:CONC {float(cyl['c0']) * 1e6:.8g}",
                        *([f"CONF:CYL:LEL {float(cyl['lel']) * 1e6:.8g}"]
                          if cyl.get("lel") else []),
                        f"SOUR:FLOW {self.total_flow:.6g}"):
            self.write(command)
            check_errors(self, command)
        self._configured = True

    # -- source ------------------------------------------------------------------
    def identify(self) -> Identity:
        return scpi_identity(self)

    def after_set(self, name: str) -> None:
        check_errors(self, f"set {name}")

    def output(self, on: bool) -> None:
        if on:
            self.configure_cylinder()
        command = f"OUTP {'ON' if on else 'OFF'}"
        self.write(command)
        check_errors(self, command)

    def ready(self) -> bool:
        return int(self.query("STAT:OPER:COND?")) & 1 == 1

    def safe_state(self) -> None:
        self.write("OUTP OFF")

    # -- meter -------------------------------------------------------------------
    def measure(self, name: str | None = None, *, stable: bool = False,
                timeout: float | None = None) -> Reading:
        name = name or "concentration"
        if name not in self._COMMANDS:
            raise InstrumentError(f"the calibrator measures {', '.join(self.measurements)}, "
                                  f"not {name!r}", instrument=self.name, command="measure")
        command, make = self._COMMANDS[name]
        reply = self.query(command)
        try:
            value = float(reply)
        except ValueError:
            raise InstrumentError(f"cannot read {name} from the reply", instrument=self.name,
                                  command=command, reply=reply) from None
        return Reading(value=make(value), stable=None, raw=reply)

    def data_plate(self) -> dict[str, Any]:
        cyl = None
        with contextlib.suppress(ConfigError):
            cyl = self.cylinder()
        return {"source_full_scale": f"{self.source_fs:g} L/min",
                "dilution_full_scale": f"{self.dilution_fs:g} L/min",
                "turndown": self.turndown, "total_flow": f"{self.total_flow:g} L/min",
                **({"cylinder": cyl["id"]} if cyl else {})}


def _word(q: Any, unit: Any) -> str:
    if unit.dimensionality == _LEL.dimensionality:
        return "PCTLEL"
    text = f"{q.units:~P}"
    return "PCTVOL" if "vol" in text else "UMOL"


def _cylinder_dict(c: Any) -> dict[str, Any]:
    return {"id": c.id, "crm": c.crm, "component": c.component, "balance": c.balance,
            "c0": c.c0, "U": c.U, "k": c.k, "lel": c.lel}
