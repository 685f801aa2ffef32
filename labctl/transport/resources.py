"""Resource strings: which transport a bench's ``resource:`` asks for, checked before
anything is opened.

Three families:

* VISA resource names (``TCPIP::127.0.0.1::5025::SOCKET``, ``TCPIP0::host::inst0::INSTR``,
  ``ASRL/dev/ttyUSB0::INSTR``, ``ASRL1::INSTR``, ``GPIB0::12::INSTR``, ``USB0::...::INSTR``)
  go to pyvisa; their syntax is checked by ``pyvisa.rname`` (imported only for them).
* pyserial ports and URLs: ``serial:///dev/ttyUSB0?baudrate=9600&bytesize=8&parity=N&stopbits=1``
  (a device path with its line settings), a bare device path (``/dev/ttyUSB0``, ``COM3``),
  and pyserial's own URLs ``socket://host:port``, ``rfc2217://host:port``, ``loop://``.
* ``sim://NAME``: an in-process simulator built by the bench.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from labctl.errors import ConfigError

Kind = Literal["visa", "serial", "sim"]

EXAMPLES = ("TCPIP::host::5025::SOCKET, ASRL/dev/ttyUSB0::INSTR, GPIB0::12::INSTR, "
            "serial:///dev/ttyUSB0?baudrate=9600, socket://host:port or sim://NAME")

_VISA = re.compile(r"^(?:TCPIP|ASRL|GPIB|USB|VXI|PXI|VICP|GPIB-VXI)[^:]*::", re.IGNORECASE)
_WINDOWS_PORT = re.compile(r"^COM\d+$", re.IGNORECASE)
_SIM_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")
# pyserial URL handlers passed through as they are (pyserial checks their options at open).
_PYSERIAL_SCHEMES = ("socket", "rfc2217", "loop", "spy", "hwgrep", "alt")
_NEEDS_HOST_PORT = ("socket", "rfc2217")

_BOOL = {"1": True, "true": True, "yes": True, "on": True,
         "0": False, "false": False, "no": False, "off": False}
_PARITY = {"n": "N", "none": "N", "e": "E", "even": "E", "o": "O", "odd": "O",
           "m": "M", "mark": "M", "s": "S", "space": "S"}
SERIAL_KEYS = ("baudrate", "bytesize", "parity", "stopbits", "xonxoff", "rtscts", "dsrdtr")


@dataclass(frozen=True)
class ResourceInfo:
    """A classified resource string.

    ``address`` is what the implementation opens: the VISA name as written, the pyserial
    URL or device path, or the simulator name. ``settings`` holds serial line settings
    from a ``serial://`` query string, in pyserial's terms (``baudrate``, ``bytesize``,
    ``parity`` "N"/"E"/"O"/"M"/"S", ``stopbits`` 1/1.5/2, ``xonxoff``, ``rtscts``, ``dsrdtr``).
    """

    resource: str
    kind: Kind
    interface: str  # TCPIP, ASRL, GPIB, USB... | serial, socket, rfc2217, loop... | sim
    address: str
    settings: Mapping[str, Any] = field(default_factory=dict)


def _bad(resource: str, problem: str, instrument: str | None, hint: str | None = None
         ) -> ConfigError:
    where = f"instrument {instrument!r}" if instrument else None
    return ConfigError(f"resource {resource!r}: {problem}", where=where,
                       hint=hint or f"write it like {EXAMPLES}")


def parse_resource(resource: str, *, instrument: str | None = None) -> ResourceInfo:
    """Classify and check ``resource``; a malformed one raises ``ConfigError`` naming the
    instrument, the resource and what is wrong. Nothing is opened."""
    if not isinstance(resource, str) or not resource.strip():
        raise _bad(str(resource), "empty resource", instrument)
    text = resource.strip()
    if _VISA.match(text):
        return _parse_visa(text, instrument)
    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
        if scheme == "sim":
            return _parse_sim(text, instrument)
        if scheme == "serial":
            return _parse_serial_url(text, instrument)
        if scheme in _PYSERIAL_SCHEMES:
            return _parse_pyserial_url(text, scheme, instrument)
        raise _bad(text, f"unknown scheme {scheme + '://'!r}", instrument)
    if text.startswith("/dev/") or _WINDOWS_PORT.match(text):
        return ResourceInfo(text, "serial", "serial", text, {})
    raise _bad(text, "not a VISA resource name, a serial port or a URL", instrument)


def _parse_visa(text: str, instrument: str | None) -> ResourceInfo:
    from pyvisa import rname  # imported here: pyvisa is slow to import

    try:
        parsed = rname.parse_resource_name(text)
    except rname.InvalidResourceName as exc:
        raise _bad(text, " ".join(str(exc).split()).rstrip("."), instrument) from exc
    interface = parsed.interface_type
    if isinstance(parsed, rname.TCPIPSocket):
        _check_port(text, str(parsed.port), instrument)
    elif isinstance(parsed, rname.TCPIPInstr) and str(parsed.lan_device_name).isdigit():
        port = parsed.lan_device_name
        raise _bad(text, f"{port!r} is not a LAN device name", instrument,
                   hint=f"for a raw socket on port {port} write "
                        f"TCPIP::{parsed.host_address}::{port}::SOCKET")
    elif isinstance(parsed, rname.GPIBInstr):
        addr = str(parsed.primary_address)
        if not (addr.isascii() and addr.isdigit()) or not 0 <= int(addr) <= 30:
            raise _bad(text, f"GPIB primary address {addr!r} is not a number from 0 to 30",
                       instrument)
    return ResourceInfo(text, "visa", interface, text, {})


def _check_port(text: str, port: str, instrument: str | None) -> int:
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise _bad(text, f"port {port!r} is not a number from 1 to 65535", instrument)
    return int(port)


def _parse_sim(text: str, instrument: str | None) -> ResourceInfo:
    name = text.split("://", 1)[1]
    if not _SIM_NAME.match(name):
        raise _bad(text, "sim:// needs a simulator name of letters, digits, '_', '.', '-'",
                   instrument, hint="write it like sim://mt-sics")
    return ResourceInfo(text, "sim", "sim", name, {})


def _parse_pyserial_url(text: str, scheme: str, instrument: str | None) -> ResourceInfo:
    if scheme in _NEEDS_HOST_PORT:
        try:
            parts = urlsplit(text)
            host, port = parts.hostname, parts.port
        except ValueError as exc:  # a port that is not a number or out of range
            raise _bad(text, f"{scheme}:// needs host:port with a port from 1 to 65535",
                       instrument, hint=f"write it like {scheme}://192.168.1.20:4001") from exc
        if not host or port is None:
            raise _bad(text, f"{scheme}:// needs a host and a port", instrument,
                       hint=f"write it like {scheme}://192.168.1.20:4001")
        _check_port(text, str(port), instrument)
    return ResourceInfo(text, "serial", scheme, text, {})


def _parse_serial_url(text: str, instrument: str | None) -> ResourceInfo:
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise _bad(text, f"not a URL ({exc})", instrument) from exc
    if parts.netloc and parts.path:
        raise _bad(text, "the device path must follow three slashes", instrument,
                   hint="write it like serial:///dev/ttyUSB0?baudrate=9600")
    device = parts.path or parts.netloc
    if not device:
        raise _bad(text, "serial:// needs a device path", instrument,
                   hint="write it like serial:///dev/ttyUSB0?baudrate=9600 or serial://COM3")
    settings: dict[str, Any] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        settings[key] = _serial_setting(text, key.lower(), value, instrument)
    return ResourceInfo(text, "serial", "serial", device, settings)


def _serial_setting(text: str, key: str, value: str, instrument: str | None) -> Any:
    def bad(expected: str) -> ConfigError:
        return _bad(text, f"{key}={value!r}: expected {expected}", instrument)

    if key == "baudrate":
        if not value.isdigit() or int(value) <= 0:
            raise bad("a positive whole number like 9600")
        return int(value)
    if key == "bytesize":
        if value not in ("5", "6", "7", "8"):
            raise bad("5, 6, 7 or 8")
        return int(value)
    if key == "parity":
        if value.lower() not in _PARITY:
            raise bad("N, E, O, M or S")
        return _PARITY[value.lower()]
    if key == "stopbits":
        if value not in ("1", "1.5", "2"):
            raise bad("1, 1.5 or 2")
        return 1.5 if value == "1.5" else int(value)
    if key in ("xonxoff", "rtscts", "dsrdtr"):
        if value.lower() not in _BOOL:
            raise bad("true or false")
        return _BOOL[value.lower()]
    raise _bad(text, f"unknown serial setting {key!r}", instrument,
               hint=f"known settings: {', '.join(SERIAL_KEYS)}")
