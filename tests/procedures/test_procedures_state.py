"""The runner's state machine: only its transitions; the control's requests."""

from __future__ import annotations

import pytest

from labctl.procedures.state import IllegalTransition, RunControl, RunState, StateMachine


def test_state_machine_allows_only_its_transitions() -> None:
    machine = StateMachine()
    for state in (RunState.RUNNING, RunState.SUSPENDED, RunState.RUNNING, RunState.PAUSED,
                  RunState.RUNNING, RunState.ABORTING, RunState.FAILED):
        machine.to(state)
    assert machine.final
    assert [s for s, _ in machine.history][-2:] == [RunState.ABORTING, RunState.FAILED]
    with pytest.raises(IllegalTransition, match="from failed to running"):
        machine.to(RunState.RUNNING)
    machine = StateMachine()
    with pytest.raises(IllegalTransition, match="from idle to done"):
        machine.to(RunState.DONE)
    machine.to(RunState.RUNNING)
    machine.to(RunState.SUSPENDED)
    with pytest.raises(IllegalTransition):
        machine.to(RunState.PAUSED)
    with pytest.raises(IllegalTransition):
        machine.to(RunState.DONE)


def test_run_control_requests() -> None:
    control = RunControl()
    assert not control.pause_requested and control.abort_requested is None
    control.request_pause()
    assert control.pause_requested
    control.request_continue()
    assert not control.pause_requested
    control.request_abort("stop")
    assert control.abort_requested == "stop"
