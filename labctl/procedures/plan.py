"""The plan: a procedure expanded, on a given bench, into every action the run will do.

``make_plan(procedure, context)`` evaluates the variables (``Max: dut.capacity`` reads
the attribute from the instrument bound to the role), expands each step's points
(``sequence: up_down`` gives the points then the reverse without the top one; ``repeat``
repeats the list; points are numbered on: ``weighing/01``, ``weighing/02``...), evaluates
the point variables and each action's values to pint quantities, and chooses the
weights of every load. Everything that can be refused before an instrument moves is
refused here, with the procedure's ``file:line:col``: a load above the most allowed, a
mass the weight set cannot make, a value of the wrong unit, an action on a role the
bench lacks or whose instrument does not have the capability.

The plan is data: ``describe()`` prints it (``labctl run --dry-run``) and ``to_event()``
gives the journal's ``plan`` event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from labctl.drivers.capabilities import CAPABILITIES
from labctl.errors import LabctlError, RunError
from labctl.procedures.schema import (
    POSITIONS,
    Action,
    ChangePointAction,
    LoadAction,
    Procedure,
    resolve_parameters,
)
from labctl.procedures.values import Value

ChooseWeights = Callable[[Any, frozenset[str]], tuple[str, ...]]
"""``choose(mass, exclude) -> register ids`` of weights making ``mass``; RunError if none."""


@dataclass(frozen=True)
class LoadGroup:
    """Weights put on a receptor together, at one position."""

    weights: tuple[str, ...]
    position: str
    mass: Any  # nominal, a pint Quantity


Receptor = tuple[LoadGroup, ...]


@dataclass(frozen=True)
class PlannedAction:
    """One action with every value evaluated (``args`` holds quantities, ids, names)."""

    kind: str
    where: str
    role: str | None = None
    args: Mapping[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        a = self.args
        if self.kind == "load":
            verb = "add" if a["add"] else "load"
            return (f"{verb} {a['mass']:~P} with {self.role} at {a['position']}: "
                    f"{', '.join(a['weights']) or 'nothing'}")
        if self.kind == "read":
            times = f" x{a['count']} every {a['interval']:g} s" if a["count"] > 1 else ""
            return f"read {self.role} as {a['name']} ({a['mode']}){times}"
        if self.kind == "tare":
            return f"tare {self.role} (reading as {a['name']})"
        if self.kind == "wait":
            return f"wait {a['duration']:g} s"
        if self.kind == "prompt":
            return f"ask the operator: {a['message']}"
        if self.kind == "change_point":
            return (f"change point on {self.role}: add {a['step']:~P} with {a['loader']} "
                    f"until +{a['threshold']:~P}, at most {a['max_steps']} times")
        return f"{self.kind} {self.role}"


@dataclass(frozen=True)
class PlannedPoint:
    step: str
    point: str              # "weighing/03"
    index: int              # 0-based position in the step's sequence
    definition: int         # 0-based entry of the step's ``points`` it comes from
    direction: str | None   # "up" / "down" for sequence up_down, else None
    repetition: int         # 1-based
    variables: Mapping[str, Any]
    actions: tuple[PlannedAction, ...]
    start_loads: Mapping[str, Receptor] | None  # receptors before the point (None: unknown)
    where: str = ""


@dataclass(frozen=True)
class PlannedStep:
    id: str
    title: str
    where: str
    before: tuple[PlannedAction, ...]
    points: tuple[PlannedPoint, ...]
    after: tuple[PlannedAction, ...]
    loads_after_before: Mapping[str, Receptor] | None
    on_resume: str = "continue"                 # "redo": measured again on resume


@dataclass(frozen=True)
class Plan:
    procedure_id: str
    procedure_version: str
    procedure_sha256: str
    parameters: Mapping[str, Any]
    variables: Mapping[str, Any]
    max_load: Any
    steps: tuple[PlannedStep, ...]

    @property
    def points(self) -> list[PlannedPoint]:
        return [p for s in self.steps for p in s.points]

    def point(self, point_id: str) -> PlannedPoint:
        for p in self.points:
            if p.point == point_id:
                return p
        raise KeyError(point_id)

    def readings_expected(self, point_id: str) -> dict[str, int]:
        """Reading name -> how many readings a finished attempt of the point holds
        (change-point readings vary in number and are left out)."""
        counts: dict[str, int] = {}
        for action in self.point(point_id).actions:
            if action.kind == "read":
                counts[action.args["name"]] = counts.get(action.args["name"], 0) \
                    + action.args["count"]
            elif action.kind == "tare":
                counts[action.args["name"]] = counts.get(action.args["name"], 0) + 1
        return counts

    def to_event(self) -> dict[str, Any]:
        """The journal's ``plan`` event (without the common keys)."""
        return {
            "points": [{"point": p.point, "step": p.step, "index": p.index,
                        "definition": p.definition, "direction": p.direction,
                        "repetition": p.repetition,
                        "variables": {k: value_json(v) for k, v in p.variables.items()}}
                       for p in self.points],
            "variables": {k: value_json(v) for k, v in self.variables.items()},
            "max_load": value_json(self.max_load) if self.max_load is not None else None,
        }

    def describe(self) -> str:
        """The plan as text, one line per action (``labctl run --dry-run``)."""
        lines = [f"{self.procedure_id} {self.procedure_version} "
                 f"(sha256 {self.procedure_sha256[:12]})"]
        if self.parameters:
            lines.append("parameters: " + ", ".join(f"{k}={_text(v)}"
                                                    for k, v in self.parameters.items()))
        if self.variables:
            lines.append("variables: " + ", ".join(f"{k}={_text(v)}"
                                                   for k, v in self.variables.items()))
        if self.max_load is not None:
            lines.append(f"most load allowed: {self.max_load:~P}")
        for step in self.steps:
            lines.append(f"step {step.id}: {step.title} ({len(step.points)} points)")
            lines += [f"  before: {a.describe()}" for a in step.before]
            for p in step.points:
                variables = ", ".join(f"{k}={_text(v)}" for k, v in p.variables.items())
                direction = f" [{p.direction}]" if p.direction else ""
                lines.append(f"  {p.point}{direction} {variables}".rstrip())
                lines += [f"    {a.describe()}" for a in p.actions]
            lines += [f"  after: {a.describe()}" for a in step.after]
        return "\n".join(lines)


