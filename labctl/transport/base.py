"""The Transport interface."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class TransportOptions:
    """Per-instrument line settings (from the bench file's ``options``)."""

    read_termination: str = "\r\n"
    write_termination: str = "\r\n"
    encoding: str = "ascii"
    timeout: float = 2.0  # seconds
    baud_rate: int | None = None
    instrument: str | None = None  # the bench's name for the instrument, for error messages


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

    def query(self, command: str) -> str:
        with self.lock:
            self.write(command)
            return self.read()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
