"""Issue 8 item 4: idempotent queries are retried a stated number of times, each retry
reported; commands that change the instrument's state are not retried blindly."""

from __future__ import annotations

import pytest

from labctl.clock import VirtualClock
from labctl.drivers.base import RetryInfo
from labctl.drivers.weighing.mtsics_scale import MtSicsScale
from labctl.errors import InstrumentError, InstrumentTimeout, TransportError
from labctl.sim.faults import FaultyDevice
from labctl.sim.weighing import mtsics_scale_sim
from labctl.sim.world import World
from labctl.transport.sim import SimTransport

PLATE = {"max": "15 kg", "e": "5 g", "d": "5 g"}


def scale(faults: list[dict], retries: int) -> tuple[MtSicsScale, FaultyDevice, list]:
    clock = VirtualClock()
    sim = mtsics_scale_sim.create(World(clock, seed=1), {**PLATE, "power_on_message": False})
    device = FaultyDevice(sim, faults, rng=1)
    driver = MtSicsScale(SimTransport(device, clock=clock), name="dut", **PLATE)
    driver.retries = retries
    heard: list[RetryInfo] = []
    driver.retry_listener = heard.append
    return driver, device, heard


def test_a_reading_is_retried_after_a_timeout_and_a_garbled_reply() -> None:
    driver, device, heard = scale([{"kind": "timeout", "commands": ["SI"], "count": 1},
                                   {"kind": "garbage", "commands": ["SI"], "count": 1}], 2)
    assert driver.read_immediate().value.m_as("kg") == 0.0
    assert [(r.what, r.attempt, r.allowed, type(r.error)) for r in heard] == [
        ("read_immediate", 1, 2, InstrumentTimeout), ("read_immediate", 2, 2, InstrumentError)]
    assert [e.kind for e in device.events] == ["timeout", "garbage"]
    fields = heard[0].journal_fields()
    assert fields["instrument"] == "dut" and "command 'SI'" in fields["error"]


def test_the_number_of_retries_is_what_is_stated() -> None:
    driver, device, heard = scale([{"kind": "timeout", "commands": ["SI"], "count": 3}], 2)
    with pytest.raises(InstrumentTimeout):
        driver.read_immediate()
    assert len(heard) == 2 and len(device.events) == 3
    driver, device, heard = scale([{"kind": "timeout", "commands": ["SI"], "count": 1}], 0)
    with pytest.raises(InstrumentTimeout):
        driver.read_immediate()
    assert heard == []


def test_identification_is_retried_as_one_query() -> None:
    driver, device, heard = scale([{"kind": "garbage", "commands": ["I4"], "count": 1}], 1)
    assert driver.identify().serial == "B000000001"
    assert [r.what for r in heard] == ["identify"]  # the whole identification, once


def test_state_changing_commands_are_not_retried() -> None:
    driver, device, heard = scale([{"kind": "timeout", "commands": ["ZI"], "count": 1}], 5)
    with pytest.raises(InstrumentTimeout):
        driver.zero_immediately()
    assert heard == [] and [e.command for e in device.events] == ["ZI"]


def test_a_lost_link_is_not_retried() -> None:
    driver, device, heard = scale([{"kind": "disconnect", "commands": ["SI"]}], 5)
    with pytest.raises(TransportError) as info:
        driver.read_immediate()
    assert not isinstance(info.value, InstrumentTimeout)
    assert heard == []


def test_a_zero_whose_reply_is_garbled_is_confirmed_by_the_state_not_resent() -> None:
    driver, device, heard = scale([{"kind": "garbage", "commands": ["Z"], "count": 1}], 2)
    driver.zero(timeout=5)
    assert [(r.what, r.outcome) for r in heard] == [("zero", "confirmed by its state")]
    assert heard[0].journal_fields()["outcome"] == "confirmed by its state"
    assert [e.command for e in device.events] == ["Z"]
    assert driver.read_stable().value.magnitude == 0


def test_a_zero_the_state_does_not_confirm_stays_an_error() -> None:
    driver, device, heard = scale([{"kind": "garbage", "commands": ["Z"], "count": 1}], 2)
    device.inner.model.platform.place({"W": 1.0})  # 1 kg on the receptor: far from zero
    with pytest.raises(InstrumentError):
        driver.zero(timeout=5)
    assert heard == []


def test_a_tare_whose_reply_is_garbled_is_confirmed_and_its_value_asked() -> None:
    driver, device, heard = scale([{"kind": "garbage", "commands": ["T"], "count": 1}], 2)
    device.inner.model.platform.place({"W": 0.5})
    tare = driver.tare(timeout=30)
    assert tare.value.m_as("kg") == 0.5
    assert [(r.what, r.outcome) for r in heard] == [("tare", "confirmed by its state")]
    assert [e.command for e in device.events] == ["T"]  # T was not sent again
