"""What a particulate monitor shows, given the chamber: the physics shared by the
reference monitor and the monitor under test.

The monitor samples the chamber at its port (``port``) once a second (its internal
sampling, ``STEP``); its measuring cell follows the inlet with a first-order lag of time
constant ``tau = T90 / ln 10`` (``t90``), and it shows the mean of the lagged signal over
its averaging time (``averaging``; 0 = the latest sample). What it shows is then::

    shown = avg * gain * (1 + nonlinearity * avg / 1000 ug/m^3) * h(RH) + offset
            + drift * t / 1 day + noise,   rounded to ``resolution``

with the humidity factor of an optical monitor whose inlet is not dried
``h = 1 + (kappa / 1.65) / (1 / a_w - 1)``, ``a_w = RH / 100`` (kappa-Koehler growth of a
hygroscopic aerosol; ``kappa: 0`` or ``dried: true`` gives h = 1, as for a reference
monitor with a dried inlet). The noise is normal with standard deviation ``noise``
(seeded). ``true_indication`` gives the value without noise and rounding, and
``true_t90`` the time the whole response (lag, sampling and averaging) takes to reach
90 % of a step: the truth the tests compare the procedure's results with.

The sampler's volumetric flow: ``flow`` (the true flow, default 16.67 L/min), its noise
``flow_noise``, and what the instrument's own flow indication shows,
``flow * (1 + flow_error)``.

In a duct (the cooking-fume family) the reading also changes with the air velocity:
``x (1 + velocity_coefficient (v - reference_velocity))`` (``velocity_coefficient`` in
s/m, e.g. ``0.02 s/m``: +2 % per m/s; ``reference_velocity`` default 5 m/s).

Parameters (``sim:``; every dimensional one with its unit): ``port`` (text), ``gain``,
``nonlinearity``, ``offset``, ``noise``, ``resolution`` (ug/m^3; mg/m^3 for fume),
``t90``, ``averaging`` (s), ``drift`` (per day), ``kappa``, ``dried`` (bool), ``flow``,
``flow_noise`` (L/min), ``flow_error`` (dimensionless), ``velocity_coefficient``,
``reference_velocity``, ``error_curve`` (fraction -> [[concentration, error], ...]: an
error added to the reading, linear between the concentrations, constant beyond; a
reference's is derived from its certificate, ``ReferencePmMonitor.simulation_entry_params``),
``seed``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from labctl.sim.params import ParamReader, device_rng
from labctl.sim.particulate.chamber import Chamber
from labctl.sim.world import World

STEP = 1.0          # s: the monitor's internal sampling
LN10 = math.log(10.0)
MODEL_KEYS = ("port", "gain", "nonlinearity", "offset", "noise", "resolution", "t90",
              "averaging", "drift", "kappa", "dried", "flow", "flow_noise", "flow_error",
              "velocity_coefficient", "reference_velocity", "error_curve", "seed")


@dataclass(frozen=True)
class MonitorErrors:
    gain: float = 1.0
    nonlinearity: float = 0.0
    offset: float = 0.0          # ug/m^3
    noise: float = 0.0           # ug/m^3 (standard deviation)
    resolution: float = 0.1      # ug/m^3
    t90: float = 60.0            # s
    averaging: float = 0.0       # s
    drift: float = 0.0           # ug/m^3 per day
    kappa: float = 0.0
    dried: bool = False
    flow: float = 16.67          # L/min
    flow_noise: float = 0.0      # L/min
    flow_error: float = 0.0      # relative error of the flow indication
    velocity_coefficient: float = 0.0   # relative change per m/s of duct velocity
    reference_velocity: float = 5.0     # m/s at which the velocity effect is nil
    #: fraction -> ((concentration, error), ...): an error (indicated - true, in the
    #: concentration unit) linear between the given concentrations, constant beyond
    error_curve: Mapping[str, tuple[tuple[float, float], ...]] | None = None

    @classmethod
    def from_reader(cls, r: ParamReader, *, unit: str = "ug/m^3",
                    **defaults: Any) -> MonitorErrors:
        """The errors from a ``sim:`` block; concentrations in ``unit``."""
        d = {**cls().__dict__, **defaults}
        return cls(
            gain=r.number("gain", d["gain"], minimum=0),
            nonlinearity=r.number("nonlinearity", d["nonlinearity"]),
            offset=r.number("offset", d["offset"], unit=unit),
            noise=r.number("noise", d["noise"], unit=unit, minimum=0),
            resolution=r.number("resolution", d["resolution"], unit=unit, minimum=0),
            t90=r.number("t90", d["t90"], unit="s", minimum=0),
            averaging=r.number("averaging", d["averaging"], unit="s", minimum=0),
            drift=r.number("drift", d["drift"], unit=f"{unit}/day"),
            velocity_coefficient=r.number("velocity_coefficient", d["velocity_coefficient"],
                                          unit="s/m"),
            reference_velocity=r.number("reference_velocity", d["reference_velocity"],
                                        unit="m/s"),
            kappa=r.number("kappa", d["kappa"], minimum=0),
            dried=r.flag("dried", d["dried"]),
            flow=r.number("flow", d["flow"], unit="L/min", minimum=0),
            flow_noise=r.number("flow_noise", d["flow_noise"], unit="L/min", minimum=0),
            flow_error=r.number("flow_error", d["flow_error"]),
            error_curve=_error_curve(r, unit))


def _error_curve(r: ParamReader, unit: str) -> dict[str, tuple[tuple[float, float], ...]] | None:
    """``error_curve: {pm25: [[50 ug/m^3, 1.5 ug/m^3], ...]}`` read in ``unit``, sorted."""
    from labctl.errors import ConfigError
    from labctl.units import parse_quantity

    given = r.get("error_curve")
    if given is None:
        return None
    at = r.where("error_curve")
    if not isinstance(given, Mapping):
        raise ConfigError("error_curve maps a fraction (pm25, pm10, fume) to a list of "
                          "[concentration, error] pairs", where=at)
    curves = {}
    for fraction, pairs in given.items():
        if not isinstance(pairs, list) or not pairs or not all(
                isinstance(p, list | tuple) and len(p) == 2 for p in pairs):
            raise ConfigError(f"error_curve {fraction}: a list of [concentration, error] "
                              "pairs", where=at)
        curves[str(fraction)] = tuple(sorted(
            (float(parse_quantity(c, where=at, expect=unit).m_as(unit)),
             float(parse_quantity(e, where=at, expect=unit).m_as(unit))) for c, e in pairs))
    return curves


def curve_error(curve: tuple[tuple[float, float], ...], c: float) -> float:
    """The error of a piecewise-linear ``curve`` at concentration ``c`` (constant beyond
    its ends)."""
    if c <= curve[0][0]:
        return curve[0][1]
    for (x0, e0), (x1, e1) in zip(curve, curve[1:], strict=False):
        if c <= x1:
            return e0 + (e1 - e0) * (c - x0) / (x1 - x0)
    return curve[-1][1]


class _Lag:
    """The lagged and averaged inlet signal of one size fraction, stepped every STEP s."""

    def __init__(self, tau: float, samples: int) -> None:
        self.alpha = 1.0 - math.exp(-STEP / tau) if tau > 0 else 1.0
        self.y = 0.0
        self.window: deque[float] = deque(maxlen=max(1, samples))
        self.total = 0.0

    def step(self, x: float) -> None:
        self.y += (x - self.y) * self.alpha
        if len(self.window) == self.window.maxlen:
            self.total -= self.window[0]
        self.window.append(self.y)
        self.total += self.y

    @property
    def value(self) -> float:
        return self.total / len(self.window) if self.window else self.y


class MonitorModel:
    """One monitor's view of the chamber (PM2.5 and PM10) and its sampling flow."""

    def __init__(self, chamber: Chamber | None, world: World, port: str,
                 errors: MonitorErrors, rng: np.random.Generator, *,
                 chamber_name: str | None = None) -> None:
        self._chamber = chamber
        self.chamber_name = chamber_name
        self.world = world
        self.clock = world.clock
        self.port = port
        self.errors = errors
        self.rng = rng
        tau = errors.t90 / LN10
        samples = int(round(errors.averaging / STEP)) if errors.averaging > 0 else 1
        self._lags = {"pm25": _Lag(tau, samples), "pm10": _Lag(tau, samples)}
        self._t: float | None = None

    @property
    def chamber(self) -> Chamber:
        if self._chamber is None:
            from labctl.sim.particulate.chamber import WORLD_NAME

            self._chamber = self.world.get(self.chamber_name or WORLD_NAME,
                                           lambda: Chamber(self.world))
        return self._chamber

    # -- the internal sampling -------------------------------------------------------
    def advance(self) -> None:
        now = self.clock.now()
        chamber = self.chamber
        if self._t is None:  # switched on: the cell starts at what it draws now
            for fraction, lag in self._lags.items():
                x = chamber.concentration(now, self.port, fraction)
                lag.y = x
                lag.window.clear()
                lag.total = 0.0
                lag.step(x)
            self._t = now
            return
        pm25, pm10 = self._lags["pm25"], self._lags["pm10"]
        while self._t + STEP <= now:
            self._t += STEP
            c = chamber.concentration(self._t, self.port)      # PM10 at the inlet
            pm10.step(c)
            pm25.step(c * chamber.pm25_fraction)

    def humidity_factor(self) -> float:
        e = self.errors
        if e.dried or e.kappa <= 0:
            return 1.0
        a_w = min(self.chamber.humidity, 99.0) / 100.0
        if a_w <= 0:
            return 1.0
        return 1.0 + (e.kappa / 1.65) / (1.0 / a_w - 1.0)

    def true_indication(self, fraction: str = "pm25") -> float:
        """What the monitor would show now without noise and rounding (ug/m^3)."""
        self.advance()
        e = self.errors
        c = self._lags[fraction].value
        shown = c * e.gain * (1.0 + e.nonlinearity * c / 1000.0) * self.humidity_factor()
        if e.velocity_coefficient:
            shown *= 1.0 + e.velocity_coefficient * (self.chamber.velocity
                                                     - e.reference_velocity)
        if e.error_curve and fraction in e.error_curve:
            shown += curve_error(e.error_curve[fraction], c)
        return shown + e.offset + e.drift * self.clock.now() / 86400.0

    def indication(self, fraction: str = "pm25") -> float:
        value = self.true_indication(fraction)
        e = self.errors
        if e.noise:
            value += float(self.rng.normal(0.0, e.noise))
        if e.resolution:
            value = round(value / e.resolution) * e.resolution
        return value

    def true_flow(self) -> float:
        return self.errors.flow

    def flow_indication(self) -> float:
        """The instrument's own reading of its sampling flow (L/min)."""
        e = self.errors
        value = e.flow * (1.0 + e.flow_error)
        if e.flow_noise:
            value += float(self.rng.normal(0.0, e.flow_noise))
        return value

    def actual_flow(self) -> float:
        """The flow through the inlet now, as a reference flowmeter there sees it."""
        e = self.errors
        if e.flow_noise:
            return e.flow + float(self.rng.normal(0.0, e.flow_noise))
        return e.flow

    def true_t90(self) -> float:
        """The time (s) from a step at the inlet until the shown value (no noise)
        reaches 90 % of the step: lag, 1 s sampling and averaging together (between
        samples linearly: a given switch may come up to one step earlier or later)."""
        e = self.errors
        tau = e.t90 / LN10
        samples = int(round(e.averaging / STEP)) if e.averaging > 0 else 1
        lag = _Lag(tau, samples)
        for _ in range(samples):
            lag.step(0.0)
        previous, t = 0.0, 0.0
        for _ in range(1_000_000):
            t += STEP
            lag.step(1.0)
            if lag.value >= 0.9:
                # between samples, linearly (the switch falls anywhere within a sample
                # period: this is the mean crossing, within half a step of any one)
                return t - STEP + STEP * (0.9 - previous) / (lag.value - previous)
            previous = lag.value
        raise RuntimeError("no 90 % crossing")


def monitor_from_params(world: World, params: Mapping[str, Any], device: str,
                        keys: tuple[str, ...], *, port: str, unit: str = "ug/m^3",
                        chamber_name: str | None = None,
                        **defaults: Any) -> tuple[MonitorModel, ParamReader]:
    """A monitor model from a ``sim:`` block (``keys``: every key the simulator takes;
    concentrations in ``unit``; the world object it samples: ``chamber_name``)."""
    r = ParamReader(params, device, keys)
    errors = MonitorErrors.from_reader(r, unit=unit, **defaults)
    rng = device_rng(world, r, device)
    return MonitorModel(None, world, r.text("port", port), errors, rng,
                        chamber_name=chamber_name), r
