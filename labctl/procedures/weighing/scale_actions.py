"""``zero``, ``tare`` and ``clear_tare`` of a ``scale`` role; ``tare`` journals the
reading the scale gives as it tares (named by ``as``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from labctl.procedures.action_models import Action
from labctl.procedures.execution import Execution, emit_reading
from labctl.procedures.plan_data import PlannedAction


class ZeroAction(Action):
    kind: ClassVar[str] = "zero"
    capability: ClassVar[str | None] = "scale"
    role: str

    @classmethod
    def execute(cls, action: PlannedAction, ex: Execution) -> None:
        ex.instruments[action.role].zero()


class TareAction(Action):
    kind: ClassVar[str] = "tare"
    capability: ClassVar[str | None] = "scale"
    role: str
    as_: str = Field("tare", alias="as")

    @classmethod
    def execute(cls, action: PlannedAction, ex: Execution) -> None:
        ex.before_reading()
        reading = ex.instruments[action.role].tare()
        emit_reading(ex, action.role, action.args["name"], reading)

    @classmethod
    def describe(cls, action: PlannedAction) -> str:
        return f"tare {action.role} (reading as {action.args['name']})"

    @classmethod
    def expected_readings(cls, action: PlannedAction) -> dict[str, int]:
        return {action.args["name"]: 1}


class ClearTareAction(Action):
    kind: ClassVar[str] = "clear_tare"
    capability: ClassVar[str | None] = "scale"
    role: str

    @classmethod
    def execute(cls, action: PlannedAction, ex: Execution) -> None:
        ex.instruments[action.role].clear_tare()
