"""Issue 8 item 4: commands that change an instrument's state (a set point, a load) are
never retried blindly: the state is read back, then the driver decides.

- A set point whose command was lost (the device ignored it) is found by reading it back
  and sent once more, reported; one that still does not hold is an error. Before, the
  run went on at the old set point while the journal said the new one.
- A loader move whose reply was lost or garbled is confirmed by ``STAT?`` (done: not sent
  again), sent once more when ``STAT?`` shows it did nothing, and an error otherwise.
"""

from __future__ import annotations

import pytest

from labctl.clock import VirtualClock
from labctl.drivers.base import RetryInfo
from labctl.drivers.particulate.generator import AerosolGenerator
from labctl.drivers.weighing.capabilities import WeightLoad
from labctl.drivers.weighing.weights import AutoWeightLoader
from labctl.errors import InstrumentError
from labctl.sim.faults import FaultyDevice
from labctl.sim.particulate import generator_sim
from labctl.sim.weighing import weight_loader_sim
from labctl.sim.world import World
from labctl.transport.sim import SimTransport


def generator(faults: list[dict], retries: int = 2
              ) -> tuple[AerosolGenerator, FaultyDevice, list[RetryInfo]]:
    clock = VirtualClock()
    device = FaultyDevice(generator_sim.create(World(clock, seed=1), {}), faults, rng=1)
    driver = AerosolGenerator(SimTransport(device, clock=clock), name="generator")
    driver.retries = retries
    heard: list[RetryInfo] = []
    driver.retry_listener = heard.append
    return driver, device, heard


def test_a_lost_set_point_is_read_back_and_sent_again() -> None:
    driver, device, heard = generator([{"kind": "timeout", "commands": ["SOUR:CONC"],
                                        "after": 1, "count": 1}])
    driver.set_point("concentration", "50 ug/m^3")
    driver.set_point("concentration", "150 ug/m^3")      # ignored once by the device
    assert device.inner.set_value == 150.0
    assert [(r.what, r.outcome) for r in heard] == [
        ("set concentration", "sent again: read back '50'")]
    assert [e.command for e in device.events] == ["SOUR:CONC 150"]


def test_a_set_point_that_never_holds_is_an_error() -> None:
    driver, device, heard = generator([{"kind": "timeout", "commands": ["SOUR:CONC"],
                                        "after": 1}])
    driver.set_point("concentration", 50)
    with pytest.raises(InstrumentError, match="not taken"):
        driver.set_point("concentration", 150)
    assert len(heard) == 1 and device.inner.set_value == 50.0


def test_a_set_point_read_back_with_fewer_digits_holds() -> None:
    driver, device, heard = generator([])
    driver.set_point("concentration", 100 / 3)   # the device answers 33.3333 (6 digits)
    assert heard == [] and device.inner.set_value == pytest.approx(100 / 3)


def test_a_refused_set_point_is_the_device_s_error_not_a_resend() -> None:
    driver, device, heard = generator([])
    device.inner.maximum = 100.0
    with pytest.raises(InstrumentError, match="refused"):
        driver.set_point("concentration", 150)
    assert heard == []


def loader(faults: list[dict]) -> tuple[AutoWeightLoader, FaultyDevice, list[RetryInfo]]:
    clock = VirtualClock()
    sim = weight_loader_sim.create(World(clock, seed=1), {
        "weights": {"W1": "1.000001 kg", "W2": "2.000002 kg", "W3": "2.000003 kg"}})
    device = FaultyDevice(sim, faults, rng=1)
    driver = AutoWeightLoader(SimTransport(device, clock=clock), name="loader",
                              move_timeout="30 s")
    driver.retries = 2
    heard: list[RetryInfo] = []
    driver.retry_listener = heard.append
    return driver, device, heard


@pytest.mark.parametrize("kind", ["drop", "garbage"])
def test_a_move_whose_reply_is_lost_is_confirmed_by_the_status(kind: str) -> None:
    driver, device, heard = loader([{"kind": kind, "commands": ["ADD"], "count": 1}])
    driver.place(WeightLoad(("W1",), "centre"))
    driver.add(WeightLoad(("W2",), "centre"))
    assert driver.status() == ("centre", ("W1", "W2"))
    assert [(r.what, r.outcome) for r in heard] == [("ADD", "confirmed by its state")]
    assert [e.command for e in device.events] == ["ADD centre W2"]  # sent once


def test_a_move_the_device_ignored_is_sent_again() -> None:
    driver, device, heard = loader([{"kind": "timeout", "commands": ["REMOVE"],
                                     "count": 1}])
    driver.place(WeightLoad(("W1", "W2", "W3"), "front"))
    driver.remove(("W2",))
    assert driver.status() == ("front", ("W1", "W3"))
    assert [(r.what, r.outcome) for r in heard] == [
        ("REMOVE", "sent again: its state was unchanged")]


def test_a_move_of_unknown_outcome_is_an_error() -> None:
    driver, device, heard = loader([{"kind": "drop", "commands": ["LOAD"], "count": 1}])
    with pytest.raises(InstrumentError):   # the receptor's load was never known
        driver.place(WeightLoad(("W1",), "centre"))
    assert heard == []
    driver.remove_all()                     # known from here on
    driver.place(WeightLoad(("W2",), "centre"))
    assert driver.status() == ("centre", ("W2",))
