"""Truth: errors set on the simulated PM monitor come back out of the whole chain.

The shipped procedure (``procedures/pm25-jjf1659.yaml``) runs on copies of the shipped
bench (``benches/sim-pm25.yaml``) whose monitor has known errors, over several seeds
(the run's seed drives every simulator: the noise and the chamber's inlet factors). The
true relative error of a monitor with gain g and no offset, drift or humidity growth is
g - 1 at every level: it must lie within the reported U of the reported error. The true
T90 is the simulated response's own (``MonitorModel.true_t90``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from particulate_support import (
    CLEAN,
    a_good_monitor_passes,
    an_8_percent_high_monitor_fails_5_percent,
    by_test,
    monitor_sim,
    pm_bench,
    run_pm,
)

from labctl.clock import VirtualClock
from labctl.sim.particulate.monitor_model import MonitorErrors, MonitorModel
from labctl.sim.world import World

SEEDS = (1, 2, 3)


def true_t90(**errors: float) -> float:
    world = World(VirtualClock())
    model = MonitorModel(None, world, "dut", MonitorErrors(**errors), world.rng("x"))
    return model.true_t90()


@pytest.mark.parametrize("seed", SEEDS)
def test_a_monitor_reading_8_percent_high_is_found_within_u_and_fails_5_percent(
        tmp_path: Path, seed: int) -> None:
    bench = pm_bench(tmp_path, monitor_sim(gain=1.08, **CLEAN))
    result = an_8_percent_high_monitor_fails_5_percent(tmp_path, bench, seed)
    for p in by_test(result, "indication_error"):
        assert p.error.value == pytest.approx(8.0, abs=2.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_good_monitor_passes_and_its_t90_is_found_within_u(tmp_path: Path,
                                                            seed: int) -> None:
    bench = pm_bench(tmp_path, monitor_sim(gain=1.0, t90="120 s", averaging="0 s", **CLEAN))
    result = a_good_monitor_passes(tmp_path, bench, seed)
    for p in by_test(result, "indication_error"):
        assert p.budget["components"], p
        names = {c["name"] for c in p.budget["components"]}
        assert {"C_dut", "C_ref", "dCal", "dNu", "dDrift", "dRes"} <= names
    truth = true_t90(t90=120.0)
    assert truth == pytest.approx(120.0, abs=1.0)
    times = by_test(result, "response_time")
    assert len(times) == 3
    for p in times:
        assert p.error.unit == "s"
        assert abs(p.error.value - truth) <= p.expanded_uncertainty.value, p
    zero = by_test(result, "zero")[0]
    assert abs(zero.error.value) <= zero.expanded_uncertainty.value + 0.05
    assert result.record.decision in ("pass", "conditional_pass")


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_at_85_percent_rh_an_optical_monitor_reads_high_and_the_reference_does_not(
        tmp_path: Path, seed: int) -> None:
    def edit(data: dict) -> None:
        data["instruments"]["generator"]["sim"]["humidity"] = "85 %"
        data["instruments"]["monitor"]["sim"].update(
            gain=1.0, offset="0 ug/m^3", drift="0 ug/m^3/d", kappa=0.1)

    bench = pm_bench(tmp_path, edit)
    result = run_pm(tmp_path, bench, seed)
    growth = 100 * (0.1 / 1.65) / (1 / 0.85 - 1)          # +34 %
    certified_U = {50: 1.5, 150: 3.0, 400: 8.0}   # RPM-01's pm25 certificate, ug/m^3
    for p, level in zip(by_test(result, "indication_error"), (50, 150, 400), strict=True):
        assert abs(p.error.value - growth) <= p.expanded_uncertainty.value, p
        assert p.decision == "fail"
        # the reference dries its inlet: corrected by its certificate, it reads the
        # chamber's level within its inlet's non-uniformity (1 %), its noise and the
        # certificate's U (its true error is drawn within the certificate's u)
        assert p.nominal.value == pytest.approx(level, rel=0.01 + certified_U[level] / level,
                                                abs=0.5), p
        assert p.indication.value > 1.25 * p.nominal.value


def test_the_shipped_pm_bench_passes_as_shipped(tmp_path: Path) -> None:
    from particulate_support import PM_BENCH, PM_PROCEDURE

    result = run_pm(tmp_path, PM_BENCH, 20261203, PM_PROCEDURE)
    record = result.record
    assert record.decision == "pass"
    assert record.signature and record.hash
    assert record.dut.driver == "hj212-pm-monitor"
    assert [s.register_id for s in record.standards] == ["RPM-01", "FM-01"]
    tests = [p.test for p in record.points]
    assert tests == ["flow_deviation", "flow_rsd", "flow_indication_error", "zero",
                     "indication_error", "indication_error", "indication_error",
                     "repeatability", "response_time", "response_time", "response_time"]
    for p in record.points:
        if p.test == "indication_error":
            assert p.error.unit == "%" and p.nominal.unit == "µg/m**3"
            assert p.mpe.value == pytest.approx(10.0)
            assert "from memory" in p.notes


def shipped_monitor_truth(level: float, seconds: float) -> float:
    """The true relative error (%) of the shipped bench's monitor at ``level`` ug/m^3 at
    its inlet, ``seconds`` into the run: gain 1.01, offset 0.3 ug/m^3, drift 0.5
    ug/m^3/d, humidity growth kappa 0.05 at the chamber's 40 % RH (benches/sim-pm25.yaml)."""
    growth = 1 + (0.05 / 1.65) / (1 / 0.40 - 1)
    return 100 * (1.01 * growth - 1 + (0.3 + 0.5 * seconds / 86400) / level)


