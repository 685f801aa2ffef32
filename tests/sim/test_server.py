"""SimServer with plain clients: pyvisa-py and pyserial, no labctl code on the client side."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import pyvisa
import serial
from simdevices_for_tests import Meter

from labctl.clock import RealClock, VirtualClock
from labctl.errors import ConfigError, TransportError
from labctl.sim.faults import FaultyDevice
from labctl.sim.server import SimServer

pytestmark = pytest.mark.realtime


class Echo(Meter):
    """The shared test meter under another name: ``*IDN?``, ``MEAS?`` (1.0, 2.0, ...),
    ``ECHO x``, ``SLOW? s`` (reply s seconds later)."""

    name = "echo"
    idn = "LABCTL,ECHO,1,1.0"


@pytest.fixture
def server() -> Iterator[SimServer]:
    with SimServer({"a": Echo(RealClock()), "b": Echo(RealClock())}, pty_for=["b"]) as srv:
        yield srv


def test_addresses(server: SimServer) -> None:
    addrs = server.addresses()
    assert set(addrs) == {"a", "b"}
    port = int(addrs["a"][1].rsplit(":", 1)[1])
    assert addrs["a"] == [f"TCPIP::127.0.0.1::{port}::SOCKET", f"socket://127.0.0.1:{port}"]
    assert len(addrs["b"]) == 3 and addrs["b"][2].startswith("/dev/")
    assert os.path.exists(addrs["b"][2])


def test_plain_pyvisa_py(server: SimServer) -> None:
    rm = pyvisa.ResourceManager("@py")
    res = rm.open_resource(server.addresses()["a"][0], read_termination="\r\n",
                           write_termination="\r\n", timeout=1000)
    try:
        assert res.query("*IDN?") == "LABCTL,ECHO,1,1.0"
        assert [float(res.query("MEAS?")) for _ in range(3)] == [1.0, 2.0, 3.0]
        start = time.monotonic()
        assert res.query("SLOW? 0.1") == "done"
        assert 0.1 <= time.monotonic() - start < 0.3
    finally:
        res.close()


def test_plain_pyserial_socket(server: SimServer) -> None:
    port = serial.serial_for_url(server.addresses()["a"][1], timeout=1)
    try:
        port.write(b"*IDN?\r\n")
        assert port.read_until(b"\r\n") == b"LABCTL,ECHO,1,1.0\r\n"
        port.write(b"ECHO x\r\nECHO y\r\n")  # two commands in one write
        assert port.read_until(b"\r\n") + port.read_until(b"\r\n") == b"x\r\ny\r\n"
    finally:
        port.close()


def test_plain_pyserial_pty(server: SimServer) -> None:
    port = serial.Serial(server.addresses()["b"][2], baudrate=9600, timeout=1)
    try:
        port.write(b"ECHO over a pty\r\n")
        assert port.read_until(b"\r\n") == b"over a pty\r\n"
        start = time.monotonic()
        port.write(b"SLOW? 0.05\r\n")
        assert port.read_until(b"\r\n") == b"done\r\n"
        assert time.monotonic() - start >= 0.05
    finally:
        port.close()


def test_replies_go_where_the_command_came_from(server: SimServer) -> None:
    addrs = server.addresses()["b"]
    tcp = serial.serial_for_url(addrs[1], timeout=1)
    pty = serial.Serial(addrs[2], timeout=1)
    try:
        pty.write(b"ECHO to pty\r\n")
        assert pty.read_until(b"\r\n") == b"to pty\r\n"
        tcp.write(b"ECHO to tcp\r\n")
        assert tcp.read_until(b"\r\n") == b"to tcp\r\n"
        assert pty.in_waiting == 0
    finally:
        pty.close()
        tcp.close()


def test_a_new_client_replaces_the_old_one(server: SimServer) -> None:
    host, port = "127.0.0.1", int(server.addresses()["a"][1].rsplit(":", 1)[1])
    first = socket.create_connection((host, port), timeout=1)
    first.sendall(b"ECHO 1\r\n")
    assert first.recv(100) == b"1\r\n"
    second = socket.create_connection((host, port), timeout=1)
    second.sendall(b"ECHO 2\r\n")
    assert second.recv(100) == b"2\r\n"
    assert first.recv(100) == b""  # the server closed the replaced client
    first.close()
    second.close()


def test_unsolicited_power_on_line_goes_to_the_first_client() -> None:
    with SimServer({"s": Echo(RealClock(), power_on_lines=('I4 A "B021"',))}) as srv:
        port = int(srv.addresses()["s"][1].rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=1) as client:
            client.sendall(b"ECHO a\r\n")
            data = b""
            while data.count(b"\r\n") < 2:
                data += client.recv(100)
            assert data == b'I4 A "B021"\r\na\r\n'


def test_stop_is_clean() -> None:
    before = {t.ident for t in threading.enumerate()}
    srv = SimServer({"a": Echo(RealClock())}, pty_for=["a"])
    srv.start()
    port = int(srv.addresses()["a"][1].rsplit(":", 1)[1])
    client = socket.create_connection(("127.0.0.1", port), timeout=1)
    start = time.monotonic()
    srv.stop()
    assert time.monotonic() - start < 0.5
    assert not srv.running
    assert {t.ident for t in threading.enumerate()} <= before
    assert client.recv(100) == b""  # the server side is closed
    client.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)
    srv.stop()  # harmless twice


def test_fixed_port_and_busy_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with SimServer({"a": Echo(RealClock())}, ports={"a": port}) as srv:
        assert srv.addresses()["a"][0] == f"TCPIP::127.0.0.1::{port}::SOCKET"
        other = SimServer({"x": Echo(RealClock())}, ports={"x": port})
        with pytest.raises(TransportError, match=f"cannot listen on 127.0.0.1:{port}") as info:
            other.start()
        assert "instrument 'x'" in str(info.value)


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ConfigError, match="virtual clock"):
        SimServer({"a": Echo(VirtualClock())})
    with pytest.raises(ConfigError, match="ports names nope"):
        SimServer({"a": Echo(RealClock())}, ports={"nope": 5025})
    with pytest.raises(ConfigError, match="pty_for names nope"):
        SimServer({"a": Echo(RealClock())}, pty_for=["nope"])


def test_disconnect_fault_closes_the_link() -> None:
    device = FaultyDevice(Echo(RealClock()), [{"kind": "disconnect", "after": 1}])
    with SimServer({"a": device}) as srv:
        port = serial.serial_for_url(srv.addresses()["a"][1], timeout=1)
        try:
            port.write(b"ECHO ok\r\n")
            assert port.read_until(b"\r\n") == b"ok\r\n"
            port.write(b"ECHO lost\r\n")
            with pytest.raises(serial.SerialException, match="disconnected"):
                port.read(10)
        finally:
            port.close()
        host, tcp_port = "127.0.0.1", int(srv.addresses()["a"][1].rsplit(":", 1)[1])
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((host, tcp_port), timeout=1)
