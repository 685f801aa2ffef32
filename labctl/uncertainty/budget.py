"""An uncertainty budget: a model over named inputs, evaluated by GUM and Monte Carlo.

This is the Python API the procedures and the analyses use, and what a budget file
(:mod:`labctl.uncertainty.budgetfile`) becomes::

    budget = Budget(
        model="I - m",
        inputs={"I": Input.resolution(7.505, 0.005, unit="kg"),
                "m": Input.expanded(7.5, 0.0004, k=2, unit="kg")},
        measurand=("E", "g"),
        coverage=Coverage(probability=0.9545),
    )
    result = budget.evaluate()            # or evaluate(monte_carlo=McmOptions(seed=1))
    result.value, result.expanded_uncertainty, result.to_dict()

Units: every input may carry a unit. The model is evaluated once with pint quantities
to derive the result's unit and to refuse a model that mixes dimensions (mm + K); that
check is cached per model and set of units (:mod:`labctl.uncertainty.unit_plan`), so
building the same kind of budget again costs no pint work. The numbers are then
converted to coherent SI units for the evaluation, and the result is given in
``measurand``'s unit, or else in the unit pint derives from the inputs' units
(``mm + mm`` -> mm, ``V / mA`` -> V/mA).

Correlations enter the GUM evaluation through the covariance sandwich u_c^2 = c' V c
with the automatic-derivative sensitivities c; a component's ``share`` is then
c_i u_i sum_j r_ij c_j u_j / u_c^2 (the shares still add up to 1, a share may be
negative). A coefficient may be the word "samples": it is then computed from the two
inputs' paired observations (GUM 5.2.3, eq. 17).

Welch-Satterthwaite with correlated inputs is outside the GUM. Here: correlated inputs
with infinite dof add nothing to the denominator, as usual; correlated inputs with the
same finite dof are taken as means of the same repeated observations (GUM H.2) and
their joint contribution sum_ij c_i u_i r_ij c_j u_j counts as one component with that
dof (Willink, Metrologia 44 (2007) 340; for one set of paired observations it is exact:
c' S c is the sample variance of the combined observations). Inputs correlated with a
different finite dof are treated as uncorrelated in the denominator, and the result
carries a note saying so.

``Coverage`` and ``McmOptions`` live in :mod:`labctl.uncertainty.budget_options`,
``BudgetResult`` and ``Component`` in :mod:`labctl.uncertainty.budget_result`,
``BudgetError`` in :mod:`labctl.uncertainty.budget_error`; all are importable from here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from labctl.errors import ConfigError
from labctl.uncertainty.budget_error import BudgetError, relocate
from labctl.uncertainty.budget_options import Coverage, McmOptions
from labctl.uncertainty.budget_result import BudgetResult, Component
from labctl.uncertainty.expression import CONSTANTS, Expression, compile_expression
from labctl.uncertainty.gum import propagate, welch_satterthwaite
from labctl.uncertainty.inputs import Input
from labctl.uncertainty.unit_plan import unit_plan

if TYPE_CHECKING:
    from labctl.uncertainty.decision import Specification
    from labctl.uncertainty.mcm import GumValidation, McmResult

__all__ = ["Budget", "BudgetError", "BudgetResult", "Component", "Correlations", "Coverage",
           "McmOptions"]


# --------------------------------------------------------------------------- budget


Correlations = Mapping[tuple[str, str], float] | Iterable[tuple[str, str, float]]


class Budget:
    """A measurement model with its inputs; :meth:`evaluate` gives a :class:`BudgetResult`.

    Everything is checked when the budget is built: the model's grammar, names used but
    not defined (and inputs defined but not used: an error, since it is nearly always a
    typo), units, correlations (in [-1, 1], a positive semi-definite matrix), the
    decision rule. Errors are :class:`BudgetError` with the ``key`` of the entry at fault.
    """

    def __init__(
        self,
        model: str | Expression,
        inputs: Mapping[str, Input],
        *,
        measurand: str | tuple[str, str | None] = "y",
        coverage: Coverage | None = None,
        correlations: Correlations | None = None,
        second_order: bool = False,
        specification: Specification | None = None,
        rule: str = "simple",
        r: float = 1.0,
    ):
        try:
            self.expression = (model if isinstance(model, Expression)
                               else compile_expression(model))
        except ConfigError as err:
            raise relocate(err, ("model",)) from err
        if isinstance(measurand, tuple):
            self.measurand, self.unit = measurand
        else:
            self.measurand, self.unit = measurand, None
        self.coverage = coverage if coverage is not None else Coverage()
        self.second_order = bool(second_order)
        self.specification = specification
        self.rule = rule
        self.r = r
        self.inputs: dict[str, Input] = dict(inputs)
        self.names: tuple[str, ...] = tuple(self.inputs)
        self._check_names()
        self.correlations = self._check_correlations(correlations)
        self._matrix = self._correlation_matrix()
        if self.second_order and self.correlations:
            raise BudgetError("second-order terms (GUM 5.1.2 note) are defined for "
                              "uncorrelated inputs only", key=("second_order",),
                              hint="remove the correlations or the second-order option")
        self._plan = unit_plan(self.expression, self.names, self.inputs, self.unit)
        if specification is not None:
            self.set_specification(specification, rule, r)

    @property
    def result_unit(self) -> str:
        """The unit of the result: the measurand's, or the one derived from the inputs."""
        return self._plan.unit

    def set_specification(self, specification: Specification, rule: str = "simple",
                          r: float = 1.0) -> None:
        """Decide conformity with ``specification`` (numbers in :attr:`result_unit`)."""
        from labctl.uncertainty.decision import RULES

        if rule not in RULES:
            raise BudgetError(f"unknown decision rule {rule!r}",
                              key=("specification", "rule"),
                              hint=f"use one of {', '.join(RULES)}")
        if not (math.isfinite(r) and r >= 0):
            raise BudgetError(f"the guard-band multiplier r must be >= 0, got {r}",
                              key=("specification", "r"))
        self.specification = specification
        self.rule = rule
        self.r = r

    # ------------------------------------------------------------------ checks

    def _check_names(self) -> None:
        if not self.inputs:
            raise BudgetError("a budget needs at least one input", key=("inputs",))
        for name, item in self.inputs.items():
            if not isinstance(item, Input):
                raise BudgetError(f"input {name!r} must be an Input, got "
                                  f"{type(item).__name__}", key=("inputs", name))
            if name in CONSTANTS:
                raise BudgetError(f"{name!r} is a constant of the model language and cannot "
                                  "name an input", key=("inputs", name),
                                  hint="rename the input")
        used = set(self.expression.names)
        missing = [n for n in self.expression.names if n not in self.inputs]
        if missing:
            raise BudgetError(
                f"the model uses {missing[0]!r}, which is not an input",
                key=("model",),
                hint=f"define it under inputs, or correct the name; inputs: "
                     f"{', '.join(self.names)}")
        unused = [n for n in self.names if n not in used]
        if unused:
            raise BudgetError(f"input {unused[0]!r} is not used by the model",
                              key=("inputs", unused[0]),
                              hint="use it in the model or remove it")

    def _check_correlations(self, correlations: Correlations | None
                            ) -> tuple[tuple[str, str, float], ...]:
        if not correlations:
            return ()
        items = (list((a, b, r) for (a, b), r in correlations.items())
                 if isinstance(correlations, Mapping) else list(correlations))
        seen: dict[frozenset[str], float] = {}
        out = []
        for i, item in enumerate(items):
            key = ("correlations", i)
            try:
                a, b, r = item
            except (TypeError, ValueError) as exc:
                raise BudgetError("a correlation is [name, name, coefficient]",
                                  key=key) from exc
            for n in (a, b):
                if n not in self.inputs:
                    raise BudgetError(f"correlation names {n!r}, which is not an input",
                                      key=key, hint=f"inputs: {', '.join(self.names)}")
            if a == b:
                raise BudgetError(f"correlation of {a!r} with itself", key=key,
                                  hint="a correlation relates two different inputs")
            if r == "samples":
                try:
                    r = self.inputs[a].correlation_with(self.inputs[b])
                except ConfigError as err:
                    raise BudgetError(err.message, key=key, hint=err.hint) from err
            if isinstance(r, bool) or not isinstance(r, int | float) or not math.isfinite(r):
                raise BudgetError(f"correlation coefficient must be a number (or 'samples'), "
                                  f"got {r!r}", key=key)
            if not -1.0 <= r <= 1.0:
                raise BudgetError(f"correlation between {a!r} and {b!r} is {r}, outside "
                                  "[-1, 1]", key=key)
            pair = frozenset((a, b))
            if pair in seen:
                raise BudgetError(f"correlation between {a!r} and {b!r} is given twice",
                                  key=key, hint="keep one")
            seen[pair] = float(r)
            out.append((a, b, float(r)))
        return tuple(out)

    def _correlation_matrix(self) -> np.ndarray | None:
        if not self.correlations:
            return None
        index = {n: i for i, n in enumerate(self.names)}
        m = np.eye(len(self.names))
        for a, b, r in self.correlations:
            m[index[a], index[b]] = m[index[b], index[a]] = r
        smallest = float(np.linalg.eigvalsh(m)[0])
        if smallest < -1e-10 * len(self.names):
            raise BudgetError(
                f"the correlation matrix is not positive semi-definite (smallest "
                f"eigenvalue {smallest:.3g}): no set of quantities can have these "
                "correlations", key=("correlations",),
                hint="check the signs and sizes of the coefficients")
        return m

    # ------------------------------------------------------------------ evaluation

    def evaluate(self, monte_carlo: McmOptions | None = None) -> BudgetResult:
        """GUM evaluation; with ``monte_carlo`` also JCGM 101 and its validation of GUM;
        with a specification also the conformity decision (made on the GUM result)."""
        plan = self._plan
        names = self.names
        inputs = [self.inputs[n] for n in names]
        values = [o + s * x.value for x, s, o in zip(inputs, plan.scales, plan.offsets,
                                                      strict=True)]
        uncs = [s * x.standard_uncertainty for x, s in zip(inputs, plan.scales, strict=True)]
        try:
            gum = propagate(self.expression, names, values, uncs, self._matrix,
                            self.second_order)
        except ConfigError as err:
            raise relocate(err, ("model",)) from err
        notes: list[str] = []
        out_scale = plan.out_scale
        value = (gum.value - plan.out_offset) / out_scale
        u = gum.standard_uncertainty / out_scale
        nu = self._effective_dof(gum.standard_uncertainty, gum.sensitivities, uncs, notes)
        k, p = self.coverage.factor(nu)
        big_u = k * u
        components = tuple(
            Component(
                name=n, value=x.value, unit=x.unit or "",
                standard_uncertainty=x.standard_uncertainty, distribution=x.distribution,
                dof=x.dof, sensitivity=c * s / out_scale, contribution=ci / out_scale,
                share=share, kind=x.kind, description=x.description)
            for n, x, c, s, ci, share in zip(names, inputs, gum.sensitivities, plan.scales,
                                             gum.contributions, gum.shares, strict=True))
        second = None
        if self.second_order:
            second = gum.second_order_variance / (out_scale * out_scale)
            notes.append("second-order terms of GUM 5.1.2 included (they assume "
                         "symmetric input distributions)")
        mcm = validation = None
        if monte_carlo is not None:
            mcm, validation = self._monte_carlo(monte_carlo, values, uncs, p, value, big_u)
            heavy = [n for n, x in self.inputs.items() if x.mcm_kind == "t" and x.dof <= 2]
            if heavy:
                notes.append(f"{heavy[0]} is a t distribution with {self.inputs[heavy[0]].dof:g} "
                             "dof (JCGM 101 6.4.9), which has no finite variance: the Monte "
                             "Carlo standard uncertainty is not meaningful, its intervals are")
            if not validation.passed:
                notes.append("the GUM interval is not validated by Monte Carlo (JCGM 101 8): "
                             "prefer the Monte Carlo interval")
        decision = None
        if self.specification is not None:
            from labctl.uncertainty.decision import decide

            try:
                decision = decide(value, big_u, self.specification, self.rule,
                                  coverage_factor=k, dof=nu, r=self.r)
            except ValueError as exc:
                raise BudgetError(str(exc), key=("specification",)) from exc
        return BudgetResult(
            measurand=self.measurand, model=self.expression.text, value=value,
            unit=plan.unit, standard_uncertainty=u, effective_dof=nu, coverage_factor=k,
            coverage_probability=p, expanded_uncertainty=big_u, components=components,
            correlations=self.correlations, second_order_variance=second, mcm=mcm,
            validation=validation, decision=decision, specification=self.specification,
            notes=tuple(notes))

    def _effective_dof(self, u_c: float, sensitivities: tuple[float, ...],
                       uncs: list[float], notes: list[str]) -> float:
        """Welch-Satterthwaite; correlated inputs of equal finite dof form one ensemble."""
        dofs = [self.inputs[n].dof for n in self.names]
        cu = [c * u for c, u in zip(sensitivities, uncs, strict=True)]
        groups = self._ensembles(dofs)
        grouped = {i for g in groups for i in g}
        parts = [abs(cu[i]) for i in range(len(cu)) if i not in grouped]
        part_dofs = [dofs[i] for i in range(len(cu)) if i not in grouped]
        matrix = self._matrix
        for g in groups:
            assert matrix is not None
            v = sum(cu[i] * cu[j] * matrix[i, j] for i in g for j in g)
            parts.append(math.sqrt(max(v, 0.0)))
            part_dofs.append(dofs[g[0]])
        odd = [(a, b) for a, b, _ in self.correlations
               if not (math.isinf(self.inputs[a].dof) and math.isinf(self.inputs[b].dof))
               and self.inputs[a].dof != self.inputs[b].dof]
        if odd:
            notes.append(f"{odd[0][0]} and {odd[0][1]} are correlated with different finite "
                         "dof: the Welch-Satterthwaite formula treats them as uncorrelated "
                         "(outside the GUM)")
        return welch_satterthwaite(u_c, parts, part_dofs)

    def _ensembles(self, dofs: list[float]) -> list[list[int]]:
        """Groups of inputs correlated with each other and of the same finite dof: taken
        as means of the same repeated observations (GUM 5.2.3, H.2), so their joint
        contribution c' V c is one Type A component with that dof (Willink, Metrologia 44
        (2007) 340)."""
        if not self.correlations:
            return []
        index = {n: i for i, n in enumerate(self.names)}
        parent = list(range(len(self.names)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        members: set[int] = set()
        for a, b, _ in self.correlations:
            i, j = index[a], index[b]
            if dofs[i] == dofs[j] and not math.isinf(dofs[i]):
                parent[root(i)] = root(j)
                members.update((i, j))
        groups: dict[int, list[int]] = {}
        for i in sorted(members):
            groups.setdefault(root(i), []).append(i)
        return list(groups.values())

    def _monte_carlo(self, options: McmOptions, values: list[float], uncs: list[float],
                     p: float, value: float, big_u: float
                     ) -> tuple[McmResult, GumValidation]:
        from labctl.uncertainty.mcm import run_mcm, validate_gum

        for i, (a, b, _) in enumerate(self.correlations):
            for n in (a, b):
                if self.inputs[n].mcm_kind not in ("normal", "t"):
                    raise BudgetError(
                        f"Monte Carlo correlates only normal inputs, and {n!r} is "
                        f"{self.inputs[n].distribution}", key=("correlations", i),
                        hint="drop this correlation, or evaluate without Monte Carlo")
        distributions = {
            n: x.to_distribution(v, s)
            for n, x, v, s in zip(self.names, self.inputs.values(), values, uncs, strict=True)}
        fn = self.expression.function("numpy")
        scale, offset = self._plan.out_scale, self._plan.out_offset

        def model(draws: Mapping[str, np.ndarray]) -> Any:
            y = fn(draws)
            if scale == 1.0 and offset == 0.0:
                return y
            return (y - offset) / scale

        correlations = {(a, b): r for a, b, r in self.correlations} or None
        try:
            result = run_mcm(model, distributions, correlations=correlations,
                             trials=options.trials, coverage_probability=p,
                             seed=options.seed, adaptive=options.adaptive,
                             significant_digits=options.significant_digits,
                             max_trials=options.max_trials, keep_draws=options.keep_draws)
        except ConfigError as err:
            raise relocate(err, ("model",)) from err
        except ValueError as exc:
            raise BudgetError(f"Monte Carlo: {exc}", key=("monte_carlo",)) from exc
        return result, validate_gum(value, big_u, result, options.significant_digits)
