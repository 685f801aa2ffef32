"""Small stand-ins for drivers and simulators, registered by name for bench tests.

A fake scale and a fake weight loader, each with its simulator speaking a two-command
line protocol, so the bench can be built and opened without the weighing family.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from labctl.drivers.base import Instrument
from labctl.drivers.capabilities import Identity
from labctl.drivers.weighing.capabilities import WeighingReading, WeightLoad
from labctl.errors import InstrumentError
from labctl.sim.device import SimDevice
from labctl.sim.world import World
from labctl.units import Q_


class FakeScaleSim(SimDevice):
    """``ID?`` -> serial; ``W?`` -> the load in kg (from the shared platform)."""

    name = "fake-scale"

    def __init__(self, world: World, params: Mapping[str, Any]) -> None:
        self.params = params
        self.serial = str(params.get("serial", "FS-1"))
        self.platform = world.get("platform", dict)
        super().__init__(world.clock)

    def handle(self, line: str) -> list[str]:
        if line == "ID?":
            return [f"FAKE,SCALE,{self.serial},1"]
        if line == "W?":
            return [f"{sum(self.platform.values()):.6f}"]
        return ["ERR"]


class FakeLoaderSim(SimDevice):
    """``PUT id,id`` / ``TAKE id,id`` / ``OFF`` / ``ID?``; puts the true masses on the
    shared platform."""

    name = "fake-loader"

    def __init__(self, world: World, params: Mapping[str, Any]) -> None:
        self.params = params
        self.weights = {k: Q_(v).m_as("kg") for k, v in params.get("weights", {}).items()}
        self.platform = world.get("platform", dict)
        super().__init__(world.clock)

    def handle(self, line: str) -> list[str]:
        if line == "ID?":
            return [f"FAKE,LOADER,{self.params.get('serial', 'FL-1')},1"]
        if line.startswith("PUT "):
            for id in line[4:].split(","):
                self.platform[id] = self.weights[id]
            return ["OK"]
        if line.startswith("TAKE "):
            for id in line[5:].split(","):
                self.platform.pop(id, None)
            return ["OK"]
        if line == "OFF":
            self.platform.clear()
            return ["OK"]
        return ["ERR"]


class FakeScale(Instrument):
    capabilities = ("scale",)
    option_names: ClassVar[frozenset[str]] = frozenset({"max", "e", "d", "min", "class",
                                                        "unit"})
    option_units: ClassVar[dict[str, str]] = {"max": "kg", "min": "kg", "e": "kg", "d": "kg"}
    safe_calls = 0
    fail_safe = False

    def __init__(self, transport: Any, *, name: str, **options: Any) -> None:
        super().__init__(transport, name=name, **options)
        self.capacity = Q_(options.get("max", "15 kg"))
        self.e = self.d = Q_(options.get("e", "5 g"))

    def identify(self) -> Identity:
        parts = self.query("ID?").split(",")
        return Identity(parts[0], parts[1], parts[2], parts[3])

    def read_stable(self, timeout: float | None = None) -> WeighingReading:
        return self.read_immediate()

    measurements = ("mass",)

    def measure(self, name: str | None = None, *, stable: bool = False,
                timeout: float | None = None) -> WeighingReading:
        return self.read_stable(timeout) if stable else self.read_immediate()

    def read_immediate(self) -> WeighingReading:
        reply = self.query("W?")
        return WeighingReading(Q_(float(reply), "kg"), True, raw=reply)

    def zero(self) -> None:
        return None

    def tare(self) -> WeighingReading:
        return self.read_immediate()

    def clear_tare(self) -> None:
        return None

    def safe_state(self) -> None:
        type(self).safe_calls += 1
        if self.fail_safe:
            raise InstrumentError("refused", instrument=self.name, command="SAFE")


class FakeLoader(Instrument):
    capabilities = ("weight_handler",)

    @classmethod
    def simulation_params(cls, parts: tuple[Any, ...], world: Any) -> dict[str, Any]:
        """Its simulator gets the weights' true masses, like the shipped loader's."""
        from labctl.register.weighing import weights_of
        from labctl.sim.weighing.weight_loader_sim import true_weights

        return {"weights": true_weights(weights_of(parts), world)}

    def identify(self) -> Identity:
        parts = self.query("ID?").split(",")
        return Identity(parts[0], parts[1], parts[2], parts[3])

    def place(self, load: WeightLoad) -> None:
        self.remove_all()
        self.add(load)

    def add(self, load: WeightLoad) -> None:
        if self.query("PUT " + ",".join(load.weights)) != "OK":
            raise InstrumentError("not placed", instrument=self.name)

    def remove(self, pieces: tuple[str, ...]) -> None:
        if self.query("TAKE " + ",".join(pieces)) != "OK":
            raise InstrumentError("not taken off", instrument=self.name)

    def remove_all(self) -> None:
        self.query("OFF")

    def safe_state(self) -> None:
        self.remove_all()


DRIVERS = {"fake-scale": FakeScale, "fake-loader": FakeLoader}
SIMULATORS = {"fake-scale": FakeScaleSim, "fake-loader": FakeLoaderSim}
