"""Clocks. Everything that waits takes a ``Clock``, so a virtual clock can run a
two-hour procedure in a second, with the same readings for the same seed."""

from __future__ import annotations

import threading
import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Seconds since an arbitrary origin, and a way to wait."""

    virtual: bool

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    """Wall time (monotonic) and real sleeps."""

    virtual = False

    def __init__(self) -> None:
        self._origin = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self._origin

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class VirtualClock:
    """Simulated time: ``sleep`` advances ``now`` at once. Thread-safe."""

    virtual = True

    def __init__(self, start: float = 0.0) -> None:
        self._t = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._t

    def sleep(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"cannot sleep a negative time ({seconds} s)")
        with self._lock:
            self._t += seconds

    def advance(self, seconds: float) -> None:
        """Move time forward without anybody sleeping (for tests and simulators)."""
        self.sleep(seconds)