def value_json(value: Any) -> dict[str, Any]:
    """A plan value as ``{"value", "unit"}``: unit text for quantities, "" for plain
    numbers, None for words and booleans."""
    from labctl.procedures.journal import unit_text

    if hasattr(value, "magnitude") and hasattr(value, "units"):
        return {"value": float(value.magnitude), "unit": unit_text(value.units)}
    if isinstance(value, bool) or not isinstance(value, int | float):
        return {"value": value, "unit": None}
    return {"value": value, "unit": ""}


def _text(value: Any) -> str:
    if hasattr(value, "magnitude"):
        return f"{value:~P}"
    return str(value).lower() if isinstance(value, bool) else str(value)


# --------------------------------------------------------------------------- context


@dataclass
class PlanContext:
    """What the plan needs from the bench and the command line.

    ``roles``: role name -> the instrument bound to it (absent: the bench lacks it);
    ``parameters``: overrides of the procedure's parameters (``--param``, text or typed);
    ``choose_weights``: ``(mass, exclude) -> weight ids`` (needed by ``load`` actions).
    """

    roles: Mapping[str, Any]
    parameters: Mapping[str, Any] | None = None
    choose_weights: ChooseWeights | None = None


def implements(instrument: Any, capability: str) -> bool:
    """Whether ``instrument`` offers ``capability``: its class's declared ``capabilities``
    (names like ``"scale"`` or protocol classes) when it has them, so no attribute of the
    instrument is read (no I/O); else a structural check against the protocol."""
    proto = CAPABILITIES[capability]
    declared = getattr(type(instrument), "capabilities", None)
    if declared is not None:
        return any(c == capability or proto in getattr(c, "__mro__", ()) for c in declared)
    return isinstance(instrument, proto)


