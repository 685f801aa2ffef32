"""The cooking-fume procedure on its simulated duct: truth over seeds (a monitor with a
gain and a velocity effect is found within U at both velocities), the shipped bench as
shipped, and bad input (a concentration where a velocity is due, a velocity outside the
fan's range, a monitor without its platform's fume code)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from e2e_support import (
    REGISTER,
    ROOT,
    copy_text,
    edited_bench,
    one_error_line,
    run_cli,
    run_virtual,
    sim_edit,
)
from particulate_support import by_test

PROCEDURE = ROOT / "procedures" / "fume-monitor.yaml"
BENCH = ROOT / "benches" / "sim-fume.yaml"


def fume_bench(folder: Path, **monitor: Any) -> Path:
    return edited_bench(folder, BENCH, sim_edit("monitor", **monitor))


@pytest.mark.parametrize("seed", (1, 2))
def test_gain_and_velocity_effect_are_found_within_u(tmp_path: Path, seed: int) -> None:
    bench = fume_bench(tmp_path, gain=1.12, offset="0 mg/m^3", drift="0 mg/m^3/d",
                       velocity_coefficient="0.03 s/m")
    result = run_virtual(tmp_path, PROCEDURE, bench, seed)
    errors = by_test(result, "indication_error")
    assert len(errors) == 6
    for p, velocity in zip(errors, (4.6,) * 3 + (6.2,) * 3, strict=True):
        truth = 100 * (1.12 * (1 + 0.03 * (velocity - 5.0)) - 1)   # +10.7 %, +16.0 %
        assert abs(p.error.value - truth) <= p.expanded_uncertainty.value, (p, truth)
        assert p.mpe.value == pytest.approx(20.0) and "no national document" in p.notes
    drift = by_test(result, "zero_drift")
    assert len(drift) == 1 and abs(drift[0].error.value) <= drift[0].expanded_uncertainty.value


def test_the_shipped_fume_bench_passes(tmp_path: Path) -> None:
    result = run_virtual(tmp_path, PROCEDURE, BENCH)
    assert result.record.decision == "pass"
    assert result.record.dut.driver == "hj212-fume-monitor"
    assert [p.test for p in result.record.points] == (
        ["zero", "zero"] + ["indication_error"] * 6 + ["repeatability", "zero_drift"])


@pytest.mark.parametrize(("old", "new", "message"), [
    ("      - {velocity: 6.2 m/s, level: 2 mg/m^3}",
     "      - {velocity: 6.2 mg/m^3, level: 2 mg/m^3}",
     r"fume-monitor\.yaml:\d+:\d+: set at levels/05: velocity 6\.2 mg/m³: .*does not fit"),
    ("      - {velocity: 6.2 m/s, level: 5 mg/m^3}",
     "      - {velocity: 16 m/s, level: 5 mg/m^3}",
     r"fume-monitor\.yaml:\d+:\d+: set at levels/06: velocity 16(\.0)? m/s: .*outside the limits"),
])
def test_bad_set_points_are_refused_before_anything_moves(
        old: str, new: str, message: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    procedure = copy_text(PROCEDURE, tmp_path / "fume-monitor.yaml", {old: new})
    assert run_cli(procedure, BENCH, tmp_path) == 2
    err = one_error_line(capsys)
    assert re.search(message, err), err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_a_fume_monitor_needs_its_platform_s_code(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    copy_text(REGISTER, tmp_path / "register.yaml")
    bench = copy_text(BENCH, tmp_path / "sim-fume.yaml", {
        "      codes: {fume: ofume, velocity: ovel}\n      resolution":
        "      resolution"})
    assert run_cli(PROCEDURE, bench, tmp_path) == 2
    err = capsys.readouterr().err.strip()
    assert re.search(r"codes: no HJ 212 code for 'fume': it differs between platforms", err), err
