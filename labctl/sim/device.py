"""The interface every device simulator offers: a byte stream, like a serial line.

A simulator receives the bytes a client writes (``write``) and queues the bytes it
answers (``read``). It never blocks: when no reply is due, ``read`` returns b"".
Replies are produced from the device model at the clock's current time, so a
simulator knows nothing of drivers, transports or threads. A reply may be due later
(a balance answers ``S`` only once the load has settled): ``handle`` returns
``Reply(line, delay)`` and the reply becomes readable when the clock gets there.
``next_due()`` tells a transport on a virtual clock how far to sleep. The same object serves
an in-process ``sim://`` transport and the real-time TCP / pseudo-terminal server.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass

from labctl.clock import Clock


@dataclass(frozen=True)
class Reply:
    """A reply line sent ``delay`` seconds (clock time) after the command arrived.
    ``terminated=False`` sends ``line`` as it is, without the write termination (fault
    injection uses it to lose bytes of a line, its termination included)."""

    line: str | bytes
    delay: float = 0.0
    terminated: bool = True


class SimDevice(ABC):
    """Base of line-oriented device simulators.

    Subclasses set ``read_termination`` (what ends an incoming command) and
    ``write_termination`` (what they append to each reply line), and implement
    ``handle(line) -> list[str | Reply]`` returning the reply lines for one command.
    ``power_on()`` may return unsolicited lines sent before any command.
    """

    name: str = "sim"
    read_termination: bytes = b"\r\n"
    write_termination: bytes = b"\r\n"
    encoding: str = "ascii"

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._inbuf = bytearray()
        self._outbuf: list[tuple[float, bytes]] = []  # (due time, bytes), in due order
        self._lock = threading.RLock()
        self.connected = True
        for line in self.power_on():
            self._queue(line)

    # -- the byte stream -------------------------------------------------
    def write(self, data: bytes) -> None:
        """Bytes from the client. Complete commands are handled at once."""
        with self._lock:
            self._inbuf += data
            term = self.read_termination
            while True:
                idx = self._find_terminator(term)
                if idx < 0:
                    break
                raw = bytes(self._inbuf[:idx])
                del self._inbuf[: idx + len(term)]
                line = raw.decode(self.encoding, errors="replace").strip("\r\n")
                for reply in self.handle(line):
                    self._queue(reply)

    def _find_terminator(self, term: bytes) -> int:
        # A device that ends commands in CR LF usually also accepts a bare LF or CR.
        idx = self._inbuf.find(term)
        if idx < 0 and term == b"\r\n":
            for alt in (b"\n", b"\r"):
                j = self._inbuf.find(alt)
                if j >= 0:
                    return j if alt == b"\n" or self._inbuf[j + 1 : j + 2] != b"\n" else -1
        return idx

    def read(self, max_bytes: int = 65536) -> bytes:
        """Bytes the device has sent by now and the client has not read (may be b"")."""
        with self._lock:
            now = self.clock.now()
            out = bytearray()
            while self._outbuf and self._outbuf[0][0] <= now and len(out) < max_bytes:
                due, data = self._outbuf[0]
                take = data[: max_bytes - len(out)]
                out += take
                if len(take) == len(data):
                    self._outbuf.pop(0)
                else:
                    self._outbuf[0] = (due, data[len(take):])
            return bytes(out)

    def next_due(self) -> float | None:
        """Clock time at which the next unread bytes become readable (None: nothing queued)."""
        with self._lock:
            return self._outbuf[0][0] if self._outbuf else None

    def _queue(self, line: str | bytes | Reply) -> None:
        delay, term = 0.0, self.write_termination
        if isinstance(line, Reply):
            term = term if line.terminated else b""
            line, delay = line.line, line.delay
        data = line if isinstance(line, bytes) else line.encode(self.encoding)
        due = self.clock.now() + max(0.0, delay)
        if self._outbuf:  # a device sends in order: never before what it queued earlier
            due = max(due, self._outbuf[-1][0])
        self._outbuf.append((due, data + term))

    # -- the device ------------------------------------------------------
    def power_on(self) -> list[str]:
        """Lines the device sends by itself when switched on (none by default)."""
        return []

    @abstractmethod
    def handle(self, line: str) -> list[str | Reply]:
        """Reply lines for one received command (an empty list for no reply)."""
