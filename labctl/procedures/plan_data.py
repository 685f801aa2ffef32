"""The plan as data: ``Plan`` with its ``PlannedStep``s, ``PlannedPoint``s and
``PlannedAction``s (every value evaluated). ``describe()`` prints the plan (``labctl run
--dry-run``, each action described by its class) and ``to_event()`` gives the journal's
``plan`` event."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PlannedAction:
    """One action with every value evaluated (``args`` holds quantities, ids, names)."""

    kind: str
    where: str
    role: str | None = None
    args: Mapping[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        from labctl.procedures.action_models import action_class

        return action_class(self.kind).describe(self)


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
    start_state: Mapping[str, Any]   # the families' plan states before the point, by key
    where: str = ""


@dataclass(frozen=True)
class PlannedStep:
    id: str
    title: str
    where: str
    before: tuple[PlannedAction, ...]
    points: tuple[PlannedPoint, ...]
    after: tuple[PlannedAction, ...]
    state_after_before: Mapping[str, Any]  # the plan states after the step's ``before``
    on_resume: str = "continue"                 # "redo": measured again on resume


@dataclass(frozen=True)
class Plan:
    procedure_id: str
    procedure_version: str
    procedure_sha256: str
    parameters: Mapping[str, Any]
    variables: Mapping[str, Any]
    steps: tuple[PlannedStep, ...]
    info: Mapping[str, Any] = field(default_factory=dict)   # from the families' states
    states: Mapping[str, type] = field(default_factory=dict)  # key -> PlanState class
    notes: tuple[str, ...] = ()   # the families' lines for the dry run's heading

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
        (change-point and discrimination readings vary in number and are left out)."""
        from labctl.procedures.action_models import action_class

        counts: dict[str, int] = {}
        for action in self.point(point_id).actions:
            for name, n in action_class(action.kind).expected_readings(action).items():
                counts[name] = counts.get(name, 0) + n
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
            **{k: value_json(v) for k, v in self.info.items()},
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
        lines += list(self.notes)
        for step in self.steps:
            count = len(step.points)
            lines.append(f"step {step.id}: {step.title} ({count} point{'' if count == 1 else 's'})")
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
        from labctl.numbers import quantity_text

        return quantity_text(value)
    return str(value).lower() if isinstance(value, bool) else str(value)
