"""The planner: a procedure expanded, on a given bench, into every action the run will do.

``make_plan(procedure, context)`` evaluates the variables (``Max: dut.capacity`` reads
the attribute from the instrument bound to the role), expands each step's points
(``sequence: up_down`` gives the points then the reverse without the top one; ``repeat``
repeats the list; points are numbered on: ``weighing/01``, ``weighing/02``...), evaluates
the point variables, and asks each action's class to plan it (``Action.plan``, with the
planner as its ``labctl.procedures.planning.Planning``). Everything that can be refused
before an instrument moves is refused here, with the procedure's ``file:line:col``: an
action on a role the bench lacks or whose instrument does not have the capability, a
value of the wrong unit, and whatever each action refuses (a load above the most
allowed, a set point outside a source's limits...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labctl.errors import LabctlError, RunError
from labctl.procedures import plan_values
from labctl.procedures.action_models import Action
from labctl.procedures.parameters import resolve_parameters
from labctl.procedures.plan_context import PlanContext, bind_roles, implements
from labctl.procedures.plan_data import Plan, PlannedAction, PlannedPoint, PlannedStep
from labctl.procedures.planning import Planning, PlanState, S
from labctl.procedures.procedure_model import Procedure
from labctl.procedures.values import Value


def make_plan(procedure: Procedure, context: PlanContext) -> Plan:
    """Expand and check the whole run; ``RunError``/``ConfigError`` at the procedure's
    place before anything moves."""
    return _Planner(procedure, context).plan()


class _Planner(Planning):
    def __init__(self, procedure: Procedure, context: PlanContext) -> None:
        self.proc = self.procedure = procedure
        self.context = context
        self.roles = bind_roles(procedure, context.roles)
        self.parameters = resolve_parameters(procedure, context.parameters)
        self.variables: dict[str, Any] = {}
        self.states: dict[type[PlanState], PlanState] = {}

    def plan(self) -> Plan:
        self._evaluate_variables()
        steps = tuple(self._step(i) for i in range(len(self.proc.steps)))
        info: dict[str, Any] = {}
        notes: list[str] = []
        for state in self.states.values():
            info.update(state.info())
            notes += state.describe()
        return Plan(self.proc.id, self.proc.version, self.proc.sha256, self.parameters,
                    dict(self.variables), steps, info=info, notes=tuple(notes),
                    states={cls.key: cls for cls in self.states})

    # -- what an action's plan hook may ask (labctl.procedures.planning.Planning) -----
    def evaluate(self, value: Value, namespace: Mapping[str, Any], what: str) -> Any:
        return plan_values.evaluate(value, namespace, what)

    def quantity(self, value: Value, namespace: Mapping[str, Any], expect: str,
                 what: str) -> Any:
        return plan_values.quantity(value, namespace, expect, what)

    def seconds(self, value: Value, namespace: Mapping[str, Any], what: str, *,
                positive: bool = False) -> float:
        return plan_values.seconds(value, namespace, what, positive=positive)

    def count(self, value: Value, namespace: Mapping[str, Any], what: str) -> int:
        return plan_values.count(value, namespace, what)

    def setting(self, name: str) -> Value | None:
        return self.proc.setting_values.get(name)

    def state(self, cls: type[S]) -> S:
        state = self.states.get(cls)
        if state is None:
            state = self.states[cls] = cls(self)
        return state  # type: ignore[return-value]

    def _snapshot(self) -> dict[str, Any]:
        return {cls.key: state.snapshot() for cls, state in self.states.items()}

    # -- variables ----------------------------------------------------------------
    @property
    def namespace(self) -> dict[str, Any]:
        return {**self.parameters, **self.variables}

    def _evaluate_variables(self) -> None:
        for name, spec in self.proc.variable_values.items():
            at = self.proc.where("variables", name)
            if isinstance(spec, tuple):
                role, attribute = spec
                self.variables[name] = self.role_attribute(role, attribute, at,
                                                           f"variable {name!r}")
            else:
                self.variables[name] = self.evaluate(spec, self.namespace,
                                                     f"variable {name!r}")

    def role_attribute(self, role: str, attribute: str, at: str, what: str) -> Any:
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
                variables[name] = namespace[name] = self.evaluate(
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
            planned.append(action.plan(self, namespace, what))
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
