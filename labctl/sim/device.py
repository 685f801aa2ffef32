"""The interface every device simulator offers: a byte stream, like a serial line.

A simulator receives the bytes a client writes (``write``) and queues the bytes it
answers (``read``). It never blocks: when no reply is due, ``read`` returns b"".
Replies are produced from the device model at the clock's current time, so a
simulator knows nothing of drivers, transports or threads. The same object serves
an in-process ``sim://`` transport and the real-time TCP / pseudo-terminal server.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod

from labctl.sim.clock import Clock


class SimDevice(ABC):
    """Base of line-oriented device simulators.

    Subclasses set ``read_termination`` (what ends an incoming command) and
    ``write_termination`` (what they append to each reply line), and implement
    ``handle(line) -> list[str]`` returning the reply lines for one command.
    ``power_on()`` may return unsolicited lines sent before any command.
    """

    name: str = "sim"
    read_termination: bytes = b"\r\n"
    write_termination: bytes = b"\r\n"
    encoding: str = "ascii"

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._inbuf = bytearray()
        self._outbuf = bytearray()
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
        """Bytes the device has sent and the client has not read yet (may be b"")."""
        with self._lock:
            chunk = bytes(self._outbuf[:max_bytes])
            del self._outbuf[: len(chunk)]
            return chunk

    def pending(self) -> int:
        with self._lock:
            return len(self._outbuf)

    def _queue(self, line: str | bytes) -> None:
        data = line if isinstance(line, bytes) else line.encode(self.encoding)
        self._outbuf += data + self.write_termination

    # -- the device ------------------------------------------------------
    def power_on(self) -> list[str]:
        """Lines the device sends by itself when switched on (none by default)."""
        return []

    @abstractmethod
    def handle(self, line: str) -> list[str]:
        """Reply lines for one received command (an empty list for no reply)."""
