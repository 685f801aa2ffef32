"""BenchConfig.open: world, simulators, transports and drivers; roles, identities,
standards, expiry, faults, teardown. Fake scale and loader, real thermo-hygrometer."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from labctl.bench import Bench, load_bench
from labctl.clock import VirtualClock
from labctl.errors import ConfigError, InstrumentTimeout, RunError
from labctl.procedures.weighing.weight_choice import chooser_for
from labctl.register import MeasuringInstrument
from labctl.register.weighing import Weight
from labctl.units import Q_

from .fakes import FakeLoader, FakeScale, FakeScaleSim
from .helpers import line_of

TODAY = date(2026, 6, 1)


def open_bench(path: Path, **kwargs: object) -> Bench:
    kwargs.setdefault("today", TODAY)
    return load_bench(path).open(VirtualClock(), **kwargs)


def test_open_binds_roles_and_talks_to_simulators(write_bench: Callable[..., Path]) -> None:
    with open_bench(write_bench()) as bench:
        assert isinstance(bench.role("dut"), FakeScale)
        assert isinstance(bench.role("loader"), FakeLoader)
        assert set(bench.roles) == {"dut", "loader", "environment"}
        assert bench.seed == 11 and bench.name == "test-bench" and bench.lab == "Test lab"
        assert bench.allow_expired is None and bench.expired == ()
        ids = chooser_for(bench)(Q_(7.5, "kg"))
        from labctl.drivers.weighing.capabilities import WeightLoad

        bench.role("loader").place(WeightLoad(ids))
        shown = bench.role("dut").read_immediate().value
        # the loader put the weights' true masses on the platform the scale reads
        assert shown.m_as("kg") == pytest.approx(7.5, abs=1e-4)
        assert shown.m_as("kg") != 7.5


def test_seed_override_and_world(write_bench: Callable[..., Path]) -> None:
    with open_bench(write_bench(), seed=5) as bench:
        assert bench.seed == 5 and bench.world.seed == 5
        assert isinstance(bench.devices["scale"], FakeScaleSim)


def test_true_weights_are_seeded_and_within_half_their_uncertainty(
        write_bench: Callable[..., Path]) -> None:
    path = write_bench()
    with open_bench(path) as a, open_bench(path) as b, open_bench(path, seed=12) as c:
        truth = {k: Q_(v) for k, v in a.devices["loader"].params["weights"].items()}
        same = {k: Q_(v) for k, v in b.devices["loader"].params["weights"].items()}
        other = {k: Q_(v) for k, v in c.devices["loader"].params["weights"].items()}
        assert truth == same and truth != other
        for w in a.standard_parts():
            deviation = abs((truth[w.id] - w.conventional_mass).m_as("mg"))
            assert deviation <= 0.5 * w.u.m_as("mg") + 1e-9


def test_check_roles(write_bench: Callable[..., Path]) -> None:
    path = write_bench()
    cfg = load_bench(path)
    cfg.check_roles({"dut": "scale", "loader": "weight_handler"}, optional={"environment"})
    cfg.check_roles({"dut": "scale", "reference": "scale"}, optional={"reference"})
    with pytest.raises(RunError) as info:
        cfg.check_roles({"dut": "scale", "generator": "concentration_source"})
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(f"{path}:{line_of(path, 'instruments:')}:")
    assert "no instrument in role 'generator'" in text and "its roles: dut, environment" in text
    with pytest.raises(RunError) as info:
        cfg.check_roles({"loader": "scale"})
    text = str(info.value)
    assert text.startswith(f"{path}:{line_of(path, 'role: loader')}:")
    assert "role 'loader' needs capability 'scale' but its driver 'fake-loader' offers " \
           "weight_handler" in text
    with pytest.raises(RunError, match="unknown capability 'teleporter'"):
        cfg.check_roles({"dut": "teleporter"})
    with open_bench(path) as bench:
        bench.check_roles({"environment": "environment"})
        with pytest.raises(RunError, match="no instrument in role 'reference'"):
            bench.role("reference")


def test_identify_all_checks_serials(write_bench: Callable[..., Path]) -> None:
    with open_bench(write_bench()) as bench:
        ids = bench.identify_all()
        assert ids["dut"].serial == "FS-77"
        assert ids["environment"].serial == "TH100-25-0173"
        assert ids["loader"].serial == "WL20-0042"
    path = write_bench(replace={"sim: {serial: TH100-25-0173,": "sim: {serial: TH100-99,"})
    with open_bench(path) as bench, pytest.raises(RunError) as info:
        bench.identify_all()
    text = str(info.value)
    assert "reports serial number 'TH100-99' but register entry 'TH-01' expects " \
           "'TH100-25-0173'" in text
    assert text.startswith(f"{path}:{line_of(path, 'serial: TH-01')}:")


def test_expired_standard_is_refused_unless_a_reason_is_given(
        write_bench: Callable[..., Path]) -> None:
    path = write_bench()
    register = path.parent / "register.yaml"
    late = date(2027, 9, 15)  # the day after M1-A's due date
    with pytest.raises(RunError) as info:
        open_bench(path, today=late)
    text = str(info.value)
    assert "\n" not in text
    assert re.match(rf"{re.escape(str(register))}:{line_of(register, 'due: 2027-09-14')}:\d+: "
                    r"standard 'M1-A' is out of calibration: due 2027-09-14", text), text
    assert "--allow-expired" in text
    with open_bench(path, today=late, allow_expired="check weighing done 2027-09-10") as bench:
        assert bench.allow_expired == "check weighing done 2027-09-10"
        assert bench.expired == ("M1-A",)
    with pytest.raises(RunError, match="needs a reason"):
        open_bench(path, today=late, allow_expired="  ")
    # the thermo-hygrometer's certificate counts too (due 2027-11-02)
    no_weights = write_bench(name="no-weights.yaml", replace={"standards: [M1-A]": "standards: []"})
    with pytest.raises(RunError, match="standard 'TH-01' is out of calibration: due 2027-11-02"):
        open_bench(no_weights, today=date(2027, 11, 3))
    open_bench(no_weights, today=date(2027, 11, 2)).close()  # valid on its due date


def test_standards_used_carry_certificate_data(write_bench: Callable[..., Path]) -> None:
    with open_bench(write_bench()) as bench:
        used = bench.standards_used()
        weights = [s for s in used if isinstance(s, Weight)]
        instruments = [s for s in used if isinstance(s, MeasuringInstrument)]
        assert len(weights) == 20 and [i.id for i in instruments] == ["TH-01"]
        record = weights[0].as_record()
        assert record["id"] == "M1-A/10kg" and record["certificate"] == "MC-2025-0412"
        assert record["U"] == {"value": 160.0, "unit": "mg"} and record["k"] == 2.0
        assert record["due"] == "2027-09-14"
        assert instruments[0].as_record()["certificate"] == "TC-2025-0988"


def test_environment_read_or_stated(write_bench: Callable[..., Path]) -> None:
    with open_bench(write_bench()) as bench:
        env = bench.read_environment()
        assert env.temperature.m_as("degC") == pytest.approx(21.0, abs=0.01)
        assert env.humidity.m_as("percent") == pytest.approx(45.0, abs=0.1)
    path = write_bench(name="stated.yaml", replace={
        "environment: {instrument: thermo}": "environment: {temperature: 20 degC}"})
    with open_bench(path) as bench:
        assert bench.environment_instrument is None
        assert bench.read_environment().temperature.m_as("degC") == 20
        assert bench.environment_stated.humidity is None


def test_fault_plan_from_the_bench_file(write_bench: Callable[..., Path]) -> None:
    path = write_bench(replace={"sim: {serial: FS-77}":
                                "sim: {serial: FS-77, faults: [{kind: timeout, after: 1}]}"})
    with open_bench(path) as bench:
        scale = bench.role("dut")
        scale.read_immediate()
        start = bench.clock.now()
        with pytest.raises(InstrumentTimeout):
            scale.read_immediate()
        assert bench.clock.now() - start == pytest.approx(1.0)  # the bench's 1 s timeout


def test_bad_fault_plan_is_refused_at_its_place(write_bench: Callable[..., Path]) -> None:
    path = write_bench(replace={"sim: {serial: FS-77}":
                                "sim: {serial: FS-77, faults: [{kind: gremlins}]}"})
    with pytest.raises(ConfigError, match=r"bench.yaml:\d+:\d+: .*unknown kind 'gremlins'"):
        open_bench(path)


def test_bad_simulator_parameters_are_refused_at_their_place(
        write_bench: Callable[..., Path]) -> None:
    path = write_bench(replace={"temperature: 21 degC": "temperature: 21 kg"})
    with pytest.raises(ConfigError) as info:
        open_bench(path)
    assert str(info.value).startswith(f"{path}:{line_of(path, 'temperature: 21 kg')}:")


def test_a_resource_that_does_not_open(write_bench: Callable[..., Path]) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = write_bench(replace={"resource: sim://fake-loader":
                                f"resource: socket://127.0.0.1:{port}"})
    with pytest.raises(RunError) as info:
        open_bench(path)
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(f"{path}:{line_of(path, 'socket://')}:")
    assert f"instrument 'loader': cannot open socket://127.0.0.1:{port}" in text


def test_safe_state_all_collects_errors_and_close_is_idempotent(
        write_bench: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    bench = open_bench(write_bench())
    monkeypatch.setattr(FakeScale, "fail_safe", True)
    FakeScale.safe_calls = 0
    errors = bench.safe_state_all()
    assert len(errors) == 1 and "refused" in str(errors[0])
    assert FakeScale.safe_calls == 1
    assert bench.close() == [] and bench.close() == []


def test_leaving_the_bench_does_not_repeat_safe_states_nothing_has_undone() -> None:
    """The runner's teardown already made every instrument safe: leaving the ``with``
    block must not unload the loader a second time; after a command it must."""
    from labctl.drivers.weighing.capabilities import WeightLoad

    config = load_bench(Path(__file__).resolve().parents[2] / "benches" / "sim-scale.yaml")
    with config.open(VirtualClock()) as bench:
        loader = bench.role("loader")
        calls: list[str] = []
        original = loader.safe_state

        def counting() -> None:
            calls.append("safe")
            original()

        loader.safe_state = counting  # type: ignore[method-assign]
        assert bench.safe_state_all() == [] and bench.in_safe_state
    assert calls == ["safe"]  # not again on exit

    with config.open(VirtualClock()) as bench:
        loader = bench.role("loader")
        calls.clear()
        original = loader.safe_state
        loader.safe_state = counting  # type: ignore[method-assign]
        bench.safe_state_all()
        first = bench.standard_parts()[0].id
        loader.place(WeightLoad((first,)))   # something happened since
        assert not bench.in_safe_state
    assert calls == ["safe", "safe"]
