"""Drivers by name, through the entry-point group ``labctl.drivers``.

A package adds a driver by declaring, in its own ``pyproject.toml``::

    [project.entry-points."labctl.drivers"]
    my-meter = "my_package.meter:MyMeter"

and a bench file then says ``driver: my-meter``. Nothing is imported until a driver is
asked for by name.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points

from labctl.errors import ConfigError

GROUP = "labctl.drivers"


@lru_cache(maxsize=1)
def _entry_points() -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=GROUP):
        found.setdefault(ep.name, ep)
    return found


def driver_names() -> list[str]:
    """The names of every installed driver, sorted."""
    return sorted(_entry_points())


def driver_class(name: str, *, where: str | None = None) -> type:
    """The driver class registered as ``name`` (an ``Instrument`` subclass).

    An unknown name is a ``ConfigError`` listing the known names; a registered name
    whose module fails to import, or that is not an ``Instrument``, is one too.
    """
    from labctl.drivers.base import Instrument

    eps = _entry_points()
    if name not in eps:
        known = ", ".join(driver_names()) or "none installed"
        raise ConfigError(f"unknown driver {name!r}", where=where,
                          hint=f"known drivers: {known}")
    try:
        cls = eps[name].load()
    except Exception as exc:  # an entry point of another package may fail any way
        raise ConfigError(f"driver {name!r} ({eps[name].value}) cannot be loaded: {exc}",
                          where=where, hint="reinstall the package that provides it") from exc
    if not (isinstance(cls, type) and issubclass(cls, Instrument)):
        raise ConfigError(f"driver {name!r} ({eps[name].value}) is not an Instrument class",
                          where=where)
    return cls


def clear_cache() -> None:
    """Forget the entry points read so far (after installing a package at run time)."""
    _entry_points.cache_clear()
