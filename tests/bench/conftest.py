"""Bench test fixtures: fake drivers and simulators by name, and bench files in tmp_path."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from .fakes import DRIVERS, SIMULATORS
from .helpers import BENCH, REGISTER


@pytest.fixture(autouse=True)
def fake_registries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolve the fake driver and simulator names first, the installed ones after."""
    import labctl.drivers.registry as drivers
    import labctl.sim.registry as sims

    real_driver, real_sim = drivers.driver_class, sims.simulator_factory

    def driver_class(name: str, *, where: str | None = None) -> type:
        return DRIVERS[name] if name in DRIVERS else real_driver(name, where=where)

    def simulator_factory(name: str):  # noqa: ANN202
        return SIMULATORS[name] if name in SIMULATORS else real_sim(name)

    monkeypatch.setattr(drivers, "driver_class", driver_class)
    monkeypatch.setattr(sims, "simulator_factory", simulator_factory)


@pytest.fixture
def bench_dir(tmp_path: Path) -> Path:
    """A folder with a copy of the shipped register."""
    folder = tmp_path / "lab"
    folder.mkdir()
    shutil.copy(REGISTER, folder / "register.yaml")
    return folder


@pytest.fixture
def write_bench(bench_dir: Path) -> Callable[..., Path]:
    """Write a bench file (default: BENCH, with textual replacements) and return its path."""

    def write(text: str | None = None, *, name: str = "bench.yaml",
              replace: dict[str, str] | None = None) -> Path:
        body = textwrap.dedent(text) if text is not None else BENCH
        for old, new in (replace or {}).items():
            assert old in body, f"{old!r} not in the bench text"
            body = body.replace(old, new)
        path = bench_dir / name
        path.write_text(body, encoding="utf-8")
        return path

    return write
