from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labctl.errors import ConfigError, TransportError
from labctl.transport import TransportOptions, open_transport, parse_resource


@pytest.mark.parametrize(
    ("resource", "interface"),
    [
        ("TCPIP::127.0.0.1::5025::SOCKET", "TCPIP"),
        ("TCPIP0::host::inst0::INSTR", "TCPIP"),
        ("TCPIP::192.168.1.5::hislip0::INSTR", "TCPIP"),
        ("ASRL/dev/ttyUSB0::INSTR", "ASRL"),
        ("ASRL1::INSTR", "ASRL"),
        ("GPIB0::12::INSTR", "GPIB"),
        ("USB0::0x0957::0x1755::MY12345::INSTR", "USB"),
    ],
)
def test_visa_names(resource: str, interface: str) -> None:
    info = parse_resource(resource)
    assert (info.kind, info.interface, info.address) == ("visa", interface, resource)


def test_serial_url_with_line_settings() -> None:
    info = parse_resource("serial:///dev/ttyUSB0?baudrate=9600&bytesize=7&parity=E&stopbits=2"
                          "&rtscts=true")
    assert (info.kind, info.interface, info.address) == ("serial", "serial", "/dev/ttyUSB0")
    assert info.settings == {"baudrate": 9600, "bytesize": 7, "parity": "E", "stopbits": 2,
                             "rtscts": True}


def test_serial_url_windows_port_and_half_stop_bit() -> None:
    info = parse_resource("serial://COM3?stopbits=1.5&parity=none")
    assert info.address == "COM3"
    assert info.settings == {"stopbits": 1.5, "parity": "N"}


@pytest.mark.parametrize(
    ("resource", "interface"),
    [
        ("socket://127.0.0.1:4001", "socket"),
        ("socket://scale.lab:4001?logging=debug", "socket"),
        ("rfc2217://192.168.1.20:2217", "rfc2217"),
        ("loop://", "loop"),
    ],
)
def test_pyserial_urls_pass_through(resource: str, interface: str) -> None:
    info = parse_resource(resource)
    assert (info.kind, info.interface, info.address) == ("serial", interface, resource)


@pytest.mark.parametrize("resource", ["/dev/ttyUSB0", "/dev/pts/5", "COM7"])
def test_bare_device_paths_are_serial(resource: str) -> None:
    info = parse_resource(resource)
    assert (info.kind, info.address) == ("serial", resource)


def test_sim() -> None:
    info = parse_resource("sim://mt-sics")
    assert (info.kind, info.address) == ("sim", "mt-sics")


@pytest.mark.parametrize(
    ("resource", "words"),
    [
        ("", "empty"),
        ("TCPIP::127.0.0.1::port::SOCKET", "port 'port'"),
        ("TCPIP::127.0.0.1::70000::SOCKET", "1 to 65535"),
        ("TCPIP::127.0.0.1::5025", "for a raw socket on port 5025 write "
                                   "TCPIP::127.0.0.1::5025::SOCKET"),
        ("TCPIP::::SOCKET", "host_address part is mandatory"),
        ("GPIB0::xx::INSTR", "0 to 30"),
        ("GPIB0::31::INSTR", "0 to 30"),
        ("serial:///dev/ttyUSB0?baudrate=fast", "baudrate='fast'"),
        ("serial:///dev/ttyUSB0?parity=X", "N, E, O, M or S"),
        ("serial:///dev/ttyUSB0?bytesize=9", "5, 6, 7 or 8"),
        ("serial:///dev/ttyUSB0?stopbits=3", "1, 1.5 or 2"),
        ("serial:///dev/ttyUSB0?rtscts=maybe", "true or false"),
        ("serial:///dev/ttyUSB0?baud=9600", "unknown serial setting 'baud'"),
        ("serial://dev/ttyUSB0", "three slashes"),
        ("serial://", "needs a device path"),
        ("socket://127.0.0.1", "needs a host and a port"),
        ("socket://127.0.0.1:http", "port from 1 to 65535"),
        ("rfc2217://:2217", "needs a host and a port"),
        ("sim://", "simulator name"),
        ("sim://a b", "simulator name"),
        ("http://example.com", "unknown scheme 'http://'"),
        ("scale-on-the-left", "not a VISA resource name"),
    ],
)
def test_bad_resources_are_clear(resource: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_resource(resource, instrument="scale")
    text = str(info.value)
    assert words in text
    assert "instrument 'scale'" in text
    assert "\n" not in text


def test_open_transport_refuses_bad_resource_before_opening() -> None:
    with pytest.raises(ConfigError, match="unknown scheme"):
        open_transport("ftp://x", TransportOptions(instrument="dmm"))


def test_sim_resource_needs_a_device() -> None:
    with pytest.raises(TransportError, match="needs an in-process simulator") as info:
        open_transport("sim://meter", TransportOptions(instrument="dmm"))
    assert "instrument 'dmm'" in str(info.value)


def test_labctl_transport_import_does_not_import_pyvisa_or_pyserial() -> None:
    import subprocess
    import sys

    code = ("import sys, labctl.transport; "
            "labctl.transport.parse_resource('sim://x'); "
            "labctl.transport.parse_resource('socket://h:1'); "
            "print('pyvisa' in sys.modules, 'serial' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.text(max_size=40),
    st.builds(lambda a, b: a + b, st.sampled_from(["TCPIP::", "ASRL", "GPIB0::", "USB0::",
                                                   "serial://", "socket://", "rfc2217://",
                                                   "sim://", "/dev/", "loop://"]),
              st.text(max_size=30)),
))
def test_any_text_is_a_resource_or_a_config_error(text: str) -> None:
    try:
        info = parse_resource(text)
    except ConfigError as exc:
        assert "\n" not in str(exc).strip()
    else:
        assert info.kind in ("visa", "serial", "sim")
