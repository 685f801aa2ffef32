"""The CO procedure (JJG 915-2008) on the Modbus RTU detector bench
(``benches/sim-gas-co-modbus.yaml``): the shipped bench stores a passing record, and a
detector reading 15 % high fails +-10 % with the simulated truth inside the reported U;
the alarm register raises the reading's alarm flag."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from e2e_support import REGISTER, ROOT, journal_events, only_run, registry_url

from labctl.calibration import CalibrationRequest, calibrate
from labctl.clock import VirtualClock
from labctl.sim.world import World

CO_PROCEDURE = ROOT / "procedures" / "gas-co-jjg915.yaml"
MODBUS_BENCH = ROOT / "benches" / "sim-gas-co-modbus.yaml"
CLEAN = {"offset": "0 umol/mol", "zero_drift_per_h": "0 umol/mol/h",
         "span_drift_per_h": "0 umol/mol/h"}


def bench(folder: Path, **sim: object) -> Path:
    data = yaml.safe_load(MODBUS_BENCH.read_text(encoding="utf-8"))
    for inst in data["instruments"].values():
        inst["sim"].pop("seed", None)
    data["instruments"]["detector"]["sim"].update(sim)
    (folder / "register.yaml").write_text(REGISTER.read_text(encoding="utf-8"),
                                          encoding="utf-8")
    path = folder / "sim-gas-co-modbus.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def true_co(seed: int, nominal: float) -> float:
    """The CO amount fraction (umol/mol) the simulated calibrator truly makes (drawn as
    the calibrator's simulator draws it: see tests/e2e/test_e2e_gas_co.py)."""
    world = World(VirtualClock(), seed)
    c0 = 1000.0 + float(world.rng("gas-cylinder/CYL-CO-01").normal(0.0, 5.0))
    es, ed = world.rng("gas-dilution-calibrator").normal(0.0, 0.005, size=2)
    r = nominal / 1000.0
    qs, qd = r * (1 + es), (1 - r) * (1 + ed)
    return c0 * qs / (qs + qd)


def run(folder: Path, path: Path, seed: int | None = None):
    result = calibrate(CalibrationRequest(CO_PROCEDURE, path, registry=registry_url(folder),
                                          seed=seed, runs_dir=folder / "runs"))
    assert result.delivery.ok
    return result


def test_the_shipped_modbus_co_bench_stores_a_passing_record(tmp_path: Path) -> None:
    result = run(tmp_path, MODBUS_BENCH)
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
        result = run(folder, bench(folder, gain=1.15, **CLEAN), seed)
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
