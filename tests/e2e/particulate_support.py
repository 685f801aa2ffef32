"""Helpers of the particulate end-to-end tests: the shipped PM bench with its monitor's
simulator changed, the shipped procedure with edits, and a run on the virtual clock.

Imported by name (``from particulate_support import ...``), like ``e2e_support``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from e2e_support import (
    ROOT,
    bench_editor,
    by_test,
    copy_text,
    run_virtual,
    sim_edit,
)

from labctl.calibration import CalibrationResult

PM_PROCEDURE = ROOT / "procedures" / "pm25-jjf1659.yaml"
PM_BENCH = ROOT / "benches" / "sim-pm25.yaml"
#: A monitor without offset, drift, humidity growth or nonlinearity: the true relative
#: error of one with gain g is g - 1 at every level.
CLEAN = {"offset": "0 ug/m^3", "drift": "0 ug/m^3/d", "kappa": 0.0, "nonlinearity": 0.0}


#: The shipped PM bench, its data changed by ``edit``, in ``folder`` with the register;
#: the run's seed drives every simulator.
pm_bench = bench_editor(PM_BENCH)


def monitor_sim(**changes: Any) -> Callable[[dict[str, Any]], None]:
    """An ``edit`` that sets the monitor's simulator parameters."""
    return sim_edit("monitor", **changes)


def pm_procedure(folder: Path, replace: Mapping[str, str] | None = None) -> Path:
    return copy_text(PM_PROCEDURE, folder / "pm25-jjf1659.yaml", replace)


def run_pm(folder: Path, bench: Path, seed: int, procedure: Path = PM_PROCEDURE,
           **parameters: Any) -> CalibrationResult:
    return run_virtual(folder, procedure, bench, seed, **parameters)


def an_8_percent_high_monitor_fails_5_percent(folder: Path, bench: Path,
                                              seed: int) -> CalibrationResult:
    """The shipped procedure, its indication-error limit set to 5 %, run with ``seed`` on
    ``bench``, whose monitor reads 8 % high (gain 1.08 and ``CLEAN``): each level's
    error lies within its U of the true 8 %, and each level and the record fail."""
    procedure = pm_procedure(folder, {
        "  - {analysis: concentration_error, steps: [levels], options: {reading: pm25}}":
        "  - {analysis: concentration_error, steps: [levels], options: {reading: pm25, "
        "limit: 5 %}}"})
    result = run_pm(folder, bench, seed, procedure)
    points = by_test(result, "indication_error")
    assert [p.point for p in points] == ["levels/01", "levels/02", "levels/03"]
    for p in points:
        assert p.error.unit == "%" and p.mpe.value == pytest.approx(5.0)
        assert abs(p.error.value - 8.0) <= p.expanded_uncertainty.value, p
        assert p.decision in ("fail", "conditional_fail"), p
    assert result.record.decision in ("fail", "conditional_fail")
    return result


def a_good_monitor_passes(folder: Path, bench: Path, seed: int) -> CalibrationResult:
    """The shipped procedure run with ``seed`` on ``bench``, whose monitor has no error
    (gain 1 and ``CLEAN``): each level's error lies within its U of 0 and passes."""
    result = run_pm(folder, bench, seed)
    errors = by_test(result, "indication_error")
    assert len(errors) == 3
    for p in errors:
        assert abs(p.error.value) <= p.expanded_uncertainty.value, p
        assert p.decision in ("pass", "conditional_pass")
    return result


__all__ = ["CLEAN", "PM_BENCH", "PM_PROCEDURE", "a_good_monitor_passes",
           "an_8_percent_high_monitor_fails_5_percent", "by_test", "monitor_sim",
           "pm_bench", "pm_procedure", "run_pm"]
