"""``BufferedTransport``: replies arrive in chunks into a buffer, lines are cut from it.

``SerialTransport`` (a pyserial port) and ``SimTransport`` (an in-process simulator)
read whatever has arrived into one buffer and wait, each its own way, for more;
cutting a line or a byte count from that buffer is the same for both.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING

from labctl.transport.base import CommandTransport, TransportOptions

if TYPE_CHECKING:
    from labctl.protocols.framing import FrameParser


class BufferedTransport(CommandTransport):
    """A ``CommandTransport`` that keeps the bytes read but not yet returned.

    Subclasses implement ``_fill(complete, command)``: read into ``self._buf`` until
    ``complete(buffer)`` gives an index >= 0 and return it, or raise on a timeout or a
    lost link.
    """

    def __init__(self, resource: str, options: TransportOptions) -> None:
        super().__init__(resource, options)
        self._buf = bytearray()

    def read_bytes(self, count: int) -> bytes:
        with self.lock:
            self._fill(lambda buf: count if len(buf) >= count else -1, self._last_command)
            data = bytes(self._buf[:count])
            del self._buf[:count]
            return data

    def read_frame(self, parser: FrameParser, timeout: float | None = None) -> bytes:
        with self.lock, self.timeout(timeout):
            command = self._last_command
            searched = 0

            def complete(buf: bytearray) -> int:
                nonlocal searched
                end = self._frame_end(parser, buf, searched, command)
                searched = len(buf)
                return -1 if end is None else end

            end = self._fill(complete, command)
            frame = bytes(self._buf[:end])
            del self._buf[:end]
            return frame

    def _read_line(self, command: str | None) -> str:
        term = self._rterm
        buf = self._buf
        idx = buf.find(term)
        if idx >= 0:  # the common case: the line is already here
            line = bytes(buf[:idx])
            del buf[: idx + len(term)]
            return self.decode(line, command)
        back = len(term) - 1
        searched = 0

        def complete(buf: bytearray) -> int:
            # search only what arrived since the last look: a long reply costs linear time
            nonlocal searched
            found = buf.find(term, max(0, searched - back))
            searched = len(buf)
            return found

        end = self._fill(complete, command)
        line = bytes(buf[:end])
        del buf[: end + len(term)]
        return self.decode(line, command)

    @abstractmethod
    def _fill(self, complete: Callable[[bytearray], int], command: str | None) -> int:
        """Read until ``complete(buffer)`` gives an index >= 0; return that index."""
