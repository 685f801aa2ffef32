"""What one weighing analysis works with: the step's view, the data plate, the standards,
the MPE table and the options, bundled, with the lookups every analysis needs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from labctl.analysis.options import Options
from labctl.analysis.weighing.error_budget import WeightTerms
from labctl.analysis.weighing.indication import Indication, indication_of
from labctl.analysis.weighing.journal_view import PointView, Reading, StepView
from labctl.analysis.weighing.plate import ScalePlate
from labctl.analysis.weighing.weighing_mpe import MpeTable
from labctl.results import PointResult

AnalysisFunction = Callable[[StepView, Any, Mapping[str, Any], MpeTable, Options],
                            list[PointResult]]
"""``(step_view, dut, standards, mpe_table, options) -> points``: pure, no I/O."""

#: Options the weighing analyses share (names of readings, steps to borrow from).
WEIGHING_DEFAULTS: dict[str, Any] = {
    "reading": "indication",              # the `as` of the read giving the indication
    "change_point_reading": "change_point",  # the `as` of the change_point action
    "zero_step": None,                    # step whose change-point zero error E0 corrects
    "repeatability_step": None,           # step whose s enters the budgets
    "eccentricity_step": None,            # step whose spread enters the budgets
}


@dataclass(frozen=True)
class Context:
    view: StepView
    plate: ScalePlate
    standards: Mapping[str, Any]
    table: MpeTable
    options: Options

    @classmethod
    def create(cls, view: StepView, dut: Any, standards: Mapping[str, Any], table: MpeTable,
               options: Options) -> Context:
        return cls(view, ScalePlate.from_data(dut), standards, table, options)

    @property
    def category(self) -> str:
        return str(self.options["category"])

    @property
    def correlation(self) -> float:
        return float(self.options["weight_correlation"])

    def mpe(self, load: float) -> float:
        """MPE for a load (plate unit) for the scale's class and the run's category."""
        return self.table.mpe(load, self.plate.e, self.plate.accuracy_class, self.category)

    def indication(self, point: PointView, *, after: Reading | None = None) -> Indication:
        return indication_of(point, self.plate, self.standards,
                             reading=self.options["reading"],
                             change_point=self.options["change_point_reading"],
                             correlation=self.correlation, after=after)

    def other_step(self, option: str) -> StepView | None:
        """The step named by option ``option`` (None when unset or not measured)."""
        step_id = self.options.get(option)
        if not step_id:
            return None
        view = self.view.journal.step(str(step_id))
        return view if view else None

    @property
    def kind(self) -> str:
        """The procedure's kind (``verification`` or ``calibration``), given by the
        plug-in wrapper (``procedure_kind``); ``calibration`` when not given."""
        return str(self.options.get("procedure_kind") or "calibration")

    @property
    def verification(self) -> bool:
        return self.kind == "verification"

    def weight_terms(self) -> WeightTerms:
        raw = self.table.raw.get("test_load_budget") or {}
        return WeightTerms(self.standards,
                           buoyancy_fraction=float(raw.get("buoyancy_fraction_of_mpe", 0.25)),
                           drift_factor=float(raw.get("drift_factor_of_U", 1.0)))

    def budget_options(self) -> dict[str, Any]:
        return {"rule": self.options["rule"], "r": float(self.options["r"]),
                "coverage_probability": float(self.options["coverage_probability"]),
                "weights": self.weight_terms(),
                "monte_carlo": int(self.options.get("monte_carlo_trials") or 0)}
