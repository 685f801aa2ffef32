"""The Transport interface."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass

from labctl.errors import InstrumentError, InstrumentTimeout, TransportError


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

    Subclasses implement ``_write(command)`` and ``_read_line(command)``; ``write``,
    ``read`` and ``query`` call them with the lock held.
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

    @abstractmethod
    def _write(self, command: str) -> None:
        """Send ``command`` plus the write termination (the lock is held)."""

    @abstractmethod
    def _read_line(self, command: str | None) -> str:
        """Read one reply line to ``command`` (the lock is held)."""

    def _check_open(self, command: str | None) -> None:
        if self._closed:
            raise self.closed_error(command)
