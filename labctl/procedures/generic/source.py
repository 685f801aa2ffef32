"""``set`` (a ``source`` role's set points) and ``output`` (its output on or off:
``output: {role: generator, enabled: true}``).

``set: {role: generator, concentration: level}``: every key besides ``role`` and
``when`` names a setting of the instrument (a ``setting`` descriptor of its driver) and
holds an expression. The value is checked at plan time against the setting's unit and
limits where the driver declares them, so a set point outside a source's range is
refused before anything moves. Each set point is journaled (``set``); ``output`` is
journaled too (``output``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import ConfigDict

from labctl.errors import LabctlError, RunError
from labctl.procedures.action_models import Action
from labctl.procedures.execution import Execution
from labctl.procedures.plan_data import PlannedAction, value_json
from labctl.procedures.planning import Planning


class SetAction(Action):
    """Set points of a source; the setting names are the keys."""

    model_config = ConfigDict(extra="allow")
    kind: ClassVar[str] = "set"
    capability: ClassVar[str | None] = "source"
    role: str

    @property
    def setting_names(self) -> list[str]:
        return [k for k in (self.model_extra or {}) if k not in ("role", "when")]

    def expression_sources(self) -> dict[str, tuple[str, Any]]:
        return {k: (k, (self.model_extra or {})[k]) for k in self.setting_names}

    def check(self, check: Any) -> None:
        if not self.setting_names:
            from labctl.errors import ConfigError

            raise ConfigError("set names no setting", where=check.where(),
                              hint="e.g. `set: {role: generator, concentration: 50 ug/m^3}`")

    def plan(self, planning: Planning, namespace: Mapping[str, Any],
             what: str) -> PlannedAction:
        from labctl.drivers.base import setting_named, settings_of

        instrument = planning.roles.get(self.role)
        points: dict[str, Any] = {}
        for name in self.setting_names:
            value = planning.evaluate(self.value(name), namespace, f"{what}: {name}")
            descriptor = setting_named(type(instrument), name)
            if descriptor is None and settings_of(type(instrument)):
                label = getattr(instrument, "name", self.role)
                raise RunError(f"{what}: instrument {label!r} (role {self.role!r}) has no "
                               f"setting {name!r}", where=self.where,
                               hint=f"its settings: {', '.join(settings_of(type(instrument)))}")
            if descriptor is not None:
                try:
                    descriptor.check(instrument, value)
                except LabctlError as exc:
                    raise RunError(f"{what}: {name} {_text(value)}: {exc.message}",
                                   where=self.where, hint=exc.hint) from None
            points[name] = value
        return PlannedAction(self.kind, self.where, self.role, {"points": points})

    @classmethod
    def execute(cls, action: PlannedAction, ex: Execution) -> None:
        instrument = ex.instruments[action.role]
        used = list(getattr(instrument, "standards_in_use", list)())
        for name, value in action.args["points"].items():
            instrument.set_point(name, value)
            ex.emit("set", **ex.tags, role=action.role, setting=name, value=value_json(value),
                    **({"standards": used} if used else {}))

    @classmethod
    def describe(cls, action: PlannedAction) -> str:
        points = ", ".join(f"{k} = {_text(v)}" for k, v in action.args["points"].items())
        return f"set {action.role}: {points}"


class OutputAction(Action):
    kind: ClassVar[str] = "output"
    capability: ClassVar[str | None] = "source"
    role: str
    enabled: bool   # (not ``on``: YAML 1.1 reads a key ``on`` as true)

    def plan(self, planning: Planning, namespace: Mapping[str, Any],
             what: str) -> PlannedAction:
        return PlannedAction(self.kind, self.where, self.role, {"on": self.enabled})

    @classmethod
    def execute(cls, action: PlannedAction, ex: Execution) -> None:
        ex.instruments[action.role].output(action.args["on"])
        ex.emit("output", **ex.tags, role=action.role, on=action.args["on"])

    @classmethod
    def describe(cls, action: PlannedAction) -> str:
        return f"output of {action.role} {'on' if action.args['on'] else 'off'}"


def _text(value: Any) -> str:
    from labctl.numbers import quantity_text

    return quantity_text(value) if hasattr(value, "units") else str(value)
