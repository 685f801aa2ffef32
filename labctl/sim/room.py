"""The simulated room: air temperature and relative humidity as functions of clock time.

The room holds a base condition, an optional slow sinusoidal swing (a daily cycle of the
air conditioning, say), and scripted excursions for tests: during an excursion the
condition moves to the excursion's value (linearly over ``ramp`` seconds), stays there,
and comes back the same way. Excursions are evaluated in the order given; a later one
wins where two overlap. Nothing here is random: sensor noise belongs to the sensor.

Parameters (from a simulator's ``sim:`` mapping in a bench file)::

    temperature: 21 degC          # base air temperature
    humidity: 45 %                # base relative humidity
    temperature_swing: 0.5 degC   # amplitude of the slow cycle (default 0)
    humidity_swing: 3 %           # amplitude of the slow cycle (default 0)
    period: 24 h                  # period of the slow cycle (default 24 h)
    excursions:
      - {start: 600 s, duration: 300 s, temperature: 35 degC}
      - {start: 2 h, duration: 10 min, humidity: 90 %, ramp: 60 s}
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from labctl.errors import ConfigError

ROOM_KEYS = ("temperature", "humidity", "temperature_swing", "humidity_swing", "period",
             "excursions")


@dataclass(frozen=True)
class Excursion:
    """A scripted departure from the base condition (times in s, values in degC and %RH)."""

    start: float
    duration: float
    temperature: float | None = None
    humidity: float | None = None
    ramp: float = 0.0

    def weight(self, t: float) -> float:
        """How far (0..1) the room has moved towards this excursion's values at time ``t``."""
        end = self.start + self.duration
        if t < self.start or t > end + self.ramp:
            return 0.0
        if self.ramp <= 0:
            return 1.0 if t < end else 0.0
        if t < self.start + self.ramp:
            return (t - self.start) / self.ramp
        if t <= end:
            return 1.0
        return 1.0 - (t - end) / self.ramp


@dataclass(frozen=True)
class Room:
    """Room conditions at any clock time. ``temperature(t)`` in degC, ``humidity(t)`` in %RH."""

    base_temperature: float = 20.0
    base_humidity: float = 50.0
    temperature_swing: float = 0.0
    humidity_swing: float = 0.0
    period: float = 86400.0
    excursions: tuple[Excursion, ...] = ()

    def temperature(self, t: float) -> float:
        value = self.base_temperature + self._cycle(t) * self.temperature_swing
        for exc in self.excursions:
            if exc.temperature is not None:
                value += exc.weight(t) * (exc.temperature - value)
        return value

    def humidity(self, t: float) -> float:
        value = self.base_humidity + self._cycle(t) * self.humidity_swing
        for exc in self.excursions:
            if exc.humidity is not None:
                value += exc.weight(t) * (exc.humidity - value)
        return min(100.0, max(0.0, value))

    def _cycle(self, t: float) -> float:
        return math.sin(2.0 * math.pi * t / self.period) if self.period > 0 else 0.0

    @classmethod
    def from_params(cls, params: Mapping[str, Any], where: str | None = None) -> Room:
        """Build a room from ``sim:`` parameters (the keys in ``ROOM_KEYS``; others ignored)."""
        from labctl.sim.params import require_units

        require_units(params, {"temperature": "degC", "humidity": "percent", "period": "s",
                               "temperature_swing": "K", "humidity_swing": "percent"}, where)
        place = _placer(params, where)
        period = to_seconds(params.get("period", 86400.0), place("period"))
        if period <= 0:
            raise ConfigError(f"period must be positive, got {period} s", where=place("period"))
        raw = params.get("excursions") or []
        if not isinstance(raw, list):
            raise ConfigError("excursions must be a list of {start, duration, temperature "
                              "and/or humidity}", where=place("excursions"))
        excursions = tuple(_excursion(item, _item_place(raw, i, place("excursions")))
                           for i, item in enumerate(raw))
        return cls(
            base_temperature=to_celsius(params.get("temperature", 20.0), place("temperature")),
            base_humidity=to_percent(params.get("humidity", 50.0), place("humidity")),
            temperature_swing=to_kelvin_difference(params.get("temperature_swing", 0.0),
                                      place("temperature_swing")),
            humidity_swing=to_percent(params.get("humidity_swing", 0.0), place("humidity_swing")),
            period=period,
            excursions=excursions,
        )


def _excursion(item: Any, where: str | None) -> Excursion:
    if not isinstance(item, Mapping):
        raise ConfigError("an excursion is a mapping {start, duration, temperature, humidity, "
                          "ramp}", where=where)
    unknown = set(item) - {"start", "duration", "temperature", "humidity", "ramp"}
    if unknown:
        raise ConfigError(f"unknown excursion key {sorted(unknown)[0]!r}", where=where,
                          hint="use start, duration, temperature, humidity, ramp")
    for key in ("start", "duration"):
        if key not in item:
            raise ConfigError(f"an excursion needs {key!r} (e.g. '600 s')", where=where)
    if "temperature" not in item and "humidity" not in item:
        raise ConfigError("an excursion needs a temperature or a humidity", where=where)
    from labctl.sim.params import require_units

    require_units(item, {"start": "s", "duration": "s", "ramp": "s", "temperature": "degC",
                         "humidity": "percent"}, where)
    place = _placer(item, where)
    duration = to_seconds(item["duration"], place("duration"))
    ramp = to_seconds(item.get("ramp", 0.0), place("ramp"))
    if duration < 0 or ramp < 0:
        raise ConfigError("duration and ramp cannot be negative", where=where)
    return Excursion(
        start=to_seconds(item["start"], place("start")),
        duration=duration,
        temperature=(to_celsius(item["temperature"], place("temperature"))
                     if "temperature" in item else None),
        humidity=to_percent(item["humidity"], place("humidity")) if "humidity" in item else None,
        ramp=ramp,
    )


# -- parsing helpers, also used by the sensors (bare numbers are in degC, K, %RH and s) ---


def _placer(mapping: Any, default: str | None) -> Callable[[str], str | None]:
    def place(key: str) -> str | None:
        where = getattr(mapping, "where", None)
        return where(key) if where is not None and key in mapping else default
    return place


def _item_place(items: Any, index: int, default: str | None) -> str | None:
    where = getattr(items, "where", None)
    return where(index) if where is not None else default


def _convert(value: Any, unit: str, expect: str, where: str | None) -> float:
    from labctl.units import parse_quantity, to_float

    bare = unit if isinstance(value, int | float) else None  # a bare number is in ``unit``
    return to_float(parse_quantity(value, bare, where=where, expect=expect), unit)


def to_celsius(value: Any, where: str | None) -> float:
    return _convert(value, "degC", "degC", where)


def to_kelvin_difference(value: Any, where: str | None) -> float:
    """A temperature difference: "0.5 degC", "0.5 K" or a bare number of kelvin."""
    from labctl.units import Q_, parse_quantity

    bare = "K" if isinstance(value, int | float) else None
    q = parse_quantity(value, bare, where=where, expect="K")
    if not q._is_multiplicative:  # "0.5 degC" here is a difference of 0.5 K
        q = Q_(q.magnitude, f"delta_{q.units}")
    return float(q.to("K").magnitude)


def to_percent(value: Any, where: str | None) -> float:
    return _convert(value, "percent", "percent", where)


def to_seconds(value: Any, where: str | None) -> float:
    return _convert(value, "s", "s", where)
