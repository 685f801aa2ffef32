"""The simulated aerosol chamber (or duct): a well-mixed volume whose particle mass
concentration follows the generator's output with a first-order lag.

The generator drives it (``drive(target)`` at the clock's time); between set points the
concentration relaxes exponentially towards the target with the chamber's mixing time
constant ``tau``: ``c(t) = target + (c0 - target) exp(-(t - t0) / tau)``. Each sampling
port sees the mixed concentration times its own factor ``1 + u``, with ``u`` drawn once
per port (seeded by the world and the port's name) uniformly within +-``non_uniformity``:
the spatial non-uniformity a lab characterises for its chamber. ``unsteady`` (relative
amplitude) makes the generator's output oscillate (period ``unsteady_period``): a chamber
that never stabilises, for the bad-input tests.

The aerosol is described by its PM10 mass concentration (what the generator's set point
means) and the fraction of it below 2.5 um (``pm25_fraction``, 1 by default: a fine
test aerosol whose PM2.5 and PM10 agree). The chamber air has a temperature, a relative
humidity and a pressure; optical monitors see the humidity (see ``monitor_model``).

Parameters (the generator's ``sim:`` block; the first simulator that needs the chamber
creates it from its own block): ``tau`` (time, default 60 s), ``non_uniformity`` (%,
default 1 %), ``humidity`` (%, default 45 %), ``temperature`` (default 23 degC),
``pressure`` (default 101.3 kPa), ``pm25_fraction`` (default 1), ``background``
(concentration, default 0 ug/m^3), ``unsteady`` (%, default 0 %), ``unsteady_period``
(default 5 min).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from labctl.errors import ConfigError
from labctl.sim.params import ParamReader
from labctl.sim.world import World

WORLD_NAME = "particulate-chamber"
CHAMBER_KEYS = ("tau", "non_uniformity", "humidity", "temperature", "pressure",
                "pm25_fraction", "background", "unsteady", "unsteady_period")


class Chamber:
    """The mixed concentration (ug/m^3, PM10) as a function of clock time."""

    def __init__(self, world: World, *, tau: float = 60.0, non_uniformity: float = 0.01,
                 humidity: float = 45.0, temperature: float = 23.0, pressure: float = 101.3,
                 pm25_fraction: float = 1.0, background: float = 0.0, unsteady: float = 0.0,
                 unsteady_period: float = 300.0) -> None:
        self.world = world
        self.clock = world.clock
        self.tau = tau
        self.non_uniformity = non_uniformity
        self.humidity = humidity
        self.temperature = temperature
        self.pressure = pressure
        self.pm25_fraction = pm25_fraction
        self.background = background
        self.unsteady = unsteady
        self.unsteady_period = unsteady_period
        self.target = background
        self.start = background
        self.t0 = self.clock.now()
        self.velocity = 0.0          # m/s: the air velocity in a duct (0 in a chamber)
        self._ports: dict[str, float] = {}
        self._filtered: set[str] = set()

    # -- driving -------------------------------------------------------------------
    def drive(self, target: float) -> None:
        """The generator's output becomes ``target`` (ug/m^3 of PM10 in the mixed air)."""
        now = self.clock.now()
        self.start = self.mixed(now)
        self.t0 = now
        self.target = self.background + max(0.0, target)

    def set_filtered(self, port: str, on: bool) -> None:
        """A HEPA zero filter put on (or taken off) the inlet at ``port``."""
        if on:
            self._filtered.add(port)
        else:
            self._filtered.discard(port)

    def filtered(self, port: str) -> bool:
        return port in self._filtered

    # -- what is there -------------------------------------------------------------
    def mixed(self, t: float) -> float:
        """The well-mixed PM10 concentration at time ``t`` (no port factor)."""
        value = self.target + (self.start - self.target) * math.exp(-(t - self.t0) / self.tau)
        if self.unsteady:
            value *= 1.0 + self.unsteady * math.sin(2.0 * math.pi * t / self.unsteady_period)
        return value

    def port_factor(self, port: str) -> float:
        factor = self._ports.get(port)
        if factor is None:
            rng = self.world.rng(f"{WORLD_NAME}/port/{port}")
            factor = 1.0 + float(rng.uniform(-self.non_uniformity, self.non_uniformity))
            self._ports[port] = factor
        return factor

    def concentration(self, t: float, port: str, fraction: str = "pm10") -> float:
        """What an inlet at ``port`` draws at ``t`` (0 behind a zero filter)."""
        if port in self._filtered:
            return 0.0
        c = self.mixed(t) * self.port_factor(port)
        return c * self.pm25_fraction if fraction == "pm25" else c

    def stable(self, relative: float = 0.01, absolute: float = 1.0) -> bool:
        """Whether the mixed concentration is within ``relative`` of the target (or
        ``absolute`` ug/m^3, whichever is larger): the generator's stable bit."""
        now = self.clock.now()
        return abs(self.mixed(now) - self.target) <= max(absolute, relative * self.target)


def chamber_from_params(world: World, params: Mapping[str, Any], device: str, *,
                        name: str = WORLD_NAME, unit: str = "ug/m^3",
                        tau: float = 60.0) -> Chamber:
    """The world's chamber (or duct) ``name``, created from ``params`` (the chamber keys
    of a ``sim:`` block; concentrations in ``unit``; default ``tau`` in s) by the first
    simulator that asks."""
    def build() -> Chamber:
        given = {k: v for k, v in params.items() if k in CHAMBER_KEYS}
        located = getattr(params, "where", None)

        class _Located(dict):  # keep the file places of the chamber keys
            def where(self, key: str | None = None) -> str:
                return located(key) if callable(located) else f"{device} simulator"

        r = ParamReader(_Located(given), device, CHAMBER_KEYS)
        for key, top in (("humidity", 100.0), ("non_uniformity", 50.0), ("unsteady", 100.0)):
            value = r.number(key, 0.0, unit="percent")
            if value > top:
                raise ConfigError(f"{key} = {value:g} % is out of range (at most {top:g} %)",
                                  where=r.where(key))
        return Chamber(
            world, tau=r.number("tau", tau, unit="s", minimum=1e-3),
            non_uniformity=r.number("non_uniformity", 1.0, unit="percent", minimum=0) / 100,
            humidity=r.number("humidity", 45.0, unit="percent", minimum=0),
            temperature=r.number("temperature", 23.0, unit="degC"),
            pressure=r.number("pressure", 101.3, unit="kPa", minimum=0),
            pm25_fraction=r.number("pm25_fraction", 1.0, minimum=0),
            background=r.number("background", 0.0, unit=unit, minimum=0),
            unsteady=r.number("unsteady", 0.0, unit="percent", minimum=0) / 100,
            unsteady_period=r.number("unsteady_period", 300.0, unit="s", minimum=1e-3))

    return world.get(name, build)
