"""Helpers of the particulate end-to-end tests: the shipped PM bench with its monitor's
simulator changed, the shipped procedure with edits, and a run on the virtual clock.

Imported by name (``from particulate_support import ...``), like ``e2e_support``."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from e2e_support import REGISTER, ROOT, copy_text, registry_url

from labctl.calibration import CalibrationRequest, CalibrationResult, calibrate

PM_PROCEDURE = ROOT / "procedures" / "pm25-jjf1659.yaml"
PM_BENCH = ROOT / "benches" / "sim-pm25.yaml"


def pm_bench(folder: Path, edit: Callable[[dict[str, Any]], None] | None = None,
             *, name: str = "sim-pm25.yaml") -> Path:
    """The shipped PM bench, its data changed by ``edit``, in ``folder`` with the
    register. The simulators' own seeds are dropped, so the run's seed drives them all."""
    data = yaml.safe_load(PM_BENCH.read_text(encoding="utf-8"))
    for inst in data["instruments"].values():
        (inst.get("sim") or {}).pop("seed", None)
    if edit is not None:
        edit(data)
    shutil.copy(REGISTER, folder / "register.yaml")
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def monitor_sim(**changes: Any) -> Callable[[dict[str, Any]], None]:
    """An ``edit`` that sets the monitor's simulator parameters."""
    def edit(data: dict[str, Any]) -> None:
        data["instruments"]["monitor"]["sim"].update(changes)
    return edit


def pm_procedure(folder: Path, replace: Mapping[str, str] | None = None) -> Path:
    return copy_text(PM_PROCEDURE, folder / "pm25-jjf1659.yaml", replace)


def run_pm(folder: Path, bench: Path, seed: int, procedure: Path = PM_PROCEDURE,
           **parameters: Any) -> CalibrationResult:
    result = calibrate(CalibrationRequest(procedure, bench, registry=registry_url(folder),
                                          seed=seed, parameters=parameters,
                                          runs_dir=folder / "runs"))
    assert result.virtual_clock
    assert result.delivery.ok
    return result


def by_test(result: CalibrationResult, test: str) -> list[Any]:
    return [p for p in result.points if p.test == test]
