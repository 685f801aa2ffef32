"""The weighing drivers against their simulators, on a virtual clock (no real sleeps)."""

from __future__ import annotations

import math

import pytest

from labctl.clock import VirtualClock
from labctl.drivers.capabilities import Identity
from labctl.drivers.weighing.and_scale import AndScale
from labctl.drivers.weighing.capabilities import WeightLoad
from labctl.drivers.weighing.mtsics_scale import MtSicsScale
from labctl.drivers.weighing.weights import AutoWeightLoader
from labctl.errors import InstrumentError, InstrumentTimeout
from labctl.sim.weighing import and_scale_sim as and_scale
from labctl.sim.weighing import mtsics_scale_sim as mtsics_scale
from labctl.sim.weighing import weight_loader_sim as weight_loader
from labctl.sim.world import World
from labctl.transport.base import TransportOptions
from labctl.transport.sim import SimTransport

# A class II scale fine enough (d = 1 g at 15 kg) to see a gain of 3e-4 and an
# eccentricity of 2e-4 at 10 kg: 3 g and 2 g.
PLATE = {"max": "15 kg", "e": "1 g", "d": "1 g", "class": "II"}
TRUE = {"W10": "10.000000 kg", "W5": "5.000000 kg", "W2": "2.000000 kg", "W1": "1.000000 kg",
        "W100g": "0.100000 kg"}


class Bench:
    def __init__(self, seed: int = 11, scale: str = "mtsics", **sim) -> None:
        self.clock = VirtualClock()
        self.world = World(self.clock, seed=seed)
        params = {**PLATE, "noise": "0.1 g", **sim}
        factory, driver = (mtsics_scale.create, MtSicsScale) if scale == "mtsics" \
            else (and_scale.create, AndScale)
        self.scale_sim = factory(self.world, {k: v for k, v in params.items() if k != "class"})
        self.loader_sim = weight_loader.create(self.world, {"weights": TRUE})
        self.scale = driver(self._link(self.scale_sim, "dut"), name="dut", **PLATE)
        self.loader = AutoWeightLoader(self._link(self.loader_sim, "loader"), name="loader")

    def _link(self, device, name):
        return SimTransport(device, TransportOptions(instrument=name), self.clock)

    def load(self, *ids: str, position: str = "centre") -> None:
        self.loader.remove_all()
        self.loader.place(WeightLoad(ids, position=position))


def g(reading) -> float:
    return reading.value.m_as("g")


