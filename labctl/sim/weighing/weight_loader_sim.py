"""A simulated automatic weight loader that puts standard weights on the shared platform.

Line protocol (commands end in CR LF, LF or CR; replies end in CR LF)::

    *IDN?                     LABCTL-SIM,WL-100,<serial>,<firmware>
    LOAD <position> <id>,...  OK once the weights rest on the receptor | ERR <reason>
    ADD <position> <id>,...   OK | ERR <reason>      (position: the one already loaded)
    UNLOAD                    OK once the receptor is empty
    STAT?                     EMPTY | LOADED <position> <id>,...
    POS?                      <position>,...  (the positions the loader reaches)
    else                      ERR unknown command <name>

Reasons for ``ERR``: ``unknown weight <id>``, ``unreachable position <p>``,
``occupied: UNLOAD first or ADD``, ``position <p>: the load stands at <q>``,
``weight <id> already on the receptor``, ``weight <id> twice``, ``syntax: ...``.

A move takes ``move_time`` (default 4 s) plus ``time_per_weight`` (0.5 s) for each
weight moved, in clock time; the load changes on the platform, and ``OK`` is sent, when
the move ends. Commands run one after the other.

Parameters (``sim:`` in a bench file): ``weights`` (id -> true conventional mass, e.g.
``{W1: "2.000012 kg"}``; the bench computes them from the register), ``positions``
(default all five: centre, front, back, left, right), ``move_time``,
``time_per_weight``, ``platform`` (default ``weighing_platform``), ``serial``,
``model``, ``firmware``, ``name``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from labctl.errors import ConfigError
from labctl.sim.device import Reply
from labctl.sim.devices.sequential import SequentialDevice
from labctl.sim.weighing.build import POSITIONS, ParamReader, WeighingPlatform, shared_platform
from labctl.sim.world import World
from labctl.units import parse_quantity

NAME = "weight-loader"

# How far a simulated weight's true conventional mass lies from its certificate value,
# as a fraction of its standard uncertainty (uniform in +/- this fraction).
TRUE_MASS_SPREAD = 0.5


def true_weights(weights: tuple[Any, ...], world: World) -> dict[str, str]:
    """Each weight's true conventional mass in the simulated world: its register value
    plus a seeded deviation within ``TRUE_MASS_SPREAD`` of its standard uncertainty.
    Returned as ``{id: "<mass> kg"}``, the loader's ``weights:`` parameter."""
    rng = world.rng("standard-weights")
    out: dict[str, str] = {}
    for w in weights:
        deviation = float(rng.uniform(-TRUE_MASS_SPREAD, TRUE_MASS_SPREAD)) * w.u
        mass = (w.conventional_mass + deviation).to("kg")
        out[w.id] = f"{float(mass.magnitude):.12g} kg"
    return out
MAKER = "LABCTL-SIM"
KEYS = ("weights", "positions", "move_time", "time_per_weight", "platform", "serial",
        "model", "firmware", "name")


