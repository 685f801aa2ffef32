"""The procedure file's models (docs/contracts.md, "Procedure YAML"): ``Procedure``, its
``Step``s, roles, conditions, parameters, settings and analyses. The actions of the steps
are plug-ins (``labctl.procedures.action_models``): a step's action lists hold the union
of every registered action, built when a procedure is first validated
(``ensure_models``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PrivateAttr, field_validator, model_validator
from pydantic_core import PydanticCustomError

from labctl.drivers.capabilities import CAPABILITIES
from labctl.errors import UnitError
from labctl.procedures.action_models import ACTIONS, Action, action_union
from labctl.procedures.model_base import PointValue, Scalar, _Model
from labctl.procedures.values import IDENT, Value
from labctl.yamlio import where

_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


def _quantity(expect: str, example: str) -> BeforeValidator:
    """A field holding a pint quantity of the dimension of ``expect``, written with units."""

    def parse(value: Any) -> Any:
        from labctl.units import parse_quantity

        if isinstance(value, bool | int | float):
            raise PydanticCustomError("quantity_unit", "write the unit too, e.g. {example}",
                                      {"example": example})
        try:
            return parse_quantity(value, expect=expect)
        except UnitError as exc:
            raise PydanticCustomError("quantity", "{message}", {"message": exc.message}) from None

    return BeforeValidator(parse)


Temperature = Annotated[Any, _quantity("degC", "'20 degC'")]
Humidity = Annotated[Any, _quantity("percent", "'80 %'")]
Pressure = Annotated[Any, _quantity("hPa", "'1013 hPa'")]
Duration = Annotated[Any, _quantity("s", "'60 s'")]


def _text(value: Any) -> Any:
    """Versions and the like: YAML reads ``1.0`` as a number; keep it as text."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


class RoleSpec(_Model):
    capability: str
    optional: bool = False
    description: str = ""

    @field_validator("capability")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in CAPABILITIES:
            raise PydanticCustomError(
                "capability", "unknown capability {name}; the capabilities are {known}",
                {"name": repr(v), "known": ", ".join(CAPABILITIES)})
        return v


class _Range(_Model):
    min: Any = None
    max: Any = None

    @model_validator(mode="after")
    def _ordered(self) -> _Range:
        low, high = self.min, self.max
        if low is None and high is None:
            raise PydanticCustomError("range", "give min, max or both")
        if low is not None and high is not None and low > high:
            raise PydanticCustomError("range", "min is above max")
        return self


class TemperatureRange(_Range):
    min: Temperature | None = None
    max: Temperature | None = None


class HumidityRange(_Range):
    min: Humidity | None = None
    max: Humidity | None = None


class PressureRange(_Range):
    min: Pressure | None = None
    max: Pressure | None = None


class Conditions(_Model):
    """Environmental conditions of the specification, watched by the runner."""

    temperature: TemperatureRange | None = None
    humidity: HumidityRange | None = None
    pressure: PressureRange | None = None
    check_every: Duration = Field(default="60 s", validate_default=True)
    max_suspension: Duration = Field(default="2 h", validate_default=True)

    @field_validator("check_every", "max_suspension")
    @classmethod
    def _positive(cls, v: Any) -> Any:
        if v.magnitude <= 0:
            raise PydanticCustomError("duration", "must be longer than 0 s")
        return v

    def limits(self) -> dict[str, _Range]:
        """The ranges given, by quantity name (temperature, humidity, pressure)."""
        return {name: r for name in ("temperature", "humidity", "pressure")
                if (r := getattr(self, name)) is not None}


class ParameterSpec(_Model):
    default: PointValue
    choices: list[PointValue] | None = None
    description: str = ""

    @model_validator(mode="after")
    def _default_among_choices(self) -> ParameterSpec:
        if self.choices is not None and self.default not in self.choices:
            raise PydanticCustomError("choices", "the default {default} is not among the "
                                      "choices", {"default": repr(self.default)})
        return self


