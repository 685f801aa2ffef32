"""Plug-ins by name, through entry-point groups: how a family adds to labctl.

A family (labctl's own weighing family, or a third-party package) declares what it
brings in its ``pyproject.toml``; nothing is imported until it is asked for by name::

    [project.entry-points."labctl.capabilities"]
    meter = "my_family.capabilities:Meter"

    [project.entry-points."labctl.actions"]
    dose = "my_family.actions:DoseAction"

    [project.entry-points."labctl.analyses"]
    dose_error = "my_family.analysis:DOSE_ERROR"

The groups: ``labctl.capabilities`` (capability name -> protocol class),
``labctl.actions`` (action kind -> ``labctl.procedures.action_models.Action`` subclass),
``labctl.analyses`` (analysis name -> ``labctl.analysis.registry.Analysis``),
``labctl.register_kinds`` (register entry kind -> its model), besides
``labctl.drivers`` and ``labctl.simulators``. See docs/families.md.

``Plugins`` also takes in-process registrations (``register``), for a family built by a
script or a test without installing a package; a name is registered once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from labctl.errors import ConfigError

T = TypeVar("T")


class Plugins(Generic[T]):
    """The plug-ins of one entry-point group: name -> loaded object, loaded on first use.

    ``check`` (optional) is called on every loaded object and returns an error text when
    the object is not of the expected kind (the entry point is then refused)."""

    def __init__(self, group: str, what: str,
                 check: Callable[[Any], str | None] | None = None) -> None:
        self.group = group
        self.what = what
        self._check = check
        self._lock = threading.RLock()
        self._points: dict[str, list[Any]] | None = None
        self._loaded: dict[str, T] = {}
        self._registered: dict[str, T] = {}
        self.generation = 0  # grows whenever the set of names may have changed

    def _entry_points(self) -> dict[str, list[Any]]:
        with self._lock:
            if self._points is None:
                found: dict[str, list[Any]] = {}
                for ep in entry_points(group=self.group):
                    same = found.setdefault(ep.name, [])
                    if all(other.value != ep.value for other in same):
                        same.append(ep)
                self._points = found
            return self._points

    def names(self) -> list[str]:
        """Every registered name, sorted."""
        return sorted({*self._entry_points(), *self._registered})

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self._registered
                                          or name in self._entry_points())

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def get(self, name: str, *, where: str | None = None) -> T:
        """The object registered as ``name``; ``ConfigError`` naming the known ones for an
        unknown name, a name registered twice, or an entry point that fails to load."""
        with self._lock:
            if name in self._registered:
                return self._registered[name]
            if name in self._loaded:
                return self._loaded[name]
            candidates = self._entry_points().get(name)
            if not candidates:
                known = ", ".join(self.names()) or "none installed"
                raise ConfigError(f"unknown {self.what} {name!r}", where=where,
                                  hint=f"the {self.what}s are {known}")
            if len(candidates) > 1:
                values = " and ".join(ep.value for ep in candidates)
                raise ConfigError(f"{self.what} {name!r} is registered twice ({values})",
                                  where=where,
                                  hint="uninstall one of the packages that provide it")
            ep = candidates[0]
            try:
                obj = ep.load()
            except Exception as exc:  # a plug-in's module may fail in any way
                raise ConfigError(f"{self.what} {name!r} ({ep.value}) cannot be loaded: "
                                  f"{type(exc).__name__}: {exc}", where=where,
                                  hint="reinstall the package that provides it") from exc
            self._validate(name, obj, ep.value, where)
            self._loaded[name] = obj
            return obj

    def __getitem__(self, name: str) -> T:
        return self.get(name)

    def items(self) -> list[tuple[str, T]]:
        """(name, object) of every plug-in of the group, loaded."""
        return list(self.all().items())

    def all(self) -> dict[str, T]:
        """Every plug-in of the group, loaded."""
        return {name: self.get(name) for name in self.names()}

    def register(self, name: str, obj: T) -> None:
        """Add ``obj`` as ``name`` in this process (a name is registered once)."""
        with self._lock:
            if name in self:
                raise ValueError(f"{self.what} {name!r} is already registered")
            self._validate(name, obj, repr(obj), None)
            self._registered[name] = obj
            self.generation += 1

    def unregister(self, name: str) -> None:
        """Forget an in-process registration (tests)."""
        with self._lock:
            self._registered.pop(name, None)
            self.generation += 1

    def clear_cache(self) -> None:
        """Read the entry points again (after installing a package at run time)."""
        with self._lock:
            self._points = None
            self._loaded.clear()
            self.generation += 1

    def _validate(self, name: str, obj: Any, origin: str, where: str | None) -> None:
        if self._check is None:
            return
        problem = self._check(obj)
        if problem:
            raise ConfigError(f"{self.what} {name!r} ({origin}) {problem}", where=where)
