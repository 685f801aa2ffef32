"""``load`` (standard weights of a mass put on, or added to, a receptor at a position,
the weights chosen at plan time) and ``unload`` (everything taken off), with a
``weight_handler`` role. Each journals a ``load`` event: the weights now put on (none
for an unload), the nominal mass, the position and whether they were added."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from labctl.drivers.weighing.capabilities import POSITIONS, WeightLoad
from labctl.errors import ConfigError, RunError
from labctl.numbers import quantity_text as qt
from labctl.procedures.action_models import Action
from labctl.procedures.execution import Execution
from labctl.procedures.model_base import Scalar
from labctl.procedures.plan_data import PlannedAction
from labctl.procedures.planning import Planning
from labctl.procedures.weighing.receptor import LoadGroup, ReceptorState
from labctl.register.weighing import weights_of


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
        return (f"{verb} {qt(a['mass'])} with {action.role} at {a['position']}: "
                f"{', '.join(a['weights']) or 'nothing'}")


class LoadToAction(Action):
    """``load_to``: bring the load on the receptor to ``mass`` the way OIML R 76-1
    A.4.4.1 does in the weighing test: weights are added to reach a higher load and taken
    off to reach a lower one (the handler's ``remove``), never through an empty
    receptor. An empty receptor is loaded as by ``load``. Taking off needs pieces on the
    receptor that make the difference exactly (by nominal value): the plan refuses the
    step otherwise, naming the pieces, so that the lab adds to its weight set the piece
    that lets the loads nest."""

    kind: ClassVar[str] = "load_to"
    capability: ClassVar[str | None] = "weight_handler"
    expressions: ClassVar[tuple[str, ...]] = ("mass",)
    role: str
    mass: Scalar
    position: str = "centre"

    def check(self, check: Any) -> None:
        LoadAction.check(self, check)  # type: ignore[arg-type]

    def plan(self, planning: Planning, namespace: Mapping[str, Any],
             what: str) -> PlannedAction:
        state = planning.state(ReceptorState)
        mass = planning.quantity(self.value("mass"), namespace, "kg", f"{what}: mass")
        position = str(namespace.get(self.position, self.position))
        if position not in POSITIONS:
            raise RunError(f"{what}: position {position!r} is not a position",
                           where=self.where, hint=f"the positions are {', '.join(POSITIONS)}")
        current = state.receptors.get(self.role, ())
        if current is None:
            raise RunError(f"{what}: after a search the weights on the receptor are known "
                           f"only at run time", where=self.where,
                           hint="give the change_point restore: true, or unload first")
        if mass.magnitude <= 0:
            raise RunError(f"{what}: load_to {mass:~P} puts nothing on", where=self.where,
                           hint="use unload to empty the receptor")
        if current and any(g.position != position for g in current):
            raise RunError(f"{what}: the load stands at {current[0].position}, not at "
                           f"{position}", where=self.where, hint="unload first")
        total = sum((g.mass for g in current), mass * 0)
        diff = mass - total
        tolerance = abs(mass) * 1e-9
        if abs(diff) <= tolerance:
            return PlannedAction(self.kind, self.where, self.role,
                                 {"mass": mass, "add": (), "remove": (), "position": position,
                                  "difference": diff})
        if diff > 0:
            state.check_total((*current, LoadGroup((), position, diff)), self.where, what)
            in_use = frozenset(w for g in current for w in g.weights)
            weights = state.choose(diff, in_use, self.where, f"{what} (to reach {mass:~P})")
            state.receptors[self.role] = (*current, LoadGroup(weights, position, diff))
            return PlannedAction(self.kind, self.where, self.role,
                                 {"mass": mass, "add": weights, "remove": (),
                                  "position": position, "difference": diff})
        off = _pieces_making(planning, current, -diff)
        if off is None:
            on = ", ".join(w for g in current for w in g.weights)
            raise RunError(f"{what}: no pieces on the receptor ({on}) make {-diff:~P} to "
                           f"take off to reach {mass:~P}", where=self.where,
                           hint="the decreasing loads of R 76-1 A.4.4.1 take weights off: "
                                "the weight set needs pieces with which each lower load "
                                "is part of the higher one (add a piece to the register)")
        rest: list[LoadGroup] = []
        for g in current:
            kept = tuple(w for w in g.weights if w not in off)
            if kept:
                kept_mass = g.mass * 0 + sum(
                    (_nominal(planning, w) for w in kept), g.mass * 0)
                rest.append(LoadGroup(kept, g.position, kept_mass))
        state.receptors[self.role] = tuple(rest)
        return PlannedAction(self.kind, self.where, self.role,
                             {"mass": mass, "add": (), "remove": tuple(off),
                              "position": position, "difference": diff})

    @classmethod
    def execute(cls, action: PlannedAction, ex: Execution) -> None:
        a = action.args
        if a["add"]:
            put(ex, action.role, tuple(a["add"]), a["difference"], a["position"], True)
        if a["remove"]:
            take_off(ex, action.role, tuple(a["remove"]), -a["difference"])

    @classmethod
    def describe(cls, action: PlannedAction) -> str:
        a = action.args
        if a["add"]:
            how = f"add {', '.join(a['add'])}"
        elif a["remove"]:
            how = f"take off {', '.join(a['remove'])}"
        else:
            how = "nothing to change"
        return f"load {action.role} to {qt(a['mass'])} at {a['position']}: {how}"


def _nominal(planning: Planning, weight: str) -> Any:
    """The nominal mass of one weight of the bench's standards (a pint Quantity)."""
    bench = planning.context.bench
    parts = getattr(bench, "standard_parts", None)  # the bench's standards, piece by piece
    for w in weights_of(parts() if parts is not None else ()):
        if w.id == weight:
            return w.nominal
    raise RunError(f"the bench's standards have no weight {weight!r}")


def _pieces_making(planning: Planning, groups: tuple[LoadGroup, ...], mass: Any
                   ) -> tuple[str, ...] | None:
    """Pieces among ``groups`` whose nominal values sum to ``mass`` (the fewest pieces,
    then the first found), or None."""
    from itertools import combinations

    pieces = [w for g in groups for w in g.weights]
    values = {w: _nominal(planning, w) for w in pieces}
    target = mass
    for n in range(1, len(pieces) + 1):
        for combo in combinations(pieces, n):
            total = sum((values[w] for w in combo), target * 0)
            if abs((total - target).to(target.units).magnitude) <= \
                    abs(target.magnitude) * 1e-9:
                return combo
    return None


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
    # ``standards``: the register ids put to use, the journal's record of the standards
    # used (labctl.calibration.standards_used)
    ex.emit("load", **ex.tags, role=role, weights=list(load.weights), nominal=nominal,
            position=load.position, add=add, standards=list(load.weights))


def take_off(ex: Execution, role: str, weights: tuple[str, ...], nominal: Any) -> None:
    """Take ``weights`` off the receptor, the rest staying on (the handler's ``remove``),
    and journal it: a ``load`` event that puts nothing on (``add``) and names what came
    off (``removed``); ``nominal`` is the nominal mass taken off."""
    ex.instruments[role].remove(tuple(weights))
    ex.emit("load", **ex.tags, role=role, weights=[], removed=list(weights),
            nominal=nominal, position=None, add=True)


def take_all_off(ex: Execution, role: str) -> None:
    """Take everything off the receptor of the handler in ``role`` and journal it."""
    ex.instruments[role].remove_all()
    ex.emit("load", **ex.tags, role=role, weights=[], nominal={"value": 0.0, "unit": "kg"},
            position=None, add=False)
