"""A simulated gas dilution calibrator: two mass-flow controllers mixing a certified
cylinder (source MFC, flow Qs) with zero gas (dilution MFC, Qd), so that its outlet
carries ``c = c0 * Qs / (Qs + Qd)``. SCPI; commands end in LF, replies in CR LF::

    *IDN?                 ->  LABCTL-SIM,GDC-2000,<serial>,<firmware>
    CONF:CYL:CONC <c0>    the cylinder's certified amount fraction, umol/mol
    CONF:CYL:CONC?        ->  c0 as configured
    CONF:CYL:COMP <name>  the component the operator says is connected; a name other
                          than the cylinder's is refused (-221,"Settings conflict")
    CONF:CYL:LEL <lel>    the component's LEL, umol/mol (needed for PCTLEL set points)
    SOUR:FLOW <Q>         the total outlet flow, L/min (Qs + Qd)
    SOUR:FLOW?            ->  Q
    SOUR:CONC <c>,<unit>  the outlet concentration; unit UMOL (umol/mol), PCTLEL (%LEL)
                          or PCTVOL (% vol). Refused (-222,"Data out of range") when
                          c > c0 or when Qs or Qd falls outside its MFC's range
                          (full scale / turndown .. full scale; 0 is allowed: that MFC
                          closed); -221 when CONF:CYL:CONC (or :LEL for PCTLEL) is missing
    SOUR:CONC?            ->  <c>,<unit>
    OUTP ON|OFF           outlet valve open / closed (closed: both MFCs at 0)
    OUTP?                 ->  1 | 0
    STAT:OPER:COND?       ->  bit 0 (1) set when the output is on and both flows have
                          been at their set points for ``stable_time``
    MEAS:FLOW:SOUR?       ->  the source MFC's flow indication, L/min
    MEAS:FLOW:DIL?        ->  the dilution MFC's flow indication, L/min
    MEAS:CONC?            ->  c from the indicated flows and CONF:CYL:CONC, umol/mol
    SYST:ERR?             ->  0,"No error" or the oldest error
    *RST                  output off, set points cleared

Physics: the true c0 of the cylinder is ``cylinder_true`` (set by the driver's
``simulation_params`` from the register: the certificate value plus a seeded draw within
its uncertainty); each MFC's true flow is its indication times ``1 + e`` with ``e``
drawn once (seeded) from a normal of standard deviation ``flow_u`` (the MFC calibration
uncertainty), or given as ``source_flow_error`` / ``dilution_flow_error``. The outlet
feeds the world's gas line (``line``).

Parameters: ``serial``, ``firmware``, ``source_full_scale`` (default 0.5 L/min),
``dilution_full_scale`` (5 L/min), ``turndown`` (50), ``flow_u`` (0.5 %),
``source_flow_error``, ``dilution_flow_error`` (dimensionless), ``stable_time`` (10 s),
``delay`` (the line's transport delay, 0 s), ``cylinder_true`` (set by the driver),
``seed``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

from labctl.sim.device import SimDevice
from labctl.sim.gas.line import GasLine, line_of
from labctl.sim.params import ParamReader, device_rng
from labctl.sim.world import World

KEYS = ("serial", "firmware", "source_full_scale", "dilution_full_scale", "turndown",
        "flow_u", "source_flow_error", "dilution_flow_error", "stable_time", "delay",
        "cylinder_true", "seed")
UNITS = {"UMOL": 1e-6, "PCTVOL": 1e-2}


class GasCalibratorSim(SimDevice):
    name = "gas-dilution-calibrator"
    read_termination = b"\n"
    write_termination = b"\r\n"

    def __init__(self, world: World, line: GasLine, *, serial: str, firmware: str,
                 source_fs: float, dilution_fs: float, turndown: float,
                 errors: tuple[float, float], stable_time: float,
                 cylinder: Mapping[str, Any] | None) -> None:
        self.line = line
        self.serial, self.firmware = serial, firmware
        self.source_fs, self.dilution_fs, self.turndown = source_fs, dilution_fs, turndown
        self.source_error, self.dilution_error = errors
        self.stable_time = stable_time
        self.cylinder = dict(cylinder or {})
        self.c0: float | None = None          # configured, mol/mol
        self.lel: float | None = None         # configured, mol/mol
        self.total = 1.0                      # L/min
        self.set_value: tuple[float, str] | None = None
        self.qs = self.qd = 0.0               # set (= indicated) flows, L/min
        self.on = False
        self.changed = world.clock.now()
        self.errors: deque[str] = deque(maxlen=20)
        super().__init__(world.clock)

    # -- physics -------------------------------------------------------------------
    def true_flows(self) -> tuple[float, float]:
        if not self.on:
            return 0.0, 0.0
        return self.qs * (1 + self.source_error), self.qd * (1 + self.dilution_error)

    def true_fraction(self) -> float:
        """The amount fraction of the component at the outlet (mol/mol)."""
        qs, qd = self.true_flows()
        c0 = float(self.cylinder.get("c0", self.c0 or 0.0))
        return c0 * qs / (qs + qd) if qs + qd > 0 else 0.0

    def _apply(self) -> None:
        self.changed = self.clock.now()
        component = str(self.cylinder.get("component", "gas"))
        c = self.true_fraction()
        self.line.feed({component: c} if c > 0 else {})

    def _flows_for(self, fraction: float) -> tuple[float, float] | None:
        assert self.c0 is not None
        r = fraction / self.c0
        if r > 1.0 + 1e-12 or r < 0:
            return None
        qs, qd = r * self.total, (1 - r) * self.total
        for q, fs in ((qs, self.source_fs), (qd, self.dilution_fs)):
            if q > 1e-12 and not fs / self.turndown - 1e-12 <= q <= fs + 1e-12:
                return None
        return qs, qd

    # -- protocol ------------------------------------------------------------------
    def handle(self, line: str) -> list[str]:  # noqa: C901 - one branch per command
        command, _, arg = line.strip().partition(" ")
        command = command.upper()
        if command == "*IDN?":
            return [f"LABCTL-SIM,GDC-2000,{self.serial},{self.firmware}"]
        if command in ("CONF:CYL:CONC", "CONF:CYL:LEL"):
            value = self._number(arg)
            if value is None or value <= 0:
                return []
            if command == "CONF:CYL:CONC":
                self.c0 = value * 1e-6
            else:
                self.lel = value * 1e-6
            return []
        if command == "CONF:CYL:CONC?":
            return [f"{(self.c0 or 0.0) * 1e6:.8g}"]
        if command == "CONF:CYL:COMP":
            if arg.strip().upper() != str(self.cylinder.get("component", arg)).upper():
                self.errors.append('-221,"Settings conflict; cylinder component"')
            return []
        if command == "SOUR:FLOW":
            value = self._number(arg)
            if value is None:
                return []
            if not 0 < value <= self.source_fs + self.dilution_fs:
                self.errors.append('-222,"Data out of range"')
                return []
            self.total = value
            return []
        if command == "SOUR:FLOW?":
            return [f"{self.total:.6g}"]
        if command == "SOUR:CONC":
            return self._set_concentration(arg)
        if command == "SOUR:CONC?":
            if self.set_value is None:
                return ["0,UMOL"]
            return [f"{self.set_value[0]:.8g},{self.set_value[1]}"]
        if command == "OUTP":
            word = arg.strip().upper()
            if word not in ("ON", "OFF", "1", "0"):
                self.errors.append('-224,"Illegal parameter value"')
                return []
            self.on = word in ("ON", "1")
            self._apply()
            return []
        if command == "OUTP?":
            return ["1" if self.on else "0"]
        if command == "STAT:OPER:COND?":
            stable = self.on and self.clock.now() - self.changed >= self.stable_time
            return ["1" if stable else "0"]
        if command == "MEAS:FLOW:SOUR?":
            return [f"{self.qs if self.on else 0.0:.6f}"]
        if command == "MEAS:FLOW:DIL?":
            return [f"{self.qd if self.on else 0.0:.6f}"]
        if command == "MEAS:CONC?":
            total = self.qs + self.qd
            c = (self.c0 or 0.0) * self.qs / total if self.on and total else 0.0
            return [f"{c * 1e6:.8g}"]
        if command == "SYST:ERR?":
            return [self.errors.popleft() if self.errors else '0,"No error"']
        if command == "*RST":
            self.on, self.set_value, self.qs, self.qd = False, None, 0.0, 0.0
            self._apply()
            return []
        self.errors.append('-113,"Undefined header"')
        return []

    def _number(self, arg: str) -> float | None:
        try:
            return float(arg)
        except ValueError:
            self.errors.append('-104,"Data type error"')
            return None

    def _set_concentration(self, arg: str) -> list[str]:
        text, _, unit = arg.partition(",")
        value = self._number(text)
        unit = unit.strip().upper() or "UMOL"
        if value is None:
            return []
        if unit not in ("UMOL", "PCTVOL", "PCTLEL"):
            self.errors.append('-224,"Illegal parameter value"')
            return []
        if self.c0 is None or (unit == "PCTLEL" and self.lel is None):
            self.errors.append('-221,"Settings conflict; configure the cylinder first"')
            return []
        fraction = value * 1e-2 * self.lel if unit == "PCTLEL" else value * UNITS[unit]  # type: ignore[operator]
        flows = self._flows_for(fraction)
        if flows is None:
            self.errors.append('-222,"Data out of range"')
            return []
        self.set_value = (value, unit)
        self.qs, self.qd = flows
        if self.on:
            self._apply()
        return []


def create(world: World, params: Mapping[str, Any]) -> GasCalibratorSim:
    """Simulator factory (``gas-dilution-calibrator`` in ``labctl.simulators``)."""
    r = ParamReader(params, "gas-dilution-calibrator", KEYS)
    rng = device_rng(world, r, "gas-dilution-calibrator")
    flow_u = r.number("flow_u", 0.5, unit="percent", minimum=0) / 100
    drawn = rng.normal(0.0, flow_u, size=2) if flow_u else (0.0, 0.0)
    errors = (r.number("source_flow_error", float(drawn[0])),
              r.number("dilution_flow_error", float(drawn[1])))
    line = line_of(world, r.number("delay", 0.0, unit="s", minimum=0))
    cylinder = r.get("cylinder_true")
    return GasCalibratorSim(
        world, line, serial=r.text("serial", "GDC-0001"), firmware=r.text("firmware", "1.4"),
        source_fs=r.number("source_full_scale", 0.5, unit="L/min", minimum=1e-6),
        dilution_fs=r.number("dilution_full_scale", 5.0, unit="L/min", minimum=1e-6),
        turndown=r.number("turndown", 50.0, minimum=1.0), errors=errors,
        stable_time=r.number("stable_time", 10.0, unit="s", minimum=0),
        cylinder=cylinder if isinstance(cylinder, Mapping) else None)
