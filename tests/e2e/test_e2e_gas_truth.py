"""Truth: errors set on the simulated combustible-gas detector come back out of the whole
chain (``procedures/gas-combustible-jjg693.yaml`` on copies of
``benches/sim-gas-combustible.yaml``), over several seeds. The run's seed drives every
simulator: the detector's noise, the cylinder's true value within its certificate and
the MFCs' true errors within their calibration; ``true_concentration`` draws them the
same way, so the true fiducial error (g - 1) c_true / FS must lie within the reported U.

U is an expanded uncertainty at about 95 % coverage and the truth is drawn within the
certificates' uncertainties, so a run may honestly miss once in twenty; the points of
one run share its cylinder and MFC draws, so they miss together. Over the seeds of a
test at most one run may have points outside U, and no point lies beyond 2 U (about
4 sigma: with three readings a point's Type A part is itself uncertain).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gas_support import CLEAN, by_test, detector_sim, gas_bench, run_gas, true_concentration

SEEDS = (1, 2, 3, 4)
LEVELS = {"indication/01": 10.0, "indication/02": 40.0, "indication/03": 60.0}


def errors_over_seeds(tmp_path: Path, gain: float) -> list[tuple[int, dict[str, object]]]:
    """Runs over SEEDS; the points of each, with their distance to the truth checked."""
    runs, ratios, missed = [], [], []
    for seed in SEEDS:
        folder = tmp_path / f"seed{seed}"
        folder.mkdir()
        result = run_gas(folder, gas_bench(folder, detector_sim(gain=gain, **CLEAN)), seed)
        points = {p.point: p for p in by_test(result, "indication_error")}
        assert list(points) == ["zero/01", *LEVELS]
        for point, nominal in LEVELS.items():
            p = points[point]
            truth = (gain - 1) * true_concentration(seed, nominal)  # %FS of 100 %LEL
            assert p.error.unit == "%" and p.mpe.value == pytest.approx(5.0)
            ratios.append(abs(p.error.value - truth) / p.expanded_uncertainty.value)
            names = {c["name"] for c in p.budget["components"]}
            assert {"C_dut", "dRes", "c0", "Qs", "Qd"} <= names
        runs.append((seed, points, result))
        if max(ratios[-len(LEVELS):]) > 1.0:
            missed.append(seed)
    assert max(ratios) <= 2.0, ratios
    assert len(missed) <= 1, (missed, ratios)
    return runs


def test_a_detector_reading_10_percent_low_fails_at_60_percent_fs(tmp_path: Path) -> None:
    for seed, points, result in errors_over_seeds(tmp_path, 0.90):
        top = points["indication/03"]
        assert top.error.value == pytest.approx(-6.0, abs=1.0), seed
        assert top.decision in ("fail", "conditional_fail"), top
        assert result.record.decision in ("fail", "conditional_fail")


def test_a_detector_reading_3_percent_low_passes(tmp_path: Path) -> None:
    for seed, points, _ in errors_over_seeds(tmp_path, 0.97):
        for p in points.values():
            assert p.decision in ("pass", "conditional_pass"), (seed, p)
        assert points["indication/03"].error.value == pytest.approx(-1.8, abs=1.0)


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_a_t90_of_45_s_is_measured_within_u_and_fails_a_pumped_detector(
        tmp_path: Path, seed: int) -> None:
    def edit(data: dict) -> None:
        detector_sim(gain=1.0, t90="45 s", **CLEAN)(data)
        data["instruments"]["calibrator"]["sim"]["delay"] = "0 s"
        data["instruments"]["detector"]["options"]["sampling"] = "pumped"

    result = run_gas(tmp_path, gas_bench(tmp_path, edit), seed)
    (p,) = by_test(result, "response_time")    # JJG 693: the mean of three steps
    assert p.error.unit == "s" and p.mpe.value == pytest.approx(30.0)
    assert abs(p.error.value - 45.0) <= p.expanded_uncertainty.value, p
    assert p.decision == "fail", p
    trials = p.details["trials"]
    assert len(trials) == 3
    for trial in trials:
        assert abs(trial["t90_s"] - 45.0) <= trial["U_s"], trial
    assert {c["name"] for c in p.budget["components"]} == {"T1", "T2", "T3"}


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_a_diffusion_detector_with_t90_45_s_passes_60_s(tmp_path: Path, seed: int) -> None:
    bench = gas_bench(tmp_path, detector_sim(t90="45 s", **CLEAN))
    (p,) = by_test(run_gas(tmp_path, bench, seed), "response_time")
    assert p.mpe.value == pytest.approx(60.0)
    assert p.error.value == pytest.approx(47.0, abs=2.0)     # 2 s line delay + 45 s
    assert p.decision == "pass", p


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_an_injected_zero_drift_shows_in_the_drift_test(tmp_path: Path, seed: int) -> None:
    changes = {**CLEAN, "zero_drift_per_h": "0.5 %LEL/h"}
    result = run_gas(tmp_path, gas_bench(tmp_path, detector_sim(**changes)), seed)
    zero = by_test(result, "zero_drift")
    assert len(zero) == 1
    p = zero[0]
    hours = p.details["elapsed_s"] / 3600
    truth = 0.5 * hours
    assert hours == pytest.approx(1.0, abs=0.15)
    assert abs(p.error.value - truth) <= p.expanded_uncertainty.value, (p, truth)
    assert p.error.value > 0.0
    assert p.mpe.value == pytest.approx(3.0)  # 3 % of the 100 %LEL range
    span = by_test(result, "span_drift")
    assert len(span) == 1 and abs(span[0].error.value - truth) <= \
        span[0].expanded_uncertainty.value


def test_without_drift_the_drift_test_finds_none(tmp_path: Path) -> None:
    result = run_gas(tmp_path, gas_bench(tmp_path, detector_sim(**CLEAN)), 5)
    p = by_test(result, "zero_drift")[0]
    assert abs(p.error.value) <= p.expanded_uncertainty.value, p

