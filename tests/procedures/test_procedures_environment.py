"""Environmental conditions: checks, suspension while outside, resumption, giving up."""

from __future__ import annotations

from pathlib import Path

import pytest
from procedure_fakes import make_bench

from labctl.drivers.capabilities import EnvironmentReading
from labctl.procedures.environment import check_conditions
from labctl.procedures.launch import run_procedure
from labctl.procedures.run_outcome import RunAborted
from labctl.units import Q_


def test_check_conditions(mini) -> None:
    conditions = mini.conditions
    inside = EnvironmentReading(temperature=Q_(20, "degC"), humidity=Q_(50, "percent"))
    assert check_conditions(conditions, inside) == []
    hot_wet = EnvironmentReading(temperature=Q_(300, "K"), humidity=Q_(85, "percent"))
    found = check_conditions(conditions, hot_wet)
    assert [(v.quantity, v.limit) for v in found] == [("temperature", "max"), ("humidity", "max")]
    assert found[0].describe() == "temperature 26.85 °C above max 25 °C"
    cold = EnvironmentReading(temperature=Q_(14.9, "degC"))  # humidity not measured
    assert [v.describe() for v in check_conditions(conditions, cold)] == [
        "temperature 14.9 °C below min 15 °C"]
    assert check_conditions(conditions, EnvironmentReading(temperature=Q_(25, "degC"))) == []


def run(mini, bench, clock, tmp_path: Path):
    return run_procedure(mini, bench, clock=clock, journal_path=tmp_path / "j.jsonl",
                         run_id="env-test")


def test_suspended_while_outside_then_resumed(mini, tmp_path: Path) -> None:
    bench, clock = make_bench(environment=lambda t: 30.0 if 100 <= t < 1000 else 20.0)
    outcome = run(mini, bench, clock, tmp_path)
    assert outcome.state == "done"
    events = outcome.events
    kinds = [e["type"] for e in events]
    s, r = kinds.index("suspended"), kinds.index("resumed")
    suspended, resumed = events[s], events[r]
    assert 100 <= suspended["t"] < 160
    assert "temperature 30 °C above max 25 °C" in suspended["reason"]
    violation = suspended["violations"][0]
    assert violation["limit"] == "max" and violation["bound"] == {"value": 25.0, "unit": "°C"}
    assert violation["value"] == {"value": 30.0, "unit": "°C"}
    assert 1000 <= resumed["t"] < 1060 and resumed["suspended_for"] == resumed["t"] - \
        suspended["t"]
    between = kinds[s + 1:r]
    assert set(between) == {"environment"} and len(between) >= 14  # one per minute
    assert all(not e["within"] for e in events[s + 1:r - 1]) and events[r - 1]["within"]
    # All readings were taken inside the conditions, each right after a check.
    for i, event in enumerate(events):
        if event["type"] == "reading":
            check = events[i - 2] if events[i - 1]["type"] == "resumed" else events[i - 1]
            assert check["type"] == "environment" and check["within"]
    assert kinds.count("reading") == 18


def test_periodic_checks_during_long_waits(variant, tmp_path: Path) -> None:
    from labctl.procedures.loading import load_procedure

    procedure = load_procedure(variant(("settle: {default: 5 s}", "settle: {default: 10 min}")))
    bench, clock = make_bench(environment=lambda t: 20.0)
    outcome = run(procedure, bench, clock, tmp_path)
    checks = [e["t"] for e in outcome.events if e["type"] == "environment"]
    gaps = [b - a for a, b in zip(checks, checks[1:], strict=False)]
    assert max(gaps) <= 60.0 + 1e-9 and outcome.state == "done"


def test_gives_up_after_the_longest_suspension(mini, tmp_path: Path) -> None:
    bench, clock = make_bench(environment=lambda t: 30.0 if t >= 100 else 20.0)
    with pytest.raises(RunAborted, match="stayed outside the procedure's conditions for "
                                         "1800 s") as err:
        run(mini, bench, clock, tmp_path)
    events = err.value.outcome.events
    assert err.value.outcome.state == "failed"
    assert [e["type"] for e in events][-2:] == ["error", "run_finished"]
    suspended = next(e for e in events if e["type"] == "suspended")
    assert events[-1]["t"] - suspended["t"] == pytest.approx(1800.0)
    assert [i.safe_calls for i in bench.instruments] == [1, 1, 1]


def test_no_environment_role_means_no_watch(mini, tmp_path: Path) -> None:
    bench, clock = make_bench()
    outcome = run(mini, bench, clock, tmp_path)
    assert not any(e["type"] in ("environment", "suspended") for e in outcome.events)
