"""``SimTransport``: an in-process connection to a ``SimDevice`` on the bench's clock.

On a ``VirtualClock`` a read that finds no complete reply sleeps the clock straight to
the time the device's next bytes are due (``device.next_due()``) if that is within the
timeout, else sleeps the whole timeout and raises ``InstrumentTimeout``: a delayed reply
costs no wall time and a timeout costs exactly the timeout in virtual time. On a real
clock it waits in short sleeps until the deadline.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from labctl.clock import Clock
from labctl.sim.device import SimDevice
from labctl.transport.base import TransportOptions
from labctl.transport.buffered import BufferedTransport

# Longest single real-time sleep while polling a device that has nothing queued.
POLL_INTERVAL = 0.005


class SimTransport(BufferedTransport):
    """A ``Transport`` whose other end is a simulator object in the same process."""

    def __init__(self, device: SimDevice, options: TransportOptions | None = None,
                 clock: Clock | None = None, *, resource: str | None = None) -> None:
        super().__init__(resource or f"sim://{device.name}", options or TransportOptions())
        self.device = device
        self.clock = clock if clock is not None else device.clock
        self._virtual = bool(getattr(self.clock, "virtual", False))

    # -- Transport -------------------------------------------------------
    def query(self, command: str) -> str:
        # The hot path of every simulated reading: write and read inlined, one lock.
        with self.lock:
            self._last_command = command
            device = self.device
            if self._closed or not device.connected:
                self._check_link(command)
            encoding = self.options.encoding
            device.write(command.encode(encoding) + self._wterm)
            buf = self._buf
            if not buf:  # the common case: the whole reply is due now
                chunk = device.read()
                idx = chunk.find(self._rterm)
                if idx >= 0 and idx + len(self._rterm) == len(chunk):
                    return self.decode(chunk[:idx], command)
                buf += chunk
            return self._read_line(command)

    def discard_input(self) -> None:
        with self.lock:
            self._buf.clear()
            if not self._closed and self.device.connected:
                self.device.read()

    def close(self) -> None:
        with self.lock:
            self._closed = True
            self._buf.clear()

    # -- internals -------------------------------------------------------
    def _check_link(self, command: str | None) -> None:
        self._check_open(command)
        if not self.device.connected:
            raise self.link_error("the simulated link is disconnected", command)

    def _write_raw(self, data: bytes, command: str | None) -> None:
        self._check_link(command)
        self.device.write(data)

    def _fill(self, complete: Callable[[bytearray], int], command: str | None) -> int:
        """Read from the device until ``complete(buffer)`` gives an index >= 0; wait on
        the clock for delayed bytes; raise on timeout or a lost link."""
        buf = self._buf
        clock = self.clock
        timeout = self.options.timeout
        start = clock.now()
        deadline = start + timeout
        while True:
            end = complete(buf)
            if end >= 0:
                return end
            self._check_link(command)
            chunk = self.device.read()
            if chunk:
                buf += chunk
                continue
            now = clock.now()
            due = self.device.next_due()
            if self._virtual:
                if due is not None and due <= deadline:
                    # sleep to the due time; a rounding shortfall still advances by one ulp
                    clock.sleep(max(due - now, math.ulp(now)))
                    continue
                if deadline > now:
                    clock.sleep(deadline - now)
                raise self.timeout_error(command, clock.now() - start, bytes(buf))
            if now >= deadline:
                raise self.timeout_error(command, timeout, bytes(buf))
            wait = deadline - now
            if due is not None:
                wait = min(wait, max(due - now, 0.0))
            clock.sleep(min(wait, POLL_INTERVAL))
