"""``load`` (standard weights of a mass put on, or added to, a receptor at a position,
the weights chosen at plan time) and ``unload`` (everything taken off), with a
``weight_handler`` role. Each journals a ``load`` event: the weights now put on (none
for an unload), the nominal mass, the position and whether they were added."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from labctl.drivers.weighing.capabilities import POSITIONS, WeightLoad
from labctl.errors import ConfigError, RunError
from labctl.procedures.action_models import Action
from labctl.procedures.execution import Execution
from labctl.procedures.model_base import Scalar
from labctl.procedures.plan_data import PlannedAction
from labctl.procedures.planning import Planning
from labctl.procedures.weighing.receptor import LoadGroup, ReceptorState


class LoadAction(Action):
    kind: ClassVar[str] = "load"
    capability: ClassVar[str | None] = "weight_handler"
    expressions: ClassVar[tuple[str, ...]] = ("mass",)
    role: str
    mass: Scalar
    position: str = "centre"
    add: bool = False

    def check(self, check: Any) -> None:
        """``position`` is a position, a parameter, or (in ``actions``) a point variable
        that every point defines as a position."""
        proc, step, name = check.procedure, check.step, self.position
        if check.section == "actions" and any(name in p for p in step.point_values):
            for j, p in enumerate(step.point_values):
                if name not in p:
                    raise ConfigError(f"load position uses {name!r}, which point {j + 1} "
                                      f"of step {step.id!r} does not define",
                                      where=check.point_where(j),
                                      hint=f"add {name}: centre (or front, back...) to "
                                           "the point")
                if p[name].kind != "word" or p[name].value not in POSITIONS:
                    raise ConfigError(f"position {p[name].source!r} is not a position",
                                      where=p[name].where,
                                      hint=f"the positions are {', '.join(POSITIONS)}")
            return
        if name in proc.parameters:
            return  # a parameter: its value is checked in the plan
        if name not in POSITIONS:
            raise ConfigError(f"load: position {name!r} is not a position nor a point "
                              f"variable", where=check.where("position"),
                              hint=f"the positions are {', '.join(POSITIONS)}")

    def plan(self, planning: Planning, namespace: Mapping[str, Any],
             what: str) -> PlannedAction:
        state = planning.state(ReceptorState)
        mass = planning.quantity(self.value("mass"), namespace, "kg", f"{what}: mass")
        position = namespace.get(self.position, self.position)
        if position not in POSITIONS:
            raise RunError(f"{what}: position {position!r} is not a position",
                           where=self.where, hint=f"the positions are {', '.join(POSITIONS)}")
        current = state.receptors.get(self.role, ())
        if current is None:
            raise RunError(f"{what}: after a change point the weights on the receptor are "
                           f"known only at run time", where=self.where,
                           hint=f"unload {self.role} after the change_point")
        if current and not self.add:
            on = ", ".join(w for g in current for w in g.weights)
            raise RunError(f"{what}: the receptor of {self.role} already holds {on}; a load "
                           f"without add is put on an empty receptor", where=self.where,
                           hint=f"unload {self.role} first, or write add: true")
        if mass.magnitude == 0:
            raise RunError(f"{what}: a load of {mass:~P} puts nothing on", where=self.where,
                           hint="use unload to empty the receptor")
        base = current if self.add else ()
        state.check_total((*base, LoadGroup((), str(position), mass)), self.where, what)
        in_use = frozenset(w for g in base for w in g.weights)
        weights = state.choose(mass, in_use, self.where, what)
        state.receptors[self.role] = (*base, LoadGroup(weights, str(position), mass))
        return PlannedAction(self.kind, self.where, self.role,
                             {"mass": mass, "weights": weights, "position": str(position),
                              "add": self.add})

    @classmethod
    def execute(cls, action: PlannedAction, ex: Execution) -> None:
        a = action.args
        put(ex, action.role, tuple(a["weights"]), a["mass"], a["position"], a["add"])

    @classmethod
    def describe(cls, action: PlannedAction) -> str:
        a = action.args
        verb = "add" if a["add"] else "load"
        return (f"{verb} {a['mass']:~P} with {action.role} at {a['position']}: "
                f"{', '.join(a['weights']) or 'nothing'}")


class UnloadAction(Action):
    kind: ClassVar[str] = "unload"
    capability: ClassVar[str | None] = "weight_handler"
    role: str

    def plan(self, planning: Planning, namespace: Mapping[str, Any],
             what: str) -> PlannedAction:
        planning.state(ReceptorState).receptors[self.role] = ()
        return PlannedAction(self.kind, self.where, self.role, {})

    @classmethod
    def execute(cls, action: PlannedAction, ex: Execution) -> None:
        take_all_off(ex, action.role)


def put(ex: Execution, role: str, weights: tuple[str, ...], nominal: Any, position: str,
        add: bool) -> None:
    """Place (or add) weights with the handler in ``role`` and journal it."""
    load = WeightLoad(weights=weights, position=position)
    handler = ex.instruments[role]
    (handler.add if add else handler.place)(load)
    ex.emit("load", **ex.tags, role=role, weights=list(load.weights), nominal=nominal,
            position=load.position, add=add)


def take_all_off(ex: Execution, role: str) -> None:
    """Take everything off the receptor of the handler in ``role`` and journal it."""
    ex.instruments[role].remove_all()
    ex.emit("load", **ex.tags, role=role, weights=[], nominal={"value": 0.0, "unit": "kg"},
            position=None, add=False)
