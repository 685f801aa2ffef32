"""A small SCPI-ish test device, shared by the transport and simulator tests.

Import it as ``from simdevices_for_tests import Meter``: ``tests/`` is on ``sys.path``
(pytest puts it there for ``tests/conftest.py``, which has no ``__init__.py`` beside it).
No labctl simulator is needed to use it.
"""

from __future__ import annotations

from labctl.clock import Clock
from labctl.sim.device import Reply, SimDevice


class Meter(SimDevice):
    """``*IDN?`` gives ``idn``; ``MEAS?`` gives 1.0, 2.0, ... (one more per reading);
    ``ECHO x`` gives x; ``SLOW? s`` answers "done" s seconds later; ``TWO?`` answers two
    lines; ``PART?`` answers without a termination; ``BIN?`` answers bytes that are not
    ASCII; ``SET x`` / ``GET?`` keep a value; anything else gets no reply. A command
    longer than 64 bytes gets ``ERR too long``."""

    name = "meter"
    idn = "LABCTL,METER,1234,1.0"
    max_command_length = 64
    overlong_reply = "ERR too long"

    def __init__(self, clock: Clock, power_on_lines: tuple[str, ...] = ()) -> None:
        self._power_on_lines = power_on_lines
        self.count = 0
        self.value = "0"
        super().__init__(clock)

    def power_on(self) -> list[str]:
        return list(self._power_on_lines)

    def handle(self, line: str) -> list[str | Reply]:
        word, _, arg = line.partition(" ")
        if word == "*IDN?":
            return [self.idn]
        if word == "MEAS?":
            self.count += 1
            return [f"{self.count:.1f}"]
        if word == "ECHO":
            return [arg]
        if word == "SLOW?":
            return [Reply("done", float(arg))]
        if word == "TWO?":
            return ["first", "second"]
        if word == "PART?":
            return [Reply("abc", 0.0, terminated=False)]
        if word == "BIN?":
            return [b"\xff\xfe\x80"]
        if word == "SET":
            self.value = arg
            return []
        if word == "GET?":
            return [self.value]
        return []
