"""``SerialTransport``: an instrument on a serial port or a pyserial URL.

Opened through ``serial.serial_for_url``: a device path (``/dev/ttyUSB0``, ``COM3``,
``serial:///dev/ttyUSB0?baudrate=9600&parity=E``), ``socket://host:port`` (a serial
device server or ``labctl sim serve``), ``rfc2217://host:port`` or ``loop://``.

The port is kept non-blocking; a read takes everything that has arrived in one call and
waits for more with ``select`` on the port's file descriptor (pyserial's own
``read_until`` reads one byte per call).
"""

from __future__ import annotations

import contextlib
import select
import time
from collections.abc import Callable

import serial

from labctl.errors import TransportError
from labctl.transport.base import TransportOptions
from labctl.transport.buffered import BufferedTransport
from labctl.transport.resources import ResourceInfo, parse_resource

CHUNK = 4096
# Wait step for ports without a file descriptor to select on (loop://, rfc2217://).
POLL_INTERVAL = 0.0005


def _open_hint(info: ResourceInfo) -> str:
    if info.interface in ("socket", "rfc2217"):
        return "is the device server switched on, are the host and the port right?"
    if info.interface == "serial":
        return ("is it plugged in, is the port right, may this user open it (group dialout), "
                "does another program hold it?")
    return "check the resource in the bench file"


class SerialTransport(BufferedTransport):
    """A ``Transport`` over a pyserial port."""

    def __init__(self, resource: str, options: TransportOptions | None = None, *,
                 info: ResourceInfo | None = None) -> None:
        super().__init__(resource, options or TransportOptions())
        opts = self.options
        info = info or parse_resource(resource, instrument=opts.instrument)
        if info.kind != "serial":
            raise TransportError(f"{resource} is not a serial port or pyserial URL",
                                 instrument=opts.instrument,
                                 hint="open it with labctl.transport.open_transport")
        settings = dict(info.settings)
        if "baudrate" not in settings and opts.baud_rate is not None:
            settings["baudrate"] = opts.baud_rate
        try:
            port = serial.serial_for_url(info.address, do_not_open=True)
            for key, value in settings.items():
                setattr(port, key, value)
            port.timeout = 0  # non-blocking reads; waiting happens in _wait
            port.write_timeout = opts.timeout
            port.open()
        except (serial.SerialException, OSError, ValueError) as exc:
            raise TransportError(f"cannot open {resource} through pyserial: {exc}",
                                 instrument=opts.instrument, hint=_open_hint(info)) from exc
        self._port = port
        try:
            self._fd: int | None = port.fileno()
        except (AttributeError, NotImplementedError, OSError, serial.SerialException):
            self._fd = None

    # -- Transport -------------------------------------------------------
    def discard_input(self) -> None:
        with self.lock:
            self._buf.clear()
            if self._closed:
                return
            try:
                self._port.reset_input_buffer()
            except (serial.SerialException, OSError) as exc:
                raise self.link_error(f"connection lost ({exc})", self._last_command) from exc

    def close(self) -> None:
        with self.lock:
            if not self._closed:
                self._closed = True
                self._buf.clear()
                # a link that is already gone has nothing left to release
                with contextlib.suppress(serial.SerialException, OSError):
                    self._port.close()

    @property
    def port(self) -> serial.SerialBase:
        """The underlying pyserial port (for interface-specific settings)."""
        return self._port

    # -- internals -------------------------------------------------------
    def _write_raw(self, data: bytes, command: str | None) -> None:
        self._check_open(command)
        try:
            self._port.write(data)
        except serial.SerialTimeoutException as exc:
            raise self.link_error(f"write not accepted within {self.options.timeout:.3g} s",
                                  command, hint="is the flow control (rtscts/xonxoff) right?"
                                  ) from exc
        except (serial.SerialException, OSError) as exc:
            raise self.link_error(f"connection lost ({exc})", command) from exc

    def _fill(self, complete: Callable[[bytearray], int], command: str | None) -> int:
        """Read until ``complete(buffer)`` gives an index >= 0, or raise on timeout."""
        self._check_open(command)
        buf = self._buf
        port = self._port
        deadline = None
        while True:
            end = complete(buf)
            if end >= 0:
                return end
            try:
                chunk = port.read(CHUNK)
            except (serial.SerialException, OSError) as exc:
                raise self.link_error(f"connection lost ({exc})", command) from exc
            if chunk:
                buf += chunk
                continue
            now = time.monotonic()
            if deadline is None:
                deadline = now + self.options.timeout
            remaining = deadline - now
            if remaining <= 0:
                raise self.timeout_error(command, self.options.timeout, bytes(buf))
            self._wait(remaining)

    def _wait(self, remaining: float) -> None:
        if self._fd is not None:
            select.select([self._fd], [], [], remaining)
        else:
            time.sleep(min(remaining, POLL_INTERVAL))
