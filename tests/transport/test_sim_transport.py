from __future__ import annotations

import pytest

from labctl.clock import VirtualClock
from labctl.errors import InstrumentError, InstrumentTimeout, TransportError
from labctl.transport import TransportOptions, open_transport
from labctl.transport.sim import SimTransport


def test_query_and_read(sim: SimTransport) -> None:
    assert sim.query("*IDN?") == "LABCTL,METER,1234,1.0"
    assert [sim.query("MEAS?") for _ in range(3)] == ["1.0", "2.0", "3.0"]
    sim.write("TWO?")
    assert (sim.read(), sim.read()) == ("first", "second")


def test_open_transport_builds_a_sim_transport(meter, vclock: VirtualClock) -> None:
    t = open_transport("sim://meter", TransportOptions(instrument="dmm"), device=meter,
                       clock=vclock)
    assert isinstance(t, SimTransport)
    assert t.resource == "sim://meter"
    assert t.query("ECHO hello world") == "hello world"


def test_delayed_reply_advances_the_virtual_clock_exactly_to_its_due_time(
        sim: SimTransport, vclock: VirtualClock) -> None:
    vclock.advance(10.0)
    assert sim.query("SLOW? 1.5") == "done"
    assert vclock.now() == 11.5


def test_timeout_costs_exactly_the_timeout_and_names_everything(
        sim: SimTransport, vclock: VirtualClock) -> None:
    vclock.advance(3.0)
    with pytest.raises(InstrumentTimeout) as info:
        sim.query("SLOW? 2.5")  # due after the 2 s timeout
    assert vclock.now() == 5.0
    text = str(info.value)
    for part in ("instrument 'dmm'", "command 'SLOW? 2.5'", "sim://meter", "within 2 s"):
        assert part in text
    assert info.value.instrument == "dmm" and info.value.command == "SLOW? 2.5"
    # the late reply still arrives: a reader that waits longer gets it
    assert sim.read() == "done"
    assert vclock.now() == 5.5


def test_no_reply_at_all_is_a_timeout(sim: SimTransport, vclock: VirtualClock) -> None:
    with pytest.raises(InstrumentTimeout, match="no reply within 2 s"):
        sim.query("NOTHING")
    assert vclock.now() == 2.0


def test_partial_reply_names_the_read_termination(sim: SimTransport) -> None:
    with pytest.raises(InstrumentTimeout) as info:
        sim.query("PART?")
    assert "got 3 byte(s) without the read termination '\\r\\n'" in str(info.value)
    assert info.value.reply == b"abc"


def test_wrong_read_termination_is_a_timeout_that_says_so(meter, vclock: VirtualClock) -> None:
    t = SimTransport(meter, TransportOptions(instrument="dmm", read_termination="\n\r"), vclock)
    with pytest.raises(InstrumentTimeout, match="without the read termination"):
        t.query("*IDN?")


def test_reply_that_is_not_text_is_an_instrument_error(sim: SimTransport) -> None:
    with pytest.raises(InstrumentError) as info:
        sim.query("BIN?")
    assert not isinstance(info.value, TransportError)
    assert "is not ascii text" in str(info.value)
    assert info.value.reply == b"\xff\xfe\x80"


def test_read_bytes(sim: SimTransport, vclock: VirtualClock) -> None:
    sim.write("*IDN?")
    assert sim.read_bytes(6) == b"LABCTL"
    assert sim.read() == ",METER,1234,1.0"
    sim.write("ECHO ab")
    with pytest.raises(InstrumentTimeout):
        sim.read_bytes(10)
    assert vclock.now() == 2.0


def test_discard_input_drops_stale_lines(meter_cls, vclock: VirtualClock) -> None:
    meter = meter_cls(vclock, power_on_lines=('I4 A "B123"',))
    t = SimTransport(meter, TransportOptions(), vclock)
    t.discard_input()
    assert t.query("GET?") == "0"
    t.write("TWO?")
    assert t.read() == "first"
    t.discard_input()
    assert t.query("ECHO x") == "x"


def test_unsolicited_power_on_line_is_read_first(meter_cls, vclock: VirtualClock) -> None:
    t = SimTransport(meter_cls(vclock, power_on_lines=("hello",)), TransportOptions(), vclock)
    assert t.query("ECHO a") == "hello"
    assert t.read() == "a"


def test_closed_transport_raises_transport_error(sim: SimTransport) -> None:
    sim.close()
    sim.close()  # harmless twice
    with pytest.raises(TransportError, match="closed") as info:
        sim.query("*IDN?")
    assert "instrument 'dmm'" in str(info.value)
    assert not isinstance(info.value, InstrumentTimeout)


def test_disconnected_device_raises_transport_error(sim: SimTransport, meter) -> None:
    meter.connected = False
    with pytest.raises(TransportError, match="disconnected") as info:
        sim.query("*IDN?")
    assert not isinstance(info.value, InstrumentTimeout)


def test_terminations_and_encoding_per_instrument(meter_cls, vclock: VirtualClock) -> None:
    class LatinLF(meter_cls):
        read_termination = b"\n"
        write_termination = b"\n"
        encoding = "latin-1"

        def handle(self, line: str) -> list[str]:
            return [f"{line} °C"]

    opts = TransportOptions(read_termination="\n", write_termination="\n", encoding="latin-1")
    t = SimTransport(LatinLF(vclock), opts, vclock)
    assert t.query("T?") == "T? °C"


class SteppedClock:
    """A clock that says it is real (``virtual = False``), so the transport takes its
    real-time path (short polling sleeps until the deadline), but whose sleeps only add
    to its time: the waits are counted exactly, with no wall time spent."""

    virtual = False

    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += max(seconds, 0.0)


def test_real_clock_path_waits_for_delayed_replies_and_times_out(meter_cls) -> None:
    clock = SteppedClock()
    t = SimTransport(meter_cls(clock), TransportOptions(instrument="dmm", timeout=0.1), clock)
    assert t.query("SLOW? 0.03") == "done"
    assert clock.t == pytest.approx(0.03)  # waited until the reply was due, not longer
    assert max(clock.sleeps) <= 0.005  # in short polls (POLL_INTERVAL)
    start = clock.t
    with pytest.raises(InstrumentTimeout, match=r"within 0\.1 s"):
        t.query("NOTHING")
    assert clock.t - start == pytest.approx(0.1)
