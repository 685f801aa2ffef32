"""Every all-simulated bench shipped in benches/ verifies its scale to JJG 539 with
every point passing: both scale protocols (MT-SICS and the A&D format) end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_support import PROCEDURE, ROOT

from labctl.calibration import CalibrationRequest, calibrate

SIMULATED = sorted((ROOT / "benches").glob("sim-scale*.yaml"))   # the scale benches


def test_there_is_a_simulated_bench_per_scale_protocol() -> None:
    names = {p.name for p in SIMULATED}
    assert {"sim-scale.yaml", "sim-scale-and.yaml"} <= names


@pytest.mark.parametrize("bench", SIMULATED, ids=lambda p: p.stem)
def test_the_shipped_simulated_bench_passes(bench: Path, tmp_path: Path) -> None:
    result = calibrate(CalibrationRequest(PROCEDURE, bench, runs_dir=tmp_path / "runs",
                                          registry=f"sqlite:///{tmp_path / 'r.db'}"))
    record = result.record
    assert record.decision == "pass"
    assert all(p.decision == "pass" for p in record.points)
    assert record.signature and record.hash
    driver = "and-scale" if bench.stem.endswith("-and") else "mtsics-scale"
    assert record.dut.driver == driver
    assert record.dut.data_plate["max"].value == pytest.approx(15.0)
