"""A small SCPI-ish test device and transports on it (no labctl simulators needed)."""

from __future__ import annotations

import pytest

from labctl.sim.clock import VirtualClock
from labctl.sim.device import Reply, SimDevice
from labctl.transport import TransportOptions
from labctl.transport.sim import SimTransport


class Meter(SimDevice):
    """``*IDN?``; ``MEAS?`` gives 1.0, 2.0, ... (one more per reading); ``ECHO x`` gives x;
    ``SLOW? s`` answers "done" s seconds later; ``TWO?`` answers two lines;
    ``PART?`` answers without a termination; ``BIN?`` answers bytes that are not ASCII;
    ``SET x`` / ``GET?`` keep a value; anything else gets no reply."""

    name = "meter"

    def __init__(self, clock, power_on_lines: tuple[str, ...] = ()) -> None:
        self._power_on_lines = power_on_lines
        self.count = 0
        self.value = "0"
        super().__init__(clock)

    def power_on(self) -> list[str]:
        return list(self._power_on_lines)

    def handle(self, line: str) -> list[str | Reply]:
        word, _, arg = line.partition(" ")
        if word == "*IDN?":
            return ["LABCTL,METER,1234,1.0"]
        if word == "MEAS?":
            self.count += 1
            return [f"{self.count:.1f}"]
        if word == "ECHO":
            return [arg]
        if word == "SLOW?":
            return [Reply("done", float(arg))]
        if word == "TWO?":
            return ["first", "second"]
        if word == "PART?":
            return [Reply("abc", 0.0, terminated=False)]
        if word == "BIN?":
            return [b"\xff\xfe\x80"]
        if word == "SET":
            self.value = arg
            return []
        if word == "GET?":
            return [self.value]
        return []


@pytest.fixture
def meter_cls() -> type[Meter]:
    """The test device class (a fixture, so tests need not import this conftest)."""
    return Meter


@pytest.fixture
def vclock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def meter(vclock: VirtualClock) -> Meter:
    return Meter(vclock)


@pytest.fixture
def options() -> TransportOptions:
    return TransportOptions(instrument="dmm", timeout=2.0)


@pytest.fixture
def sim(meter: Meter, options: TransportOptions, vclock: VirtualClock) -> SimTransport:
    return SimTransport(meter, options, vclock, resource="sim://meter")
