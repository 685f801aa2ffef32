"""The load receptor: which weights lie on it, where, and since when.

``WeighingPlatform`` is the shared physical object (``world.get("weighing_platform")``):
which weights lie on the load receptor, with their true (conventional) masses, and where
(centre, front, back, left, right), as a history of steps in clock time. A weight loader
schedules a step for when its move ends; a scale reads the platform at any time.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from labctl.clock import Clock

POSITIONS = ("centre", "front", "back", "left", "right")
PLATFORM = "weighing_platform"


@dataclass(frozen=True)
class LoadStep:
    """From ``time`` on, ``weights`` (id -> true mass in kg) lie at ``position``."""

    time: float
    weights: Mapping[str, float] = field(default_factory=dict)
    position: str = "centre"

    @property
    def mass_kg(self) -> float:
        return float(sum(self.weights.values()))


class WeighingPlatform:
    """What lies on a load receptor, as steps in clock time (future steps allowed)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._steps: list[LoadStep] = [LoadStep(-math.inf)]
        self._times: list[float] = [-math.inf]

    # -- changing the load --------------------------------------------------------
    def set_load(self, weights: Mapping[str, float], position: str = "centre",
                 at: float | None = None) -> LoadStep:
        """From time ``at`` (default now) the load is exactly ``weights`` at ``position``."""
        t = self.clock.now() if at is None else float(at)
        if position not in POSITIONS:
            raise ValueError(f"unknown position {position!r}; one of {', '.join(POSITIONS)}")
        for wid, mass in weights.items():
            if not (mass > 0 and math.isfinite(mass)):
                raise ValueError(f"weight {wid!r} has no positive mass ({mass})")
        if t < self._times[-1]:
            raise ValueError(f"a load change at t={t} before the last one "
                             f"(t={self._times[-1]})")
        step = LoadStep(t, dict(weights), position if weights else "centre")
        if t == self._times[-1]:
            self._steps[-1] = step
        else:
            self._steps.append(step)
            self._times.append(t)
        return step

    def place(self, weights: Mapping[str, float], position: str = "centre",
              at: float | None = None) -> LoadStep:
        """Put ``weights`` (id -> kg) on the receptor, replacing whatever lay there."""
        return self.set_load(weights, position, at)

    def add(self, weights: Mapping[str, float], at: float | None = None) -> LoadStep:
        """Add ``weights`` to the last scheduled load (at the same position)."""
        base = self._steps[-1]
        merged = dict(base.weights)
        for wid, mass in weights.items():
            if wid in merged:
                raise ValueError(f"weight {wid!r} is already on the receptor")
            merged[wid] = mass
        return self.set_load(merged, base.position, at)

    def remove_all(self, at: float | None = None) -> LoadStep:
        return self.set_load({}, "centre", at)

    # -- reading it ------------------------------------------------------------------
    def state(self, at: float | None = None) -> LoadStep:
        """The load at time ``at`` (default now)."""
        t = self.clock.now() if at is None else at
        return self._steps[bisect.bisect_right(self._times, t) - 1]

    @property
    def last(self) -> LoadStep:
        """The last scheduled step (may lie in the future)."""
        return self._steps[-1]

    def steps_until(self, t: float) -> list[LoadStep]:
        return self._steps[: bisect.bisect_right(self._times, t)]

    def next_change_after(self, t: float) -> LoadStep | None:
        i = bisect.bisect_right(self._times, t)
        return self._steps[i] if i < len(self._steps) else None

    def mass_kg(self, at: float | None = None) -> float:
        return self.state(at).mass_kg
