"""What an action's ``plan`` hook may ask of the planner (``Planning``), and the state a
family keeps across the actions of a plan (``PlanState``).

``Planning`` is what ``labctl.procedures.planner`` gives every action: the procedure, the
instruments bound to its roles, the values of its parameters and variables, the
evaluation of an action's expressions into checked quantities, durations and counts,
a role's data-plate attribute, the procedure's ``settings`` and the family states.

A ``PlanState`` is created the first time an action asks for it (``planning.state``),
once per plan. The planner takes its ``snapshot()`` before every point; on resume, when
finished points are skipped, the runner asks ``restore(have, want, where)`` for the
actions that bring the bench from the state the step's ``before`` left to the state the
point starts from (the weighing family puts back the loads the skipped points left on a
receptor). ``info()`` adds entries to the plan (the dry run and the journal's ``plan``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from labctl.procedures.plan_context import PlanContext
    from labctl.procedures.plan_data import PlannedAction
    from labctl.procedures.procedure_model import Procedure
    from labctl.procedures.values import Value

S = TypeVar("S", bound="PlanState")


class PlanState:
    """A family's state through a plan. Subclasses set ``key`` and ``initial`` (the
    snapshot of a fresh state) and override what they keep."""

    key: ClassVar[str]
    initial: ClassVar[Any] = None

    def __init__(self, planning: Planning) -> None:
        self.planning = planning

    def snapshot(self) -> Any:
        """An immutable, comparable picture of the state now; None when it is known
        only at run time (then nothing is restored from it)."""
        return self.initial

    @classmethod
    def restore(cls, have: Any, want: Any, where: str) -> list[PlannedAction]:
        """The actions that bring the bench from snapshot ``have`` to ``want``."""
        return []

    def info(self) -> Mapping[str, Any]:
        """Entries for the plan's ``info`` (journaled with the plan)."""
        return {}

    def describe(self) -> list[str]:
        """Lines for the dry run's heading (default: the ``info`` entries)."""
        from labctl.numbers import quantity_text

        return [f"{k.replace('_', ' ')}: {quantity_text(v)}" if hasattr(v, "units")
                else f"{k.replace('_', ' ')}: {v}" for k, v in self.info().items()]


class Planning(ABC):
    """The planner as an action's ``plan`` hook sees it."""

    procedure: Procedure
    context: PlanContext
    roles: Mapping[str, Any]          # role -> the instrument bound to it
    parameters: Mapping[str, Any]

    @property
    @abstractmethod
    def namespace(self) -> dict[str, Any]:
        """The parameters and the variables by name."""

    @abstractmethod
    def evaluate(self, value: Value, namespace: Mapping[str, Any], what: str) -> Any:
        """A compiled value evaluated; ``RunError`` at its place in the file."""

    @abstractmethod
    def quantity(self, value: Value, namespace: Mapping[str, Any], expect: str,
                 what: str) -> Any:
        """A value that must be a quantity of the dimension of unit ``expect``."""

    @abstractmethod
    def seconds(self, value: Value, namespace: Mapping[str, Any], what: str, *,
                positive: bool = False) -> float:
        """A duration, in seconds."""

    @abstractmethod
    def count(self, value: Value, namespace: Mapping[str, Any], what: str) -> int:
        """A whole number of at least 1."""

    @abstractmethod
    def role_attribute(self, role: str, attribute: str, at: str, what: str) -> Any:
        """An attribute of the instrument bound to ``role`` (its data plate); refused
        when the bench lacks the role or the instrument does not give it."""

    @abstractmethod
    def setting(self, name: str) -> Value | None:
        """The procedure's ``settings: {name: ...}`` value, compiled (None if unset)."""

    @abstractmethod
    def state(self, cls: type[S]) -> S:
        """The plan's state of ``cls`` (created on first use)."""
