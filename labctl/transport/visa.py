"""``VisaTransport``: an instrument reached through pyvisa (TCPIP, ASRL, GPIB, USB).

The backend is the pyvisa-py one (``"@py"``) unless the bench's options choose another
(``visa_backend: "@ivi"`` for an installed NI/Keysight/R&S VISA). One pyvisa
``ResourceManager`` per backend is kept for the process: creating one is slow.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from typing import Any

import pyvisa
from pyvisa import constants
from pyvisa.errors import InvalidSession, VisaIOError

from labctl.errors import TransportError
from labctl.transport.base import CommandTransport, TransportOptions

_managers: dict[str, pyvisa.ResourceManager] = {}
_managers_lock = threading.Lock()


def resource_manager(backend: str = "@py", *, instrument: str | None = None,
                     resource: str | None = None) -> pyvisa.ResourceManager:
    """The process-wide ``ResourceManager`` for ``backend``, created on first use."""
    with _managers_lock:
        rm = _managers.get(backend)
        if rm is None:
            try:
                rm = pyvisa.ResourceManager(backend)
            except (OSError, ValueError, pyvisa.Error) as exc:
                hint = ("install the vendor's VISA library, or use the pyvisa-py backend "
                        "(visa_backend: '@py')" if backend != "@py"
                        else "pip install pyvisa-py")
                where = f"{resource} " if resource else ""
                raise TransportError(f"cannot load the VISA backend {backend!r} to open "
                                     f"{where}({exc})", instrument=instrument,
                                     hint=hint) from exc
            _managers[backend] = rm
        return rm


def _open_hint(resource: str) -> str:
    upper = resource.upper()
    if upper.startswith("TCPIP") and upper.endswith("::SOCKET"):
        return ("is it switched on and on the network, are the address and the port right "
                "(SCPI instruments often listen on 5025)?")
    if upper.startswith("TCPIP"):
        return "is it switched on and on the network, is the address right?"
    if upper.startswith("ASRL"):
        return "is it plugged in, is the port right, does another program hold the port?"
    if upper.startswith(("GPIB", "USB")):
        return ("is it switched on and connected, is the address right, is the driver "
                "for the interface installed (linux-gpib / PyUSB for pyvisa-py)?")
    return "is it switched on and connected, is the address right?"


class VisaTransport(CommandTransport):
    """A ``Transport`` over a pyvisa message-based resource."""

    def __init__(self, resource: str, options: TransportOptions | None = None) -> None:
        super().__init__(resource, options or TransportOptions())
        opts = self.options
        rm = resource_manager(opts.visa_backend, instrument=opts.instrument, resource=resource)
        kwargs: dict[str, Any] = {
            "read_termination": opts.read_termination,
            "write_termination": opts.write_termination,
            "encoding": opts.encoding,
            "timeout": _ms(opts.timeout),
            "open_timeout": _ms(opts.timeout),
        }
        if opts.baud_rate is not None and resource.upper().startswith("ASRL"):
            kwargs["baud_rate"] = opts.baud_rate
        try:
            self._res = rm.open_resource(resource, **kwargs)
            _check_socket_connected(self._res)
        except Exception as exc:  # pyvisa and its backends raise many kinds here
            raise TransportError(
                f"cannot open {resource} through pyvisa {opts.visa_backend}: "
                f"{_describe(exc)}", instrument=opts.instrument, hint=_open_hint(resource),
            ) from exc

    # -- Transport -------------------------------------------------------
    def read_bytes(self, count: int) -> bytes:
        with self.lock:
            command = self._last_command
            try:
                return self._res.read_bytes(count)
            except Exception as exc:
                raise self._error(exc, command) from exc

    def discard_input(self) -> None:
        """Drop what has arrived: the backend's buffers, then anything readable at once."""
        with self.lock:
            if self._closed:
                return
            res = self._res
            ops = [constants.BufferOperation.discard_receive_buffer]
            serial_port = self.resource.upper().startswith("ASRL")
            if serial_port:  # pyvisa-py resets the port's input buffer for this one
                ops.insert(0, constants.BufferOperation.discard_read_buffer)
            for op in ops:
                # an operation the backend does not offer: the drain below does the work
                with contextlib.suppress(VisaIOError, NotImplementedError):
                    res.flush(op)
            if not serial_port:
                self._drain()

    def _drain(self) -> None:
        res = self._res
        old = res.timeout
        try:
            res.timeout = 0
            for _ in range(1000):  # bounded: a device that streams forever
                res.read_raw()
        except VisaIOError as exc:
            if exc.error_code != constants.StatusCode.error_timeout:
                raise self._error(exc, self._last_command) from exc
        except Exception as exc:
            raise self._error(exc, self._last_command) from exc
        finally:
            res.timeout = old

    def close(self) -> None:
        with self.lock:
            if not self._closed:
                self._closed = True
                # a link that is already gone has nothing left to release
                with contextlib.suppress(pyvisa.Error, OSError):
                    self._res.close()

    @property
    def visa_resource(self) -> Any:
        """The underlying pyvisa resource, for interface-specific settings a driver
        cannot make otherwise (timeouts go through ``timeout()``, bytes through
        ``write_bytes``/``read_bytes``/``read_frame``)."""
        return self._res

    # -- internals -------------------------------------------------------
    def _write_raw(self, data: bytes, command: str | None) -> None:
        self._check_open(command)
        try:
            self._res.write_raw(data)
        except Exception as exc:
            raise self._error(exc, command) from exc

    def _apply_timeout(self, seconds: float) -> None:
        if not self._closed:
            self._res.timeout = max(1, _ms(seconds))

    def _read_line(self, command: str | None) -> str:
        self._check_open(command)
        try:
            raw = self._res.read_raw()
        except Exception as exc:
            raise self._error(exc, command) from exc
        term = self._rterm
        if term and raw.endswith(term):
            raw = raw[: -len(term)]
        elif term and raw.endswith(term[-1:]):
            raw = raw[:-1]
        return self.decode(raw, command)

    def _error(self, exc: Exception, command: str | None) -> TransportError:
        if isinstance(exc, VisaIOError) and exc.error_code == constants.StatusCode.error_timeout:
            if _peer_closed(self._res):
                return self.link_error("the instrument closed the connection", command)
            return self.timeout_error(command, self.options.timeout)
        if isinstance(exc, InvalidSession) or self._closed:
            return self.closed_error(command)
        if isinstance(exc, VisaIOError | OSError):
            return self.link_error(f"connection lost ({_describe(exc)})", command)
        return self.link_error(f"I/O failed ({_describe(exc)})", command)


def _pyvisa_py_socket(res: Any) -> socket.socket | None:
    """The socket under a pyvisa-py TCPIP SOCKET session (None for other backends)."""
    sessions = getattr(res.visalib, "sessions", None)
    session = sessions.get(res.session) if isinstance(sessions, dict) else None
    sock = getattr(session, "interface", None)
    return sock if isinstance(sock, socket.socket) else None


def _check_socket_connected(res: Any) -> None:
    """pyvisa-py opens a TCPIP SOCKET without noticing a refused connection; look at the
    socket's pending error so that a wrong port fails at open, not at the first query."""
    sock = _pyvisa_py_socket(res)
    if sock is not None:
        err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            raise ConnectionRefusedError(err, os.strerror(err))


def _peer_closed(res: Any) -> bool:
    """Whether the other end closed a pyvisa-py socket (pyvisa-py reports that as a
    timeout); only asked after a timeout, never on the fast path."""
    try:
        sock = _pyvisa_py_socket(res)
        if sock is None or sock.fileno() < 0:
            return False
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except (BlockingIOError, InterruptedError):
        return False  # open, nothing to read
    except (OSError, pyvisa.Error):
        return True


def _ms(seconds: float) -> int:
    return max(0, int(round(seconds * 1000)))


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
