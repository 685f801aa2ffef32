"""A simulated multi-port stream-selection valve with a cylinder on each port (commands
and replies end in CR LF; one reply per command)::

    ID      ->  ID=LABCTL-SIM,SSV-8,<serial>,<firmware>
    NP      ->  NP=<positions>
    GO<p>   ->  GO=<p>         the rotor moves; CP answers 0 until it is in place
    CP      ->  CP=<p> (0 while moving)
    ?ERR RANGE (port outside 1..positions or not a number), ?ERR CMD (anything else)

Physics: turning to a port feeds the world's gas line (``labctl.sim.gas.line``) the
true contents of the cylinder plumbed to it (dry gas: component -> amount fraction); a
port without a cylinder feeds nothing (``{}``). The gas reaches the line as the rotor
starts to move (the move, ``move_time`` per port stepped, is short beside the line's
flush); the analyzer sees it ``delay`` later (the line's transport delay).

Parameters: ``serial``, ``firmware``, ``positions`` (8), ``move_time`` (per port
stepped, 0.1 s), ``ports`` (port -> cylinder id: the plumbing; the bench gives the
driver's ``ports`` option here too, e.g. with a YAML anchor), ``cylinders_true``
(cylinder id -> {component: mol/mol}, set by the driver's ``simulation_params`` from the
register), ``delay`` (the line's transport delay, 0 s), ``start`` (the port in place at
power-on, 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labctl.errors import ConfigError
from labctl.sim.device import SimDevice
from labctl.sim.gas.line import GasLine, line_of
from labctl.sim.params import ParamReader
from labctl.sim.world import World

KEYS = ("serial", "firmware", "positions", "move_time", "ports", "cylinders_true", "delay",
        "start", "seed")


class StreamSelectorSim(SimDevice):
    name = "gas-stream-selector"
    read_termination = b"\n"
    write_termination = b"\r\n"

    def __init__(self, world: World, line: GasLine, *, serial: str, firmware: str,
                 positions: int, move_time: float, gases: Mapping[int, Mapping[str, float]],
                 start: int) -> None:
        self.line = line
        self.serial, self.firmware = serial, firmware
        self.positions, self.move_time = positions, move_time
        self.gases = {int(p): dict(g) for p, g in gases.items()}
        super().__init__(world.clock)
        self.port = start
        self.arrives = self.clock.now()
        self.line.feed(self.gases.get(start, {}))

    def handle(self, line: str) -> list[str]:
        command = line.strip().upper()
        if command == "ID":
            return [f"ID=LABCTL-SIM,SSV-{self.positions},{self.serial},{self.firmware}"]
        if command == "NP":
            return [f"NP={self.positions}"]
        if command == "CP":
            return [f"CP={self.port if self.clock.now() >= self.arrives else 0}"]
        if command.startswith("GO"):
            try:
                port = int(command[2:])
            except ValueError:
                return ["?ERR RANGE"]
            if not 1 <= port <= self.positions:
                return ["?ERR RANGE"]
            steps = min(abs(port - self.port), self.positions - abs(port - self.port))
            self.arrives = self.clock.now() + steps * self.move_time
            self.port = port
            self.line.feed(self.gases.get(port, {}))
            return [f"GO={port}"]
        return ["?ERR CMD"]


def create(world: World, params: Mapping[str, Any]) -> StreamSelectorSim:
    """Simulator factory (``gas-stream-selector`` in ``labctl.simulators``)."""
    r = ParamReader(params, "gas-stream-selector", KEYS)
    positions = int(r.number("positions", 8, minimum=2))
    truth = r.get("cylinders_true") or {}
    ports = r.get("ports") or {}
    if not isinstance(ports, Mapping):
        raise ConfigError("ports: a mapping port -> cylinder id", where=r.where("ports"))
    gases: dict[int, Mapping[str, float]] = {}
    for port, cylinder in ports.items():
        if str(cylinder) not in truth:
            raise ConfigError(f"port {port}: cylinder {cylinder!r} is not among the bench's "
                              "cylinders", where=r.where("ports"),
                              hint="plumb only cylinders the bench lists in its standards")
        gases[int(port)] = truth[str(cylinder)]
    line = line_of(world, r.number("delay", 0.0, unit="s", minimum=0))
    return StreamSelectorSim(
        world, line, serial=r.text("serial", "SSV-0001"), firmware=r.text("firmware", "3.2"),
        positions=positions, move_time=r.number("move_time", 0.1, unit="s", minimum=0),
        gases=gases, start=int(r.number("start", 1, minimum=1)))
