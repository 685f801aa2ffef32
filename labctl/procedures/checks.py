"""Checks across a procedure file that its shape cannot express.

Roles named by actions are declared, with the capability the action needs; variables
read attributes the role's capability declares; every name in an expression is a
parameter, a variable or a point variable; step ids are unique; positions are
positions; analyses are known, with options they accept, and name existing steps.
Each refusal is one ``ConfigError`` at the ``file:line:col`` of the offending key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from labctl.drivers.capabilities import CAPABILITIES, Instrument, provides
from labctl.errors import ConfigError
from labctl.procedures.action_models import Action
from labctl.procedures.procedure_model import AnalysisSpec, Procedure, Step
from labctl.procedures.values import Value, compile_value

_ROLE_ATTRIBUTE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)$")


def role_attributes(capability: str) -> tuple[str, ...]:
    """What ``role.attribute`` may read from a role of ``capability``: the data the
    capability protocol declares (a scale's capacity, e, d, min_load, accuracy_class)."""
    names: list[str] = []
    for cls in reversed(CAPABILITIES.get(capability).__mro__):
        if cls is Instrument or not getattr(cls, "_is_protocol", False):
            continue
        names += [n for n, kind in cls.__dict__.get("__annotations__", {}).items()
                  if not n.startswith("_") and n not in names
                  and not str(kind).startswith("ClassVar")]
    return tuple(names)


@dataclass(frozen=True)
class ActionCheck:
    """Where an action stands, for its ``check`` hook: the procedure, the step (and its
    index), the section (``before``, ``actions``, ``after``) and the action's location
    (``base``, the keys to pass to ``procedure.where``)."""

    procedure: Procedure
    step_index: int
    step: Step
    section: str
    base: tuple[Any, ...]

    def where(self, *keys: Any) -> str:
        """``file:line:col`` of a key of the action (none: the action itself)."""
        return self.procedure.where(*self.base, *keys)

    def point_where(self, j: int) -> str:
        return self.procedure.where("steps", self.step_index, "points", j)


def check_procedure(proc: Procedure) -> None:
    """Checks across the file, each a ConfigError at the offending place."""
    params = set(proc.parameters)
    known = set(params)
    for name, text in proc.variables.items():
        at = proc.where("variables", name)
        if name in params:
            raise ConfigError(f"variable {name!r} has the name of a parameter", where=at,
                              hint="rename one of them")
        m = _ROLE_ATTRIBUTE.match(text) if isinstance(text, str) else None
        if m:
            role, attribute = m.groups()
            if role not in proc.roles:
                raise ConfigError(f"variable {name!r} reads role {role!r}, which is not "
                                  f"declared", where=at,
                                  hint=f"declared roles: {', '.join(proc.roles)}")
            capability = proc.roles[role].capability
            attributes = role_attributes(capability)
            if attribute not in attributes:
                raise ConfigError(
                    f"variable {name!r}: a {capability} role has no attribute {attribute!r}",
                    where=at, hint=f"readable: {', '.join(attributes) or 'none'}")
            proc._variables[name] = (role, attribute)
        else:
            proc._variables[name] = compile_value(text, known, where=at,
                                                  what=f"variable {name!r}")
        known.add(name)

    for name, text in proc.settings.items():
        proc._settings[name] = compile_value(text, known, where=proc.where("settings", name),
                                             what=f"setting {name!r}")

    if proc.conditions is not None and not proc.roles_with("environment"):
        raise ConfigError("conditions need a role with capability environment to watch them",
                          where=proc.where("conditions"),
                          hint="add e.g. `environment: {capability: environment, "
                               "optional: true}` to roles")

    seen: dict[str, str] = {}
    for i, step in enumerate(proc.steps):
        step._where = proc.where("steps", i)
        if step.id in seen:
            raise ConfigError(f"step id {step.id!r} is used twice (first at {seen[step.id]})",
                              where=proc.where("steps", i, "id"),
                              hint="give every step its own id")
        seen[step.id] = proc.where("steps", i, "id")
        _check_step(proc, i, step, known)

    analysis_names = _known_analyses()
    for i, spec in enumerate(proc.analyses):
        if spec.analysis not in analysis_names:
            raise ConfigError(f"unknown analysis {spec.analysis!r}",
                              where=proc.where("analyses", i, "analysis"),
                              hint=f"the analyses are {', '.join(sorted(analysis_names))}")
        _check_analysis_options(proc, i, spec)
        refs = [(("steps", j), s) for j, s in enumerate(spec.steps)]
        refs += [(("options", k), v) for k, v in spec.options.items()
                 if k.endswith("_step") and isinstance(v, str)]
        for loc, step_id in refs:
            if step_id not in seen:
                raise ConfigError(f"analysis {spec.analysis!r} refers to unknown step "
                                  f"{step_id!r}", where=proc.where("analyses", i, *loc),
                                  hint=f"the steps are {', '.join(seen)}")


def _check_step(proc: Procedure, i: int, step: Step, known: set[str]) -> None:
    # Point variables: expressions over parameters, variables and earlier point
    # variables of the same point; a bare unknown name is a word (``front``).
    point_names: set[str] = set()
    for j, point in enumerate(step.points):
        scope = set(known)
        compiled: dict[str, Value] = {}
        for name, source in point.items():
            at = proc.where("steps", i, "points", j, name)
            if name in known:
                raise ConfigError(f"point variable {name!r} has the name of a variable or "
                                  f"parameter", where=at, hint="rename the point variable")
            compiled[name] = compile_value(source, scope, where=at, words=True,
                                           what=f"point variable {name!r}")
            scope.add(name)
        step._points.append(compiled)
        point_names |= set(point)

    for section, actions in step.sections():
        scope = known | point_names if section == "actions" else set(known)
        for k, action in enumerate(actions):
            base = ("steps", i, section, k, action.kind)
            action._where = proc.where("steps", i, section, k)
            _check_roles(proc, action, base)
            for key, (file_key, source) in action.expression_sources().items():
                at = proc.where(*base, file_key)
                value = compile_value(source, scope, where=at, what=f"{action.kind} {key}")
                action._values[key] = value
                if section == "actions":
                    _check_point_words(proc, i, step, value, action, key)
            action.check(ActionCheck(proc, i, step, section, base))
            if action.when is not None and not isinstance(action.when, bool):
                name = action.when.removeprefix("not ").strip()
                if name not in scope:
                    raise ConfigError(f"when: unknown name {name!r}",
                                      where=proc.where(*base, "when"),
                                      hint="name a parameter or variable that is true or "
                                           "false, e.g. `when: change_point`")


def _check_roles(proc: Procedure, action: Action, base: tuple[Any, ...]) -> None:
    for key, capability in action.roles.items():
        role = getattr(action, key)
        at = proc.where(*base, key)
        if role not in proc.roles:
            raise ConfigError(f"{action.kind}: role {role!r} is not declared", where=at,
                              hint=f"declared roles: {', '.join(proc.roles)}")
        have = proc.roles[role].capability
        if capability is not None and not provides((have,), capability):
            raise ConfigError(
                f"{action.kind}: role {role!r} has capability {have!r}, the action needs "
                f"{capability!r}", where=at,
                hint=f"roles with {capability}: "
                     f"{', '.join(_roles_providing(proc, capability)) or 'none declared'}")


def _check_point_words(proc: Procedure, i: int, step: Step, value: Value, action: Action,
                       key: str) -> None:
    """A numeric action key naming a point variable: every point must define it, and
    not as a word (a misspelt name in a point is caught here, at the point)."""
    for name in value.names:
        if name in proc.parameters or name in proc.variables:
            continue
        for j, point in enumerate(step.point_values):
            if name not in point:
                raise ConfigError(
                    f"{action.kind} {key} uses {name!r}, which point {j + 1} of step "
                    f"{step.id!r} does not define", where=proc.where("steps", i, "points", j),
                    hint=f"add {name}: ... to the point")
            if point[name].kind == "word":
                known = sorted({*proc.parameters, *proc.variables, *point} - {name})
                raise ConfigError(
                    f"point variable {name!r}: {point[name].value!r} is not a known name",
                    where=point[name].where, hint=f"known names here: {', '.join(known)}")


def _known_analyses() -> set[str]:
    """Names in the analysis registry (the ``labctl.analyses`` entry points)."""
    from labctl.analysis.registry import ANALYSES

    return set(ANALYSES.names())


def _check_analysis_options(proc: Procedure, i: int, spec: AnalysisSpec) -> None:
    """The options an analysis accepts, checked now rather than after the run."""
    from labctl.analysis.registry import ANALYSES

    where = proc.where("analyses", i, "analysis")
    ANALYSES.get(spec.analysis, where=where).options(
        spec.options, where=proc.where("analyses", i, "options"))


def _roles_providing(proc: Procedure, capability: str) -> list[str]:
    return [r for r, spec in proc.roles.items() if provides((spec.capability,), capability)]
