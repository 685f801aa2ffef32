"""Replaying an instrument's manual: a fake transport that holds an exact transcript.

A test reads like the manual::

    t = Transcript([("S", "S S     100.00 g"), ("Z", "Z A")])
    scale = MtSicsScale(t, name="dut", max="220 g", d="0.01 g")
    ...
    t.assert_done()

Each step is (command the driver must send, what the instrument answers): one line, a
list of lines, ``None`` for no answer, or ``TIMEOUT`` (a read then raises
``InstrumentTimeout``). ``unsolicited`` lines are waiting before the first command (a
balance's power-on message). A command other than the next one in the transcript, or a
command after its end, fails the test at once with both named.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence

from labctl.transport.base import Transport, TransportOptions


class _Timeout:
    def __repr__(self) -> str:
        return "TIMEOUT"


TIMEOUT = _Timeout()

Answer = str | Sequence[str] | None | _Timeout


class TranscriptMismatch(AssertionError):
    """The driver sent something the transcript does not say."""


class Transcript(Transport):
    def __init__(self, steps: Iterable[tuple[str, Answer]], *, unsolicited: Iterable[str] = (),
                 instrument: str = "dut", timeout: float = 2.0) -> None:
        super().__init__("transcript://", TransportOptions(instrument=instrument,
                                                           timeout=timeout))
        self.steps = list(steps)
        self.position = 0
        self.sent: list[str] = []
        self.timeouts_seen: list[float] = []
        self._lines: deque[str | _Timeout] = deque(unsolicited)
        self._last: str | None = None
        self.closed = False

    def write(self, command: str) -> None:
        self.sent.append(command)
        self._last = command
        if self.position >= len(self.steps):
            raise TranscriptMismatch(
                f"the driver sent {command!r} after the transcript ended "
                f"(it has {len(self.steps)} steps)")
        expected, answer = self.steps[self.position]
        if command != expected:
            raise TranscriptMismatch(
                f"step {self.position}: the driver sent {command!r}, the transcript expects "
                f"{expected!r}")
        self.position += 1
        if answer is None:
            return
        if isinstance(answer, str | _Timeout):
            self._lines.append(answer)
        else:
            self._lines.extend(answer)

    def read(self) -> str:
        self.timeouts_seen.append(self.options.timeout)
        if not self._lines:
            raise self.timeout_error(self._last, self.options.timeout)
        line = self._lines.popleft()
        if isinstance(line, _Timeout):
            raise self.timeout_error(self._last, self.options.timeout)
        return line

    def read_bytes(self, count: int) -> bytes:
        raise TranscriptMismatch("transcripts hold lines, not byte counts")

    def close(self) -> None:
        self.closed = True

    def assert_done(self) -> None:
        """Every step was sent and every answer read."""
        if self.position != len(self.steps):
            missing = [cmd for cmd, _ in self.steps[self.position:]]
            raise TranscriptMismatch(f"the driver did not send {missing!r}")
        if self._lines:
            raise TranscriptMismatch(f"answers never read: {list(self._lines)!r}")
