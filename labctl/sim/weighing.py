"""The physics of weighing: a load receptor with weights on it, and a scale reading it.

``WeighingPlatform`` is the shared physical object (``world.get("weighing_platform")``):
which weights lie on the load receptor, with their true (conventional) masses, and where
(centre, front, back, left, right), as a history of steps in clock time. A weight loader
schedules a step for when its move ends; a scale reads the platform at any time.

``ScaleModel`` is the metrology of one scale looking at a platform. At clock time t::

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

Simulator parameters (``sim:`` of an MT-SICS or A&D scale in a bench file)::

    max: 15 kg            # data plate (default 15 kg, e = d = 5 g, unit of max)
    e: 5 g
    d: 5 g
    unit: kg
    gain: 3.0e-4          # relative span error
    offset: 0.002         # in the scale's unit (or "2 g")
    nonlinearity: 0       # quadratic term: adds nonlinearity x Max at Max
    eccentricity: {centre: 0, front: 2.0e-4, back: 0, left: 0, right: 0}   # relative
    zero_drift: 0         # scale unit per hour (or "1 g/h")
    creep: 0              # relative, reached with creep_time (default 600 s)
    noise: 0.001          # standard deviation, scale unit (or "1 g")
    settling_time: 0.5 s  # first-order time constant
    stable_band: 0.25     # x d
    stable_period: 0.5 s
    zero_tracking: false
    initial_zero: false   # zero at power on (cancels the offset)
    zero_range: 0.02      # x Max
    underload: 20         # x d
    timeout: 10 s         # how long the device itself waits for stability
    seed: 7               # noise stream (default: the world's seed)
    platform: weighing_platform
    serial, model, firmware
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labctl.errors import ConfigError, UnitError
from labctl.protocols.numbers import decimals_for
from labctl.sim.clock import Clock
from labctl.sim.world import World
from labctl.units import parse_quantity, parse_unit

POSITIONS = ("centre", "front", "back", "left", "right")
PLATFORM = "weighing_platform"


# -- the load receptor ---------------------------------------------------------------
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


# -- the scale -------------------------------------------------------------------------
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


# -- building from a bench's sim: parameters -----------------------------------------
SCALE_KEYS = ("max", "e", "d", "unit", "gain", "offset", "nonlinearity", "eccentricity",
              "zero_drift", "creep", "creep_time", "noise", "settling_time", "stable_band",
              "stable_period", "zero_tracking", "initial_zero", "zero_range", "underload",
              "timeout", "seed", "platform", "serial", "model", "firmware", "name")


class ParamReader:
    """Reads a simulator's ``sim:`` mapping with errors naming the file place."""

    def __init__(self, params: Mapping[str, Any], device: str, keys: tuple[str, ...]):
        self.params = params
        self.device = device
        unknown = sorted(set(params) - set(keys))
        if unknown:
            raise ConfigError(f"unknown {device} simulator parameter {unknown[0]!r}",
                              where=self.where(unknown[0]),
                              hint=f"known: {', '.join(sorted(keys))}")

    def where(self, key: str | None = None) -> str:
        where = getattr(self.params, "where", None)
        if callable(where):
            return where(key) if key is not None and key in self.params else where()
        return f"{self.device} simulator" + (f", parameter {key!r}" if key else "")

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)

    def number(self, key: str, default: float, *, unit: str | None = None,
               per_hour: bool = False, minimum: float | None = None) -> float:
        """A number, or a quantity text converted to ``unit`` (per hour if asked)."""
        value = self.params.get(key, default)
        if isinstance(value, bool):
            raise ConfigError(f"{key} must be a number, got {value!r}", where=self.where(key))
        if isinstance(value, int | float):
            number = float(value)
        elif unit is not None:
            target = f"{unit}/hour" if per_hour else unit
            number = float(parse_quantity(value, where=self.where(key),
                                          expect=target).m_as(target))
        else:
            raise ConfigError(f"{key} must be a number, got {value!r}", where=self.where(key))
        if not math.isfinite(number) or (minimum is not None and number < minimum):
            raise ConfigError(f"{key} = {number:g} is out of range"
                              + (f" (must be >= {minimum:g})" if minimum is not None else ""),
                              where=self.where(key))
        return number

    def flag(self, key: str, default: bool) -> bool:
        value = self.params.get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false, got {value!r}",
                              where=self.where(key))
        return value

    def text(self, key: str, default: str) -> str:
        value = self.params.get(key, default)
        return str(value)


