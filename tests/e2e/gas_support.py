"""Helpers of the gas end-to-end tests: the shipped combustible-gas bench with its
simulators changed, runs on the virtual clock, and the simulated truth (the cylinder's
and the MFCs' true values are seeded from the run's seed, as the simulators draw them).

Imported by name (``from gas_support import ...``), like ``e2e_support``."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from e2e_support import REGISTER, ROOT, registry_url

from labctl.calibration import CalibrationRequest, CalibrationResult, calibrate
from labctl.clock import VirtualClock
from labctl.sim.world import World

GAS_PROCEDURE = ROOT / "procedures" / "gas-combustible-jjg693.yaml"
GAS_BENCH = ROOT / "benches" / "sim-gas-combustible.yaml"
CLEAN = {"offset": "0 %LEL", "zero_drift_per_h": "0 %LEL/h", "span_drift_per_h": "0 %LEL/h"}


def gas_bench(folder: Path, edit: Callable[[dict[str, Any]], None] | None = None,
              register_edit: Callable[[str], str] | None = None) -> Path:
    """The shipped gas bench, its data changed by ``edit``, in ``folder`` with the
    register (its text changed by ``register_edit``). The simulators' own seeds are
    dropped, so the run's seed drives them all."""
    data = yaml.safe_load(GAS_BENCH.read_text(encoding="utf-8"))
    for inst in data["instruments"].values():
        (inst.get("sim") or {}).pop("seed", None)
    if edit is not None:
        edit(data)
    text = REGISTER.read_text(encoding="utf-8")
    (folder / "register.yaml").write_text(register_edit(text) if register_edit else text,
                                          encoding="utf-8")
    path = folder / "sim-gas-combustible.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def detector_sim(**changes: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        data["instruments"]["detector"]["sim"].update(changes)
    return edit


def run_gas(folder: Path, bench: Path, seed: int, procedure: Path = GAS_PROCEDURE,
            **parameters: Any) -> CalibrationResult:
    result = calibrate(CalibrationRequest(procedure, bench, registry=registry_url(folder),
                                          seed=seed, parameters=parameters,
                                          runs_dir=folder / "runs"))
    assert result.virtual_clock
    assert result.delivery.ok
    return result


def by_test(result: CalibrationResult, test: str) -> list[Any]:
    return [p for p in result.points if p.test == test]


def true_concentration(seed: int, nominal_lel: float, *, c0: float = 0.04, U: float = 4e-4,
                       k: float = 2.0, lel: float = 0.05, total: float = 1.0,
                       flow_u: float = 0.005) -> float:
    """The concentration (%LEL) the simulated calibrator truly makes for a set point of
    ``nominal_lel`` on the shipped bench run with ``seed``: the cylinder's true value and
    the MFCs' true errors drawn as the simulators draw them."""
    world = World(VirtualClock(), seed)
    c0_true = c0 + float(world.rng("gas-cylinder/CYL-CH4-01").normal(0.0, U / k))
    es, ed = world.rng("gas-dilution-calibrator").normal(0.0, flow_u, size=2)
    r = nominal_lel / 100 * lel / c0
    qs, qd = r * total * (1 + es), (1 - r) * total * (1 + ed)
    return float(c0_true * qs / (qs + qd) / lel * 100)


__all__ = ["CLEAN", "GAS_BENCH", "GAS_PROCEDURE", "ROOT", "by_test", "detector_sim",
           "gas_bench", "np", "run_gas", "shutil", "true_concentration"]
