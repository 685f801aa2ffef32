"""The metrology of one simulated scale looking at a ``WeighingPlatform``.

At clock time t::

    L_i   = true mass of step i, in the scale's unit, x (1 + eccentricity[position_i])
    x(t)  = L_now - sum_i (L_i - L_i-1) exp(-(t - t_i) / settling_time)   first-order settling
    c(t)  = creep (L_now - sum_i (L_i - L_i-1) exp(-(t - t_i) / creep_time))
    raw   = offset + zero_drift (t - t0) + x (1 + gain) + nonlinearity x^2 / Max + c + noise
    gross = raw - zero point;   net = gross - tare;   indication = net rounded to d

The reading is *stable* once the settling transient has stayed within
``stable_band`` x d for ``stable_period`` seconds; a scale whose noise (standard
deviation) exceeds twice the band, or whose drift crosses the band within the period,
is never stable. Zero-setting works within +-``zero_range`` x Max (2 %, OIML R76-1) of the
power-on zero and clears the tare; taring needs a gross load between 0 and Max. Zero
tracking (optional) follows a stable gross indication within 0.5 d of zero while no tare
is set. Above Max + 9 e the scale is in overload; below -``underload`` x d (default
20 d) in underload.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from labctl.clock import Clock
from labctl.protocols.numbers import decimals_for
from labctl.sim.weighing.weighing_platform import LoadStep, WeighingPlatform
from labctl.units import parse_quantity, parse_unit


@dataclass(frozen=True)
class Indication:
    """What the scale shows at ``time``: net ``value`` and ``gross``, rounded to d."""

    time: float
    value: float
    gross: float
    stable: bool
    overload: bool
    underload: bool


@dataclass
class ScaleParams:
    """The metrological parameters of a simulated scale (units: the scale's unit, s)."""

    max: float = 15.0
    e: float = 0.005
    d: float = 0.005
    unit: str = "kg"
    gain: float = 0.0
    offset: float = 0.0
    nonlinearity: float = 0.0
    eccentricity: dict[str, float] = field(default_factory=dict)
    zero_drift: float = 0.0       # unit per hour
    creep: float = 0.0
    creep_time: float = 600.0
    noise: float = 0.0
    settling_time: float = 0.5
    stable_band: float = 0.25     # x d
    stable_period: float = 0.5
    zero_tracking: bool = False
    initial_zero: bool = False
    zero_range: float = 0.02      # x Max
    underload: float = 20.0       # x d
    timeout: float = 10.0         # the device's own wait for stability


class ScaleModel:
    """The indication of one scale on a ``WeighingPlatform``, as a function of time."""

    def __init__(self, platform: WeighingPlatform, clock: Clock, params: ScaleParams,
                 rng: np.random.Generator) -> None:
        self.platform = platform
        self.clock = clock
        self.p = params
        self.rng = rng
        self.unit = params.unit
        self.kg_to_unit = float(parse_quantity(1.0, "kg").m_as(parse_unit(params.unit)))
        self.decimals = decimals_for(params.d)
        self.t0 = clock.now()
        self.tare = 0.0
        self.zero_point = 0.0
        self._pending: list[tuple[float, Callable[[], None]]] = []
        self._cutoff = 40.0 * max(params.settling_time, params.creep_time if params.creep else 0)
        if params.initial_zero:
            self.zero_point = self.raw(self.t0)
        self.power_on_zero = self.zero_point

    # -- physics -------------------------------------------------------------------
    def _effective(self, step: LoadStep) -> float:
        mass = step.mass_kg
        if not mass:
            return 0.0
        return mass * self.kg_to_unit * (1.0 + self.p.eccentricity.get(step.position, 0.0))

    def _load_terms(self, t: float) -> tuple[float, float, float]:
        """(effective load now, settling transient, creep transient) at time ``t``."""
        platform = self.platform
        steps = platform._steps  # read in place: this runs for every reading
        top = bisect.bisect_right(platform._times, t)
        now = self._effective(steps[top - 1])
        tau, ctau = self.p.settling_time, self.p.creep_time
        fast = slow = 0.0
        later = now
        for i in range(top - 1, 0, -1):
            age = t - steps[i].time
            if age > self._cutoff:
                break
            before = self._effective(steps[i - 1])
            delta = later - before
            if delta:
                if tau > 0:
                    fast += delta * math.exp(-age / tau)
                if self.p.creep and ctau > 0:
                    slow += delta * math.exp(-age / ctau)
            later = before
        return now, fast, slow

    def raw(self, t: float, *, noise: bool = True) -> float:
        """The unrounded reading before zero and tare, at time ``t``."""
        p = self.p
        load, fast, slow = self._load_terms(t)
        x = load - fast
        value = p.offset + p.zero_drift * (t - self.t0) / 3600.0 + x * (1.0 + p.gain)
        if p.nonlinearity:
            value += p.nonlinearity * x * x / p.max
        if p.creep:
            value += p.creep * (load - slow)
        if noise and p.noise > 0:
            value += float(self.rng.normal(0.0, p.noise))
        return value

    def round(self, value: float) -> float:
        """``value`` rounded to the scale interval d."""
        d = self.p.d
        return round(math.floor(value / d + 0.5) * d, self.decimals + 3)

    # -- stability ----------------------------------------------------------------------
    def never_stable(self) -> bool:
        band = self.p.stable_band * self.p.d
        drift = abs(self.p.zero_drift) / 3600.0 * self.p.stable_period
        return self.p.noise > 2 * band or drift > band

    def out_of_range(self, t: float) -> str | None:
        """``"+"`` (overload), ``"-"`` (underload) or None, without noise, at ``t``."""
        self._apply_due(t)
        p = self.p
        gross = self.round(self.raw(t, noise=False) - self.zero_point)
        if gross > p.max + 9 * p.e + 1e-12:
            return "+"
        if gross < -p.underload * p.d - 1e-12:
            return "-"
        return None

    def first_out_of_range(self, start: float, limit: float,
                           step: float = 0.05) -> tuple[float, str] | None:
        """When the indication first leaves the weighing range in [start, limit] (a scale
        shows overload at once, without waiting for stability), and how; None if it
        does not."""
        if self.out_of_range(start) is None and self.out_of_range(limit) is None:
            return None
        t = start
        while t <= limit:
            state = self.out_of_range(t)
            if state is not None:
                return t, state
            t += step
        state = self.out_of_range(limit)
        return (limit, state) if state is not None else None

    def stable_from(self, t: float) -> float | None:
        """When the reading becomes stable given the load changes up to ``t``
        (None: never, as things stand)."""
        if self.never_stable():
            return None
        last = self.platform.state(t)
        if not math.isfinite(last.time):
            return -math.inf
        band = self.p.stable_band * self.p.d
        _, fast, _ = self._load_terms(last.time)
        amplitude = abs(fast) * (1.0 + self.p.gain)
        enter = last.time
        if amplitude > band and self.p.settling_time > 0:
            enter += self.p.settling_time * math.log(amplitude / band)
        return enter + self.p.stable_period

    def is_stable(self, t: float) -> bool:
        since = self.stable_from(t)
        return since is not None and t >= since

    def next_stable(self, t: float, limit: float) -> float | None:
        """The first time in [t, limit] at which the reading is stable, taking the load
        changes already scheduled into account; None if there is none."""
        current = t
        while True:
            since = self.stable_from(current)
            if since is None:
                return None
            candidate = max(current, since)
            change = self.platform.next_change_after(current)
            if change is not None and change.time <= candidate:
                current = change.time
                continue
            return candidate if candidate <= limit else None

    # -- scheduled actions (a zero or tare that happens once the load is stable) ----------
    def schedule(self, at: float, action: Callable[[], None]) -> None:
        self._pending.append((at, action))
        self._pending.sort(key=lambda item: item[0])

    def cancel_pending(self) -> None:
        self._pending.clear()

    def _apply_due(self, t: float) -> None:
        while self._pending and self._pending[0][0] <= t:
            _, action = self._pending.pop(0)
            action()

    # -- what the scale shows -------------------------------------------------------------
    def indicate(self, t: float | None = None) -> Indication:
        """The indication at time ``t`` (default now)."""
        t = self.clock.now() if t is None else t
        self._apply_due(t)
        p = self.p
        gross = self.raw(t) - self.zero_point
        stable = self.is_stable(t)
        if p.zero_tracking and stable and self.tare == 0.0 and abs(gross) <= 0.5 * p.d:
            self.zero_point += gross
            gross = 0.0
        gross_r = self.round(gross)
        net_r = self.round(gross - self.tare)
        return Indication(t, net_r, gross_r, stable,
                          overload=gross_r > p.max + 9 * p.e + 1e-12,
                          underload=gross_r < -p.underload * p.d - 1e-12)

    def zero_check(self, t: float) -> str:
        """Whether zero-setting at ``t`` is possible: ``"A"``, ``"+"`` or ``"-"``."""
        self._apply_due(t)
        deviation = self.raw(t, noise=False) - self.power_on_zero
        limit = self.p.zero_range * self.p.max
        if deviation > limit:
            return "+"
        if deviation < -limit:
            return "-"
        return "A"

    def set_zero(self, t: float) -> None:
        """Zero-setting at ``t`` (clears the tare)."""
        self.zero_point = self.raw(t)
        self.tare = 0.0

    def tare_check(self, t: float) -> str:
        """Whether taring at ``t`` is possible: ``"S"``, ``"+"`` (above Max) or ``"-"``."""
        self._apply_due(t)
        gross = self.round(self.raw(t, noise=False) - self.zero_point)
        if gross > self.p.max:
            return "+"
        if gross < 0:
            return "-"
        return "S"

    def set_tare(self, t: float) -> float:
        """Taring at ``t``: the tare becomes the gross indication; returns it."""
        self.tare = self.round(self.raw(t) - self.zero_point)
        return self.tare
