"""Fault plans: validation, triggers, and each kind as a SimTransport sees it."""

from __future__ import annotations

import contextlib

import pytest
import simdevices_for_tests

from labctl.clock import VirtualClock
from labctl.errors import ConfigError, InstrumentError, InstrumentTimeout, TransportError
from labctl.sim.device import Reply
from labctl.sim.faults import Fault, FaultPlan, FaultyDevice
from labctl.transport import TransportOptions
from labctl.transport.sim import SimTransport
from labctl.yamlio import loads_yaml


class Meter(simdevices_for_tests.Meter):
    """The shared test meter, but ``SLOW?`` answers "late" 0.5 s later and ``CRC?``
    gives a line ending in its checksum; ``model_constant`` is an attribute of the model."""

    def __init__(self, clock, power_on_lines: tuple[str, ...] = ()) -> None:
        self.model_constant = 42
        super().__init__(clock, power_on_lines)

    def handle(self, line: str) -> list[str | Reply]:
        word = line.partition(" ")[0]
        if word == "SLOW?":
            return [Reply("late", 0.5)]
        if word == "CRC?":
            body = "DATA=12.5;T=21.0"
            return [f"{body}*{sum(body.encode()) % 256:02X}"]
        return super().handle(line)


def checksum_ok(line: str) -> bool:
    body, _, crc = line.rpartition("*")
    return f"{sum(body.encode()) % 256:02X}" == crc


def rig(faults: list[dict], seed: int = 1, timeout: float = 1.0
        ) -> tuple[SimTransport, FaultyDevice, VirtualClock]:
    clock = VirtualClock()
    device = FaultyDevice(Meter(clock), FaultPlan.from_data(faults), seed)
    t = SimTransport(device, TransportOptions(instrument="dmm", timeout=timeout), clock,
                     resource="sim://meter")
    return t, device, clock


# -- validation -----------------------------------------------------------
def test_plan_from_plain_data() -> None:
    plan = FaultPlan.from_data([
        {"kind": "timeout", "after": 20, "count": 1},
        {"kind": "drop", "commands": ["S"], "every": 10, "bytes": 3},
        {"kind": "bad_checksum", "at": "2 min"},
        {"kind": "garbage", "probability": 0.01},
    ])
    assert len(plan) == 4
    assert plan.faults[0] == Fault(kind="timeout", after=20, count=1)
    assert plan.faults[2].at == 120.0
    assert FaultPlan.from_data(None).faults == ()


