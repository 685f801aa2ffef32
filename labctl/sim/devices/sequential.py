"""A simulated device that does one command after the other.

A real balance or loader that is still settling for an ``S`` or moving weights for a
``LOAD`` handles the next command only when it is done. ``SequentialDevice`` keeps the
time its last queued reply is due (``busy_until``); a handler evaluates its model at
``start = max(now, busy_until)`` and queues its reply with ``reply_at(t, line)``.
``cancel_pending()`` drops replies not yet due (a reset, a cancel command).
"""

from __future__ import annotations

import math

from labctl.clock import Clock
from labctl.sim.device import Reply, SimDevice


class SequentialDevice(SimDevice):
    """Base of simulators whose commands take clock time and run in order."""

    def __init__(self, clock: Clock) -> None:
        self.busy_until = -math.inf
        super().__init__(clock)

    def start_time(self) -> float:
        """When a command received now starts: now, or when the one before is done."""
        return max(self.clock.now(), self.busy_until)

    def reply_at(self, t: float, line: str) -> Reply:
        """A reply sent at clock time ``t`` (not before now)."""
        now = self.clock.now()
        self.busy_until = max(self.busy_until, t)
        return Reply(line, max(0.0, t - now))

    def cancel_pending(self) -> None:
        """Drop the replies that are not due yet; the device is free at once."""
        with self._lock:
            now = self.clock.now()
            self._outbuf[:] = [entry for entry in self._outbuf if entry[0] <= now]
            self.busy_until = now
