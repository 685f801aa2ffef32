"""The runner's state machine, and the control an operator (or a UI thread) uses on it.

States and the only transitions allowed::

    idle -> running <-> paused
                    <-> suspended  (environment outside the procedure's conditions)
    idle | running | paused | suspended -> aborting -> aborted | failed
    running -> done

Any other transition is a bug and raises ``IllegalTransition``. ``RunControl`` is how
another thread asks for a pause, a continue or an abort: it only sets flags, which the
runner looks at between actions (nothing is ever interrupted or killed).
"""

from __future__ import annotations

import threading
from enum import StrEnum

from labctl.errors import RunError


class RunState(StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    SUSPENDED = "suspended"
    ABORTING = "aborting"
    DONE = "done"
    ABORTED = "aborted"
    FAILED = "failed"


TRANSITIONS: dict[RunState, frozenset[RunState]] = {
    RunState.IDLE: frozenset({RunState.RUNNING, RunState.ABORTING}),
    RunState.RUNNING: frozenset({RunState.PAUSED, RunState.SUSPENDED, RunState.ABORTING,
                                 RunState.DONE}),
    RunState.PAUSED: frozenset({RunState.RUNNING, RunState.ABORTING}),
    RunState.SUSPENDED: frozenset({RunState.RUNNING, RunState.ABORTING}),
    RunState.ABORTING: frozenset({RunState.ABORTED, RunState.FAILED}),
    RunState.DONE: frozenset(),
    RunState.ABORTED: frozenset(),
    RunState.FAILED: frozenset(),
}

FINAL_STATES = frozenset({RunState.DONE, RunState.ABORTED, RunState.FAILED})


class IllegalTransition(RunError):
    """A transition the state machine does not allow (a bug in the caller)."""


class StateMachine:
    """The current state and the history of transitions (state, reason)."""

    def __init__(self) -> None:
        self.state = RunState.IDLE
        self.history: list[tuple[RunState, str]] = [(RunState.IDLE, "")]

    def can(self, new: RunState) -> bool:
        return new in TRANSITIONS[self.state]

    def to(self, new: RunState, reason: str = "") -> None:
        if not self.can(new):
            allowed = ", ".join(sorted(TRANSITIONS[self.state])) or "none (final state)"
            raise IllegalTransition(f"the run cannot go from {self.state} to {new}",
                                    hint=f"from {self.state}: {allowed}")
        self.state = new
        self.history.append((new, reason))

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES


class RunControl:
    """Requests from outside the runner; thread-safe, looked at between actions."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pause = False
        self._abort: str | None = None

    def request_pause(self) -> None:
        with self._lock:
            self._pause = True

    def request_continue(self) -> None:
        with self._lock:
            self._pause = False

    def request_abort(self, reason: str = "aborted by the operator") -> None:
        with self._lock:
            self._abort = reason

    @property
    def pause_requested(self) -> bool:
        with self._lock:
            return self._pause

    @property
    def abort_requested(self) -> str | None:
        with self._lock:
            return self._abort
