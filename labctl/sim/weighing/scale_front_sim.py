"""What the simulated scales share: a protocol front on a ``ScaleModel``.

The MT-SICS and the A&D simulators differ in their command names and reply formats,
not in what a command does to the scale: ``S`` waits for a stable load (or the device's
own timeout, or an out-of-range load, which shows at once), ``Z`` and ``T`` zero and tare
once the load is stable. ``ScaleFront`` holds that part; a subclass turns each outcome
into its protocol's reply lines.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from labctl.sim.device import Reply
from labctl.sim.devices.sequential import SequentialDevice
from labctl.sim.weighing.scale_model import ScaleModel


class ScaleFront(SequentialDevice):
    """Base of the scale simulators. A subclass sets ``corrupted_reply`` (the answer to a
    line with a byte that is not printable ASCII) and implements ``dispatch``."""

    read_termination = b"\r\n"
    write_termination = b"\r\n"
    corrupted_reply = ""

    def __init__(self, clock: Any, model: ScaleModel, *, serial: str, type_name: str) -> None:
        self.model = model
        self.serial = serial
        self.type_name = type_name
        super().__init__(clock)

    # -- the protocol -----------------------------------------------------------------
    def handle(self, line: str) -> list[str | Reply]:
        text = line.strip()
        if not text:
            return []
        start = self.start_time()
        if any(c == "\ufffd" or ord(c) > 126 for c in text):
            return [self.reply_at(start, self.corrupted_reply)]
        return self.dispatch(start, text)

    @abstractmethod
    def dispatch(self, start: float, text: str) -> list[str | Reply]:
        """The replies to the command ``text`` (stripped, printable), which starts at
        clock time ``start``."""

    # -- what the commands do to the scale --------------------------------------------
    def timeout_at(self, start: float) -> float:
        """When the device gives up waiting for a stable load (its own timeout)."""
        return start + self.model.p.timeout

    def stable_time(self, start: float) -> float | None:
        """When the load is stable, from ``start`` (None: not before the timeout)."""
        return self.model.next_stable(start, self.timeout_at(start))

    def out_of_range(self, start: float, at: float | None) -> tuple[float, str] | None:
        """When, until ``at`` (the stable time; None: the timeout), the indication first
        leaves the weighing range, and how (``"+"`` or ``"-"``); None if it does not."""
        return self.model.first_out_of_range(start, at if at is not None
                                             else self.timeout_at(start))

    def zero_at(self, at: float) -> str:
        """Zero-setting at ``at`` (a time the load is stable): the model's verdict,
        ``"A"``, ``"+"`` or ``"-"``; with ``"A"`` the zero is set at ``at``."""
        model = self.model
        status = model.zero_check(at)
        if status == "A":
            model.schedule(at, lambda: model.set_zero(at))
        return status

    def tare_at(self, at: float) -> tuple[str, float]:
        """Taring at ``at`` (a time the load is stable): the model's verdict, ``"S"``,
        ``"+"`` or ``"-"``, and with ``"S"`` the tare, which is set at ``at``."""
        model = self.model
        status = model.tare_check(at)
        if status != "S":
            return status, 0.0
        value = model.round(model.raw(at) - model.zero_point)
        model.schedule(at, lambda: setattr(model, "tare", value))
        return status, value
