"""The simulated gas line: what the dilution calibrator's outlet carries and what an
analyzer's inlet sees.

The calibrator ``feed``s a composition (component -> amount fraction, mol/mol) at the
clock's time; the composition at the analyzer's inlet is the fed one ``delay`` seconds
earlier (transport delay of the tubing; plug flow). With the output closed the line
carries zero gas (``{}``).

An analyzer's cell follows its inlet with a first-order response of time constant
``tau = T90 / ln 10`` (a step reaches 90 % after T90: ``FirstOrder``), evaluated exactly
for the piecewise constant inlet, so a reading at any clock time costs a few changes
at most. The world holds one line (``WORLD_NAME``); its parameter ``delay`` (a time,
default 0 s) comes from the calibrator's ``sim:`` block.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping

from labctl.sim.world import World

WORLD_NAME = "gas-line"
LN10 = math.log(10.0)


class GasLine:
    """The composition at the inlet as a function of clock time."""

    def __init__(self, world: World, *, delay: float = 0.0) -> None:
        self.clock = world.clock
        self.delay = delay
        self.times: list[float] = [-math.inf]
        self.compositions: list[dict[str, float]] = [{}]

    def feed(self, composition: Mapping[str, float]) -> None:
        """From now on the calibrator's outlet carries ``composition`` (mol/mol)."""
        now = self.clock.now()
        if self.times[-1] == now:
            self.compositions[-1] = dict(composition)
        else:
            self.times.append(now)
            self.compositions.append(dict(composition))

    def at_inlet(self, t: float) -> dict[str, float]:
        """The composition at the analyzer's inlet at time ``t``."""
        i = bisect.bisect_right(self.times, t - self.delay) - 1
        return self.compositions[max(i, 0)]

    def changes_between(self, t0: float, t1: float) -> list[float]:
        """Times in (t0, t1] at which the inlet composition changes."""
        lo = bisect.bisect_right(self.times, t0 - self.delay)
        hi = bisect.bisect_right(self.times, t1 - self.delay)
        return [self.times[i] + self.delay for i in range(lo, hi)]


class FirstOrder:
    """An analyzer cell's response to the line: y' = (x - y) / tau, x piecewise constant;
    ``signal(x_of)`` maps an inlet composition to the cell's input (e.g. the fraction of
    its component plus cross-sensitivities)."""

    def __init__(self, line: GasLine, t90: float, signal: object) -> None:
        self.line = line
        self.tau = t90 / LN10 if t90 > 0 else 0.0
        self.signal = signal
        self.t: float | None = None
        self.y = 0.0

    def value(self, t: float) -> float:
        x_of = self.signal
        if self.t is None or self.tau == 0.0:
            self.t, self.y = t, x_of(self.line.at_inlet(t))  # type: ignore[operator]
            return self.y
        if t <= self.t:
            return self.y
        edges = [*self.line.changes_between(self.t, t), t]
        for edge in edges:
            x = x_of(self.line.at_inlet(self.t))  # type: ignore[operator]
            self.y = x + (self.y - x) * math.exp(-(edge - self.t) / self.tau)
            self.t = edge
        return self.y


def line_of(world: World, delay: float = 0.0) -> GasLine:
    """The world's gas line (created by the first simulator that asks)."""
    return world.get(WORLD_NAME, lambda: GasLine(world, delay=delay))
