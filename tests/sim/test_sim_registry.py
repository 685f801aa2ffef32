"""Simulators by name through the ``labctl.simulators`` entry-point group."""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import EntryPoint, EntryPoints
from typing import Any

import pytest

from labctl.clock import VirtualClock
from labctl.errors import ConfigError
from labctl.sim import registry
from labctl.sim.device import SimDevice
from labctl.sim.world import World
from labctl.transport import TransportOptions, open_transport


class Parrot(SimDevice):
    name = "parrot"

    def __init__(self, world: World, params: Mapping[str, Any]) -> None:
        self.word = str(params.get("word", "hello"))
        super().__init__(world.clock)

    def handle(self, line: str) -> list[str]:
        return [self.word]


NOT_CALLABLE = 42


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    eps = [
        EntryPoint("parrot", f"{__name__}:Parrot", registry.GROUP),
        EntryPoint("broken", "labctl_no_such_module:Thing", registry.GROUP),
        EntryPoint("twice", f"{__name__}:Parrot", registry.GROUP),
        EntryPoint("twice", "other_package:Parrot", registry.GROUP),
        EntryPoint("same-twice", f"{__name__}:Parrot", registry.GROUP),
        EntryPoint("same-twice", f"{__name__}:Parrot", registry.GROUP),
        EntryPoint("number", f"{__name__}:NOT_CALLABLE", registry.GROUP),
    ]

    def fake_entry_points(*, group: str) -> EntryPoints:
        return EntryPoints(ep for ep in eps if ep.group == group)

    monkeypatch.setattr(registry, "entry_points", fake_entry_points)


def test_names(installed: None) -> None:
    assert registry.simulator_names() == ["broken", "number", "parrot", "same-twice", "twice"]


def test_factory_builds_a_device_on_the_worlds_clock(installed: None) -> None:
    world = World(VirtualClock(), seed=1)
    device = registry.simulator_factory("parrot")(world, {"word": "polly"})
    assert isinstance(device, Parrot) and device.clock is world.clock
    t = open_transport("sim://parrot", TransportOptions(), device=device, clock=world.clock)
    assert t.query("anything") == "polly"
    assert registry.simulator_factory("same-twice") is Parrot  # one package seen twice


def test_unknown_name_lists_the_known_ones(installed: None) -> None:
    with pytest.raises(ConfigError, match="unknown simulator 'scale'") as info:
        registry.simulator_factory("scale")
    assert "known simulators: broken, number, parrot, same-twice, twice" in str(info.value)


def test_bad_registrations_are_clear(installed: None) -> None:
    with pytest.raises(ConfigError, match="'broken' .* cannot be loaded: ModuleNotFoundError"):
        registry.simulator_factory("broken")
    with pytest.raises(ConfigError, match="registered twice"):
        registry.simulator_factory("twice")
    with pytest.raises(ConfigError, match="is not callable"):
        registry.simulator_factory("number")


def test_nothing_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "entry_points", lambda *, group: EntryPoints(()))
    assert registry.simulator_names() == []
    with pytest.raises(ConfigError, match="known simulators: none installed"):
        registry.simulator_factory("scale")

