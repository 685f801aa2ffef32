"""Multi-port stream-selection valve: the calibration cylinders of a greenhouse-gas
analyzer, each on its own port, fed to the analyzer one at a time (the way WMO/GAW
carbon-monitoring stations run their standards; capability ``stream_selector``).

The protocol is labctl's, in the style of electric multi-position valve actuators
(RS-232, 9600 8N1; commands and replies end in CR LF; every command gets one
reply)::

    ID      ->  ID=maker,model,serial,firmware
    NP      ->  NP=<n>           number of ports
    GO<p>   ->  GO=<p>           start the move to port p (1..n)
    CP      ->  CP=<p>           the port in place; CP=0 while the rotor moves
    errors  ->  ?ERR RANGE (no such port), ?ERR CMD (unknown command)

Replies are checked strictly: the echo of the command's name, a whole number, the
port acknowledged by ``GO`` equal to the one asked for; anything else is an
``InstrumentError`` naming the command and the reply.

Options: ``ports`` (mapping port -> the register id of the cylinder plumbed to it; every
id must be among the bench's ``standards:``), ``positions`` (the valve's number of ports,
default 8; checked against ``NP`` at identification), ``park`` (the port to turn to on
every way out of a run, e.g. a port with no cylinder or the target tank; none: the
valve stays where it is, which is safe, since the cylinders' regulators are the
operator's). The cylinders (their certified contents) come from the bench's standards
(``options_from_standards``); the simulator's true contents from ``simulation_params``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from labctl.drivers.base import Instrument, idempotent
from labctl.drivers.capabilities import Identity
from labctl.errors import ConfigError, InstrumentError


class GasStreamSelector(Instrument):
    capabilities = ("stream_selector",)
    option_names: ClassVar[frozenset[str]] = frozenset({"ports", "positions", "park",
                                                        "cylinders"})
    error_replies: ClassVar[dict[str, str]] = {"?ERR": "the valve refused the command"}

    def __init__(self, transport: Any, *, name: str, **options: Any) -> None:
        super().__init__(transport, name=name, **options)
        o = self.options
        where = f"instrument {name!r}"
        positions = o.get("positions", 8)
        if isinstance(positions, bool) or not isinstance(positions, int) or positions < 2:
            raise ConfigError(f"positions {positions!r}: a whole number of ports, at least 2",
                              where=f"{where}, option 'positions'")
        self.positions = positions
        known = {c["id"]: c for c in o.get("cylinders") or ()}
        ports = o.get("ports")
        if not isinstance(ports, Mapping) or not ports:
            raise ConfigError("the selector needs its ports: a mapping port -> cylinder id",
                              where=f"{where}, option 'ports'",
                              hint="e.g. ports: {1: CYL-GHG-01, 2: CYL-GHG-02}")
        self.ports: dict[int, str] = {}
        for port, cylinder in ports.items():
            number = _port_number(port)
            if number is None or not 1 <= number <= positions:
                raise ConfigError(f"port {port!r}: a port number 1..{positions}",
                                  where=f"{where}, option 'ports'")
            if str(cylinder) not in known:
                raise ConfigError(
                    f"port {number}: cylinder {cylinder!r} is not among the bench's "
                    "standards", where=f"{where}, option 'ports'",
                    hint="list the cylinder's register id in the bench's standards: "
                         f"({', '.join(known) or 'no cylinders listed'})")
            self.ports[number] = str(cylinder)
        self.cylinders: dict[str, Mapping[str, Any]] = known
        park = o.get("park")
        self.park = None if park is None else _port_number(park)
        if park is not None and (self.park is None or not 1 <= self.park <= positions):
            raise ConfigError(f"park {park!r}: a port number 1..{positions}",
                              where=f"{where}, option 'park'")

    # -- the bench's cylinders ----------------------------------------------------
    @classmethod
    def options_from_standards(cls, parts: tuple[Any, ...]) -> dict[str, Any]:
        from labctl.register.gas import cylinders_of

        found = [{"id": c.id, "crm": c.crm, "contents": c.contents()}
                 for c in cylinders_of(parts)]
        return {"cylinders": found} if found else {}

    @classmethod
    def simulation_params(cls, parts: tuple[Any, ...], world: Any) -> dict[str, Any]:
        """The simulator's true cylinder contents: each certified value plus a seeded
        draw within its standard uncertainty (``true_contents``)."""
        from labctl.register.gas import cylinders_of

        found = {c.id: true_contents(c, world) for c in cylinders_of(parts)}
        return {"cylinders_true": found} if found else {}

    def cylinder_at(self, port: int) -> str | None:
        return self.ports.get(int(port))

    def port_of(self, cylinder: str) -> int | None:
        return next((p for p, c in self.ports.items() if c == cylinder), None)

    # -- the valve ------------------------------------------------------------------
    def _ask(self, command: str, key: str) -> int:
        reply = self.query(command)
        name, sep, value = reply.partition("=")
        if sep != "=" or name.strip() != key:
            raise InstrumentError(f"the reply is not an answer to {key}",
                                  instrument=self.name, command=command, reply=reply,
                                  hint=f"expected {key}=<number>")
        try:
            return int(value.strip())
        except ValueError:
            raise InstrumentError(f"{key}: {value!r} is not a whole number",
                                  instrument=self.name, command=command, reply=reply) from None

    @idempotent
    def identify(self) -> Identity:
        reply = self.query("ID")
        name, sep, text = reply.partition("=")
        words = text.split(",")
        if name != "ID" or not sep or len(words) < 3:
            raise InstrumentError("cannot read maker, model and serial", instrument=self.name,
                                  command="ID", reply=reply,
                                  hint="expected ID=maker,model,serial,firmware")
        count = self._ask("NP", "NP")
        if count < self.positions:
            raise InstrumentError(f"the valve has {count} ports, the bench says "
                                  f"{self.positions}", instrument=self.name, command="NP",
                                  hint="set the option positions: to the valve's port count")
        return Identity(*[w.strip() for w in words[:3]],
                        words[3].strip() if len(words) > 3 else "")

    def select(self, port: int) -> None:
        """Start the move to ``port`` (checked against the valve's ports first)."""
        port = int(port)
        if not 1 <= port <= self.positions:
            raise ConfigError(f"port {port}: the valve has ports 1..{self.positions}",
                              where=f"instrument {self.name!r}")
        got = self._ask(f"GO{port}", "GO")
        if got != port:
            raise InstrumentError(f"the valve acknowledged port {got}, not {port}",
                                  instrument=self.name, command=f"GO{port}")

    @idempotent
    def position(self) -> int:
        return self._ask("CP", "CP")

    def safe_state(self) -> None:
        if self.park is not None:
            self.write(f"GO{self.park}")
            self.read(f"GO{self.park}")

    def data_plate(self) -> dict[str, Any]:
        return {"positions": self.positions,
                "ports": {str(p): c for p, c in sorted(self.ports.items())}}


def _port_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number


def true_contents(cylinder: Any, world: Any) -> dict[str, float]:
    """A simulated cylinder's true contents (component -> mol/mol): each certified value
    plus a draw from a normal of its standard uncertainty U / k, seeded from the world
    (``gas-cylinder/<id>`` for the main component, as the dilution calibrator draws it,
    ``gas-cylinder/<id>/<component>`` for the others)."""
    out = {}
    for n, (component, (c, U, k)) in enumerate(cylinder.contents().items()):
        name = f"gas-cylinder/{cylinder.id}" + ("" if n == 0 else f"/{component}")
        out[component] = c + float(world.rng(name).normal(0.0, U / k))
    return out
