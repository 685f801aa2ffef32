"""In-test instruments and bench for the procedures tests (no labctl.bench, no drivers).

A ``FakeWorld`` holds the load receptor on a ``VirtualClock``; ``FakeScale`` reads it
(gain, zero, tare, rounding to d, seeded noise), ``FakeLoader`` puts named weights on
it, ``FakeEnvironment`` follows a temperature profile in clock time. Every instrument
records its calls and counts ``safe_state()``; ``fail`` makes the n-th call of a
method raise a given exception.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from labctl.clock import VirtualClock
from labctl.drivers.capabilities import EnvironmentReading, Identity
from labctl.drivers.weighing.capabilities import Scale, WeighingReading, WeightLoad
from labctl.errors import InstrumentError, RunError
from labctl.units import Q_

HERE = Path(__file__).resolve().parent
MINI = HERE / "mini-scale.yaml"

WEIGHTS_G: dict[str, float] = {
    "10kg": 10000, "5kg": 5000, "2kg": 2000, "2kg*": 2000, "1kg": 1000, "500g": 500,
    "200g": 200, "200g*": 200, "100g": 100, "50g": 50, "20g": 20, "20g*": 20, "10g": 10,
    "5g": 5, "2g": 2, "2g*": 2, "1g": 1, "500mg": 0.5, "500mg*": 0.5, "500mg**": 0.5,
}


MIN_LOAD = Q_(100, "g")


class FakeWorld:
    def __init__(self, clock: VirtualClock, weights: dict[str, float] | None = None) -> None:
        self.clock = clock
        self.weights = dict(WEIGHTS_G if weights is None else weights)
        self.on: list[str] = []
        self.position: str | None = None

    @property
    def load_g(self) -> float:
        return sum(self.weights[w] for w in self.on)


class _Fake:
    name = "fake"

    def __init__(self, world: FakeWorld, name: str) -> None:
        self.world = world
        self.name = name
        self.calls: list[str] = []
        self.safe_calls = 0
        self.closed = False
        self._fail: dict[str, tuple[int, Callable[[], BaseException]]] = {}
        self._count: dict[str, int] = {}

    def fail(self, method: str, on_call: int, error: Callable[[], BaseException]) -> None:
        """Make the ``on_call``-th call (1-based) of ``method`` raise ``error()``."""
        self._fail[method] = (on_call, error)

    def _call(self, method: str) -> None:
        self.calls.append(method)
        n = self._count[method] = self._count.get(method, 0) + 1
        if method in self._fail and self._fail[method][0] == n:
            raise self._fail[method][1]()

    def identify(self) -> Identity:
        self._call("identify")
        return Identity("Fake Co.", type(self).__name__, f"SN-{self.name}", "1.0")

    def safe_state(self) -> None:
        self.safe_calls += 1
        self._call("safe_state")

    def close(self) -> None:
        self.closed = True


class FakeScale(_Fake):
    """A class III scale, Max 15 kg, e = d = 5 g, Min 100 g."""

    capabilities = (Scale,)

    def __init__(self, world: FakeWorld, name: str = "scale", *, gain: float = 0.0,
                 noise_g: float = 0.0, seed: int = 0, settle_s: float = 3.0,
                 min_load: Any = MIN_LOAD) -> None:
        super().__init__(world, name)
        self.capacity = Q_(15, "kg")
        self.e = Q_(5, "g")
        self.d = Q_(5, "g")
        if min_load is not None:
            self.min_load = min_load
        self.accuracy_class = "III"
        self.gain = gain
        self.noise_g = noise_g
        self.rng = np.random.default_rng(seed)
        self.settle_s = settle_s
        self.zero_g = 0.0
        self.tare_g = 0.0

    def _gross(self) -> float:
        return self.world.load_g * (1 + self.gain) + float(self.rng.normal(0, self.noise_g)) \
            if self.noise_g else self.world.load_g * (1 + self.gain)

    def _reading(self, stable: bool) -> WeighingReading:
        net = self._gross() - self.zero_g - self.tare_g
        shown = round(net / 5.0) * 5.0
        return WeighingReading(Q_(shown, "g"), stable=stable,
                               overload=net > 15045, raw=f"S {'S' if stable else 'D'} {shown} g")

    def read_stable(self, timeout: float | None = None) -> WeighingReading:
        assert timeout is not None and timeout > 0, "the runner always gives a timeout"
        self._call("read_stable")
        self.world.clock.sleep(self.settle_s)
        return self._reading(True)

    def read_immediate(self) -> WeighingReading:
        self._call("read_immediate")
        return self._reading(False)

    measurements = ("mass",)

    def measure(self, name: str | None = None, *, stable: bool = False,
                timeout: float | None = None) -> WeighingReading:
        return self.read_stable(timeout) if stable else self.read_immediate()

    def zero(self) -> None:
        self._call("zero")
        self.zero_g = self._gross()

    def tare(self) -> WeighingReading:
        self._call("tare")
        self.tare_g = self._gross() - self.zero_g
        return WeighingReading(Q_(round(self.tare_g / 5.0) * 5.0, "g"), stable=True,
                               raw="T S")

    def clear_tare(self) -> None:
        self._call("clear_tare")
        self.tare_g = 0.0


class FakeLoader(_Fake):
    """An automatic weight loader: refuses unknown weights and a weight used twice."""

    def __init__(self, world: FakeWorld, name: str = "loader", move_s: float = 5.0) -> None:
        super().__init__(world, name)
        self.move_s = move_s

    def _check(self, load: WeightLoad, already: Iterable[str]) -> None:
        if not load.weights:
            raise InstrumentError("a load without weights", instrument=self.name)
        unknown = [w for w in load.weights if w not in self.world.weights]
        if unknown:
            raise InstrumentError(f"no weight {unknown[0]}", instrument=self.name)
        both = set(load.weights) & set(already)
        if both or len(set(load.weights)) != len(load.weights):
            raise InstrumentError(f"weight used twice: {sorted(both)}", instrument=self.name)

    def place(self, load: WeightLoad) -> None:
        """Weights on an empty receptor (like the real loader's LOAD)."""
        self._call("place")
        if self.world.on:
            raise InstrumentError("occupied: unload first or add", instrument=self.name)
        self._check(load, ())
        self.world.clock.sleep(self.move_s)
        self.world.on = list(load.weights)
        self.world.position = load.position if load.weights else None

    def add(self, load: WeightLoad) -> None:
        self._call("add")
        self._check(load, self.world.on)
        self.world.clock.sleep(self.move_s)
        self.world.on += list(load.weights)

    def remove(self, pieces: tuple[str, ...]) -> None:
        self._call("remove")
        missing = [w for w in pieces if w not in self.world.on]
        if missing:
            raise InstrumentError(f"not on the receptor: {missing}", instrument=self.name)
        self.world.clock.sleep(self.move_s)
        self.world.on = [w for w in self.world.on if w not in pieces]

    def remove_all(self) -> None:
        self._call("remove_all")
        self.world.clock.sleep(self.move_s)
        self.world.on = []
        self.world.position = None

    def safe_state(self) -> None:
        super().safe_state()
        self.world.on = []


class FakeEnvironment(_Fake):
    """Temperature from ``profile(t)`` (degC) at clock time t; humidity 45 %."""

    def __init__(self, world: FakeWorld, name: str = "thermo",
                 profile: Callable[[float], float] = lambda t: 20.0) -> None:
        super().__init__(world, name)
        self.profile = profile

    def read_environment(self) -> EnvironmentReading:
        self._call("read_environment")
        return EnvironmentReading(temperature=Q_(self.profile(self.world.clock.now()), "degC"),
                                  humidity=Q_(45.0, "percent"))


class FakeBench:
    """Roles -> fakes, a weight chooser, and nothing else (the runner's fallbacks)."""

    def __init__(self, roles: dict[str, Any], world: FakeWorld) -> None:
        self._roles = roles
        self.world = world
        self.path = HERE / "fake-bench.yaml"
        self.sha256 = "0" * 64
        self.name = "fake-bench"
        self.lab = "Test lab"
        self.operator = "tester"
        self.standards = ("FAKE-SET",)

    @property
    def roles(self) -> dict[str, Any]:
        return dict(self._roles)

    def role(self, name: str) -> Any:
        return self._roles[name]

    def choose_weights(self, mass: Any, *, exclude: Iterable[str] = ()) -> tuple[str, ...]:
        """Largest pieces first (enough for the 1-2-2-5 set of the tests)."""
        target = round(float(mass.to("g").magnitude) * 1000)  # mg
        chosen = []
        for wid, grams in sorted(self.world.weights.items(), key=lambda kv: -kv[1]):
            mg = round(grams * 1000)
            if wid in exclude or mg > target:
                continue
            chosen.append(wid)
            target -= mg
        if target:
            raise RunError(f"the weight set cannot make a load of {mass:~P}")
        return tuple(chosen)

    @property
    def instruments(self) -> list[Any]:
        return list(self._roles.values())


def make_bench(*, environment: Callable[[float], float] | None = None, seed: int = 0,
               clock: VirtualClock | None = None, **scale_options: Any
               ) -> tuple[FakeBench, VirtualClock]:
    clock = clock or VirtualClock()
    world = FakeWorld(clock)
    roles: dict[str, Any] = {"dut": FakeScale(world, seed=seed, **scale_options),
                             "loader": FakeLoader(world)}
    if environment is not None:
        roles["environment"] = FakeEnvironment(world, profile=environment)
    return FakeBench(roles, world), clock


def location(path: Path, snippet: str, occurrence: int = 1) -> str:
    """``file:line:col`` of the ``occurrence``-th ``snippet`` in the file (1-based)."""
    text = path.read_text(encoding="utf-8")
    index = -1
    for _ in range(occurrence):
        index = text.index(snippet, index + 1)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"{path}:{line}:{column}"
