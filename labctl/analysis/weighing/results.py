"""Turning an evaluated error budget into a PointResult, with the checks a verification
reports next to the decision: R 76-1 3.7.1 (the test loads within a fraction, 1/3, of
the MPE) and whether the whole expanded uncertainty stays within that fraction of the
MPE, the condition under which JJF 1094 lets the value alone decide. The fraction comes
from the MPE data file (``test_load_fraction_of_mpe``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from labctl.analysis.weighing.indication import Indication
from labctl.analysis.weighing.plate import ScalePlate
from labctl.results import PointResult, QuantityValue

if TYPE_CHECKING:
    from labctl.uncertainty import BudgetResult


def _q(value: float | None, unit: str) -> QuantityValue | None:
    return None if value is None else QuantityValue.of(value, unit)


def uncertainty_notes(budget: BudgetResult, mpe: float, ind: Indication | None,
                      plate: ScalePlate, fraction: float) -> list[str]:
    notes: list[str] = []
    unit = plate.unit
    big_u = budget.expanded_uncertainty
    limit = mpe * fraction
    name = f"MPE/{1 / fraction:.3g}"
    if big_u > limit * (1 + 1e-9):
        hint = ("; the rounding of the indication dominates: use change_point: true"
                if ind is not None and ind.change_point is None else "")
        notes.append(f"U = {big_u:.4g} {unit} exceeds {name} = {limit:.4g} {unit}{hint}")
    else:
        notes.append(f"U <= {name} ({big_u:.4g} <= {limit:.4g} {unit})")
    if ind is not None and not ind.load.empty:
        u_ref = 2 * ind.load.u
        if u_ref > limit * (1 + 1e-9):
            notes.append(f"the test weights' U (k=2) = {u_ref:.4g} {unit} exceeds {name} "
                         f"(R 76-1 3.7.1): use weights of a better class")
    return notes


def indication_details(ind: Indication) -> dict[str, Any]:
    details: dict[str, Any] = {
        "method": ind.method,
        "weights": list(ind.load.weights),
        "reference_mass": ind.load.mass,
        "reference_u": ind.load.u,
        "reference_basis": ind.load.basis,
        "position": ind.reading.position,
        "reading_seq": ind.reading.seq,
        "attempt": ind.point.attempt,
    }
    cp = ind.change_point
    if cp is not None:
        details["change_point"] = {
            "start_seq": cp.start.seq, "end_seq": cp.end.seq, "additions": cp.additions,
            "step": cp.step, "delta_L": cp.delta_mass, "found": cp.found,
        }
    return details


def error_point(test: str, ind: Indication, budget: BudgetResult, mpe: float,
                plate: ScalePlate, *, fraction: float, nominal: float | None = None,
                notes: Iterable[str] = (), details: Mapping[str, Any] | None = None
                ) -> PointResult:
    """A PointResult for an error of indication with its budget and decision."""
    decision = budget.decision
    assert decision is not None, "the error budget carries a specification"
    unit = plate.unit
    all_notes = [*ind.notes, *uncertainty_notes(budget, mpe, ind, plate, fraction), *notes]
    return PointResult(
        test=test, step=ind.point.step, point=ind.point.point,
        nominal=_q(ind.load.nominal if nominal is None else nominal, unit),
        indication=_q(ind.value, unit),
        error=_q(budget.value, unit),
        expanded_uncertainty=_q(budget.expanded_uncertainty, unit),
        coverage_factor=budget.coverage_factor,
        mpe=_q(mpe, unit),
        decision=decision.result,  # type: ignore[arg-type]
        rule=decision.rule,
        budget=budget.to_dict(),
        notes="; ".join(all_notes),
        details={**indication_details(ind), **dict(details or {})},
    )


def unreadable_point(test: str, ind: Indication, mpe: float | None, plate: ScalePlate,
                     rule: str, *, nominal: float | None = None,
                     notes: Iterable[str] = (), details: Mapping[str, Any] | None = None
                     ) -> PointResult:
    """A point whose indication is missing (overload): it cannot conform."""
    unit = plate.unit
    return PointResult(
        test=test, step=ind.point.step, point=ind.point.point,
        nominal=_q(ind.load.nominal if nominal is None else nominal, unit),
        mpe=_q(mpe, unit), decision="fail", rule=rule,
        notes="; ".join([*ind.notes, "no indication: the point fails", *notes]),
        details={**indication_details(ind), **dict(details or {})},
    )
