"""``select_cylinder`` on the simulated selector: it waits for the rotor and journals the
port and the cylinder; a valve that does not get there in time is an error naming it."""

from __future__ import annotations

from typing import Any

import pytest

from labctl.clock import VirtualClock
from labctl.drivers.gas.selector import GasStreamSelector
from labctl.errors import InstrumentError
from labctl.procedures.execution import Execution
from labctl.procedures.gas.cylinders import SelectCylinderAction
from labctl.procedures.plan_data import PlannedAction
from labctl.sim.gas import selector_sim
from labctl.sim.world import World
from labctl.transport import open_transport

TRUTH = {"CYL-1": {"CO2": 4e-4}, "CYL-2": {"CO2": 4.5e-4}}


def run(move_time: str, timeout: float) -> tuple[list[dict[str, Any]], VirtualClock]:
    clock = VirtualClock()
    world = World(clock, 5)
    sim = selector_sim.create(world, {"ports": {1: "CYL-1", 2: "CYL-2"},
                                      "cylinders_true": TRUTH, "move_time": move_time})
    driver = GasStreamSelector(open_transport("sim://gas-stream-selector", device=sim,
                                              clock=clock), name="selector",
                               ports={1: "CYL-1", 2: "CYL-2"},
                               cylinders=[{"id": c, "crm": "GBW(E)062301",
                                           "contents": TRUTH[c]} for c in TRUTH])
    events: list[dict[str, Any]] = []
    ex = Execution(instruments={"selector": driver},
                   emit=lambda kind, **kw: events.append({"type": kind, **kw}) or kw,
                   sleep=clock.sleep, before_reading=lambda: None, prompt=lambda m: "",
                   tags={"step": "standards", "point": "standards/01", "attempt": 1},
                   now=clock.now)
    action = PlannedAction("select_cylinder", "here:1:1", "selector",
                           {"port": 2, "cylinder": "CYL-2", "timeout": timeout})
    SelectCylinderAction.execute(action, ex)
    return events, clock


def test_it_waits_for_the_rotor_then_journals_the_cylinder() -> None:
    events, clock = run("1 s", 30.0)
    assert events == [{"type": "cylinder_selected", "step": "standards",
                       "point": "standards/01", "attempt": 1, "role": "selector", "port": 2,
                       "cylinder": "CYL-2", "standards": ["CYL-2"]}]
    assert clock.now() == pytest.approx(1.0, abs=0.25)


def test_a_valve_that_does_not_arrive_in_time_is_an_error() -> None:
    with pytest.raises(InstrumentError, match="did not reach port 2 within 5 s"):
        run("60 s", 5.0)
