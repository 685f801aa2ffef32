"""What stands on each weight handler's receptor as the plan goes (``ReceptorState``):
the weights chosen for every load from the bench's standards (the bench's
``choose_weights``), the total checked against the most load allowed, and the loads put
back on resume when finished points are skipped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from labctl.errors import LabctlError, RunError
from labctl.procedures.plan_data import PlannedAction
from labctl.procedures.planning import Planning, PlanState
from labctl.procedures.weighing.weight_choice import chooser_for


@dataclass(frozen=True)
class LoadGroup:
    """Weights put on a receptor together, at one position."""

    weights: tuple[str, ...]
    position: str
    mass: Any  # nominal, a pint Quantity


Receptor = tuple[LoadGroup, ...]


class ReceptorState(PlanState):
    """Each weight handler's receptor (None: known only at run time, after a search)."""

    key: ClassVar[str] = "receptors"
    initial: ClassVar[Any] = {}

    def __init__(self, planning: Planning) -> None:
        super().__init__(planning)
        self.receptors: dict[str, Receptor | None] = {}
        self.max_load = self._max_load()

    # -- the state ----------------------------------------------------------------
    def snapshot(self) -> dict[str, Receptor] | None:
        if any(r is None for r in self.receptors.values()):
            return None
        return {role: r for role, r in self.receptors.items() if r}

    @classmethod
    def restore(cls, have: Any, want: Any, where: str) -> list[PlannedAction]:
        """Unload and load again every receptor whose loads differ."""
        actions: list[PlannedAction] = []
        for role in sorted(set(have) | set(want)):
            groups = want.get(role, ())
            if groups == have.get(role, ()):
                continue
            actions.append(PlannedAction("unload", where, role))
            actions += [PlannedAction("load", where, role, {
                "mass": g.mass, "weights": g.weights, "position": g.position,
                "add": bool(i)}) for i, g in enumerate(groups)]
        return actions

    def info(self) -> dict[str, Any]:
        return {"max_load": self.max_load} if self.max_load is not None else {}

    def describe(self) -> list[str]:
        from labctl.numbers import quantity_text

        if self.max_load is None:
            return []
        return [f"most load allowed: {quantity_text(self.max_load)}"]

    # -- the most load allowed ----------------------------------------------------
    def _max_load(self) -> Any:
        planning = self.planning
        value = planning.setting("max_load")
        if value is not None:
            return planning.quantity(value, planning.namespace, "kg", "setting max_load")
        scales = [r for r in planning.procedure.roles_with("scale") if r in planning.roles]
        if len(scales) > 1:
            raise RunError("with several scale roles, say which load is the most the "
                           "procedure may put on a receptor",
                           where=planning.procedure.where("roles"),
                           hint="add e.g. `settings: {max_load: Max}` to the procedure")
        if not scales:
            return None
        at = planning.procedure.where("roles", scales[0])
        capacity = planning.role_attribute(scales[0], "capacity", at, "the most load allowed")
        e = getattr(planning.roles[scales[0]], "e", None)
        return capacity + 9 * e if e is not None else capacity

    def check_total(self, receptor: Receptor, where: str, what: str) -> None:
        if self.max_load is None:
            return
        total = sum((g.mass for g in receptor), self.max_load * 0)
        if total > self.max_load * (1 + 1e-12):
            raise RunError(
                f"{what}: {total.to(self.max_load.units):~P} on the receptor is above the "
                f"most the procedure allows, {self.max_load:~P}", where=where,
                hint="lower the load, or set `settings: {max_load: ...}` in the procedure "
                     "(default: Max + 9 e)")

    # -- the weights --------------------------------------------------------------
    def choose(self, mass: Any, in_use: frozenset[str], where: str, what: str
               ) -> tuple[str, ...]:
        """The bench's weights making ``mass``, apart from ``in_use``."""
        if mass.magnitude < 0:
            raise RunError(f"{what}: a load of {mass:~P} is negative", where=where)
        chooser = chooser_for(self.planning.context.bench)
        if chooser is None:
            raise RunError(f"{what}: the bench has no weight set to make {mass:~P} with",
                           where=where,
                           hint="list the weight set under the bench file's standards")
        try:
            return tuple(chooser(mass, exclude=in_use))
        except LabctlError as exc:
            raise RunError(f"{what}: {exc.message}", where=where, hint=exc.hint) from None
