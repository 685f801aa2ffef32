"""The shipped gas bench runs the shipped JJG 693 procedure out of the box to a signed,
stored record whose points and standards say what the issue asks."""

from __future__ import annotations

from pathlib import Path

import pytest
from gas_support import GAS_BENCH, GAS_PROCEDURE

from labctl.calibration import CalibrationRequest, calibrate


def test_the_shipped_gas_bench_stores_a_record(tmp_path: Path) -> None:
    result = calibrate(CalibrationRequest(GAS_PROCEDURE, GAS_BENCH, runs_dir=tmp_path / "runs",
                                          registry=f"sqlite:///{tmp_path / 'r.db'}"))
    assert result.delivery.ok
    record = result.record
    assert record.signature and record.hash
    assert record.decision == "pass"
    tests = [p.test for p in record.points]
    for name in ("indication_error", "repeatability", "response_time", "zero_drift",
                 "span_drift", "alarm_action_value"):
        assert name in tests, tests
    errors = [p for p in record.points if p.test == "indication_error"]
    assert [p.nominal.value for p in errors] == pytest.approx([0.0, 10.0, 40.0, 60.0])
    for p in errors:
        assert p.nominal.unit == errors[0].nominal.unit and "LEL" in p.nominal.unit
        assert p.error.unit == "%" and p.mpe.value == pytest.approx(5.0)
        assert p.expanded_uncertainty.value > 0
    ids = {s.register_id for s in record.standards}
    assert {"GDC-01", "CYL-CH4-01"} <= ids
    cylinder = next(s for s in record.standards if s.register_id == "CYL-CH4-01")
    assert "GBW(E)061671" in cylinder.description and "CH4 in air" in cylinder.description
    assert cylinder.expanded_uncertainty.value == pytest.approx(400.0)
    assert record.dut.data_plate["sampling"] == "diffusion"
