"""What the MT-SICS and A&D scale drivers share: replies that carry no request id.

On such a line a balance may send lines other than the reply awaited: a line it sends
unasked when switched on, or the late reply of a command that timed out. The reply to a
command is the first line that answers it; other lines are skipped (and kept, to be
shown in errors and by the caller), ``max_skipped`` of them at most.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import ClassVar

from labctl.drivers.weighing.capabilities import WeighingReading
from labctl.drivers.weighing.scale import ScaleInstrument
from labctl.errors import InstrumentError, InstrumentTimeout


class LineScale(ScaleInstrument):
    """A scale driver that matches reply lines to its commands."""

    max_skipped: ClassVar[int] = 8  # unsolicited or stale lines skipped while waiting
    # What to do when only lines that answer nothing come (the balance's output mode).
    other_lines_hint: ClassVar[str] = ""

    def read_reply(self, command: str, answers: Callable[[str], bool],
                   check: Callable[[str, str], None], kept: deque[str]) -> str:
        """Read lines until one ``answers`` ``command`` and return it.

        ``check(command, line)`` raises ``InstrumentError`` for an error reply; any other
        line is skipped and appended to ``kept``. A timeout after skipped lines names
        them; more than ``max_skipped`` of them raise ``InstrumentError``.
        """
        skipped: list[str] = []
        for _ in range(self.max_skipped + 1):
            try:
                line = self.read(command)
            except InstrumentTimeout as err:
                if not skipped:
                    raise
                raise InstrumentTimeout(
                    f"no reply to {command!r}, only other lines", instrument=self.name,
                    command=command, reply=" | ".join(skipped),
                    hint="a garbled reply, or the late reply of an earlier command") from err
            if answers(line):
                return line
            check(command, line)
            kept.append(line)
            skipped.append(line)
        raise InstrumentError(
            f"no reply to {command!r} among the {self.max_skipped + 1} lines received",
            instrument=self.name, command=command, reply=line, hint=self.other_lines_hint)

    def zero_confirmed(self, zero: Callable[[], None], timeout: float | None) -> None:
        """``zero()``, and if its reply is lost or garbled, the scale read back: a stable
        zero indication shows the zero-setting took effect (it is not sent again)."""
        self.confirmed_by_state("zero", zero, lambda: self._reads_zero(timeout))

    def tare_confirmed(self, tare: Callable[[], WeighingReading],
                       tare_value: Callable[[], WeighingReading],
                       timeout: float | None) -> WeighingReading:
        """``tare()``, and if its reply is lost or garbled, the scale read back: a
        stable net zero shows the tare took effect; its value is then asked for
        (``tare_value()``, an idempotent query), the tare is not sent again."""
        done = self.confirmed_by_state("tare", tare, lambda: self._reads_zero(timeout))
        return tare_value() if done is None else done

    def _reads_zero(self, timeout: float | None) -> bool:
        reading = self.read_stable(timeout)
        return (reading.stable and not reading.overload and not reading.underload
                and reading.value.magnitude == 0)

    def stable_seconds(self, timeout: float | None) -> float:
        """How long a command that waits for stability may take: ``timeout``, or the
        ``stable_timeout`` option when None."""
        return self.stable_timeout if timeout is None else float(timeout)


def timeout_cause(err: InstrumentTimeout) -> str:
    """Why a command that waits for stability timed out, from its ``InstrumentTimeout``:
    other lines came instead of the reply, or the load did not settle."""
    if err.reply:
        return "lines that do not answer it came instead (garbled, or an earlier command's)"
    return ("the load did not settle (draught, vibration, a weight still moving) or the "
            "timeout is too short")
