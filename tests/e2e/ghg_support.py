"""Helpers of the greenhouse-gas end-to-end tests: the shipped bench (``sim-ghg.yaml``)
with its simulators changed, runs on the virtual clock, and the simulated truth: the
cylinders' true contents (drawn from the run's seed as the selector's driver draws
them) and the analyzer's true response (``channel_truth`` of its simulator, with the
bench's parameters), at the time of each journalled reading.

Imported by name (``from ghg_support import ...``), like ``e2e_support``."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from e2e_support import ROOT, bench_editor, copy_text, journal_events, run_virtual

from labctl.calibration import CalibrationResult
from labctl.clock import VirtualClock
from labctl.drivers.gas.selector import true_contents
from labctl.register import load_register
from labctl.sim.gas.analyzer_model import AnalyzerErrors
from labctl.sim.gas.ghg_sim import CHANNELS, Water, channel_truth
from labctl.sim.world import World
from labctl.units import parse_quantity

GHG_PROCEDURE = ROOT / "procedures" / "ghg-multipoint.yaml"
GHG_BENCH = ROOT / "benches" / "sim-ghg.yaml"
UNITS = {"CO2": "umol/mol", "CH4": "nmol/mol"}
SCALE = {"CO2": 1e6, "CH4": 1e9}


#: The shipped bench, changed by ``edit``, in ``folder`` with the register; the run's
#: seed drives every simulator.
ghg_bench = bench_editor(GHG_BENCH)


def ghg_procedure(folder: Path, replace: dict[str, str]) -> Path:
    """The shipped procedure with its text changed (``old -> new``, each once), in
    ``folder``."""
    return copy_text(GHG_PROCEDURE, folder / GHG_PROCEDURE.name, replace)


def analyzer_sim(component: str, **changes: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        data["instruments"]["analyzer"]["sim"][component.lower()].update(changes)
    return edit


def run_ghg(folder: Path, bench: Path, seed: int,
            procedure: Path = GHG_PROCEDURE) -> CalibrationResult:
    return run_virtual(folder, procedure, bench, seed)


def by_test(result: CalibrationResult, test: str, component: str) -> list[Any]:
    return [p for p in result.points if p.test == test
            and p.details.get("component") == component]


class Truth:
    """The simulated truth of one run: cylinders and analyzer response."""

    def __init__(self, bench: Path, seed: int) -> None:
        data = yaml.safe_load(bench.read_text(encoding="utf-8"))
        register = load_register(bench.parent / "register.yaml")
        world = World(VirtualClock(), seed)
        self.contents = {cid: true_contents(register.standard(cid), world)
                         for cid in data["standards"]}
        sim = data["instruments"]["analyzer"]["sim"]
        self.water = Water(float(parse_quantity(sim.get("h2o", "0 %vol")).m_as("")),
                           float(sim.get("water_correction", 1.0)))
        self.channels: dict[str, tuple[AnalyzerErrors, float, float]] = {}
        for component, (key, unit, _, _) in CHANNELS.items():
            block = sim.get(key) or {}

            def number(name: str, default: str, unit: str = unit,
                       block: dict[str, Any] = block) -> float:
                return float(parse_quantity(str(block.get(name, default))).m_as(unit))

            errors = AnalyzerErrors(
                component=component, gain=float(block.get("gain", 1.0)),
                offset=number("offset", f"0 {unit}"),
                zero_drift_per_h=number("zero_drift_per_h", f"0 {unit}/h", f"{unit}/h"),
                span_drift_per_h=number("span_drift_per_h", f"0 {unit}/h", f"{unit}/h"),
                full_scale=number("range", "1000 umol/mol" if key == "co2" else
                                  "5000 nmol/mol"))
            nl = number("nonlinearity", f"0 mol/{unit.split('/')[0]}",
                        f"mol/{unit.split('/')[0]}")
            centre = number("nonlinearity_centre", f"0 {unit}")
            self.channels[component] = (errors, nl, centre)

    def x(self, cylinder: str, component: str) -> float:
        """The cylinder's true amount fraction, in the component's unit."""
        return self.contents[cylinder][component] * SCALE[component]

    def response(self, component: str, x: float, hours: float) -> float:
        errors, nl, centre = self.channels[component]
        return channel_truth(errors, nl, centre, self.water, x, hours)

    def mean_response(self, result: CalibrationResult, point: str, component: str) -> float:
        """The analyzer's true mean response over the readings of a point (the cell
        settled: the flush is 20 T90)."""
        events = journal_events(result.journal_path)
        start = next(e["t"] for e in events if e.get("type") == "run_started")
        cylinder = next(e["cylinder"] for e in events
                        if e.get("type") == "cylinder_selected" and e["point"] == point)
        times = [e["t"] for e in events if e.get("type") == "reading" and e["point"] == point]
        x = self.x(cylinder, component)
        return statistics.fmean(self.response(component, x, (t - start) / 3600)
                                for t in times)

    def mid_run_hours(self, result: CalibrationResult) -> float:
        """The mean time of the run's readings, in hours after its start (the drift the
        fitted function averages over)."""
        events = journal_events(result.journal_path)
        start = next(e["t"] for e in events if e.get("type") == "run_started")
        return statistics.fmean(e["t"] - start for e in events
                                if e.get("type") == "reading") / 3600

    def true_reading(self, component: str, y: float, hours: float) -> float:
        """The true amount fraction that makes the analyzer show ``y`` (no noise)."""
        from scipy.optimize import brentq

        return float(brentq(lambda x: self.response(component, x, hours) - y,
                            0.5 * y, 1.5 * y, xtol=1e-12))


__all__ = ["GHG_BENCH", "GHG_PROCEDURE", "UNITS", "Truth", "analyzer_sim", "by_test",
           "ghg_bench", "ghg_procedure", "run_ghg"]
