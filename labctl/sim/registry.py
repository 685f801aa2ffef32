"""Simulators by name, found through the ``labctl.simulators`` entry-point group.

A package registers a simulator as ``name = "module:callable"`` under
``[project.entry-points."labctl.simulators"]``; the callable takes the bench's
``World`` and the instrument's ``sim:`` parameters and returns a ``SimDevice``.
A driver and its simulator share a name, so ``sim://<driver-name>`` opens its twin.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from labctl.errors import ConfigError
from labctl.sim.device import SimDevice
from labctl.sim.world import World

GROUP = "labctl.simulators"

SimulatorFactory = Callable[[World, Mapping[str, Any]], SimDevice]


def _entry_points() -> dict[str, list[EntryPoint]]:
    found: dict[str, list[EntryPoint]] = {}
    for ep in entry_points(group=GROUP):
        same = found.setdefault(ep.name, [])
        if all(other.value != ep.value for other in same):
            same.append(ep)
    return found


def simulator_names() -> list[str]:
    """The names of all registered simulators, sorted."""
    return sorted(_entry_points())


def simulator_factory(name: str) -> SimulatorFactory:
    """The factory registered as ``name``; an unknown name, a name registered twice or one
    whose module does not import raises ``ConfigError``."""
    found = _entry_points()
    candidates = found.get(name)
    if not candidates:
        known = ", ".join(sorted(found)) or "none installed"
        raise ConfigError(f"unknown simulator {name!r}", hint=f"known simulators: {known}")
    if len(candidates) > 1:
        values = " and ".join(ep.value for ep in candidates)
        raise ConfigError(f"simulator {name!r} is registered twice ({values})",
                          hint="uninstall one of the packages that provide it")
    ep = candidates[0]
    try:
        factory = ep.load()
    except Exception as exc:  # an ImportError or any error raised by the plugin's module
        raise ConfigError(f"simulator {name!r} ({ep.value}) cannot be loaded: "
                          f"{type(exc).__name__}: {exc}",
                          hint="reinstall the package that provides it") from exc
    if not callable(factory):
        raise ConfigError(f"simulator {name!r} ({ep.value}) is not callable",
                          hint="the entry point must name a class or a function")
    return factory
