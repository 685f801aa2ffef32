"""The CO procedure (JJG 915-2008) on the Modbus RTU detector bench
(``benches/sim-gas-co-modbus.yaml``): the shipped bench stores a passing record, and a
detector reading 15 % high fails +-10 % with the simulated truth inside the reported U;
the alarm register raises the reading's alarm flag."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_support import ROOT, bench_editor, journal_events, only_run, run_virtual
from gas_support import CO_CLEAN, CO_PROCEDURE, detector_sim, true_co

MODBUS_BENCH = ROOT / "benches" / "sim-gas-co-modbus.yaml"
modbus_bench = bench_editor(MODBUS_BENCH)


def test_the_shipped_modbus_co_bench_stores_a_passing_record(tmp_path: Path) -> None:
    result = run_virtual(tmp_path, CO_PROCEDURE, MODBUS_BENCH)
    assert result.record.decision == "pass"
    assert result.record.dut.driver == "modbus-gas-detector"
    assert result.record.dut.serial == "26030311"
    errors = [p for p in result.record.points if p.test == "indication_error"]
    assert [p.nominal.value for p in errors] == pytest.approx([0.0, 200.0, 500.0, 800.0])
    # the detector's alarm (50 umol/mol) is on at the span levels, and its register says so
    readings = [e for e in journal_events(only_run(tmp_path / "runs"))
                if e["type"] == "reading" and e.get("role") == "dut"]
    flagged = [r for r in readings if "alarm" in (r.get("flags") or [])]
    assert flagged and len(flagged) < len(readings)


def test_a_modbus_detector_reading_15_percent_high_fails_within_u(tmp_path: Path) -> None:
    missed, worst = [], 0.0
    for seed in (1, 2, 3, 4):
        folder = tmp_path / f"s{seed}"
        folder.mkdir()
        bench = modbus_bench(folder, detector_sim(gain=1.15, **CO_CLEAN))
        result = run_virtual(folder, CO_PROCEDURE, bench, seed)
        points = [p for p in result.points if p.test == "indication_error"
                  and p.nominal.value > 0]
        assert len(points) == 3
        ratios = []
        for p in points:
            truth = 0.15 * true_co(seed, p.nominal.value)
            ratios.append(abs(p.error.value - truth) / p.expanded_uncertainty.value)
            assert p.decision in ("fail", "conditional_fail"), p
        assert result.record.decision in ("fail", "conditional_fail")
        worst = max(worst, *ratios)
        if max(ratios) > 1.0:
            missed.append(seed)
    # as the CO truth test: a run's points share its draws (the cylinder's, the flows'),
    # so at most one run of four may have a point just outside U (measured: seed 1, 1.14)
    assert worst <= 1.5 and len(missed) <= 1, (worst, missed)