@pytest.mark.parametrize(
    ("faults", "words"),
    [
        ([{"kind": "timout"}], "fault 1: unknown kind 'timout' (kinds: timeout, garbage"),
        ([{"after": 3}], "fault 1: needs a kind"),
        ([{"kind": "drop"}, {"kind": "stuck", "evry": 2}],
         "fault 2: unknown key 'evry' (known keys: kind, after, every"),
        ([{"kind": "garbage", "probability": 1.5}], "probability: Input should be less than"),
        ([{"kind": "timeout", "every": 0}], "every: Input should be greater than or equal to 1"),
        ([{"kind": "timeout", "count": 0}], "count: Input should be greater than or equal to 1"),
        ([{"kind": "timeout", "after": -1}], "after: Input should be greater than or equal"),
        ([{"kind": "timeout", "at": "5 kg"}], "at: quantity in kg does not fit"),
        ([{"kind": "timeout", "commands": []}], "commands"),
        ([{"kind": "timeout", "commands": [" "]}], "a command must not be blank"),
        ([{"kind": "garbage", "bytes": 2}], "'bytes' applies to kinds 'drop' and 'truncate' only"),
        (["timeout"], "fault 1: must be a mapping"),
        ({"kind": "timeout"}, "'faults' must be a list"),
    ],
)
def test_bad_plans_are_clear(faults: object, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        FaultPlan.from_data(faults, where="bench.yaml: instrument 'scale'")  # type: ignore[arg-type]
    text = str(info.value)
    assert words in text
    assert text.startswith("bench.yaml: instrument 'scale'")
    assert "\n" not in text


def test_errors_point_at_the_yaml_line() -> None:
    data = loads_yaml("faults:\n  - {kind: timeout}\n  - {kind: stuk, after: 2}\n", "bench.yaml")
    with pytest.raises(ConfigError) as info:
        FaultPlan.from_data(data["faults"])
    assert str(info.value).startswith("bench.yaml:3:")
    assert "unknown kind 'stuk'" in str(info.value)


# -- each kind as the transport sees it -----------------------------------
def test_timeout_kind_is_an_instrument_timeout_and_the_command_is_ignored() -> None:
    t, device, clock = rig([{"kind": "timeout", "after": 1, "count": 1}])
    assert t.query("MEAS?") == "1.0"
    with pytest.raises(InstrumentTimeout) as info:
        t.query("MEAS?")
    text = str(info.value)
    for part in ("instrument 'dmm'", "command 'MEAS?'", "sim://meter", "within 1 s"):
        assert part in text
    assert clock.now() == 1.0
    assert t.query("MEAS?") == "2.0"  # the ignored command did not take a reading
    assert [(e.kind, e.command, e.t) for e in device.events] == [("timeout", "MEAS?", 0.0)]


def test_timeout_kind_leaves_the_state_alone() -> None:
    t, device, _ = rig([{"kind": "timeout", "commands": ["SET"]}])
    t.write("SET 5")
    assert t.query("GET?") == "0"
    assert device.inner.value == "0"


def test_drop_kind_carries_out_the_command_but_loses_the_reply() -> None:
    t, device, clock = rig([{"kind": "drop", "after": 1, "count": 1}])
    assert t.query("MEAS?") == "1.0"
    with pytest.raises(InstrumentTimeout):
        t.query("MEAS?")
    assert t.query("MEAS?") == "3.0"  # the dropped one was taken
    assert clock.now() == 1.0


def test_drop_some_bytes() -> None:
    t, _, _ = rig([{"kind": "drop", "bytes": 2, "count": 1}], seed=3)
    try:
        reply = t.query("ECHO abcdefgh")
    except InstrumentTimeout as exc:  # the termination itself was among the lost bytes
        assert exc.reply is not None and len(exc.reply) >= 7
    else:
        assert len(reply) == 6 and set(reply) <= set("abcdefgh")
    t.discard_input()
    assert t.query("ECHO next") == "next"


def test_drop_that_loses_the_termination_runs_into_the_next_reply() -> None:
    t, _, _ = rig([{"kind": "drop", "bytes": 2, "count": 1}], seed=0)
    outcomes = set()
    for seed in range(12):
        t, _, _ = rig([{"kind": "drop", "bytes": 2, "count": 1}], seed=seed)
        try:
            outcomes.add("short" if len(t.query("ECHO abcdefgh")) == 6 else "other")
        except InstrumentTimeout:
            outcomes.add("timeout")
    assert outcomes == {"short", "timeout"}  # both ways a lost byte shows up


def test_garbage_kind_is_an_instrument_error_or_a_wrong_reply() -> None:
    t, device, _ = rig([{"kind": "garbage", "commands": ["ECHO"]}], seed=7)
    wrong = 0
    for i in range(20):
        try:
            reply = t.query(f"ECHO value-{i}")
        except InstrumentError as exc:
            assert not isinstance(exc, TransportError)
            assert "not ascii text" in str(exc)
            wrong += 1
        else:
            assert reply != f"value-{i}"
            wrong += 1
    assert wrong == 20
    assert t.query("MEAS?") == "1.0"  # other commands are untouched


def test_garbage_is_seeded() -> None:
    def run(seed: int) -> list[bytes]:
        t, device, clock = rig([{"kind": "garbage"}], seed=seed)
        out = []
        for _ in range(3):
            t.write("ECHO abcdef")
            out.append(t.read_bytes(8))
        return out

    assert run(5) == run(5)
    assert run(5) != run(6)


def test_bad_checksum_changes_exactly_one_character() -> None:
    t, _, _ = rig([{"kind": "bad_checksum", "every": 2}], seed=11)
    good = t.query("CRC?")
    bad = t.query("CRC?")
    assert checksum_ok(good) and not checksum_ok(bad)
    assert len(bad) == len(good)
    assert sum(a != b for a, b in zip(good, bad, strict=True)) == 1
    assert checksum_ok(t.query("CRC?"))


def test_disconnect_kind_is_a_transport_error_from_then_on() -> None:
    t, device, _ = rig([{"kind": "disconnect", "after": 2}])
    assert t.query("MEAS?") == "1.0"
    assert t.query("MEAS?") == "2.0"
    with pytest.raises(TransportError) as info:
        t.query("MEAS?")
    assert not isinstance(info.value, InstrumentTimeout)
    assert "disconnected" in str(info.value) and "instrument 'dmm'" in str(info.value)
    assert device.connected is False
    with pytest.raises(TransportError):
        t.query("ECHO anyone?")
    assert device.inner.count == 2
    assert device.read() == b"" and device.next_due() is None


def test_stuck_kind_repeats_the_previous_reply() -> None:
    t, _, _ = rig([{"kind": "stuck", "commands": ["MEAS?"], "after": 2}])
    assert [t.query("MEAS?") for _ in range(5)] == ["1.0", "2.0", "2.0", "2.0", "2.0"]
    assert t.query("ECHO a") == "a"
    assert t.query("ECHO b") == "b"  # a different line: not stuck


def test_stuck_keeps_the_reply_delay() -> None:
    t, _, clock = rig([{"kind": "stuck", "commands": ["SLOW?"]}])
    assert t.query("SLOW?") == "late"  # no previous reply yet: passes through
    assert t.query("SLOW?") == "late"
    assert clock.now() == 1.0


# -- triggers --------------------------------------------------------------
def fired_on(faults: list[dict], n: int = 12, command: str = "MEAS?", seed: int = 1,
             advance: float = 0.0) -> list[int]:
    t, device, clock = rig(faults, seed=seed)
    hits = []
    for i in range(1, n + 1):
        before = len(device.events)
        with contextlib.suppress(InstrumentTimeout):
            t.query(command)
        if len(device.events) > before:
            hits.append(i)
        clock.advance(advance)
    return hits


def test_after_every_count() -> None:
    assert fired_on([{"kind": "timeout", "after": 3, "count": 2}]) == [4, 5]
    assert fired_on([{"kind": "timeout", "every": 4}]) == [4, 8, 12]
    assert fired_on([{"kind": "timeout", "after": 2, "every": 3, "count": 2}]) == [5, 8]


def test_at_clock_time() -> None:
    assert fired_on([{"kind": "timeout", "at": "10 s", "count": 1}], advance=3.0) == [5]


def test_commands_filter_counts_only_its_commands() -> None:
    t, device, _ = rig([{"kind": "timeout", "commands": ["meas?"], "after": 1, "count": 1}])
    assert t.query("ECHO a") == "a"
    assert t.query("MEAS?") == "1.0"
    assert t.query("ECHO b") == "b"
    with pytest.raises(InstrumentTimeout):
        t.query("MEAS?")


def test_probability_is_seeded_and_roughly_right() -> None:
    plan = [{"kind": "drop", "probability": 0.3}]
    first = fired_on(plan, n=400, seed=9)
    assert first == fired_on(plan, n=400, seed=9)
    assert first != fired_on(plan, n=400, seed=10)
    assert 80 <= len(first) <= 160


def test_first_fault_in_the_plan_wins() -> None:
    t, device, _ = rig([{"kind": "stuck", "after": 1}, {"kind": "disconnect", "after": 1}])
    assert t.query("MEAS?") == "1.0"
    assert t.query("MEAS?") == "1.0"  # stuck wins over disconnect
    assert device.connected


# -- the wrapper -----------------------------------------------------------
def test_power_on_lines_and_attributes_pass_through() -> None:
    clock = VirtualClock()
    inner = Meter(clock, power_on_lines=('I4 A "B1"',))
    device = FaultyDevice(inner, [{"kind": "timeout", "commands": ["SET"]}])
    assert device.read() == b'I4 A "B1"\r\n'
    assert device.model_constant == 42
    assert device.name == "meter"
    assert FaultPlan.from_data([]).wrap(inner) is inner
    assert isinstance(FaultPlan.from_data([{"kind": "stuck"}]).wrap(inner, 1), FaultyDevice)
