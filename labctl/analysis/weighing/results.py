"""Turning an evaluated error budget into a PointResult, with the checks a verification
reports next to the decision: R 76-1 3.7.1 (the error of every weight used, the test
load's and the change-point pieces', within a fraction, 1/3, of the MPE for the load)
and whether the whole expanded uncertainty stays within that fraction of the MPE. The
fraction comes from the MPE data file (``test_load_fraction_of_mpe``).

The verdict: for a procedure of ``kind: verification`` (JJG 539 concludes pass or fail
on |Ec| <= MPE), a binary verdict on the value: ``pass`` when |E| <= MPE, else ``fail``
(rule ``verification_binary``); a U above MPE/3 or a weight beyond R 76-1 3.7.1 is a
nonconformity of the method, listed in ``details.method_nonconformities`` and the notes,
not a qualifier of the verdict. For calibrations the budget's ILAC-G8 decision (the
procedure's ``rule``) stands, with its four outcomes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from labctl.analysis.weighing.error_budget import interval_method
from labctl.analysis.weighing.indication import Indication
from labctl.analysis.weighing.plate import ScalePlate
from labctl.analysis.weighing.reference import weights_error
from labctl.results import PointResult, QuantityValue

BINARY_RULE = "verification_binary"

#: What a weighing test's ``nominal`` column holds, the load put on, as the result tables
#: and the certificate head it (``details["nominal_label"]``, ``labctl.report``).
LOAD_LABEL: dict[str, str] = {"nominal_label": "load", "nominal_label_zh": "载荷"}

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
    return notes


def method_nonconformities(budget: BudgetResult, mpe: float, ind: Indication | None,
                           plate: ScalePlate, fraction: float,
                           standards: Mapping[str, Any] | None) -> list[str]:
    """What the method failed to meet at this point: U > MPE/3, and R 76-1 3.7.1 for
    every weight used (the load's, and the pieces a change-point search added)."""
    out: list[str] = []
    unit = plate.unit
    limit = mpe * fraction
    name = f"MPE/{1 / fraction:.3g}"
    if budget.expanded_uncertainty > limit * (1 + 1e-9):
        out.append(f"U = {budget.expanded_uncertainty:.4g} {unit} > {name} = "
                   f"{limit:.4g} {unit}")
    if ind is not None and standards is not None:
        ids = list(ind.load.weights)
        if ind.change_point is not None:
            ids += [w for w in ind.change_point.added.weights if w not in ids]
        if ids:
            err = weights_error(ids, standards, unit)
            if err > limit * (1 + 1e-9):
                out.append(f"R 76-1 3.7.1: the weights used ({len(ids)} pieces) may err by "
                           f"{err:.4g} {unit} (class MPE, or |correction| + U), more than "
                           f"{name} = {limit:.4g} {unit}")
    return out


def verdict(budget: BudgetResult, mpe: float, verification: bool) -> tuple[str, str]:
    """(decision, rule): binary on the value for a verification, else the budget's."""
    decision = budget.decision
    assert decision is not None, "the error budget carries a specification"
    if verification:
        return ("pass" if abs(budget.value) <= mpe * (1 + 1e-12) else "fail"), BINARY_RULE
    return decision.result, decision.rule


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
        **LOAD_LABEL,
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
                notes: Iterable[str] = (), details: Mapping[str, Any] | None = None,
                verification: bool = False, standards: Mapping[str, Any] | None = None,
                value_decided: float | None = None) -> PointResult:
    """A PointResult for an error of indication with its budget and decision.
    ``value_decided``: the value the verdict is taken on when it is not the budget's
    (R 76-1's uncentred E0 for the zero- and tare-setting tests)."""
    unit = plate.unit
    decided = budget if value_decided is None else _with_value(budget, value_decided)
    result, rule = verdict(decided, mpe, verification)
    method = method_nonconformities(budget, mpe, ind, plate, fraction, standards)
    all_notes = [*ind.notes, *uncertainty_notes(budget, mpe, ind, plate, fraction), *notes]
    if verification:
        all_notes.append(f"verdict {result}: |E| {'<=' if result == 'pass' else '>'} MPE "
                         f"(binary, JJG 539)")
        if method:
            all_notes.append("method nonconformity: " + "; ".join(method))
    extra = {"interval_method": interval_method(budget),
             "method_nonconformities": method}
    return PointResult(
        test=test, step=ind.point.step, point=ind.point.point,
        nominal=_q(ind.load.nominal if nominal is None else nominal, unit),
        indication=_q(ind.value, unit),
        error=_q(budget.value, unit),
        expanded_uncertainty=_q(budget.expanded_uncertainty, unit),
        coverage_factor=budget.coverage_factor,
        mpe=_q(mpe, unit),
        decision=result,  # type: ignore[arg-type]
        rule=rule,
        budget=budget.to_dict(),
        notes="; ".join(all_notes),
        details={**indication_details(ind), **extra, **dict(details or {})},
    )


def _with_value(budget: BudgetResult, value: float) -> BudgetResult:
    """The budget's result with another value, decided again by its rule."""
    import dataclasses

    from labctl.uncertainty.decision import decide

    decision = budget.decision
    if decision is not None and budget.specification is not None:
        decision = decide(value, budget.expanded_uncertainty, budget.specification,
                          decision.rule, coverage_factor=budget.coverage_factor,
                          dof=budget.effective_dof)
    return dataclasses.replace(budget, value=value, decision=decision)


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
