"""The result of one analysed point: what a record's ``points`` items hold.

Shape per docs/contracts.md ("Analysis"). Light on purpose (pydantic only): the
registry's record model imports it. Every number is a finite float so the record can
be written as canonical JSON; values that do not exist for a point (no uncertainty for
a discrimination check, say) are ``None``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DecisionResult = Literal["pass", "fail", "conditional_pass", "conditional_fail"]

#: The decision results that count as conforming.
CONFORMING: frozenset[str] = frozenset({"pass", "conditional_pass"})


class QuantityValue(BaseModel):
    """A number with its unit, as JSON: ``{"value": 0.005, "unit": "kg"}``."""

    # NaN and the infinities are refused by the validator itself (no Python call a value)
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    value: float
    unit: str

    @classmethod
    def of(cls, value: float, unit: str) -> QuantityValue:
        return cls(value=float(value), unit=unit)


class PointResult(BaseModel):
    """One analysed point: the error, its expanded uncertainty, the MPE and the decision.

    ``test`` names the analysis (``weighing_error``...), ``step`` and ``point`` the
    journal's step id and point id (``weighing/03``). ``budget`` is the uncertainty
    engine's ``BudgetResult.to_dict()`` (None where no uncertainty is evaluated).
    ``details`` holds what a test adds for the certificate (position, direction,
    standard deviation, change-point data...), JSON values only; ``nominal_label`` and
    ``error_label`` (each with an optional Chinese ``..._label_zh``) name what the
    ``nominal`` and ``error`` columns hold when it is not a plain nominal value or error
    (a reference value, a set point; an RSD), and the tables, the certificate and the DCC
    head those columns so.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    test: str
    step: str
    point: str
    nominal: QuantityValue | None = None
    indication: QuantityValue | None = None
    error: QuantityValue | None = None
    expanded_uncertainty: QuantityValue | None = None
    coverage_factor: float | None = None
    mpe: QuantityValue | None = None
    decision: DecisionResult
    rule: str
    budget: dict[str, Any] | None = None
    notes: str = ""
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def conforms(self) -> bool:
        """True for ``pass`` and ``conditional_pass``."""
        return self.decision in CONFORMING


def overall_decision(points: list[PointResult]) -> DecisionResult | None:
    """The run's decision from its points: ``fail`` if any point fails, else
    ``conditional_fail`` / ``conditional_pass`` if any point is conditional, else ``pass``.
    None for no points."""
    if not points:
        return None
    decisions = {p.decision for p in points}
    for worst in ("fail", "conditional_fail", "conditional_pass"):
        if worst in decisions:
            return worst  # type: ignore[return-value]
    return "pass"
