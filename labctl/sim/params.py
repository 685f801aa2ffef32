"""Reading a simulator's ``sim:`` parameters from a bench file, and its noise stream."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from labctl.errors import ConfigError
from labctl.sim.world import World
from labctl.units import parse_quantity, require_unit


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
        """A dimensionless number, or (with ``unit``) a quantity written with its unit
        converted to ``unit`` (per hour if asked); ``default`` is in that unit. A bare
        number for a quantity is refused, naming the key and the dimension expected."""
        value = self.params.get(key, default)
        if isinstance(value, bool):
            raise ConfigError(f"{key} must be a number, got {value!r}", where=self.where(key))
        target = None if unit is None else f"{unit}/hour" if per_hour else unit
        if isinstance(value, int | float):
            if target is not None and key in self.params:
                require_unit(value, target, key=key, where=self.where(key))
            number = float(value)
        elif target is not None:
            number = float(parse_quantity(value, where=self.where(key),
                                          expect=target).m_as(target))
        else:
            raise ConfigError(f"{key} must be a number, got {value!r}", where=self.where(key))
        if not math.isfinite(number) or (minimum is not None and number < minimum):
            raise ConfigError(f"{key} = {number:g} is out of range"
                              + (f" (must be >= {minimum:g})" if minimum is not None else ""),
                              where=self.where(key))
        return number

    def require_units(self, keys: tuple[str, ...], expect: str) -> None:
        """Refuse a bare number for any of ``keys`` that is given: each is a quantity of
        ``expect``'s dimension and must be written with its unit."""
        require_units(self.params, dict.fromkeys(keys, expect), self.where())

    def flag(self, key: str, default: bool) -> bool:
        value = self.params.get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false, got {value!r}",
                              where=self.where(key))
        return value

    def text(self, key: str, default: str) -> str:
        value = self.params.get(key, default)
        return str(value)


def require_units(params: Mapping[str, Any], units: Mapping[str, str],
                  where: str | None = None) -> None:
    """Refuse a bare number for each key of ``units`` given in ``params``: its value is a
    quantity with a dimension (``units[key]``: a unit of it) and must be written with its
    unit (``noise: 0.2 g``, not ``noise: 0.2``). The error names the key, its place in
    the file (``params`` as loaded from YAML) or ``where``, and the dimension expected."""
    located = getattr(params, "where", None)
    for key, unit in units.items():
        if key in params:
            place = located(key) if callable(located) else where
            require_unit(params[key], unit, key=key, where=place)


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
