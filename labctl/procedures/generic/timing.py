"""``wait`` (a clock wait, watched for the conditions and aborts) and ``prompt`` (the
operator's answer, through the runner's operator channel)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from labctl.procedures.action_models import Action
from labctl.procedures.execution import Execution
from labctl.procedures.model_base import Scalar
from labctl.procedures.plan_data import PlannedAction
from labctl.procedures.planning import Planning


class WaitAction(Action):
    kind: ClassVar[str] = "wait"
    expressions: ClassVar[tuple[str, ...]] = ("duration",)
    duration: Scalar

    @property
    def roles(self) -> dict[str, str | None]:
        return {}

    def plan(self, planning: Planning, namespace: Mapping[str, Any],
             what: str) -> PlannedAction:
        duration = planning.seconds(self.value("duration"), namespace, f"{what}: duration")
        return PlannedAction(self.kind, self.where, None, {"duration": duration})

    @classmethod
    def execute(cls, action: PlannedAction, ex: Execution) -> None:
        ex.sleep(action.args["duration"])

    @classmethod
    def describe(cls, action: PlannedAction) -> str:
        return f"wait {action.args['duration']:g} s"


class PromptAction(Action):
    kind: ClassVar[str] = "prompt"
    message: str

    @property
    def roles(self) -> dict[str, str | None]:
        return {}

    def plan(self, planning: Planning, namespace: Mapping[str, Any],
             what: str) -> PlannedAction:
        return PlannedAction(self.kind, self.where, None, {"message": self.message})

    @classmethod
    def execute(cls, action: PlannedAction, ex: Execution) -> None:
        message = action.args["message"]
        answer = ex.prompt(message)
        ex.emit("prompt", **ex.tags, message=message, answer=answer)

    @classmethod
    def describe(cls, action: PlannedAction) -> str:
        return f"ask the operator: {action.args['message']}"
