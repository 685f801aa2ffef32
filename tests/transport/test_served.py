"""VisaTransport and SerialTransport against simulators served in real time (loopback and
a pseudo-terminal): the code paths real hardware uses."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from labctl.clock import RealClock
from labctl.errors import InstrumentError, InstrumentTimeout, TransportError
from labctl.sim.server import SimServer
from labctl.transport import TransportOptions, open_transport
from labctl.transport.serial import SerialTransport
from labctl.transport.visa import VisaTransport

pytestmark = pytest.mark.realtime

FAST = TransportOptions(instrument="dmm", timeout=0.2)


@pytest.fixture
def server(meter_cls) -> Iterator[SimServer]:
    devices = {name: meter_cls(RealClock()) for name in ("visa", "socket", "pty")}
    with SimServer(devices, pty_for=["pty"]) as srv:
        yield srv


def resources(server: SimServer) -> dict[str, str]:
    addrs = server.addresses()
    return {"visa": addrs["visa"][0], "socket": addrs["socket"][1], "pty": addrs["pty"][2],
            "pty-url": f"serial://{addrs['pty'][2]}?baudrate=115200",
            "visa-asrl": f"ASRL{addrs['pty'][2]}::INSTR"}


@pytest.mark.parametrize("kind", ["visa", "socket", "pty", "pty-url", "visa-asrl"])
def test_query_timeout_and_errors(server: SimServer, kind: str) -> None:
    resource = resources(server)[kind]
    t = open_transport(resource, FAST)
    expected = VisaTransport if kind.startswith("visa") else SerialTransport
    assert isinstance(t, expected)
    try:
        assert t.query("*IDN?") == "LABCTL,METER,1234,1.0"
        assert [t.query("MEAS?") for _ in range(3)] == ["1.0", "2.0", "3.0"]
        assert t.query("SLOW? 0.05") == "done"
        t.write("TWO?")
        assert (t.read(), t.read()) == ("first", "second")

        with pytest.raises(InstrumentTimeout) as info:
            t.query("NOTHING")
        text = str(info.value)
        for part in ("instrument 'dmm'", "command 'NOTHING'", resource, "within 0.2 s"):
            assert part in text

        with pytest.raises(InstrumentError, match="is not ascii text"):
            t.query("BIN?")

        # "second" left the simulator with "first", in one write: once "first" is read,
        # "second" has arrived (in the transport's or the OS's buffer), no sleep needed
        t.write("TWO?")
        assert t.read() == "first"
        t.discard_input()
        assert t.query("ECHO fresh") == "fresh"

        t.write("*IDN?")
        assert t.read_bytes(6) == b"LABCTL"
        assert t.read() == ",METER,1234,1.0"
    finally:
        t.close()
    t.close()
    with pytest.raises(TransportError, match="closed"):
        t.query("*IDN?")


@pytest.mark.parametrize("kind", ["visa", "socket"])
def test_a_server_side_disconnect_is_a_transport_error(server: SimServer, kind: str) -> None:
    t = open_transport(resources(server)[kind], FAST)
    assert t.query("ECHO a") == "a"
    server.stop()
    with pytest.raises(TransportError) as info:
        t.query("ECHO b")
    assert not isinstance(info.value, InstrumentTimeout)
    assert "instrument 'dmm'" in str(info.value)
    t.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("template", ["TCPIP::127.0.0.1::{port}::SOCKET",
                                      "socket://127.0.0.1:{port}"])
def test_refused_connection_fails_at_open(template: str) -> None:
    resource = template.format(port=_free_port())
    with pytest.raises(TransportError) as info:
        open_transport(resource, FAST)
    text = str(info.value)
    assert "instrument 'dmm'" in text and resource in text
    assert "port" in text  # the hint asks whether the port is right


def test_missing_serial_device_fails_at_open() -> None:
    with pytest.raises(TransportError, match="cannot open /dev/ttyLABCTLNOPE") as info:
        open_transport("/dev/ttyLABCTLNOPE", FAST)
    assert "is it plugged in" in str(info.value)


def test_missing_visa_serial_device_fails_at_open() -> None:
    with pytest.raises(TransportError, match="ASRL/dev/ttyLABCTLNOPE::INSTR"):
        open_transport("ASRL/dev/ttyLABCTLNOPE::INSTR", FAST)


def test_unknown_visa_backend_is_a_transport_error() -> None:
    opts = TransportOptions(instrument="dmm", visa_backend="@nosuchbackend")
    with pytest.raises(TransportError, match="cannot load the VISA backend '@nosuchbackend'"):
        open_transport("TCPIP::127.0.0.1::5025::SOCKET", opts)


def test_resource_managers_are_reused(server: SimServer) -> None:
    from labctl.transport.visa import resource_manager

    t = open_transport(resources(server)["visa"], FAST)
    try:
        assert resource_manager("@py") is resource_manager("@py")
        assert t.visa_resource.visalib is resource_manager("@py").visalib
    finally:
        t.close()


def test_loop_url_reads_without_a_file_descriptor() -> None:
    t = open_transport("loop://", TransportOptions(instrument="loop", timeout=0.05))
    try:
        assert t.query("hello") == "hello"  # the loop returns what is written
        with pytest.raises(InstrumentTimeout, match="loop://"):
            t.read()
    finally:
        t.close()


@pytest.mark.parametrize("kind", ["visa", "socket"])
def test_served_faults_reach_the_client_as_the_right_errors(meter_cls, kind: str) -> None:
    from labctl.sim.faults import FaultyDevice

    plan = [{"kind": "timeout", "after": 1, "count": 1}, {"kind": "disconnect", "after": 3}]
    device = FaultyDevice(meter_cls(RealClock()), plan, 0)
    with SimServer({"m": device}) as srv:
        resource = srv.addresses()["m"][0 if kind == "visa" else 1]
        t = open_transport(resource, FAST)
        try:
            assert t.query("MEAS?") == "1.0"
            with pytest.raises(InstrumentTimeout, match="command 'MEAS\\?'"):
                t.query("MEAS?")
            assert t.query("MEAS?") == "2.0"
            with pytest.raises(TransportError) as info:
                t.query("MEAS?")
            assert not isinstance(info.value, InstrumentTimeout)
        finally:
            t.close()
