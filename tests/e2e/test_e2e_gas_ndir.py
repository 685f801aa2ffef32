"""The NDIR analyzer's verification (``procedures/gas-ndir-jjg635.yaml``) end to end: the
shipped bench out of the box, truth over several seeds, the class limits, drift, and
bad input refused before gas flows.

Truth: the run's seed drives every simulator (the analyzer's noise, the cylinder's true
value within its certificate, the MFCs' true errors within their calibration);
``true_concentration`` draws them the same way, so the analyzer's true fiducial error
``(shown_true - c_true) / FS`` must lie within the reported U. The bench runs as
shipped (its noise, delay, T90, offset and water vapour); only its drifts are set to
zero where the test is about the indication error, since the truth of a drifting
reading depends on the time it was taken. U is an expanded uncertainty at about 95 %
and the points of a run share its cylinder and MFC draws, so a run may miss at several
points at once (over seeds 1-20 of the shipped bench, 74 of 80 points lay within U, the
RMS of |E - truth| / U was 0.51 and its mean -0.09). Checked over the seeds of a test:
no point beyond 2 U, at least 75 % of the points within U, and the RMS of
|E - truth| / U at most 0.8 (0.5 for an honest U at k = 2; a U too small by half gives
1.0).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from e2e_support import one_error_line, refused_before_start, run_cli
from gas_support import by_test, failed_with_flows_off, run_gas
from ndir_support import (
    CYLINDER,
    FULL_SCALE,
    NDIR_BENCH,
    NDIR_PROCEDURE,
    NO_DRIFT,
    analyzer_sim,
    ndir_bench,
    shipped_sim,
    true_concentration,
    true_indication,
)

from labctl.calibration import CalibrationRequest, calibrate
from labctl.units import parse_quantity

run = run_cli

SEEDS = (1, 2, 3, 4)
LEVELS = {"indication/01": 400.0, "indication/02": 1000.0, "indication/03": 1600.0}


def test_the_shipped_ndir_bench_stores_a_passing_record(tmp_path: Path) -> None:
    result = calibrate(CalibrationRequest(NDIR_PROCEDURE, NDIR_BENCH,
                                          runs_dir=tmp_path / "runs",
                                          registry=f"sqlite:///{tmp_path / 'r.db'}"))
    assert result.delivery.ok and result.virtual_clock
    record = result.record
    assert record.signature and record.hash
    assert record.decision == "pass"
    tests = [p.test for p in record.points]
    for name in ("indication_error", "repeatability", "response_time", "zero_drift",
                 "span_drift"):
        assert name in tests, tests
    errors = [p for p in record.points if p.test == "indication_error"]
    assert [p.nominal.value for p in errors] == pytest.approx([0.0, 400, 1000, 1600],
                                                               rel=0.01)
    for p in errors:      # class 2: +-2 %FS, the error relative to the full scale
        assert p.error.unit == "%" and p.mpe.value == pytest.approx(2.0)
        assert p.expanded_uncertainty.value > 0
        assert "JJG 635-2011, 3.1, Table 1" in p.notes
    (rep,) = by_test(result, "repeatability")
    assert rep.mpe.value == pytest.approx(1.0)
    (t90,) = by_test(result, "response_time")
    assert t90.mpe.value == pytest.approx(30.0)
    assert t90.error.value == pytest.approx(17.0, abs=1.5)       # 2 s line + 15 s T90
    for test in ("zero_drift", "span_drift"):   # 2 % of the 2000 umol/mol range
        (p,) = by_test(result, test)
        assert parse_quantity(f"{p.mpe.value} {p.mpe.unit}").m_as("umol/mol") == \
            pytest.approx(40.0)
        assert "3.2.1 and 3.2.2" in p.notes
    assert {s.register_id for s in record.standards} >= {"GDC-01", CYLINDER}
    assert record.dut.data_plate == {"component": "CO2", "range": "2000 umol/mol",
                                     "resolution": "1 umol/mol", "sampling": "pumped",
                                     "accuracy_class": "2"}


def errors_over_seeds(tmp_path: Path, gain: float) -> list[tuple[int, dict[str, Any], Any]]:
    """Runs over SEEDS with the analyzer's ``gain``; each point's distance to the truth
    is checked against its U."""
    sim = shipped_sim()
    offset = parse_quantity(sim["offset"]).m_as("umol/mol")
    h2o = parse_quantity(sim["h2o"]).m_as("")
    h2o_cross = float(sim["cross"]["H2O"])
    runs, ratios = [], []
    for seed in SEEDS:
        folder = tmp_path / f"seed{seed}"
        folder.mkdir()
        result = run_gas(folder, ndir_bench(folder, analyzer_sim(gain=gain, **NO_DRIFT)),
                         seed, NDIR_PROCEDURE)
        points = {p.point: p for p in by_test(result, "indication_error")}
        assert list(points) == ["zero/01", *LEVELS]
        for point, nominal in {"zero/01": 0.0, **LEVELS}.items():
            p = points[point]
            c = true_concentration(seed, nominal) if nominal else 0.0
            truth = (true_indication(c, gain=gain, offset=offset, h2o=h2o,
                                     h2o_cross=h2o_cross) - c) / FULL_SCALE * 100
            assert p.error.unit == "%" and p.mpe.value == pytest.approx(2.0)
            ratios.append(abs(p.error.value - truth) / p.expanded_uncertainty.value)
        runs.append((seed, points, result))
    assert max(ratios) <= 2.0, ratios
    assert sum(r <= 1.0 for r in ratios) >= 0.75 * len(ratios), ratios
    assert (sum(r * r for r in ratios) / len(ratios)) ** 0.5 <= 0.8, ratios
    return runs


def test_an_analyzer_reading_4_percent_high_fails_class_2(tmp_path: Path) -> None:
    for seed, points, result in errors_over_seeds(tmp_path, 1.04):
        top = points["indication/03"]          # 0.04 * 1600 + offset + water: ~ 3.4 %FS
        assert top.error.value == pytest.approx(3.4, abs=0.6), seed
        assert top.decision in ("fail", "conditional_fail"), top
        assert result.record.decision in ("fail", "conditional_fail")


def test_a_good_analyzer_passes_class_2(tmp_path: Path) -> None:
    for seed, points, result in errors_over_seeds(tmp_path, 1.0):
        for p in points.values():
            assert p.decision in ("pass", "conditional_pass"), (seed, p)
        assert result.record.decision == "pass"


def test_the_class_on_the_data_plate_chooses_the_limits(tmp_path: Path) -> None:
    """The same analyzer marked class 1: +-1 %FS, 0.5 % repeatability, 20 umol/mol drift."""
    def edit(data: dict[str, Any]) -> None:
        data["instruments"]["analyzer"]["options"]["accuracy_class"] = 1

    result = run_gas(tmp_path, ndir_bench(tmp_path, edit), 11, NDIR_PROCEDURE)
    assert [p.mpe.value for p in by_test(result, "indication_error")] == [1.0] * 4
    assert by_test(result, "repeatability")[0].mpe.value == pytest.approx(0.5)
    assert by_test(result, "zero_drift")[0].mpe.value == pytest.approx(20.0)


@pytest.mark.parametrize(("seed", "t90", "decision"), [(1, 24.0, "pass"), (2, 40.0, "fail")])
def test_a_t90_is_measured_within_u_and_judged_against_the_tables_30_s(
        tmp_path: Path, seed: int, t90: float, decision: str) -> None:
    def edit(data: dict[str, Any]) -> None:
        analyzer_sim(t90=f"{t90} s", **NO_DRIFT)(data)
        data["instruments"]["calibrator"]["sim"]["delay"] = "0 s"

    result = run_gas(tmp_path, ndir_bench(tmp_path, edit), seed, NDIR_PROCEDURE)
    (p,) = by_test(result, "response_time")       # the mean of three steps
    assert p.error.unit == "s" and p.mpe.value == pytest.approx(30.0)
    assert abs(p.error.value - t90) <= p.expanded_uncertainty.value, p
    assert len(p.details["trials"]) == 3
    assert p.decision == decision, p


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_an_injected_zero_drift_shows_in_the_drift_test(tmp_path: Path, seed: int) -> None:
    per_h = 60.0           # umol/mol per hour: 3 %FS/h, more than class 2's 2 %FS
    result = run_gas(tmp_path, ndir_bench(tmp_path, analyzer_sim(
        zero_drift_per_h=f"{per_h} umol/mol/h", span_drift_per_h="0 umol/mol/h")),
        seed, NDIR_PROCEDURE)
    (zero,) = by_test(result, "zero_drift")
    hours = zero.details["elapsed_s"] / 3600
    assert hours == pytest.approx(1.05, abs=0.1)
    truth = per_h * hours
    assert abs(zero.error.value - truth) <= zero.expanded_uncertainty.value, (zero, truth)
    assert zero.mpe.value == pytest.approx(40.0)
    assert zero.decision in ("fail", "conditional_fail")
    (span,) = by_test(result, "span_drift")    # the span reading carries the zero drift
    assert abs(span.error.value - truth) <= span.expanded_uncertainty.value, (span, truth)


def test_without_drift_the_drift_test_finds_none(tmp_path: Path) -> None:
    result = run_gas(tmp_path, ndir_bench(tmp_path, analyzer_sim(**NO_DRIFT)), 5,
                     NDIR_PROCEDURE)
    for test in ("zero_drift", "span_drift"):
        (p,) = by_test(result, test)
        assert abs(p.error.value) <= p.expanded_uncertainty.value, p
        assert p.decision == "pass"


# -- bad input ---------------------------------------------------------------------------
PLACE = r"gas-ndir-jjg635\.yaml:\d+:\d+: "
BEFORE = {
    "a set point above the cylinder": (
        ("--param", "span_fraction=1.2"), None,
        PLACE + r".*concentration 2400.*above what cylinder CYL-CO2-2000 \(2000 umol/mol "
                r"CO2\) can make"),
    "a cylinder of another component": (
        ("--param", "component=CO"), None,
        PLACE + r".*the procedure expects CO but cylinder CYL-CO2-2000 \(GBW\(E\)062310\) "
                r"holds CO2 in N2"),
    "an expired cylinder": (
        (), lambda text: text.replace("    calibrated: 2026-09-05\n    due: 2027-09-04",
                                      "    calibrated: 2025-09-05\n    due: 2026-09-04"),
        r"register\.yaml:\d+:\d+: standard 'CYL-CO2-2000' is out of calibration: due "
        r"2026-09-04"),
}


@pytest.mark.parametrize("case", list(BEFORE))
def test_refused_before_gas_flows(case: str, tmp_path: Path, calibrator: dict[str, Any],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    extra, register_edit, message = BEFORE[case]
    bench = ndir_bench(tmp_path, register_edit=register_edit)
    line = refused_before_start(NDIR_PROCEDURE, bench, tmp_path, capsys, calibrator["outputs"],
                                *extra)          # the outlet was never opened
    assert re.search(message, line), line


def test_an_analyzer_of_a_component_no_cylinder_holds_is_refused_before_gas_flows(
        tmp_path: Path, calibrator: dict[str, Any], capsys: pytest.CaptureFixture[str]
        ) -> None:
    def edit(data: dict[str, Any]) -> None:
        analyzer = data["instruments"]["analyzer"]
        analyzer["options"]["component"] = analyzer["sim"]["component"] = "CO"

    line = refused_before_start(NDIR_PROCEDURE, ndir_bench(tmp_path, edit), tmp_path, capsys,
                                calibrator["outputs"])
    assert re.search(r"sim-gas-ndir\.yaml:\d+:\d+: instrument 'analyzer': the analyzer "
                     r"measures CO but no cylinder of the bench holds it: CYL-CO2-2000 "
                     r"\(CO2\)", line), line


@pytest.mark.parametrize("dry_run", [False, True])
def test_an_analyzer_of_a_class_the_table_does_not_list_is_refused_before_gas_flows(
        dry_run: bool, tmp_path: Path, calibrator: dict[str, Any],
        capsys: pytest.CaptureFixture[str]) -> None:
    """Class 3 is not in JJG 635's table (1, 2, 5): refused at plan time (a dry run
    too), naming the procedure's limits table and the classes it has, not after the
    readings."""
    def edit(data: dict[str, Any]) -> None:
        data["instruments"]["analyzer"]["options"]["accuracy_class"] = 3

    line = refused_before_start(NDIR_PROCEDURE, ndir_bench(tmp_path, edit), tmp_path, capsys,
                                calibrator["outputs"], *(["--dry-run"] if dry_run else []))
    assert re.search(r"gas-ndir-jjg635\.yaml:\d+:\d+: the instrument under test has "
                     r"accuracy_class '3', but the limits table 'jjg635-2011' gives "
                     r"gas_indication_error only for accuracy_class 1, 2, 5 \(correct "
                     r"the instrument's accuracy_class in the bench file \(\S+"
                     r"sim-gas-ndir\.yaml:\d+:\d+\)", line), line


def test_an_analyzer_set_to_another_range_is_refused_before_gas_flows(
        tmp_path: Path, calibrator: dict[str, Any], capsys: pytest.CaptureFixture[str]
        ) -> None:
    bench = ndir_bench(tmp_path, analyzer_sim(range="5000 umol/mol"))
    assert run(NDIR_PROCEDURE, bench, tmp_path) == 2
    line = one_error_line(capsys)
    assert re.search(r"instrument 'analyzer'.*RANGE\?.*set to CO2, 0 \.\. 5000 umol/mol, "
                     r"its data plate says CO2, 0 \.\. 2000 umol/mol", line), line
    assert True not in calibrator["outputs"]


def test_an_analyzer_that_stops_answering_leaves_the_flows_off(
        tmp_path: Path, calibrator: dict[str, Any], capsys: pytest.CaptureFixture[str]
        ) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["instruments"]["analyzer"]["sim"]["faults"] = [
            {"kind": "disconnect", "at": "30 min"}]

    line = failed_with_flows_off(NDIR_PROCEDURE, ndir_bench(tmp_path, edit), tmp_path, capsys,
                                 calibrator)
    assert re.search(r"run \S+ failed: instrument 'analyzer'", line), line


def test_an_analyzer_still_warming_up_gives_no_reading_and_the_flows_shut(
        tmp_path: Path, calibrator: dict[str, Any], capsys: pytest.CaptureFixture[str]
        ) -> None:
    bench = ndir_bench(tmp_path, analyzer_sim(warmup="20 min"))
    line = failed_with_flows_off(NDIR_PROCEDURE, bench, tmp_path, capsys, calibrator)
    assert re.search(r"instrument 'analyzer'.*READ\?.*is warming up", line), line