def bind_roles(procedure: Procedure, roles: Mapping[str, Any]) -> dict[str, Any]:
    """The procedure's roles bound on the bench; ``RunError`` for a missing required role
    or an instrument without the capability (at the role's declaration)."""
    bound: dict[str, Any] = {}
    for name, spec in procedure.roles.items():
        at = procedure.where("roles", name)
        instrument = roles.get(name)
        if instrument is None:
            if spec.optional:
                continue
            raise RunError(f"the bench has no instrument for role {name!r} "
                           f"(capability {spec.capability})", where=at,
                           hint=f"give an instrument `role: {name}` in the bench file")
        if not implements(instrument, spec.capability):
            label = getattr(instrument, "name", type(instrument).__name__)
            raise RunError(f"role {name!r} needs capability {spec.capability!r}, which "
                           f"instrument {label!r} does not offer", where=at,
                           hint="bind the role to another instrument in the bench file")
        bound[name] = instrument
    return bound


# --------------------------------------------------------------------------- planning


def make_plan(procedure: Procedure, context: PlanContext) -> Plan:
    """Expand and check the whole run; ``RunError``/``ConfigError`` at the procedure's
    place before anything moves."""
    return _Planner(procedure, context).plan()


class _Planner:
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

    def _snapshot(self) -> dict[str, Receptor] | None:
        if any(r is None for r in self.receptors.values()):
            return None
        return {role: r for role, r in self.receptors.items() if r}

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

    def _unload(self, action: Action, namespace: Mapping[str, Any],
                what: str) -> PlannedAction:
        self.receptors[action.role] = ()
        return PlannedAction("unload", action.where, action.role, {})

    def _load(self, action: LoadAction, namespace: Mapping[str, Any],
              what: str) -> PlannedAction:
        mass = _quantity(action.value("mass"), namespace, "kg", f"{what}: mass")
        position = self._position(action, namespace, what)
        current = self.receptors.get(action.role, ())
        if current is None:
            raise RunError(f"{what}: after a change point the weights on the receptor are "
                           f"known only at run time", where=action.where,
                           hint=f"unload {action.role} after the change_point")
        if current and not action.add:
            on = ", ".join(w for g in current for w in g.weights)
            raise RunError(f"{what}: the receptor of {action.role} already holds {on}; a load "
                           f"without add is put on an empty receptor", where=action.where,
                           hint=f"unload {action.role} first, or write add: true")
        if mass.magnitude == 0:
            raise RunError(f"{what}: a load of {mass:~P} puts nothing on", where=action.where,
                           hint="use unload to empty the receptor")
        base = current if action.add else ()
        self._check_total((*base, LoadGroup((), position, mass)), action, what)
        in_use = frozenset(w for g in base for w in g.weights)
        weights = self._choose(mass, in_use, action, what)
        self.receptors[action.role] = (*base, LoadGroup(weights, position, mass))
        return PlannedAction("load", action.where, action.role,
                             {"mass": mass, "weights": weights, "position": position,
                              "add": action.add})

    def _change_point(self, action: ChangePointAction, namespace: Mapping[str, Any],
                      what: str) -> PlannedAction:
        step = _quantity(action.value("step"), namespace, "kg", f"{what}: step")
        if step.magnitude <= 0:
            raise RunError(f"{what}: step {step:~P} must be more than zero",
                           where=action.where)
        max_steps = _count(action.value("max_steps"), namespace, f"{what}: max_steps")
        timeout = _seconds(action.value("timeout"), namespace, f"{what}: timeout",
                           positive=True)
        threshold = self._role_attribute(action.role, "d", action.where, what)
        base = self.receptors.get(action.loader, ())
        if not base:
            raise RunError(f"{what}: nothing stands on {action.loader}'s receptor to find "
                           f"the change point of", where=action.where,
                           hint="load the test load before the change_point action")
        in_use = frozenset(w for g in base for w in g.weights)
        position = base[0].position
        self._check_total((*base, LoadGroup((), position, step * max_steps)), action, what)
        increments = []
        previous: tuple[str, ...] = ()
        for k in range(1, max_steps + 1):
            # Add one step's weights if the set still has them; else make the new total
            # afresh (taking the smaller pieces off, so everything goes off and on again).
            try:
                added = self._choose(step, in_use | set(previous), action, what)
            except RunError:
                added = None
            if added is not None:
                increments.append({"add": True, "weights": added, "mass": step})
                previous = (*previous, *added)
                continue
            chosen = self._choose(step * k, in_use, action, f"{what} (addition {k})")
            if set(previous) <= set(chosen):
                added = tuple(w for w in chosen if w not in previous)
                increments.append({"add": True, "weights": added, "mass": step})
            else:
                placed = (*(w for g in base for w in g.weights), *chosen)
                increments.append({"add": False, "weights": placed,
                                   "mass": sum((g.mass for g in base), step * 0) + step * k})
            previous = chosen
        self.receptors[action.loader] = None  # how many additions is known only at run time
        return PlannedAction("change_point", action.where, action.role,
                             {"name": action.as_, "loader": action.loader, "step": step,
                              "max_steps": max_steps, "threshold": threshold,
                              "timeout": timeout, "position": position,
                              "increments": tuple(increments)})

    def _position(self, action: LoadAction, namespace: Mapping[str, Any], what: str) -> str:
        position = namespace.get(action.position, action.position)
        if position not in POSITIONS:
            raise RunError(f"{what}: position {position!r} is not a position",
                           where=action.where, hint=f"the positions are {', '.join(POSITIONS)}")
        return str(position)

    def _choose(self, mass: Any, in_use: frozenset[str], action: Action, what: str
                ) -> tuple[str, ...]:
        if mass.magnitude < 0:
            raise RunError(f"{what}: a load of {mass:~P} is negative", where=action.where)
        if self.choose is None:
            raise RunError(f"{what}: the bench has no weight set to make {mass:~P} with",
                           where=action.where,
                           hint="list the weight set under the bench file's standards")
        try:
            return tuple(self.choose(mass, in_use))
        except LabctlError as exc:
            raise RunError(f"{what}: {exc.message}", where=action.where,
                           hint=exc.hint) from None

    def _check_total(self, receptor: Receptor, action: Action, what: str) -> None:
        if self.max_load is None:
            return
        total = sum((g.mass for g in receptor), self.max_load * 0)
        if total > self.max_load * (1 + 1e-12):
            raise RunError(
                f"{what}: {total.to(self.max_load.units):~P} on the receptor is above the "
                f"most the procedure allows, {self.max_load:~P}", where=action.where,
                hint="lower the load, or set max_load in the procedure (default: Max + 9 e)")


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
}


