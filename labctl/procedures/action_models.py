"""Actions as plug-ins (docs/families.md): the ``Action`` base, ``ACTIONS`` (the
``labctl.actions`` entry-point group: action kind -> ``Action`` subclass) and
``action_union()``, the tagged union a step's ``before``, ``actions`` and ``after``
lists hold.

One class per action kind holds everything about it:

- its pydantic model: the keys it takes in the procedure file (``role`` keys checked
  against the declared roles, ``expressions`` compiled at load time);
- ``check(...)``: what it refuses at load time beyond its shape (file:line:col);
- ``plan(planning, namespace, what)``: what it needs at plan time and what it refuses
  then, giving a ``PlannedAction`` whose ``args`` hold every value evaluated;
- ``execute(planned, ex)``: what it does on the bench and what it journals;
- ``describe(planned)``: one line of ``labctl run --dry-run``;
- ``expected_readings(planned)``: the readings a finished attempt holds (progress and
  resume checks).

State that outlives one action (the weights on a receptor, a source's output) is a
``labctl.procedures.planning.PlanState`` of the family, which also says how to restore
it on resume. The core's generic actions (``set``, ``output``, ``settle``, ``read``,
``record_series``, ``wait``, ``prompt``) are in ``labctl.procedures.generic``; the
weighing family's in ``labctl.procedures.weighing``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Union

from pydantic import Discriminator, PrivateAttr, Tag, model_validator
from pydantic_core import PydanticCustomError

from labctl.plugins import Plugins
from labctl.procedures.model_base import _Model
from labctl.procedures.values import Value

if TYPE_CHECKING:
    from labctl.procedures.execution import Execution
    from labctl.procedures.plan_data import PlannedAction
    from labctl.procedures.planning import Planning


class Action(_Model):
    """One action of a step: a mapping with one key, the action's kind."""

    kind: ClassVar[str]
    capability: ClassVar[str | None] = None          # capability of ``role``
    expressions: ClassVar[tuple[str, ...]] = ()      # keys holding numeric expressions
    when: str | bool | None = None                   # run only when this name is true

    _where: str = PrivateAttr("")
    _values: dict[str, Value] = PrivateAttr(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and len(data) == 1 and cls.kind in data:
            inner = data[cls.kind]
            if inner is None:
                return {}
            if not isinstance(inner, Mapping):
                raise PydanticCustomError(
                    "action_keys", "the action {kind} takes a mapping of keys, e.g. {example}",
                    {"kind": repr(cls.kind), "example": "{" + cls._example() + "}"})
            return inner
        return data

    @classmethod
    def _example(cls) -> str:
        return ", ".join(f"{k}: ..." for k, f in cls.model_fields.items()
                         if f.is_required())

    @property
    def where(self) -> str:
        return self._where

    def value(self, key: str) -> Value:
        """The compiled value of an expression key (set by ``load_procedure``)."""
        return self._values[key]

    @property
    def roles(self) -> dict[str, str | None]:
        """Role keys of this action -> the capability each needs."""
        return {"role": self.capability}

    def expression_sources(self) -> dict[str, tuple[str, Any]]:
        """Expression key -> (its key in the file, its source text), for the keys given
        (compiled by ``load_procedure``, read back with ``value``)."""
        out: dict[str, tuple[str, Any]] = {}
        for key in self.expressions:
            source = getattr(self, key)
            if source is not None:
                out[key] = (type(self).model_fields[key].alias or key, source)
        return out

    # -- the plug-in hooks -----------------------------------------------------------
    def check(self, check: Any) -> None:  # noqa: B027 - most actions check nothing more
        """Refuse at load time what the shape cannot express; ``check`` is a
        ``labctl.procedures.checks.ActionCheck`` (the procedure, the step, the place).
        Nothing beyond the shape by default."""

    def plan(self, planning: Planning, namespace: Mapping[str, Any],
             what: str) -> PlannedAction:
        """The action with every value evaluated. Default: the role, and ``as`` as
        ``name`` when the action has one."""
        from labctl.procedures.plan_data import PlannedAction

        args = {"name": self.as_} if hasattr(self, "as_") else {}
        return PlannedAction(self.kind, self.where, getattr(self, "role", None), args)

    @classmethod
    def execute(cls, action: PlannedAction, ex: Execution) -> None:
        """Do the planned action; every event it causes is emitted before it returns."""
        raise NotImplementedError(f"action {cls.kind!r} does not say how it is executed")

    @classmethod
    def describe(cls, action: PlannedAction) -> str:
        """One line for the dry run."""
        return f"{action.kind} {action.role}" if action.role else action.kind

    @classmethod
    def expected_readings(cls, action: PlannedAction) -> dict[str, int]:
        """Reading name -> how many readings of it a finished attempt holds (actions
        whose count is known only at run time give nothing)."""
        return {}


def _is_action(obj: Any) -> str | None:
    if isinstance(obj, type) and issubclass(obj, Action) and isinstance(
            getattr(obj, "kind", None), str):
        return None
    return "is not an Action subclass with a kind"


ACTIONS: Plugins[type[Action]] = Plugins("labctl.actions", "action", _is_action)
"""Action kind -> ``Action`` subclass (the ``labctl.actions`` entry-point group)."""


def action_class(kind: str) -> type[Action]:
    return ACTIONS.get(kind)


def _action_tag(value: Any) -> str | None:
    if isinstance(value, Action):
        return value.kind
    if isinstance(value, Mapping) and len(value) == 1:
        return str(next(iter(value)))
    return None


def action_union() -> Any:
    """The tagged union of every registered action (for a step's action lists)."""
    classes = ACTIONS.all()
    members = tuple(Annotated[cls, Tag(kind)] for kind, cls in classes.items())
    return Annotated[Union[members], Discriminator(_action_tag)]  # noqa: UP007
