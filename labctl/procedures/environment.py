"""The conditions watch: the procedure's environmental conditions against the bench.

When a procedure declares conditions (``temperature: {min: 10 degC, max: 30 degC}``...)
and the bench has an instrument for its environment role, the runner reads it every
``check_every`` of clock time and before each reading, and journals an ``environment``
event each time. Outside the conditions the run is suspended: a ``suspended`` event
(with the reading and the limits passed), the environment read again every
``check_every``, then ``resumed`` when it is back inside; after ``max_suspension``
outside, the run fails with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from labctl.clock import Clock
from labctl.errors import RunError
from labctl.procedures.procedure_model import Conditions
from labctl.procedures.state import RunState, StateMachine
from labctl.procedures.stop_signals import interruptible

Emit = Callable[..., dict[str, Any]]
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Violation:
    """One limit passed: ``quantity`` (temperature...) is beyond its ``limit`` (min/max)."""

    quantity: str
    limit: str
    bound: Any   # the limit, a pint Quantity
    value: Any   # the reading, a pint Quantity

    def describe(self) -> str:
        side = "below" if self.limit == "min" else "above"
        shown = self.value.to(self.bound.units)
        return f"{self.quantity} {shown:.4g~P} {side} {self.limit} {self.bound:.4g~P}"

    def to_json(self) -> dict[str, Any]:
        return {"quantity": self.quantity, "limit": self.limit, "bound": self.bound,
                "value": self.value}


def check_conditions(conditions: Conditions, reading: Any) -> list[Violation]:
    """The limits ``reading`` (an ``EnvironmentReading``) passes; a quantity the
    instrument does not measure (None) is not judged."""
    violations = []
    for name, limits in conditions.limits().items():
        value = getattr(reading, name, None)
        if value is None:
            continue
        for side in ("min", "max"):
            bound = getattr(limits, side)
            if bound is None:
                continue
            have = float(value.to(bound.units).magnitude)
            edge = float(bound.magnitude)
            slack = _TOLERANCE * max(abs(edge), 1.0)
            if (side == "min" and have < edge - slack) or (side == "max" and have > edge + slack):
                violations.append(Violation(name, side, bound, value))
    return violations


class ConditionsWatch:
    """Reads the environment role when due and suspends the run while outside.

    ``interrupt`` is called between waits and raises when the run must stop (an abort
    requested from outside). Without conditions or without an instrument, the watch
    only sleeps.
    """

    def __init__(self, conditions: Conditions | None, instrument: Any, role: str | None,
                 clock: Clock, emit: Emit, machine: StateMachine,
                 interrupt: Callable[[], None] = lambda: None) -> None:
        self.conditions = conditions if instrument is not None else None
        self.instrument = instrument
        self.role = role
        self.clock = clock
        self.emit = emit
        self.machine = machine
        self.interrupt = interrupt
        self.last_check: float | None = None
        self.check_every = (float(conditions.check_every.to("s").magnitude)
                            if conditions is not None else None)
        self.max_suspension = (float(conditions.max_suspension.to("s").magnitude)
                               if conditions is not None else None)

    @property
    def active(self) -> bool:
        return self.conditions is not None

    def due(self) -> bool:
        return self.active and (self.last_check is None
                                or self.clock.now() - self.last_check
                                >= self.check_every - _TOLERANCE)

    def check(self, *, force: bool = False) -> None:
        """Read the environment if ``force`` or ``check_every`` has passed; suspend while
        it is outside the conditions (returns when back inside)."""
        if not self.active or not (force or self.due()):
            return
        violations = self._read()
        if violations:
            self._suspend(violations)

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of clock time, checking the environment every ``check_every``
        (a suspension extends the wait: the time asked is waited inside the conditions)."""
        remaining = float(seconds)
        while remaining > 0:
            self.interrupt()
            chunk = remaining if not self.active else min(remaining, self._until_due())
            self._wait(chunk)
            remaining -= chunk
            self.check()

    def _wait(self, seconds: float) -> None:
        if getattr(self.clock, "virtual", False):
            self.clock.sleep(seconds)
        else:  # a real wait: a stop signal ends it at once (no journal write in it)
            with interruptible():
                self.clock.sleep(seconds)

    def _until_due(self) -> float:
        if self.last_check is None:
            return 0.0
        return max(self.check_every - (self.clock.now() - self.last_check), 1e-6)

    def _read(self) -> list[Violation]:
        reading = self.instrument.read_environment()
        self.last_check = self.clock.now()
        violations = check_conditions(self.conditions, reading)
        self.emit("environment", role=self.role, temperature=reading.temperature,
                  humidity=reading.humidity, pressure=reading.pressure,
                  within=not violations)
        return violations

    def _suspend(self, violations: list[Violation]) -> None:
        started = self.clock.now()
        reason = "; ".join(v.describe() for v in violations)
        self.machine.to(RunState.SUSPENDED, reason)
        self.emit("suspended", reason=f"outside the procedure's conditions: {reason}",
                  violations=[v.to_json() for v in violations])
        while violations:
            self.interrupt()
            elapsed = self.clock.now() - started
            remaining = self.max_suspension - elapsed
            if remaining <= _TOLERANCE:
                raise RunError(
                    f"the environment stayed outside the procedure's conditions for "
                    f"{elapsed:.0f} s (the most is {self.max_suspension:.0f} s): {reason}",
                    hint="bring the room back within the conditions, then resume the run")
            self._wait(min(self.check_every, remaining))
            violations = self._read()
            if violations:
                reason = "; ".join(v.describe() for v in violations)
        waited = self.clock.now() - started
        self.emit("resumed", reason=f"back within the conditions after {waited:.0f} s",
                  suspended_for=waited)
        self.machine.to(RunState.RUNNING, "conditions back")
