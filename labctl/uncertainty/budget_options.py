"""How a budget is evaluated: the coverage wanted, and the Monte Carlo options."""

from __future__ import annotations

import math
from dataclasses import dataclass

from labctl.uncertainty.budget_error import BudgetError
from labctl.uncertainty.gum import DEFAULT_PROBABILITY, coverage_factor, coverage_probability


@dataclass(frozen=True, slots=True)
class Coverage:
    """Coverage: a probability (k from Student's t at the effective dof) or a fixed k."""

    probability: float | None = None
    k: float | None = None

    def __post_init__(self) -> None:
        if self.probability is not None and self.k is not None:
            raise BudgetError("give a coverage probability or a coverage factor k, not both",
                              key=("coverage",))
        if self.probability is not None and not 0.0 < self.probability < 1.0:
            raise BudgetError(f"the coverage probability must lie between 0 and 1, got "
                              f"{self.probability}", key=("coverage", "probability"),
                              hint="write 0.95 for 95 %")
        if self.k is not None and not (math.isfinite(self.k) and self.k > 0):
            raise BudgetError(f"the coverage factor must be positive, got {self.k}",
                              key=("coverage", "k"))

    def factor(self, dof: float) -> tuple[float, float]:
        """(k, p) at ``dof`` effective degrees of freedom."""
        if self.k is not None:
            return self.k, coverage_probability(self.k, dof)
        p = DEFAULT_PROBABILITY if self.probability is None else self.probability
        return coverage_factor(p, dof), p


@dataclass(frozen=True, slots=True)
class McmOptions:
    """How to run the Monte Carlo evaluation (JCGM 101)."""

    trials: int = 1_000_000
    seed: int | None = None
    adaptive: bool = False
    significant_digits: int = 2
    max_trials: int = 10_000_000
    keep_draws: bool = False
