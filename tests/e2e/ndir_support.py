"""Helpers of the NDIR end-to-end tests: the shipped NDIR bench with its simulators
changed, and the simulated truth (the cylinder's and the MFCs' true values, seeded from
the run's seed as the simulators draw them).

Imported by name (``from ndir_support import ...``), like ``gas_support``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from e2e_support import ROOT, bench_editor, sim_edit
from gas_support import diluted_truth

NDIR_PROCEDURE = ROOT / "procedures" / "gas-ndir-jjg635.yaml"
NDIR_BENCH = ROOT / "benches" / "sim-gas-ndir.yaml"
CYLINDER = "CYL-CO2-2000"
FULL_SCALE = 2000.0            # umol/mol, the analyzer's range on the shipped bench
NO_DRIFT = {"zero_drift_per_h": "0 umol/mol/h", "span_drift_per_h": "0 umol/mol/h"}


#: The shipped NDIR bench, its data changed by ``edit``, in ``folder`` with the register
#: (its text changed by ``register_edit``); the run's seed drives every simulator.
ndir_bench = bench_editor(NDIR_BENCH)


def analyzer_sim(**changes: Any) -> Callable[[dict[str, Any]], None]:
    return sim_edit("analyzer", **changes)


def shipped_sim() -> dict[str, Any]:
    """The analyzer's ``sim:`` block as shipped."""
    data = yaml.safe_load(NDIR_BENCH.read_text(encoding="utf-8"))
    return dict(data["instruments"]["analyzer"]["sim"])


def true_concentration(seed: int, nominal: float, *, c0: float = 2000e-6,
                       U_rel: float = 0.005, k: float = 2.0, flow_u: float = 0.005) -> float:
    """The CO2 amount fraction (umol/mol) the simulated calibrator truly makes for a set
    point of ``nominal`` umol/mol on the shipped NDIR bench run with ``seed``."""
    return diluted_truth(seed, CYLINDER, c0, U_rel * c0 / k, nominal * 1e-6 / c0,
                         flow_u=flow_u) * 1e6


def true_indication(c: float, *, gain: float, offset: float, h2o: float,
                    h2o_cross: float) -> float:
    """What the simulated analyzer truly shows (umol/mol, no drift) for ``c`` umol/mol of
    CO2 in a sample holding the amount fraction ``h2o`` of water vapour."""
    return gain * (c * (1.0 - h2o) + h2o_cross * h2o * 1e6) + offset