class Step(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str = ""
    title_zh: str = ""           # the step's name on a certificate's Chinese labels
    points: list[dict[str, PointValue]] = Field(default_factory=list)
    sequence: Literal["once", "up_down"] = "once"
    repeat: int = Field(1, ge=1)
    # on resume: "continue" skips the step's finished points; "redo" measures the whole
    # step again first (new attempts) when any point at or after it is left to measure,
    # for a step that sets up a state the later points depend on (the zero)
    on_resume: Literal["continue", "redo"] = "continue"
    before: list[AnyAction] = Field(default_factory=list)  # noqa: F821 - see ensure_models
    actions: list[AnyAction] = Field(default_factory=list)  # noqa: F821
    after: list[AnyAction] = Field(default_factory=list)  # noqa: F821

    _where: str = PrivateAttr("")
    _points: list[dict[str, Value]] = PrivateAttr(default_factory=list)

    @field_validator("points")
    @classmethod
    def _point_names(cls, points: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for point in points:
            for name in point:
                if not IDENT.match(str(name)):
                    raise PydanticCustomError(
                        "point_name", "point variable {name} is not a name (letters, "
                        "digits and _, not starting with a digit)", {"name": repr(name)})
        return points

    @property
    def where(self) -> str:
        return self._where

    @property
    def point_values(self) -> list[dict[str, Value]]:
        """The compiled point variables, one mapping per entry of ``points``."""
        return self._points

    def sections(self) -> Iterable[tuple[str, list[Action]]]:
        yield "before", self.before
        yield "actions", self.actions
        yield "after", self.after


class AnalysisSpec(_Model):
    analysis: str
    steps: list[str] = Field(default_factory=list)
    options: dict[str, Any] = Field(default_factory=dict)


class Procedure(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: Annotated[str, BeforeValidator(_text)]
    title: str
    document: str
    kind: Literal["verification", "calibration"]
    category: Literal["initial", "subsequent", "in_service"] = "initial"
    description: str = ""
    # the verification period of the document (e.g. "1 year", "6 months"): a passing
    # verification's record gives its next due date from it
    period: str | None = None
    # what the procedure verifies or calibrates, named on the certificate (计量器具名称)
    instrument: dict[Literal["en", "zh"], str] | None = None
    roles: dict[Annotated[str, Field(pattern=_NAME)], RoleSpec] = Field(min_length=1)
    conditions: Conditions | None = None
    parameters: dict[Annotated[str, Field(pattern=_NAME)], ParameterSpec] = Field(
        default_factory=dict)
    variables: dict[Annotated[str, Field(pattern=_NAME)], Scalar] = Field(
        default_factory=dict)
    data: dict[str, str] = Field(default_factory=dict)
    # the families' settings of the procedure (e.g. the weighing family's max_load):
    # expressions over the parameters and variables, read by the family at plan time
    settings: dict[Annotated[str, Field(pattern=_NAME)], Scalar] = Field(
        default_factory=dict)
    steps: list[Step] = Field(min_length=1)
    analyses: list[AnalysisSpec] = Field(default_factory=list)

    @field_validator("period")
    @classmethod
    def _period(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"\s*[1-9][0-9]*\s*(years?|months?)\s*", v):
            raise ValueError(f"{v!r} is not a period: give N years or N months, e.g. 1 year")
        return v

    _file: str = PrivateAttr("<procedure>")
    _sha256: str = PrivateAttr("")
    _raw: Any = PrivateAttr(None)
    _variables: dict[str, Value | tuple[str, str]] = PrivateAttr(default_factory=dict)
    _settings: dict[str, Value] = PrivateAttr(default_factory=dict)

    @property
    def path(self) -> Path | None:
        return None if self._file.startswith("<") else Path(self._file)

    @property
    def file(self) -> str:
        return self._file

    @property
    def sha256(self) -> str:
        """SHA-256 (hex) of the file as read; recorded in the journal and the record."""
        return self._sha256

    def where(self, *loc: Any) -> str:
        """``file:line:col`` of the key or item at ``loc`` (e.g. ``"steps", 0, "id"``)."""
        return where(self._raw, loc, default=self._file)

    @property
    def variable_values(self) -> dict[str, Value | tuple[str, str]]:
        """Compiled variables: ``(role, attribute)`` or a ``Value``, in file order."""
        return self._variables

    @property
    def setting_values(self) -> dict[str, Value]:
        """The compiled ``settings``, by name."""
        return self._settings

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def roles_with(self, capability: str) -> list[str]:
        return [name for name, spec in self.roles.items() if spec.capability == capability]


_built_for = -1


def ensure_models() -> None:
    """(Re)build the step and procedure models with the union of the registered actions
    (once, and again whenever an action is registered in this process)."""
    global _built_for
    if _built_for == ACTIONS.generation:
        return
    namespace = {"AnyAction": action_union(), "Step": Step}
    Step.model_rebuild(force=True, _types_namespace=namespace)
    Procedure.model_rebuild(force=True, _types_namespace=namespace)
    _built_for = ACTIONS.generation
