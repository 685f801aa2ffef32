"""Issue 8 item 3: every reply is checked against what the instrument can say; a reply
that fails is an instrument error naming the instrument, the command and the reply,
never a reading."""

from __future__ import annotations

import pytest

from labctl.clock import VirtualClock
from labctl.drivers.base import Instrument, measurement
from labctl.drivers.capabilities import Identity
from labctl.drivers.weighing.and_scale import AndScale
from labctl.drivers.weighing.mtsics_scale import MtSicsScale
from labctl.errors import InstrumentError
from labctl.sim.faults import FaultyDevice
from labctl.sim.weighing import mtsics_scale_sim
from labctl.sim.world import World
from labctl.transport.sim import SimTransport
from labctl.units import Q_

from .transcript import Transcript

PLATE = {"max": "15 kg", "e": "5 g", "d": "5 g", "class": "III"}


def mtsics(reply: str) -> MtSicsScale:
    return MtSicsScale(Transcript([("SI", reply)]), name="dut", **PLATE)


def and_scale(reply: str) -> AndScale:
    return AndScale(Transcript([("Q", reply)]), name="ad", **PLATE)


@pytest.mark.parametrize("reply, words", [
    ("S S      0.050 Pg", "'Pg', a unit no scale indicates in"),  # the garbled kg
    ("S S      0.050 Mg", "'Mg', a unit no scale indicates in"),
    ("S S     15.050 kg", "beyond what the scale can indicate (+-15.045 kg: Max + 9 e)"),
    ("S S    -15.050 kg", "beyond what the scale can indicate"),
    ("S S      0.053 kg", "not a multiple of d = 0.005 kg"),
    ("S S      0.0#0 kg", "malformed weight reply"),
    ("S S        nan kg", "malformed weight reply"),
    ("S S      5e-02 kg", "malformed weight reply"),
    ("S S      0.050 k3", "malformed weight reply"),
])
def test_mtsics_replies_the_scale_cannot_give_are_errors(reply: str, words: str) -> None:
    scale = mtsics(reply)
    with pytest.raises(InstrumentError) as info:
        scale.read_immediate()
    text = str(info.value)
    assert words in text
    assert "instrument 'dut'" in text and "command 'SI'" in text and reply.strip() in text


def test_mtsics_good_replies_still_read() -> None:
    assert mtsics("S S     15.045 kg").read_immediate().value == Q_(15.045, "kg")  # Max + 9 e
    assert mtsics("S D    -0.010 kg").read_immediate().value == Q_(-0.01, "kg")
    assert mtsics("S S    12345 g").read_immediate().value == Q_(12.345, "kg")


@pytest.mark.parametrize("reply, words", [
    ("ST,+0000.050 Pg", "'Pg', a unit no scale indicates in"),
    ("ST,+0016.000 kg", "beyond what the scale can indicate"),
    ("ST,+0000.051 kg", "not a multiple of d"),
    ("ST,+000O.050 kg", "malformed A&D data line"),
    ("ST,+0000.050 k%", "malformed A&D data line"),
])
def test_and_replies_the_scale_cannot_give_are_errors(reply: str, words: str) -> None:
    with pytest.raises(InstrumentError) as info:
        and_scale(reply).read_immediate()
    assert words in str(info.value) and "instrument 'ad'" in str(info.value)


def test_a_garbled_reply_from_the_simulator_never_becomes_a_reading() -> None:
    """bad_checksum on every reply, over many seeds: a reading that comes through is one
    the scale can indicate; a garbled unit is always refused."""
    refused = garbled_units = 0
    for seed in range(60):
        clock = VirtualClock()
        world = World(clock, seed=seed)
        sim = mtsics_scale_sim.create(world, {"max": "15 kg", "e": "5 g", "d": "5 g",
                                              "power_on_message": False})
        faulty = FaultyDevice(sim, [{"kind": "bad_checksum", "commands": ["SI"]}], rng=seed)
        scale = MtSicsScale(SimTransport(faulty, clock=clock), name="dut", **PLATE)
        try:
            reading = scale.read_immediate()
        except InstrumentError as err:
            refused += 1
            garbled_units += "a unit no scale indicates in" in str(err)
            assert "instrument 'dut'" in str(err)
            continue
        value = reading.value.m_as("kg")
        assert abs(value) <= 15.045 and abs(value / 0.005 - round(value / 0.005)) < 1e-6
    assert refused > 0 and garbled_units > 0


class FlowMeter(Instrument):
    """A meter whose flow is 0 to 20 L/min."""

    flow = measurement("FLOW?", unit="L/min", range=(0, 20))
    raw_flow = measurement("FLOW?", unit="L/min")

    def identify(self) -> Identity:
        return Identity("ACME", "F1", "1", "1")


@pytest.mark.parametrize("reply, words", [
    ("25.0", "25 l/min is outside the range the instrument can indicate [0, 20]"),
    ("-1", "outside the range"),
    ("nan", "cannot read flow"),
    ("inf", "cannot read flow"),
    ("1_0", "cannot read flow"),
])
def test_a_measurement_outside_the_instruments_range_is_an_error(reply: str,
                                                                  words: str) -> None:
    meter = FlowMeter(Transcript([("FLOW?", reply)]), name="fm")
    with pytest.raises(InstrumentError) as info:
        _ = meter.flow
    assert words in str(info.value) and "command 'FLOW?'" in str(info.value)


def test_a_measurement_within_range_reads() -> None:
    meter = FlowMeter(Transcript([("FLOW?", "12.5"), ("FLOW?", "30")]), name="fm")
    assert meter.flow == Q_(12.5, "L/min")
    assert meter.raw_flow == Q_(30, "L/min")  # no range declared: not checked
