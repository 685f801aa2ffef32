"""The simulated physical world that device simulators share.

One ``World`` per simulated bench: it owns the clock, a seeded random generator per
object, and named physical objects (a weighing platform, a test chamber, a gas line,
the room). Two simulators that touch the same physics (an automatic weight loader
and the scale under it) get the same object by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from labctl.clock import Clock

T = TypeVar("T")


class World:
    def __init__(self, clock: Clock, seed: int = 0) -> None:
        self.clock = clock
        self.seed = int(seed)
        self._objects: dict[str, Any] = {}

    def rng(self, name: str) -> np.random.Generator:
        """A generator seeded from the world's seed and ``name``: reproducible per object,
        independent of the order in which objects are created."""
        key = [self.seed] + list(name.encode("utf-8"))
        return np.random.default_rng(key)

    def get(self, name: str, factory: Callable[[], T] | None = None) -> T:
        """The object called ``name``; created by ``factory`` the first time if given."""
        if name not in self._objects:
            if factory is None:
                raise KeyError(f"the simulated world has no {name!r}")
            self._objects[name] = factory()
        return self._objects[name]

    def put(self, name: str, obj: Any) -> None:
        self._objects[name] = obj

    def __contains__(self, name: str) -> bool:
        return name in self._objects
