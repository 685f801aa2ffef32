"""Repeatability (OIML R 76-1 3.6.1, A.4.10): the difference between the results of
several weighings of the same load shall not exceed the absolute value of the MPE for
that load.

One PointResult per series (points of the step with the same nominal load): the
``error`` is the range max - min of the indications (P by change point when the points
have one; centred in the last step, which shifts each P by s/2 and leaves the range and s
as they are), the ``mpe`` the absolute MPE at that load. The range of two rounded
indications carries the rounding of each (rectangular, half-width d/2, so u = d/sqrt(6));
by change point, the resolution of each search (half-width step/2). ``details`` gives
the standard deviation s of one weighing (the weighing budgets borrow it through the
option ``repeatability_step``), the mean, n and each point's error. A series shorter
than the data file's number of weighings for the class is noted.

Any single weighing whose error exceeds the MPE for its load fails the series (R 76-1
3.6: "the difference between the results ... shall not exceed the absolute value of the
MPE", and every result remains a result that must meet the MPE), whatever the range. A
verification gives the binary verdict on the range (``verification_binary``); a
calibration keeps the procedure's rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labctl.analysis.options import Options
from labctl.analysis.weighing.context import WEIGHING_DEFAULTS, Context
from labctl.analysis.weighing.error_budget import evaluate, interval_method
from labctl.analysis.weighing.indication import Indication
from labctl.analysis.weighing.journal_view import StepView
from labctl.analysis.weighing.results import (
    BINARY_RULE,
    LOAD_LABEL,
    method_nonconformities,
    uncertainty_notes,
    verdict,
)
from labctl.analysis.weighing.summaries import Series, repeatability_series
from labctl.analysis.weighing.weighing_mpe import MpeTable
from labctl.results import PointResult, QuantityValue

NAME = "repeatability"
DEFAULTS: dict[str, Any] = {
    k: v for k, v in WEIGHING_DEFAULTS.items() if k in ("reading", "change_point_reading")}


def _input(ind: Indication, d: float, unit: str) -> Any:
    from labctl.uncertainty import Input

    assert ind.value is not None
    if ind.change_point is None:
        return Input.resolution(ind.value, d, unit=unit, description=f"{ind.point.point}")
    return Input.rectangular(ind.value, ind.change_point.step / 2, unit=unit,
                             description=f"{ind.point.point} by change point")


def _series_result(ctx: Context, series: Series) -> PointResult:
    from labctl.uncertainty import Budget, Coverage, Specification

    unit = ctx.plate.unit
    first = series.indications[0]
    mpe = ctx.mpe(series.nominal)
    rule = ctx.options["rule"]
    readable = [i for i in series.indications if i.value is not None]
    errors = {i.point.point: (None if i.value is None else i.value - i.load.mass)
              for i in series.indications}
    details: dict[str, Any] = {
        "points": [i.point.point for i in series.indications],
        "n": series.n,
        "errors": errors,
        "methods": sorted({i.method for i in series.indications}),
        "error_label": "range",  # the error column holds the range of the series
        "error_label_zh": "极差",
        **LOAD_LABEL,
    }
    notes: list[str] = []
    required = ctx.table.repetitions.get(ctx.plate.accuracy_class)
    if required is not None and series.n < required:
        notes.append(f"{series.n} weighings; {ctx.table.document} asks {required} for class "
                     f"{ctx.plate.accuracy_class}")
    over = [p for p, e in errors.items() if e is not None and abs(e) > mpe * (1 + 1e-12)]
    details["results_beyond_mpe"] = over
    if over:
        notes.append(f"the error of {', '.join(over)} exceeds the MPE {mpe:.4g} {unit}: "
                     f"the series fails (R 76-1 3.6)")
    base = dict(test=NAME, step=series.indications[0].point.step, point=first.point.point,
                nominal=QuantityValue.of(series.nominal, unit),
                mpe=QuantityValue.of(mpe, unit),
                rule=BINARY_RULE if ctx.verification else rule)
    if len(readable) < len(series.indications) or len(readable) < 2:
        why = ("an overload" if len(readable) < len(series.indications)
               else "fewer than two weighings")
        return PointResult(**base, decision="fail", details=details,  # type: ignore[arg-type]
                           notes="; ".join([f"{why}: repeatability cannot be shown", *notes]))
    high = max(readable, key=lambda i: i.value)  # type: ignore[arg-type,return-value]
    low = min(readable, key=lambda i: i.value)  # type: ignore[arg-type,return-value]
    s = series.s
    details.update({"s": s, "mean": sum(series.values) / series.n,
                    "max_point": high.point.point, "min_point": low.point.point})
    budget_model = Budget("Imax - Imin",
                    {"Imax": _input(high, ctx.plate.d, unit),
                     "Imin": _input(low, ctx.plate.d, unit)},
                    measurand=("range", unit),
                    coverage=Coverage(probability=float(ctx.options["coverage_probability"])),
                    specification=Specification.symmetric(0.0, mpe), rule=rule,
                    r=float(ctx.options["r"]))
    budget = evaluate(budget_model, f"{first.point.point}:range",
                      int(ctx.options.get("monte_carlo_trials") or 0))
    result, rule_used = verdict(budget, mpe, ctx.verification)
    if over:
        result = "fail"
    method = method_nonconformities(budget, mpe, high, ctx.plate,
                                    ctx.table.test_load_fraction, ctx.standards)
    details.update({"interval_method": interval_method(budget),
                    "method_nonconformities": method})
    notes = [f"range {budget.value:.4g} {unit} of {series.n} weighings, s = {s:.4g} {unit}",
             *uncertainty_notes(budget, mpe, None, ctx.plate, ctx.table.test_load_fraction), *notes]
    if ctx.verification and method:
        notes.append("method nonconformity: " + "; ".join(method))
    base["rule"] = rule_used
    return PointResult(
        **base,  # type: ignore[arg-type]
        indication=QuantityValue.of(details["mean"], unit),
        error=QuantityValue.of(budget.value, unit),
        expanded_uncertainty=QuantityValue.of(budget.expanded_uncertainty, unit),
        coverage_factor=budget.coverage_factor,
        decision=result,  # type: ignore[arg-type]
        budget=budget.to_dict(), notes="; ".join(notes), details=details)


def repeatability(view: StepView, dut: Any, standards: Mapping[str, Any], table: MpeTable,
                  options: Options) -> list[PointResult]:
    ctx = Context.create(view, dut, standards, table, options)
    return [_series_result(ctx, series) for series in repeatability_series(ctx, view)]
