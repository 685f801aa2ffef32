"""The planner: a procedure expanded, on a given bench, into every action the run will do.

``make_plan(procedure, context)`` evaluates the variables (``Max: dut.capacity`` reads
the attribute from the instrument bound to the role), expands each step's points
(``sequence: up_down`` gives the points then the reverse without the top one; ``repeat``
repeats the list; points are numbered on: ``weighing/01``, ``weighing/02``...), evaluates
the point variables and each action's values to pint quantities, and chooses the
weights of every load (``labctl.procedures.plan_loads``). Everything that can be refused
before an instrument moves is refused here, with the procedure's ``file:line:col``: a
load above the most allowed, a mass the weight set cannot make, a value of the wrong
unit, an action on a role the bench lacks or whose instrument does not have the
capability.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from labctl.errors import LabctlError, RunError
from labctl.procedures.action_models import Action
from labctl.procedures.parameters import resolve_parameters
from labctl.procedures.plan_context import PlanContext, bind_roles, implements
from labctl.procedures.plan_data import Plan, PlannedAction, PlannedPoint, PlannedStep, Receptor
from labctl.procedures.plan_loads import LoadPlanning
from labctl.procedures.plan_values import _count, _evaluate, _quantity, _seconds
from labctl.procedures.procedure_model import Procedure


def make_plan(procedure: Procedure, context: PlanContext) -> Plan:
    """Expand and check the whole run; ``RunError``/``ConfigError`` at the procedure's
    place before anything moves."""
    return _Planner(procedure, context).plan()


class _Planner(LoadPlanning):
    def __init__(self, procedure: Procedure, context: PlanContext) -> None:
        self.proc = procedure
        self.roles = bind_roles(procedure, context.roles)
        self.choose = context.choose_weights
        self.parameters = resolve_parameters(procedure, context.parameters)
        self.variables: dict[str, Any] = {}
        self.max_load: Any = None
        # What stands on each weight handler's receptor as the plan goes (None: unknown).
        self.receptors: dict[str, Receptor | None] = {}

    def plan(self) -> Plan:
        self._evaluate_variables()
        self.max_load = self._max_load()
        steps = tuple(self._step(i) for i in range(len(self.proc.steps)))
        return Plan(self.proc.id, self.proc.version, self.proc.sha256, self.parameters,
                    dict(self.variables), self.max_load, steps)

    # -- variables ----------------------------------------------------------------
    @property
    def namespace(self) -> dict[str, Any]:
        return {**self.parameters, **self.variables}

    def _evaluate_variables(self) -> None:
        for name, spec in self.proc.variable_values.items():
            at = self.proc.where("variables", name)
            if isinstance(spec, tuple):
                role, attribute = spec
                self.variables[name] = self._role_attribute(role, attribute, at,
                                                            f"variable {name!r}")
            else:
                self.variables[name] = _evaluate(spec, self.namespace, f"variable {name!r}")

    def _role_attribute(self, role: str, attribute: str, at: str, what: str) -> Any:
        instrument = self.roles.get(role)
        if instrument is None:
            raise RunError(f"{what} reads {role}.{attribute}, but the bench has no "
                           f"instrument for role {role!r}", where=at,
                           hint=f"give an instrument `role: {role}` in the bench file")
        try:
            value = getattr(instrument, attribute)
        except LabctlError as exc:
            raise RunError(f"{what}: reading {role}.{attribute} failed: {exc}",
                           where=at) from exc
        except AttributeError:
            value = None
        if value is None:
            label = getattr(instrument, "name", type(instrument).__name__)
            raise RunError(f"{what}: instrument {label!r} (role {role!r}) does not give "
                           f"{attribute!r}", where=at,
                           hint="set it in the bench file's options for the instrument")
        return value

    def _max_load(self) -> Any:
        value = self.proc.max_load_value
        if value is not None:
            return _quantity(value, self.namespace, "kg", "max_load")
        scales = [r for r in self.proc.roles_with("scale") if r in self.roles]
        if len(scales) != 1:
            return None
        at = self.proc.where("roles", scales[0])
        capacity = self._role_attribute(scales[0], "capacity", at, "the most load allowed")
        e = getattr(self.roles[scales[0]], "e", None)
        return capacity + 9 * e if e is not None else capacity

    # -- steps and points ---------------------------------------------------------
    def _step(self, i: int) -> PlannedStep:
        step = self.proc.steps[i]
        before = self._actions(step.before, self.namespace, None)
        after_before = self._snapshot()
        definitions = step.point_values or [{}]
        order = [(j, "up" if step.sequence == "up_down" else None)
                 for j in range(len(definitions))]
        if step.sequence == "up_down":
            order += [(j, "down") for j in reversed(range(len(definitions) - 1))]
        sequence = [(rep, j, d) for rep in range(1, step.repeat + 1) for j, d in order]
        width = max(2, len(str(len(sequence))))
        points = []
        for index, (rep, j, direction) in enumerate(sequence):
            point_id = f"{step.id}/{index + 1:0{width}d}"
            at = self.proc.where("steps", i, "points", j) if step.points else step.where
            namespace = self.namespace
            variables: dict[str, Any] = {}
            for name, value in definitions[j].items():
                variables[name] = namespace[name] = _evaluate(
                    value, namespace, f"point {point_id}: {name}")
            start = self._snapshot()
            actions = self._actions(step.actions, namespace, point_id)
            points.append(PlannedPoint(step.id, point_id, index, j, direction, rep,
                                       variables, actions, start, at))
        after = self._actions(step.after, self.namespace, None)
        return PlannedStep(step.id, step.title, step.where, before, tuple(points), after,
                           after_before, step.on_resume)

    # -- actions ------------------------------------------------------------------
    def _actions(self, actions: list[Action], namespace: Mapping[str, Any],
                 point: str | None) -> tuple[PlannedAction, ...]:
        planned = []
        for action in actions:
            what = f"{action.kind} at {point}" if point else action.kind
            if not self._when(action, namespace, what):
                continue
            for key, capability in action.roles.items():
                self._check_bound(action, getattr(action, key), capability, what)
            planned.append(_BUILDERS[action.kind](self, action, namespace, what))
        return tuple(planned)

    def _when(self, action: Action, namespace: Mapping[str, Any], what: str) -> bool:
        if action.when is None or isinstance(action.when, bool):
            return action.when is not False
        negate = action.when.startswith("not ")
        name = action.when.removeprefix("not ").strip()
        value = namespace.get(name)
        if not isinstance(value, bool):
            raise RunError(f"{what}: when {action.when!r}: {name} is {value!r}, not true or "
                           f"false", where=action.where,
                           hint="name a parameter whose default is true or false")
        return value != negate

    def _check_bound(self, action: Action, role: str, capability: str | None,
                     what: str) -> None:
        if role not in self.roles:
            raise RunError(f"{what}: the bench has no instrument for role {role!r}",
                           where=action.where,
                           hint=f"give an instrument `role: {role}` in the bench file, "
                                "or drop the action")
        if capability is not None and not implements(self.roles[role], capability):
            raise RunError(f"{what}: the instrument for role {role!r} is not a {capability}",
                           where=action.where,
                           hint="bind the role to another instrument in the bench file")

    def _simple(self, action: Action, namespace: Mapping[str, Any],
                what: str) -> PlannedAction:
        args = {"name": action.as_} if hasattr(action, "as_") else {}
        return PlannedAction(action.kind, action.where, getattr(action, "role", None), args)

    def _wait(self, action: Action, namespace: Mapping[str, Any], what: str) -> PlannedAction:
        duration = _seconds(action.value("duration"), namespace, f"{what}: duration")
        return PlannedAction("wait", action.where, None, {"duration": duration})

    def _prompt(self, action: Action, namespace: Mapping[str, Any],
                what: str) -> PlannedAction:
        return PlannedAction("prompt", action.where, None, {"message": action.message})

    def _read(self, action: Action, namespace: Mapping[str, Any], what: str) -> PlannedAction:
        count = _count(action.value("count"), namespace, f"{what}: count")
        interval = _seconds(action.value("interval"), namespace, f"{what}: interval")
        timeout = _seconds(action.value("timeout"), namespace, f"{what}: timeout",
                           positive=True)
        return PlannedAction("read", action.where, action.role,
                             {"name": action.as_, "mode": action.mode, "count": count,
                              "interval": interval, "timeout": timeout})


_BUILDERS: dict[str, Callable[..., PlannedAction]] = {
    "zero": _Planner._simple,
    "tare": _Planner._simple,
    "clear_tare": _Planner._simple,
    "load": _Planner._load,
    "unload": _Planner._unload,
    "wait": _Planner._wait,
    "read": _Planner._read,
    "prompt": _Planner._prompt,
    "change_point": _Planner._change_point,
    "discrimination": _Planner._discrimination,
}
