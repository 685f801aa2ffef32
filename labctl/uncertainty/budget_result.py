"""An evaluated budget: the GUM result, its table of components, and what came with it
(Monte Carlo, its validation of the GUM result, a conformity decision)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from labctl.uncertainty.decision import Decision, Specification
    from labctl.uncertainty.mcm import GumValidation, McmResult


@dataclass(frozen=True, slots=True)
class Component:
    """One line of the budget table, in the input's unit (contribution: result's unit)."""

    name: str
    value: float
    unit: str
    standard_uncertainty: float
    distribution: str
    dof: float
    sensitivity: float  # d(result, result unit) / d(input, input unit)
    contribution: float  # u_i(y) = |c_i| u(x_i), result unit
    share: float  # share of the variance u_c^2
    kind: str = "standard"
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "standard_uncertainty": self.standard_uncertainty,
            "distribution": self.distribution,
            "dof": None if math.isinf(self.dof) else self.dof,
            "sensitivity": self.sensitivity,
            "contribution": self.contribution,
            "share": self.share,
            "kind": self.kind,
            **({"description": self.description} if self.description else {}),
        }


@dataclass(frozen=True)
class BudgetResult:
    """The evaluated budget: GUM result, components, and optionally Monte Carlo,
    its validation of the GUM result, and a conformity decision."""

    measurand: str
    model: str
    value: float
    unit: str
    standard_uncertainty: float
    effective_dof: float  # math.inf or an integer value
    coverage_factor: float
    coverage_probability: float
    expanded_uncertainty: float
    components: tuple[Component, ...]
    correlations: tuple[tuple[str, str, float], ...] = ()
    second_order_variance: float | None = None
    mcm: McmResult | None = None
    validation: GumValidation | None = None
    decision: Decision | None = None
    specification: Specification | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def interval(self) -> tuple[float, float]:
        """The GUM coverage interval y -/+ U."""
        return (self.value - self.expanded_uncertainty, self.value + self.expanded_uncertainty)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``labctl uncertainty --json`` (and of a record's budget)."""
        mcm = None
        if self.mcm is not None:
            mcm = self.mcm.to_dict()
            mcm["validated"] = None if self.validation is None else self.validation.passed
            mcm["validation"] = None if self.validation is None else self.validation.to_dict()
        decision = None
        if self.decision is not None:
            decision = self.decision.to_dict()
            if self.specification is not None:
                decision["specification"] = self.specification.to_dict()
        return {
            "measurand": self.measurand,
            "model": self.model,
            "value": self.value,
            "unit": self.unit,
            "standard_uncertainty": self.standard_uncertainty,
            "effective_dof": None if math.isinf(self.effective_dof) else int(self.effective_dof),
            "coverage_factor": self.coverage_factor,
            "coverage_probability": self.coverage_probability,
            "expanded_uncertainty": self.expanded_uncertainty,
            "interval": list(self.interval),
            "components": [c.to_dict() for c in self.components],
            "correlations": [list(c) for c in self.correlations],
            "second_order_variance": self.second_order_variance,
            "mcm": mcm,
            "decision": decision,
            "notes": list(self.notes),
        }