@pytest.mark.parametrize("scale", ["mtsics", "and"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_known_gain_and_eccentricity_are_reproduced(scale, seed):
    b = Bench(seed=seed, scale=scale, gain=3e-4, eccentricity={"front": 2e-4})
    b.load("W10")
    centre = g(b.scale.read_stable()) - 10_000
    b.load("W10", position="front")
    front = g(b.scale.read_stable()) - 10_000
    tolerance = 0.5 + 4 * 0.1  # rounding to d plus four noise sigmas (g)
    assert centre == pytest.approx(3.0, abs=tolerance)
    assert front == pytest.approx(10_000 * ((1 + 2e-4) * (1 + 3e-4) - 1), abs=tolerance)
    assert front - centre == pytest.approx(2.0, abs=2 * tolerance)


@pytest.mark.parametrize("scale", ["mtsics", "and"])
def test_indications_are_rounded_to_d(scale):
    b = Bench(scale=scale, gain=1.23e-4, noise="0.3 g")
    for ids in (("W1",), ("W2", "W100g"), ("W5", "W2", "W1")):
        b.load(*ids)
        value = g(b.scale.read_stable())
        assert abs(value - round(value)) < 1e-6  # d = 1 g


@pytest.mark.parametrize("scale", ["mtsics", "and"])
def test_overload_above_max_plus_9e(scale):
    b = Bench(scale=scale)
    b.load("W10", "W5", "W100g")  # 15.1 kg > 15 kg + 9 g
    reading = b.scale.read_stable()
    assert reading.overload and math.isnan(reading.value.magnitude)
    b.load("W10", "W5")  # 15 kg: no overload
    assert not b.scale.read_stable().overload


def test_unsolicited_power_on_line_does_not_confuse_the_first_reply():
    b = Bench()
    assert b.scale_sim.next_due() is not None  # the power-on line waits to be read
    reading = b.scale.read_stable()
    assert reading.value.m_as("g") == 0 and reading.stable
    # the driver cleared the line before its first command: the line never reached it
    assert list(b.scale.unsolicited) == [] and b.scale_sim.next_due() is None


@pytest.mark.parametrize("command, code", [("XYZ", "ES"), ("S 5", "EL")])
def test_error_replies_from_the_simulator(command, code):
    b = Bench()
    with pytest.raises(InstrumentError) as err:
        b.scale.query(command)
    assert (err.value.instrument, err.value.command, err.value.reply) == ("dut", command, code)


def test_a_load_that_never_settles_times_out_on_s():
    b = Bench(noise="5 g", timeout="60 s")  # noise > band: never stable
    b.load("W2")
    start = b.clock.now()
    with pytest.raises(InstrumentTimeout) as err:
        b.scale.read_stable(timeout=5.0)
    assert err.value.command == "S" and "5 s" in str(err.value)
    assert b.clock.now() - start == pytest.approx(5.0, abs=0.01)
    # the pending S was cancelled: the next command gets its own reply
    assert not b.scale.read_immediate().stable


def test_the_balance_gives_up_first_with_s_i():
    b = Bench(noise="5 g", timeout="3 s")
    b.load("W2")
    with pytest.raises(InstrumentError) as err:
        b.scale.read_stable(timeout=10.0)
    assert err.value.reply == "S I" and not isinstance(err.value, InstrumentTimeout)


def test_and_never_settling_gives_e11_or_a_timeout():
    b = Bench(scale="and", noise="5 g", timeout="3 s")
    b.load("W2")
    with pytest.raises(InstrumentError, match="stability") as err:
        b.scale.read_stable(timeout=10.0)
    assert err.value.reply == "EC,E11"
    b = Bench(scale="and", noise="5 g", timeout="60 s")
    with pytest.raises(InstrumentTimeout, match="cancelled with C"):
        b.scale.read_stable(timeout=2.0)
    assert not b.scale.read_immediate().stable


@pytest.mark.parametrize("scale", ["mtsics", "and"])
def test_zero_setting_within_two_percent_of_max(scale):
    b = Bench(scale=scale, offset="3 g", noise="0 g")
    assert g(b.scale.read_stable()) == 3
    b.scale.zero()
    assert g(b.scale.read_stable()) == 0
    b.load("W1")  # 1 kg is 6.7 % of Max
    with pytest.raises(InstrumentError):
        b.scale.zero()


@pytest.mark.parametrize("scale", ["mtsics", "and"])
def test_tare_and_clear_tare(scale):
    b = Bench(scale=scale, noise="0 g")
    b.load("W2")
    assert g(b.scale.tare()) == 2000
    assert g(b.scale.read_stable()) == 0
    b.loader.add(WeightLoad(("W1",)))
    assert g(b.scale.read_stable()) == 1000
    b.scale.clear_tare()
    assert g(b.scale.read_stable()) == 3000


def test_identities():
    b = Bench()
    assert b.scale.identify() == Identity("Mettler Toledo", "LABCTL-SIM MT 15", "B000000001",
                                          "1.00")
    assert b.loader.identify() == Identity("LABCTL-SIM", "WL-100", "WL100-0001", "1.0")
    a = Bench(scale="and", serial="T777", model="GX-30K")
    assert a.scale.identify() == Identity("A&D", "GX-30K", "T777", "")


def test_loader_moves_take_clock_time_and_refuse_mistakes():
    b = Bench()
    start = b.clock.now()
    b.loader.place(WeightLoad(("W5", "W2")))
    assert b.clock.now() - start == pytest.approx(4.0 + 2 * 0.5)
    assert b.loader.status() == ("centre", ("W5", "W2"))
    with pytest.raises(InstrumentError, match="occupied"):
        b.loader.place(WeightLoad(("W1",)))
    with pytest.raises(InstrumentError, match="unknown weight W9"):
        b.loader.add(WeightLoad(("W9",)))
    with pytest.raises(InstrumentError, match="stands at centre"):
        b.loader.add(WeightLoad(("W1",), position="front"))
    with pytest.raises(InstrumentError, match="already on the receptor"):
        b.loader.add(WeightLoad(("W5",)))
    b.loader.safe_state()
    assert b.loader.status() == (None, ())


def test_same_seed_same_readings():
    def run(seed):
        b = Bench(seed=seed, noise="0.4 g", gain=2e-4)
        out = []
        for ids in (("W1",), ("W5",), ("W10", "W2")):
            b.load(*ids)
            out += [b.scale.read_stable().raw, b.scale.read_immediate().raw]
        return out

    assert run(5) == run(5)
    assert run(5) != run(6)


def test_a_scale_read_through_its_data_plate_in_grams():
    b = Bench()
    scale = MtSicsScale(b._link(b.scale_sim, "g-scale"), name="g-scale", max="15000 g",
                        e="1 g", d="1 g", unit="g")
    b.load("W2")
    reading = scale.read_stable()
    assert reading.value.units == scale.unit and reading.value.magnitude == pytest.approx(2000)
