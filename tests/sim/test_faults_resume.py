"""Spent faults stay spent across a resume (issue 8 item 4): a fault plan tells its
listener of every fault that acts, and a device built anew is given the counts."""

from __future__ import annotations

import pytest
import simdevices_for_tests

from labctl.clock import VirtualClock
from labctl.errors import InstrumentTimeout, TransportError
from labctl.sim.faults import FaultEvent, FaultPlan, FaultyDevice
from labctl.transport import TransportOptions
from labctl.transport.sim import SimTransport


def rig(faults: list[dict], fired: dict[int, int] | None = None
        ) -> tuple[SimTransport, FaultyDevice, list[FaultEvent]]:
    clock = VirtualClock()
    device = FaultyDevice(simdevices_for_tests.Meter(clock), FaultPlan.from_data(faults), 1)
    if fired:
        device.restore_fired(fired)
    heard: list[FaultEvent] = []
    device.listener = heard.append
    transport = SimTransport(device, TransportOptions(instrument="dmm", timeout=1.0), clock,
                             resource="sim://meter")
    return transport, device, heard


def test_the_listener_hears_every_fault_that_acts() -> None:
    t, device, heard = rig([{"kind": "timeout", "after": 1, "count": 2}])
    t.query("*IDN?")
    for _ in range(2):
        with pytest.raises(InstrumentTimeout):
            t.query("*IDN?")
    t.query("*IDN?")
    assert [(e.kind, e.index, e.command) for e in heard] == [("timeout", 0, "*IDN?")] * 2
    assert device.fired() == {0: 2}
    assert heard[0].journal_fields() == {"fault": "timeout", "index": 0, "command": "*IDN?",
                                         "fault_t": heard[0].t}


def test_a_disconnect_acts_once_and_stays_spent_on_a_new_device() -> None:
    t, device, heard = rig([{"kind": "disconnect", "after": 2}])
    t.query("*IDN?")
    t.query("*IDN?")
    with pytest.raises(TransportError):
        t.query("*IDN?")
    assert device.fired() == {0: 1}
    again, device2, heard2 = rig([{"kind": "disconnect", "after": 2}], device.fired())
    for _ in range(5):
        again.query("*IDN?")
    assert heard2 == [] and device2.connected


def test_a_spent_count_does_not_act_again_a_partly_spent_one_does() -> None:
    plan = [{"kind": "timeout", "count": 2}]
    t, device, heard = rig(plan, {0: 2})
    t.query("*IDN?")
    assert heard == []
    t, device, heard = rig(plan, {0: 1})
    with pytest.raises(InstrumentTimeout):
        t.query("*IDN?")
    t.query("*IDN?")
    assert len(heard) == 1 and device.fired() == {0: 2}


def test_counts_of_faults_the_plan_does_not_have_are_ignored() -> None:
    t, device, heard = rig([{"kind": "timeout", "count": 1}], {5: 3, 0: 0})
    with pytest.raises(InstrumentTimeout):
        t.query("*IDN?")
    assert device.fired() == {0: 1}
