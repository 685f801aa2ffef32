"""Bytes and frames through every transport: write_bytes, read_frame(parser, timeout),
and the transport's own timeout(); in process on a virtual clock, then served."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from framedevices_for_tests import Hj212Logger, ModbusSlave, hj212_request

from labctl.clock import RealClock, VirtualClock
from labctl.errors import InstrumentError, InstrumentTimeout
from labctl.protocols import framing, hj212, modbus
from labctl.sim.faults import FaultyDevice
from labctl.sim.server import SimServer
from labctl.transport import TransportOptions, open_transport
from labctl.transport.sim import SimTransport

OPTS = TransportOptions(instrument="logger", timeout=1.0)
REPLY = framing.modbus_rtu("reply")


def test_hj212_exchange_in_process() -> None:
    clock = VirtualClock()
    t = SimTransport(Hj212Logger(clock), OPTS, clock)
    t.write_bytes(hj212_request())
    frames = [hj212.decode(t.read_frame(framing.HJ212)) for _ in range(3)]
    assert [f.cn for f in frames] == ["9011", "2011", "9012"]
    assert frames[1].cp.value("a34004") == 35.0
    assert clock.now() == 0.0  # nothing waited


def test_read_frame_timeout_is_its_own_and_costs_exactly_it() -> None:
    clock = VirtualClock()
    t = SimTransport(ModbusSlave(clock), OPTS, clock)
    t.write_bytes(modbus.read_request(2, modbus.READ_HOLDING, 0, 1))  # unit 2: no answer
    with pytest.raises(InstrumentTimeout, match=r"within 0\.25 s") as info:
        t.read_frame(REPLY, timeout=0.25)
    assert clock.now() == pytest.approx(0.25)
    assert info.value.instrument == "logger"
    assert info.value.command == "02 03 00 00 00 01 84 39"  # binary commands named in hex
    assert t.options.timeout == 1.0  # restored


def test_a_truncated_frame_times_out_naming_the_bytes_that_came() -> None:
    clock = VirtualClock()
    dev = FaultyDevice(ModbusSlave(clock), [{"kind": "truncate", "bytes": 2, "count": 1}])
    t = SimTransport(dev, OPTS, clock)
    t.write_bytes(modbus.read_request(1, modbus.READ_HOLDING, 0, 2), command="read 0-1")
    with pytest.raises(InstrumentTimeout, match="got 7 byte") as info:
        t.read_frame(REPLY)
    assert info.value.command == "read 0-1"
    t.discard_input()
    t.write_bytes(modbus.read_request(1, modbus.READ_HOLDING, 0, 2))
    assert modbus.parse_reply(t.read_frame(REPLY)).registers == (0, 1)


def test_garbage_that_cannot_start_a_frame_is_an_instrument_error() -> None:
    clock = VirtualClock()
    dev = FaultyDevice(Hj212Logger(clock), [{"kind": "garbage", "count": 1}], rng=0)
    t = SimTransport(dev, OPTS, clock)
    t.write_bytes(hj212_request(), command="CN=2011")
    with pytest.raises(InstrumentError, match="garbled reply") as info:
        t.read_frame(framing.HJ212)
    assert info.value.command == "CN=2011" and info.value.reply


def test_the_transports_timeout_context() -> None:
    clock = VirtualClock()
    t = SimTransport(ModbusSlave(clock), OPTS, clock)
    with t.timeout(0.1):
        assert t.options.timeout == 0.1
        with t.timeout(None):
            assert t.options.timeout == 0.1
    assert t.options.timeout == 1.0
    with pytest.raises(Exception, match="positive number of seconds"), t.timeout(-1):
        pass


@pytest.fixture
def served() -> Iterator[SimServer]:
    devices = {"hj": Hj212Logger(RealClock()), "mb": ModbusSlave(RealClock())}
    with SimServer(devices, pty_for=["mb"]) as srv:
        yield srv


@pytest.mark.realtime
@pytest.mark.parametrize("kind", [0, 1])  # VISA TCPIP SOCKET, pyserial socket://
def test_frames_over_served_simulators(served: SimServer, kind: int) -> None:
    addrs = served.addresses()
    with open_transport(addrs["hj"][kind], OPTS) as t:
        t.write_bytes(hj212_request())
        assert [hj212.decode(t.read_frame(framing.HJ212)).cn for _ in range(3)] == [
            "9011", "2011", "9012"]
    with open_transport(addrs["mb"][kind], OPTS) as t:
        t.write_bytes(modbus.write_multiple_request(1, 4, [40, 41]))
        assert modbus.parse_reply(t.read_frame(REPLY)).count == 2
        t.write_bytes(modbus.read_request(1, modbus.READ_HOLDING, 3, 3))
        assert modbus.parse_reply(t.read_frame(REPLY)).registers == (3, 40, 41)
        t.write_bytes(modbus.read_request(9, modbus.READ_HOLDING, 0, 1))
        with pytest.raises(InstrumentTimeout):
            t.read_frame(REPLY, timeout=0.1)
        visa = getattr(t, "visa_resource", None)
        if visa is not None:  # the timeout reaches pyvisa's resource, then is restored
            with t.timeout(0.3):
                assert visa.timeout == 300
            assert visa.timeout == 1000


@pytest.mark.realtime
def test_frames_over_a_pty(served: SimServer) -> None:
    with open_transport(served.addresses()["mb"][2], OPTS) as t:
        t.write_bytes(modbus.read_request(1, modbus.READ_INPUT, 0, 2))
        assert modbus.parse_reply(t.read_frame(REPLY)).registers == (0, 1)