@pytest.mark.parametrize("seed", (1, 2, 3, 4))
def test_the_shipped_bench_with_its_certified_reference_is_found_within_u(
        tmp_path: Path, seed: int) -> None:
    """The shipped bench as shipped (its reference's true errors drawn within RPM-01's
    multi-point certificate from the run's seed): with the certificate's interpolated
    corrections applied to the reference, the monitor's true error lies within U at
    every level, and each point says what was applied."""
    result = run_pm(tmp_path, pm_bench(tmp_path), seed)
    points = by_test(result, "indication_error")
    assert len(points) == 3
    for p in points:
        applied = p.details["corrections_applied"][0]
        assert applied["standard"] == "RPM-01" and applied["quantity"] == "pm25"
        assert applied["certificate"] == "PM-2026-0915"
        # the reference value is the reference's mean reading, corrected
        raw = p.details["reference_mean"]
        assert applied["at"]["value"] == pytest.approx(raw)
        assert p.nominal.value == pytest.approx(raw + applied["correction"]["value"])
        names = {c["name"] for c in p.budget["components"]}
        assert {"C_dut", "C_ref", "dCal", "dNu", "dDrift", "dRes"} <= names
        # the truth at the start and at the end of the run (drift): both within U
        for seconds in (0.0, result.clock_seconds):
            truth = shipped_monitor_truth(p.nominal.value, seconds)
            assert abs(p.error.value - truth) <= p.expanded_uncertainty.value, (p, truth)


def test_the_record_lists_the_corrections_applied_at_each_point(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_pm(tmp_path, pm_bench(tmp_path), 5)
    rpm = next(s for s in result.record.standards if s.register_id == "RPM-01")
    assert rpm.certificate == "PM-2026-0915"
    assert rpm.issued_by == "National Institute of Metrology, particulate laboratory"
    assert (str(rpm.calibration_date), str(rpm.due_date)) == ("2026-09-15", "2027-09-14")
    applied = rpm.applied_corrections
    assert [a.point for a in applied] == ["levels/01", "levels/02", "levels/03"]
    certified = {50.0: (-1.5, 1.5), 150.0: (-3.0, 3.0), 400.0: (4.0, 8.0)}
    for a, p in zip(applied, by_test(result, "indication_error"), strict=True):
        assert a.quantity == "pm25" and a.at.unit == a.correction.unit
        assert a.at.value == pytest.approx(p.details["reference_mean"])
        ends = [b.value for b in a.between]
        assert all(x in certified for x in ends)
        lo, hi = min(certified[x][0] for x in ends), max(certified[x][0] for x in ends)
        assert lo <= a.correction.value <= hi          # interpolated, not extrapolated
        assert a.coverage_factor == 2.0 and a.interpolation_half_width.value >= 0
    assert "applied: levels/01" in rpm.corrections
    # the flowmeter's certificate is one value: nothing interpolated, none listed
    fm = next(s for s in result.record.standards if s.register_id == "FM-01")
    assert fm.applied_corrections is None
    # and `labctl registry show` prints them
    from e2e_support import registry_url

    from labctl.cli import main

    monkeypatch.setenv("COLUMNS", "160")
    capsys.readouterr()
    assert main(["registry", "show", result.record.id, "--registry",
                 registry_url(tmp_path)]) == 0
    shown = capsys.readouterr().out
    assert "Corrections applied" in shown
    rows = shown[shown.index("Corrections applied"):].splitlines()
    for a in applied:
        assert any(line.split()[:2] == ["RPM-01", a.point] for line in rows), a.point
