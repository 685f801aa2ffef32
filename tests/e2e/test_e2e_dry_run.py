"""``labctl run --dry-run`` plans from the procedure and the bench file alone.

It opens no transport, builds no simulator, sends no command (so no safe state either:
the weight loader is not told to UNLOAD), and prints the plan a run would make. What the
plan needs and the bench file does not state is refused in one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from e2e_support import PROCEDURE, ROOT, SHIPPED_BENCH, bench_copy, registry_url

from labctl.cli import main

EXAMPLE_BENCH = ROOT / "benches" / "example-serial-scale.yaml"


@pytest.fixture
def traffic(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every transport opened, simulator built, driver exchange and safe state."""
    import labctl.sim.registry as sims
    import labctl.transport as transport
    from labctl.bench.runtime import Bench
    from labctl.drivers.base import Instrument

    seen: list[str] = []
    real_open, real_factory = transport.open_transport, sims.simulator_factory

    def open_transport(resource: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(f"open {resource}")
        return real_open(resource, *args, **kwargs)

    def simulator_factory(name: str) -> Any:
        factory = real_factory(name)

        def build(world: Any, params: Any) -> Any:
            seen.append(f"simulator {name}")
            return factory(world, params)
        return build

    monkeypatch.setattr(transport, "open_transport", open_transport)
    monkeypatch.setattr(sims, "simulator_factory", simulator_factory)
    for method in ("write", "read", "query"):
        real = getattr(Instrument, method)

        def spy(self: Any, *args: Any, _real: Any = real, _method: str = method) -> Any:
            seen.append(f"{self.name}.{_method}{args}")
            return _real(self, *args)

        monkeypatch.setattr(Instrument, method, spy)
    real_safe = Bench.safe_state_all

    def safe_state_all(self: Any) -> Any:
        seen.append("safe states")
        return real_safe(self)

    monkeypatch.setattr(Bench, "safe_state_all", safe_state_all)
    return seen


def plan_of_the_opened_bench(bench: Path) -> str:
    """What the dry run printed before it stopped opening the bench: the plan made with
    every instrument open (here on the bench's simulators)."""
    from labctl.bench import load_bench
    from labctl.clock import VirtualClock
    from labctl.procedures.launch import plan_run
    from labctl.procedures.loading import load_procedure

    with load_bench(bench).open(VirtualClock()) as opened:
        return plan_run(load_procedure(PROCEDURE), opened, {}).describe()


def dry_run(bench: Path, folder: Path, *extra: str) -> int:
    return main(["run", str(PROCEDURE), "--bench", str(bench), "--runs-dir",
                 str(folder / "runs"), "--registry", registry_url(folder), "--dry-run", *extra])


def test_dry_run_on_the_shipped_bench_sends_nothing_and_prints_the_run_plan(
        tmp_path: Path, traffic: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    expected = plan_of_the_opened_bench(SHIPPED_BENCH)
    assert any(s.startswith("open sim://") for s in traffic)  # the spies see an opened bench
    traffic.clear()
    capsys.readouterr()

    assert dry_run(SHIPPED_BENCH, tmp_path) == 0

    assert traffic == []  # no transport, no simulator, no command, no safe state
    out = capsys.readouterr().out
    assert out == expected + "\n"
    assert "weighing/06 [down] load=10 kg" in out  # printed as text, not rich markup
    # the weighing test adds weights going up and takes them off going down
    assert "load loader to 2.5 kg at centre: add M1-A/2kg, M1-A/200g, M1-A/200g*" in out
    assert "load loader to 10 kg at centre: take off M1-A/5kg" in out
    assert not (tmp_path / "runs").exists()  # and no journal


def test_dry_run_with_a_seed_and_a_parameter_sends_nothing_either(
        tmp_path: Path, traffic: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert dry_run(SHIPPED_BENCH, tmp_path, "--seed", "3", "--param", "change_point=false") == 0
    assert traffic == []
    out = capsys.readouterr().out
    assert "change_point=false" in out and "change point on" not in out


def test_dry_run_of_the_hardware_template_plans_without_its_serial_port(
        tmp_path: Path, traffic: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    # the template's scale sits on /dev/ttyUSB0: a dry run plans from its data plate
    assert dry_run(EXAMPLE_BENCH, tmp_path) == 0
    assert traffic == []
    out = capsys.readouterr().out
    assert "variables: Max=30 kg, e=0.01 kg, d=0.01 kg, Min=0.2 kg" in out
    assert "most load allowed: 30.09 kg" in out


def test_dry_run_says_what_the_bench_file_does_not_state(
        tmp_path: Path, traffic: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    # without Min and without a class to derive it from, the plan lacks dut.min_load
    bench = bench_copy(tmp_path, replace={"      min: 100 g\n      class: III\n": ""})
    assert dry_run(bench, tmp_path) == 2
    assert traffic == []
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert "variable 'Min'" in err and "'min_load'" in err and "scale" in err
    assert "bench file" in err


def test_dry_run_refuses_an_expired_standard_like_a_run(
        tmp_path: Path, traffic: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    expired = {"calibrated: 2025-09-15\n    due: 2027-09-14":
               "calibrated: 2019-09-15\n    due: 2020-09-14"}  # M1-A
    bench = bench_copy(tmp_path, register_replace=expired)
    assert dry_run(bench, tmp_path) == 2
    assert traffic == []
    assert "out of calibration" in capsys.readouterr().err