# --------------------------------------------------------------------------- values


def _evaluate(value: Value, namespace: Mapping[str, Any], what: str) -> Any:
    try:
        return value.evaluate(namespace)
    except LabctlError as exc:
        raise RunError(f"{what} {str(value)!r}: {exc.message}", where=value.where,
                       hint=exc.hint) from None


def _quantity(value: Value, namespace: Mapping[str, Any], expect: str, what: str) -> Any:
    from labctl.units import check_dimension, parse_unit

    result = _evaluate(value, namespace, what)
    if not hasattr(result, "dimensionality"):
        like = "a mass like '2 kg'" if expect == "kg" else f"a quantity in {expect}"
        raise RunError(f"{what} {str(value)!r} is {result!r}, expected {like}",
                       where=value.where)
    try:
        check_dimension(result, parse_unit(expect), what=f"{what} {str(value)!r}")
    except LabctlError as exc:
        raise RunError(exc.message, where=value.where, hint=exc.hint) from None
    return result


def _seconds(value: Value, namespace: Mapping[str, Any], what: str, *,
             positive: bool = False) -> float:
    seconds = float(_quantity(value, namespace, "s", what).to("s").magnitude)
    if seconds < 0 or (positive and seconds == 0):
        raise RunError(f"{what} {str(value)!r} must be {'more than' if positive else 'at least'}"
                       f" 0 s", where=value.where)
    return seconds


def _count(value: Value, namespace: Mapping[str, Any], what: str) -> int:
    result = _evaluate(value, namespace, what)
    if hasattr(result, "dimensionality"):
        if not result.dimensionless:
            raise RunError(f"{what} {str(value)!r} must be a plain number",
                           where=value.where)
        result = result.to("").magnitude
    if isinstance(result, bool) or not isinstance(result, int | float) or result < 1 \
            or float(result) != int(result):
        raise RunError(f"{what} {str(value)!r} must be a whole number of at least 1",
                       where=value.where)
    return int(result)