class WeightLoaderSim(SequentialDevice):
    """The device: a magazine of weights, an arm, and the platform it loads."""

    name = NAME
    read_termination = b"\r\n"
    write_termination = b"\r\n"

    def __init__(self, clock: Any, platform: WeighingPlatform, weights: Mapping[str, float],
                 *, positions: tuple[str, ...] = POSITIONS, move_time: float = 4.0,
                 time_per_weight: float = 0.5, serial: str = "WL100-0001",
                 model: str = "WL-100", firmware: str = "1.0") -> None:
        self.platform = platform
        self.weights = dict(weights)  # id -> true mass in kg
        self.positions = tuple(positions)
        self.move_time = move_time
        self.time_per_weight = time_per_weight
        self.serial = serial
        self.model = model
        self.firmware = firmware
        self._commands: dict[str, Callable[[float, list[str]], str | tuple[float, str]]] = {
            "*IDN?": self._idn, "LOAD": self._load, "ADD": self._add, "UNLOAD": self._unload,
            "STAT?": self._stat, "POS?": self._positions,
        }
        super().__init__(clock)

    # -- the protocol -----------------------------------------------------------------
    def handle(self, line: str) -> list[str | Reply]:
        parts = line.split()
        if not parts:
            return []
        start = self.start_time()
        handler = self._commands.get(parts[0].upper())
        if handler is None:
            return [self.reply_at(start, f"ERR unknown command {parts[0]}")]
        result = handler(start, parts[1:])
        at, text = result if isinstance(result, tuple) else (start, result)
        return [self.reply_at(at, text)]

    def _duration(self, count: int) -> float:
        return self.move_time + self.time_per_weight * count

    def _parse(self, args: list[str]) -> tuple[str, list[str]] | str:
        """(position, ids) or the text of an ERR reply."""
        if len(args) != 2:
            return "ERR syntax: expected <position> <id>,<id>,..."
        position, ids = args[0].lower(), [w for w in args[1].split(",") if w]
        if position not in self.positions:
            return (f"ERR unreachable position {position} "
                    f"(reaches {','.join(self.positions)})")
        if not ids:
            return "ERR syntax: no weight ids"
        for wid in ids:
            if wid not in self.weights:
                return f"ERR unknown weight {wid}"
        for wid in ids:
            if ids.count(wid) > 1:
                return f"ERR weight {wid} twice"
        return position, ids

    def _idn(self, start: float, args: list[str]) -> str:
        return f"{MAKER},{self.model},{self.serial},{self.firmware}"

    def _load(self, start: float, args: list[str]) -> str | tuple[float, str]:
        parsed = self._parse(args)
        if isinstance(parsed, str):
            return parsed
        position, ids = parsed
        if self.platform.last.weights:
            return "ERR occupied: UNLOAD first or ADD"
        done = start + self._duration(len(ids))
        self.platform.place({w: self.weights[w] for w in ids}, position, at=done)
        return done, "OK"

    def _add(self, start: float, args: list[str]) -> str | tuple[float, str]:
        parsed = self._parse(args)
        if isinstance(parsed, str):
            return parsed
        position, ids = parsed
        current = self.platform.last
        if not current.weights:
            return self._load(start, args)
        if position != current.position:
            return f"ERR position {position}: the load stands at {current.position}"
        for wid in ids:
            if wid in current.weights:
                return f"ERR weight {wid} already on the receptor"
        done = start + self._duration(len(ids))
        self.platform.add({w: self.weights[w] for w in ids}, at=done)
        return done, "OK"

    def _unload(self, start: float, args: list[str]) -> str | tuple[float, str]:
        if args:
            return "ERR syntax: UNLOAD takes no arguments"
        current = self.platform.last
        if not current.weights:
            return "OK"
        done = start + self._duration(len(current.weights))
        self.platform.remove_all(at=done)
        return done, "OK"

    def _stat(self, start: float, args: list[str]) -> str:
        state = self.platform.state(start)
        if not state.weights:
            return "EMPTY"
        return f"LOADED {state.position} {','.join(state.weights)}"

    def _positions(self, start: float, args: list[str]) -> str:
        return ",".join(self.positions)


def create(world: World, params: Mapping[str, Any]) -> WeightLoaderSim:
    """Simulator factory (entry point ``weight-loader`` in ``labctl.simulators``)."""
    reader = ParamReader(params, NAME, KEYS)
    raw = reader.get("weights") or {}
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError("the weight loader needs its weights: {id: true mass}",
                          where=reader.where("weights"),
                          hint='e.g. weights: {W1: "2.000012 kg", W2: "1.000004 kg"}')
    weights: dict[str, float] = {}
    for wid, mass in raw.items():
        text = str(wid)
        if not text or any(c in text for c in " ,\t"):
            raise ConfigError(f"weight id {text!r} cannot hold blanks or commas",
                              where=reader.where("weights"))
        q = parse_quantity(mass, where=reader.where("weights"), expect="kg")
        kg = float(q.m_as("kg"))
        if not kg > 0:
            raise ConfigError(f"weight {text!r} has no positive mass ({mass})",
                              where=reader.where("weights"))
        weights[text] = kg
    positions_raw = reader.get("positions", list(POSITIONS))
    if isinstance(positions_raw, str) or not all(p in POSITIONS for p in positions_raw):
        raise ConfigError(f"positions must be a list among {', '.join(POSITIONS)}",
                          where=reader.where("positions"))
    return WeightLoaderSim(
        world.clock, shared_platform(world, reader), weights,
        positions=tuple(positions_raw),
        move_time=reader.number("move_time", 4.0, unit="s", minimum=0.0),
        time_per_weight=reader.number("time_per_weight", 0.5, unit="s", minimum=0.0),
        serial=reader.text("serial", "WL100-0001"), model=reader.text("model", "WL-100"),
        firmware=reader.text("firmware", "1.0"))
