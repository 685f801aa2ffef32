"""SimServer with plain clients: pyvisa-py and pyserial, no labctl code on the client side."""

from __future__ import annotations

import os
import socket
import threading
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
        assert res.query("SLOW? 0.1") == "done"
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
        port.write(b"SLOW? 0.05\r\n")
        assert port.read_until(b"\r\n") == b"done\r\n"
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


def _port(server: SimServer, name: str = "a") -> int:
    return int(server.addresses()[name][1].rsplit(":", 1)[1])


def _read_lines(sock: socket.socket, count: int) -> bytes:
    data = b""
    while data.count(b"\r\n") < count:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_clients_are_served_concurrently(server: SimServer) -> None:
    port = _port(server)
    with socket.create_connection(("127.0.0.1", port), timeout=2) as first, \
            socket.create_connection(("127.0.0.1", port), timeout=2) as second:
        first.sendall(b"ECHO o")  # half a command: the other client's must not join it
        second.sendall(b"ECHO 2\r\n")
        assert _read_lines(second, 1) == b"2\r\n"
        first.sendall(b"ne\r\nSLOW? 0.05\r\n")
        second.sendall(b"ECHO two\r\n")
        assert _read_lines(second, 1) == b"two\r\n"
        assert _read_lines(first, 2) == b"one\r\ndone\r\n"


def test_each_connection_starts_clean(server: SimServer) -> None:
    port = _port(server)
    with socket.create_connection(("127.0.0.1", port), timeout=2) as first:
        first.sendall(b"SLOW? 0.02\r\nECHO lef")  # a reply pending and half a command
    with socket.create_connection(("127.0.0.1", port), timeout=2) as second:
        second.sendall(b"ECHO fresh\r\nSLOW? 0.1\r\n")
        # not "leftECHO fresh", and the first client's late "done" is not delivered here
        assert _read_lines(second, 2) == b"fresh\r\ndone\r\n"


def test_a_client_beyond_max_clients_is_refused_clearly() -> None:
    with SimServer({"a": Echo(RealClock())}, max_clients=1) as srv:
        port = _port(srv)
        with socket.create_connection(("127.0.0.1", port), timeout=2) as first:
            first.sendall(b"ECHO 1\r\n")
            assert _read_lines(first, 1) == b"1\r\n"
            with socket.create_connection(("127.0.0.1", port), timeout=2) as second:
                refusal = _read_lines(second, 1)
                assert refusal.startswith(b"labctl sim serve: a already serves 1 client(s)")
                assert b"--max-clients 1" in refusal
                assert second.recv(100) == b""  # and closed
            first.sendall(b"ECHO still served\r\n")
            assert _read_lines(first, 1) == b"still served\r\n"
    with pytest.raises(ConfigError, match="max_clients must be at least 1"):
        SimServer({"a": Echo(RealClock())}, max_clients=0)


def test_an_overlong_line_gets_the_error_reply_and_is_discarded(server: SimServer) -> None:
    with socket.create_connection(("127.0.0.1", _port(server)), timeout=5) as client:
        client.sendall(b"ECHO " + b"x" * (8 << 20) + b"\r\nECHO after\r\n")
        assert _read_lines(client, 2) == b"ERR too long\r\nafter\r\n"


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
    srv.stop()
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