def read_scale_params(reader: ParamReader) -> ScaleParams:
    """``ScaleParams`` from a reader over a scale simulator's ``sim:`` mapping."""
    max_q = parse_quantity(reader.get("max", "15 kg"), where=reader.where("max"), expect="kg")
    unit_text = reader.get("unit")
    unit = parse_unit(str(unit_text), reader.where("unit")) if unit_text else max_q.units
    if unit.dimensionality != max_q.dimensionality:
        raise UnitError(f"unit {unit_text!r} is not a unit of mass", where=reader.where("unit"))
    unit_symbol = f"{unit:~}"
    e_raw = reader.get("e", reader.get("d", "5 g"))
    d_raw = reader.get("d", e_raw)
    e = float(parse_quantity(e_raw, where=reader.where("e"), expect="kg").m_as(unit))
    d = float(parse_quantity(d_raw, where=reader.where("d"), expect="kg").m_as(unit))
    mx = float(max_q.m_as(unit))
    if not (0 < d <= e < mx):
        raise ConfigError(f"the data plate needs 0 < d <= e < max (d={d:g}, e={e:g}, "
                          f"max={mx:g} {unit_symbol})", where=reader.where())
    ecc_raw = reader.get("eccentricity") or {}
    if not isinstance(ecc_raw, Mapping):
        raise ConfigError("eccentricity must map positions to relative errors",
                          where=reader.where("eccentricity"),
                          hint="e.g. {front: 2.0e-4, back: -1.0e-4}")
    eccentricity: dict[str, float] = {}
    for pos, value in ecc_raw.items():
        if pos not in POSITIONS:
            raise ConfigError(f"unknown position {pos!r} in eccentricity",
                              where=reader.where("eccentricity"),
                              hint=f"positions: {', '.join(POSITIONS)}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"eccentricity at {pos} must be a number (relative error)",
                              where=reader.where("eccentricity"))
        eccentricity[pos] = float(value)
    return ScaleParams(
        max=mx, e=e, d=d, unit=unit_symbol,
        gain=reader.number("gain", 0.0),
        offset=reader.number("offset", 0.0, unit=unit_symbol),
        nonlinearity=reader.number("nonlinearity", 0.0),
        eccentricity=eccentricity,
        zero_drift=reader.number("zero_drift", 0.0, unit=unit_symbol, per_hour=True),
        creep=reader.number("creep", 0.0),
        creep_time=reader.number("creep_time", 600.0, unit="s", minimum=0.0),
        noise=reader.number("noise", 0.0, unit=unit_symbol, minimum=0.0),
        settling_time=reader.number("settling_time", 0.5, unit="s", minimum=0.0),
        stable_band=reader.number("stable_band", 0.25, minimum=0.0),
        stable_period=reader.number("stable_period", 0.5, unit="s", minimum=0.0),
        zero_tracking=reader.flag("zero_tracking", False),
        initial_zero=reader.flag("initial_zero", False),
        zero_range=reader.number("zero_range", 0.02, minimum=0.0),
        underload=reader.number("underload", 20.0, minimum=0.0),
        timeout=reader.number("timeout", 10.0, unit="s", minimum=0.0),
    )


def device_rng(world: World, reader: ParamReader, name: str) -> np.random.Generator:
    """The noise stream of one simulated device: from its ``seed`` parameter if given,
    else from the world's seed (and the device's name)."""
    seed = reader.get("seed")
    if seed is None:
        return world.rng(name)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}",
                          where=reader.where("seed"))
    return np.random.default_rng([seed, *name.encode("utf-8")])


def shared_platform(world: World, reader: ParamReader) -> WeighingPlatform:
    """The platform named by the ``platform`` parameter (default ``weighing_platform``),
    created in the world on first use."""
    name = reader.text("platform", PLATFORM)
    platform = world.get(name, lambda: WeighingPlatform(world.clock))
    if not isinstance(platform, WeighingPlatform):
        raise ConfigError(f"{name!r} in the simulated world is not a weighing platform",
                          where=reader.where("platform"))
    return platform


def build_scale(world: World, reader: ParamReader, name: str) -> ScaleModel:
    """A ``ScaleModel`` on the shared platform, from a scale simulator's parameters."""
    params = read_scale_params(reader)
    return ScaleModel(shared_platform(world, reader), world.clock, params,
                      device_rng(world, reader, name))
