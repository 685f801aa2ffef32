"""The Transport interface.

Text: ``write(command)``, ``read()``, ``query(command)`` (terminations and encoding from
the options). Bytes: ``write_bytes(data)``, ``read_bytes(count)`` and
``read_frame(parser, timeout)`` (a frame cut by a ``labctl.protocols.framing`` parser:
HJ 212, Modbus RTU, a line). ``with transport.timeout(seconds):`` changes the timeout
of every read inside the block. ``discard_input()`` drops what arrived unread.
"""

from __future__ import annotations

import math
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from labctl.errors import ConfigError, InstrumentError, InstrumentTimeout, TransportError

if TYPE_CHECKING:
    from labctl.protocols.framing import FrameParser


@dataclass(frozen=True)
class TransportOptions:
    """Per-instrument line settings (from the bench file's ``options``)."""

    read_termination: str = "\r\n"
    write_termination: str = "\r\n"
    encoding: str = "ascii"
    timeout: float = 2.0  # seconds
    baud_rate: int | None = None
    instrument: str | None = None  # the bench's name for the instrument, for error messages
    visa_backend: str = "@py"  # pyvisa backend for VISA resources: "@py" (pyvisa-py) or "@ivi"


class Transport(ABC):
    """A connection to one instrument. ``query`` holds the lock for the whole
    write-then-read, so two threads never interleave on one port."""

    def __init__(self, resource: str, options: TransportOptions) -> None:
        self.resource = resource
        self.options = options
        self.lock = threading.RLock()

    @abstractmethod
    def write(self, command: str) -> None:
        """Send ``command`` plus the write termination."""

    @abstractmethod
    def read(self) -> str:
        """Read up to the read termination; return the text without it.
        Raise ``InstrumentTimeout`` (naming instrument, resource, time waited) on timeout."""

    @abstractmethod
    def read_bytes(self, count: int) -> bytes:
        """Read exactly ``count`` bytes or raise ``InstrumentTimeout``."""

    def write_bytes(self, data: bytes, command: str | None = None) -> None:
        """Send ``data`` as it is (no termination, no encoding). ``command`` names it in
        the errors of the reads that follow (default: the first bytes, as a literal)."""
        raise TransportError(f"{type(self).__name__} carries text lines, not raw bytes",
                             instrument=self.options.instrument, command=command,
                             hint="use write() and read()")

    def read_frame(self, parser: FrameParser, timeout: float | None = None) -> bytes:
        """Read one frame as ``parser`` delimits it (``labctl.protocols.framing``) and
        return its bytes, whole (a line's terminator, a frame's CRC included). Bytes that
        cannot start a frame raise ``InstrumentError`` with them (they are dropped);
        ``timeout`` (seconds) overrides the transport's for this read.

        This default reads byte by byte through ``read_bytes``; transports with an input
        buffer cut frames from it."""
        with self.lock, self.timeout(timeout):
            buf = bytearray()
            while True:
                buf += self.read_bytes(1)
                end = self._frame_end(parser, buf, len(buf) - 1, None)
                if end is not None:
                    return bytes(buf[:end])

    def _frame_end(self, parser: FrameParser, buf: bytearray, searched: int,
                   command: str | None) -> int | None:
        """``parser.end(buf)``, its errors turned into ``InstrumentError`` (with the bytes,
        which are dropped from ``buf``)."""
        from labctl.protocols.framing import FramingError

        try:
            return parser.end(buf, 0, searched)
        except FramingError as exc:
            got = bytes(buf[:64])
            buf.clear()
            raise InstrumentError(f"garbled reply from {self.resource}: {exc.message}",
                                  instrument=self.options.instrument, command=command,
                                  reply=got, hint=exc.hint) from None

    @contextmanager
    def timeout(self, seconds: float | None) -> Iterator[None]:
        """Use another timeout (seconds) for every read inside the ``with`` block
        (``None`` keeps the current one). Holds the lock meanwhile, so no other thread's
        exchange runs with it."""
        if seconds is None:
            yield
            return
        if not (seconds > 0 and math.isfinite(seconds)):
            raise ConfigError(f"a timeout must be a positive number of seconds, got {seconds}",
                              where=f"instrument {self.options.instrument!r}"
                              if self.options.instrument else self.resource)
        with self.lock:
            old = self.options
            if old.timeout == seconds:
                yield
                return
            self.options = self._options_with_timeout(old, float(seconds))
            self._apply_timeout(float(seconds))
            try:
                yield
            finally:
                self.options = old
                self._apply_timeout(old.timeout)

    def _apply_timeout(self, seconds: float) -> None:  # noqa: B027 (most read options per read)
        """Hand a new timeout to the layer below (a pyvisa resource keeps its own);
        transports that read ``options.timeout`` on each read need nothing here."""

    def _options_with_timeout(self, options: TransportOptions,
                              seconds: float) -> TransportOptions:
        # dataclasses.replace costs microseconds: keep the few variants a driver uses.
        cache = self.__dict__.setdefault("_timeout_options", {})
        key = (id(options), seconds)
        hit = cache.get(key)
        if hit is not None and hit[0] is options:
            return hit[1]
        if len(cache) > 16:
            cache.clear()
        changed = replace(options, timeout=seconds)
        cache[key] = (options, changed)
        return changed

    @abstractmethod
    def close(self) -> None:
        """Release the connection; closing twice is harmless."""

    def discard_input(self) -> None:  # noqa: B027 (a deliberate no-op default, see below)
        """Drop input that has arrived and not been read (stale replies, unsolicited lines).

        Transports with an input buffer override this; one without (a transcript replay)
        has nothing to drop."""

    def query(self, command: str) -> str:
        with self.lock:
            self.write(command)
            return self.read()

    # -- errors every transport raises the same way ------------------------
    def timeout_error(self, command: str | None, waited: float,
                      partial: bytes = b"") -> InstrumentTimeout:
        """``InstrumentTimeout`` naming the instrument, the resource, the command and the
        seconds waited; ``partial`` is what arrived without the read termination."""
        if partial:
            what = (f"no complete reply within {waited:.2g} s from {self.resource}: "
                    f"got {len(partial)} byte(s) without the read termination "
                    f"{self.options.read_termination!r}")
            hint = "check the read termination in the bench file's options"
        else:
            what = f"no reply within {waited:.2g} s from {self.resource}"
            hint = ("is it switched on and connected, is the address right? "
                    "a slow instrument needs a longer timeout in the bench file's options")
        return InstrumentTimeout(what, instrument=self.options.instrument, command=command,
                                 reply=partial or None, hint=hint)

    def decode(self, raw: bytes, command: str | None) -> str:
        """``raw`` as text in the instrument's encoding; bytes that are not text raise
        ``InstrumentError`` with the raw reply (a garbled line, a wrong baud rate)."""
        try:
            return raw.decode(self.options.encoding)
        except UnicodeDecodeError as exc:
            raise InstrumentError(
                f"reply from {self.resource} is not {self.options.encoding} text",
                instrument=self.options.instrument, command=command, reply=raw,
                hint="noise on the line or a wrong baud rate or encoding in the bench file",
            ) from exc

    def link_error(self, what: str, command: str | None = None,
                   hint: str | None = None) -> TransportError:
        """``TransportError`` for a connection that is closed, lost or failing."""
        return TransportError(f"{what} on {self.resource}", instrument=self.options.instrument,
                              command=command,
                              hint=hint or "check the cable or network and reopen the bench")

    def closed_error(self, command: str | None) -> TransportError:
        """``TransportError`` for a command on a transport that was closed."""
        return self.link_error("the connection is closed", command,
                               hint="open the transport again")

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class CommandTransport(Transport):
    """A ``Transport`` that remembers the last command written, so that the errors of
    the ``read`` that follows name it.

    Subclasses implement ``_write_raw(data, command)`` and ``_read_line(command)``;
    ``write``, ``write_bytes``, ``read`` and ``query`` call them with the lock held.
    """

    def __init__(self, resource: str, options: TransportOptions) -> None:
        super().__init__(resource, options)
        opts = self.options
        self._wterm = opts.write_termination.encode(opts.encoding)
        self._rterm = opts.read_termination.encode(opts.encoding)
        self._last_command: str | None = None
        self._closed = False

    def write(self, command: str) -> None:
        with self.lock:
            self._last_command = command
            self._write(command)

    def read(self) -> str:
        with self.lock:
            return self._read_line(self._last_command)

    def query(self, command: str) -> str:
        with self.lock:
            self._last_command = command
            self._write(command)
            return self._read_line(command)

    def write_bytes(self, data: bytes, command: str | None = None) -> None:
        with self.lock:
            name = command if command is not None else _name_bytes(data)
            self._last_command = name
            self._write_raw(bytes(data), name)

    def _write(self, command: str) -> None:
        """Send ``command`` plus the write termination (the lock is held)."""
        self._write_raw(command.encode(self.options.encoding) + self._wterm, command)

    @abstractmethod
    def _write_raw(self, data: bytes, command: str | None) -> None:
        """Send ``data`` as it is; ``command`` names it for errors (the lock is held)."""

    @abstractmethod
    def _read_line(self, command: str | None) -> str:
        """Read one reply line to ``command`` (the lock is held)."""

    def _check_open(self, command: str | None) -> None:
        if self._closed:
            raise self.closed_error(command)


def _name_bytes(data: bytes) -> str:
    """How raw bytes are named in errors: text frames as text, binary ones in hex."""
    head = bytes(data[:32])
    if all(32 <= b < 127 or b in (9, 10, 13) for b in head):
        text = head.decode("ascii").strip("\r\n")
    else:
        text = head.hex(" ")
    return text + ("..." if len(data) > 32 else "")
