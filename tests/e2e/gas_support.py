"""Helpers of the gas end-to-end tests: the shipped combustible-gas bench with its
simulators changed, runs on the virtual clock, and the simulated truth (the cylinder's
and the MFCs' true values are seeded from the run's seed, as the simulators draw them).

Imported by name (``from gas_support import ...``), like ``e2e_support``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from e2e_support import (
    ROOT,
    bench_editor,
    by_test,
    failed_with_output_off,
    run_virtual,
    sim_edit,
)

from labctl.calibration import CalibrationResult
from labctl.clock import VirtualClock
from labctl.sim.world import World

GAS_PROCEDURE = ROOT / "procedures" / "gas-combustible-jjg693.yaml"
GAS_BENCH = ROOT / "benches" / "sim-gas-combustible.yaml"
CLEAN = {"offset": "0 %LEL", "zero_drift_per_h": "0 %LEL/h", "span_drift_per_h": "0 %LEL/h"}
CO_PROCEDURE = ROOT / "procedures" / "gas-co-jjg915.yaml"
#: A CO detector without offset or drift (the benches ``sim-gas-co*.yaml``).
CO_CLEAN = {"offset": "0 umol/mol", "zero_drift_per_h": "0 umol/mol/h",
            "span_drift_per_h": "0 umol/mol/h"}


#: The shipped gas bench, its data changed by ``edit``, in ``folder`` with the register
#: (its text changed by ``register_edit``); the run's seed drives every simulator.
gas_bench = bench_editor(GAS_BENCH)


def detector_sim(**changes: Any) -> Callable[[dict[str, Any]], None]:
    return sim_edit("detector", **changes)


def run_gas(folder: Path, bench: Path, seed: int, procedure: Path = GAS_PROCEDURE,
            **parameters: Any) -> CalibrationResult:
    return run_virtual(folder, procedure, bench, seed, **parameters)


def failed_with_flows_off(procedure: Path, bench: Path, folder: Path, capsys: Any,
                          calibrator: dict[str, Any], *extra: str) -> str:
    """``labctl run`` failed during the run, its journal closed as failed, and the gas
    calibrator (the ``calibrator`` fixture) opened during the run and shut at its end: no
    gas flows. The one error line."""
    line, _ = failed_with_output_off(procedure, bench, folder, capsys, calibrator, *extra)
    device = calibrator["bench"].devices["calibrator"]
    assert device.on is False and device.true_flows() == (0.0, 0.0), line
    assert device.line.compositions[-1] == {}, line
    return line


def diluted_truth(seed: int, cylinder: str, c0: float, u_c0: float, fraction: float, *,
                  flow_u: float = 0.005) -> float:
    """What the simulated dilution calibrator truly makes (in ``c0``'s unit) from
    ``cylinder``, certified at ``c0`` with the standard uncertainty ``u_c0``, at the
    source-flow fraction ``fraction`` of the total, on a bench run with ``seed``: the
    cylinder's true content and the MFCs' true errors (``flow_u``) drawn as the
    simulators draw them."""
    world = World(VirtualClock(), seed)
    c0_true = c0 + float(world.rng(f"gas-cylinder/{cylinder}").normal(0.0, u_c0))
    es, ed = world.rng("gas-dilution-calibrator").normal(0.0, flow_u, size=2)
    qs, qd = fraction * (1 + es), (1 - fraction) * (1 + ed)
    return float(c0_true * qs / (qs + qd))


def true_concentration(seed: int, nominal_lel: float, *, c0: float = 0.04, U: float = 4e-4,
                       k: float = 2.0, lel: float = 0.05, flow_u: float = 0.005) -> float:
    """The concentration (%LEL) the simulated calibrator truly makes for a set point of
    ``nominal_lel`` on the shipped bench (cylinder CYL-CH4-01) run with ``seed``."""
    fraction = nominal_lel / 100 * lel / c0
    return diluted_truth(seed, "CYL-CH4-01", c0, U / k, fraction, flow_u=flow_u) / lel * 100


def true_co(seed: int, nominal: float) -> float:
    """The CO amount fraction (umol/mol) the simulated calibrator truly makes for a set
    point of ``nominal`` umol/mol from CYL-CO-01 (1000 umol/mol, u 5 umol/mol) on the
    shipped CO benches run with ``seed``."""
    return diluted_truth(seed, "CYL-CO-01", 1000.0, 5.0, nominal / 1000.0)


__all__ = ["CLEAN", "CO_CLEAN", "CO_PROCEDURE", "GAS_BENCH", "GAS_PROCEDURE", "ROOT", "by_test",
           "detector_sim", "diluted_truth", "failed_with_flows_off", "gas_bench", "run_gas",
           "true_co", "true_concentration"]
