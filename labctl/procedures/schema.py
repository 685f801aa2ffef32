"""The procedure file (docs/contracts.md, "Procedure YAML"): pydantic models and loader.

``load_procedure(path)`` reads the YAML through ``labctl.yamlio`` (so every key keeps its
``file:line:col``), validates its shape with pydantic, then runs the checks across the
file (``labctl.procedures.checks``). Every refusal is one ``ConfigError`` naming the
place in the file. ``resolve_parameters`` gives the parameters' values with the
``--param`` overrides.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from labctl.drivers.capabilities import CAPABILITIES
from labctl.errors import ConfigError, UnitError, read_bytes
from labctl.procedures.values import IDENT, NUMBER_FIRST, Value
from labctl.yamlio import loads_yaml, validation_error, where

POSITIONS: tuple[str, ...] = ("centre", "front", "back", "left", "right")
"""Where a weight handler can put a load on the receptor."""

_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"

Scalar = str | int | float
PointValue = str | bool | int | float


# --------------------------------------------------------------------------- models


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


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              arbitrary_types_allowed=True)


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


# -- actions -------------------------------------------------------------------------


class Action(_Model):
    """One action of a step: a mapping with one key, the action's name."""

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


class ZeroAction(Action):
    kind: ClassVar[str] = "zero"
    capability: ClassVar[str | None] = "scale"
    role: str


class TareAction(Action):
    kind: ClassVar[str] = "tare"
    capability: ClassVar[str | None] = "scale"
    role: str
    as_: str = Field("tare", alias="as")


class ClearTareAction(Action):
    kind: ClassVar[str] = "clear_tare"
    capability: ClassVar[str | None] = "scale"
    role: str


class LoadAction(Action):
    kind: ClassVar[str] = "load"
    capability: ClassVar[str | None] = "weight_handler"
    expressions: ClassVar[tuple[str, ...]] = ("mass",)
    role: str
    mass: Scalar
    position: str = "centre"
    add: bool = False


class UnloadAction(Action):
    kind: ClassVar[str] = "unload"
    capability: ClassVar[str | None] = "weight_handler"
    role: str


class WaitAction(Action):
    kind: ClassVar[str] = "wait"
    expressions: ClassVar[tuple[str, ...]] = ("duration",)
    duration: Scalar

    @property
    def roles(self) -> dict[str, str | None]:
        return {}


class ReadAction(Action):
    kind: ClassVar[str] = "read"
    capability: ClassVar[str | None] = "scale"
    expressions: ClassVar[tuple[str, ...]] = ("count", "interval", "timeout")
    role: str
    as_: str = Field("indication", alias="as")
    mode: Literal["stable", "immediate"] = "stable"
    count: Scalar = 1
    interval: Scalar = "0 s"
    timeout: Scalar = "60 s"


class PromptAction(Action):
    kind: ClassVar[str] = "prompt"
    message: str

    @property
    def roles(self) -> dict[str, str | None]:
        return {}


class ChangePointAction(Action):
    """The change-point method (OIML R 76-1 A.4.4.3): add ``step`` at a time until the
    indication rises by one ``d``; every addition and reading is journaled."""

    kind: ClassVar[str] = "change_point"
    capability: ClassVar[str | None] = "scale"
    expressions: ClassVar[tuple[str, ...]] = ("step", "max_steps", "timeout")
    role: str
    loader: str
    step: Scalar
    max_steps: Scalar = 10
    as_: str = Field("change_point", alias="as")
    timeout: Scalar = "60 s"

    @property
    def roles(self) -> dict[str, str | None]:
        return {"role": "scale", "loader": "weight_handler"}


ACTIONS: dict[str, type[Action]] = {
    cls.kind: cls for cls in (ZeroAction, TareAction, ClearTareAction, LoadAction,
                              UnloadAction, WaitAction, ReadAction, PromptAction,
                              ChangePointAction)
}


def _action_tag(value: Any) -> str | None:
    if isinstance(value, Action):
        return value.kind
    if isinstance(value, Mapping) and len(value) == 1:
        return str(next(iter(value)))
    return None


AnyAction = Annotated[
    Union[tuple(Annotated[cls, Tag(kind)] for kind, cls in ACTIONS.items())],  # noqa: UP007
    Discriminator(_action_tag),
]


class Step(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str = ""
    points: list[dict[str, PointValue]] = Field(default_factory=list)
    sequence: Literal["once", "up_down"] = "once"
    repeat: int = Field(1, ge=1)
    # on resume: "continue" skips the step's finished points; "redo" measures the whole
    # step again first (new attempts) when any point at or after it is left to measure,
    # for a step that sets up a state the later points depend on (the zero)
    on_resume: Literal["continue", "redo"] = "continue"
    before: list[AnyAction] = Field(default_factory=list)
    actions: list[AnyAction] = Field(default_factory=list)
    after: list[AnyAction] = Field(default_factory=list)

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
    roles: dict[Annotated[str, Field(pattern=_NAME)], RoleSpec] = Field(min_length=1)
    conditions: Conditions | None = None
    parameters: dict[Annotated[str, Field(pattern=_NAME)], ParameterSpec] = Field(
        default_factory=dict)
    variables: dict[Annotated[str, Field(pattern=_NAME)], Scalar] = Field(
        default_factory=dict)
    data: dict[str, str] = Field(default_factory=dict)
    max_load: Scalar | None = None
    steps: list[Step] = Field(min_length=1)
    analyses: list[AnalysisSpec] = Field(default_factory=list)

    _file: str = PrivateAttr("<procedure>")
    _sha256: str = PrivateAttr("")
    _raw: Any = PrivateAttr(None)
    _variables: dict[str, Value | tuple[str, str]] = PrivateAttr(default_factory=dict)
    _max_load: Value | None = PrivateAttr(None)

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
    def max_load_value(self) -> Value | None:
        return self._max_load

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def roles_with(self, capability: str) -> list[str]:
        return [name for name, spec in self.roles.items() if spec.capability == capability]


# --------------------------------------------------------------------------- loading


def load_procedure(path: str | Path) -> Procedure:
    """Read, validate and check a procedure file; ``ConfigError`` at ``file:line:col``."""
    p = Path(path)
    content = read_bytes(p, ConfigError, missing="procedure file not found",
                         unreadable="cannot read the procedure", hint="check the path")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError("the procedure is not UTF-8 text", where=str(p)) from exc
    raw = loads_yaml(text, str(p))
    return procedure_from_data(raw, file=str(p), sha256=hashlib.sha256(content).hexdigest())


def loads_procedure(text: str, file: str = "<procedure>") -> Procedure:
    """A procedure from YAML text (tests, tools); its SHA-256 is that of the text."""
    raw = loads_yaml(text, file)
    return procedure_from_data(raw, file=file,
                               sha256=hashlib.sha256(text.encode("utf-8")).hexdigest())


def procedure_from_data(raw: Any, *, file: str, sha256: str) -> Procedure:
    if not isinstance(raw, Mapping):
        raise ConfigError("a procedure file is a mapping (id, version, title, roles, "
                          "steps...)", where=file)
    try:
        procedure = Procedure.model_validate(raw)
    except ValidationError as exc:
        raise _config_error(exc, raw, file) from None
    procedure._file, procedure._sha256, procedure._raw = file, sha256, raw
    from labctl.procedures.checks import check_procedure

    check_procedure(procedure)
    return procedure


def _config_error(exc: ValidationError, raw: Any, file: str) -> ConfigError:
    """Pydantic's first error as one line at its place, worded for the procedure's author."""
    first = exc.errors()[0]
    loc = tuple(first.get("loc", ()))
    place = where(raw, loc, default=file)
    kind = first.get("type")
    if kind == "union_tag_invalid":
        tag = first.get("ctx", {}).get("tag")
        return ConfigError(f"unknown action {tag!r}", where=place,
                           hint=f"the actions are {', '.join(ACTIONS)}")
    if kind == "union_tag_not_found":
        return ConfigError("an action is a mapping with one key, the action's name",
                           where=place, hint="e.g. `- zero: {role: dut}`")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        hint = f"the keys here are {', '.join(allowed)}" if allowed else None
        return ConfigError(f"unknown key {loc[-1]!r}", where=place, hint=hint)
    return validation_error(exc, raw, file)


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys of the model at ``loc`` in a procedure (for an unknown-key error)."""
    node: Any = Procedure
    skip = False  # the next part indexes a list or a mapping
    for part in loc:
        if skip:
            skip = False
        elif node is AnyAction:
            node = ACTIONS.get(str(part))
        elif isinstance(node, type) and issubclass(node, BaseModel):
            field = next((f for n, f in node.model_fields.items()
                          if part in (n, f.alias)), None)
            if field is None:
                return []
            node, skip = _element(field.annotation)
        else:
            return []
    if isinstance(node, type) and issubclass(node, BaseModel):
        return [f.alias or n for n, f in node.model_fields.items()]
    return []


def _element(annotation: Any) -> tuple[Any, bool]:
    """The model (or the action union) inside a field's annotation, and whether it sits
    in a list or a mapping."""
    container = False
    while annotation is not AnyAction:
        origin = get_origin(annotation)
        if origin in (list, dict):
            container, annotation = True, get_args(annotation)[-1]
        elif origin in (Union, UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        elif origin is Annotated:
            annotation = get_args(annotation)[0]
        else:
            break
    return annotation, container


# --------------------------------------------------------------------------- parameters


def parse_overrides(items: Iterable[str]) -> dict[str, str]:
    """``["category=in_service", ...]`` (from ``--param``) as a mapping."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--param {item!r}: write name=value",
                              hint="e.g. --param category=in_service")
        out[name.strip()] = value.strip()
    return out


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def resolve_parameters(procedure: Procedure,
                       overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every declared parameter's value: its default, or the override given for it.

    Text from ``--param`` is read as the type of the default (bool, number, quantity
    like ``30 s``, or word); an undeclared name or a value outside ``choices`` is a
    ``ConfigError`` naming the declaration.
    """
    overrides = dict(overrides or {})
    for name in overrides:
        if name not in procedure.parameters:
            declared = ", ".join(procedure.parameters) or "none"
            raise ConfigError(f"--param {name}: the procedure declares no parameter {name!r}",
                              where=procedure.where("parameters"),
                              hint=f"its parameters: {declared}")
    values: dict[str, Any] = {}
    for name, spec in procedure.parameters.items():
        at = procedure.where("parameters", name)
        default = _coerce(spec.default, spec.default, name, at)
        value = _coerce(overrides[name], spec.default, name, at) if name in overrides \
            else default
        if spec.choices is not None:
            choices = [_coerce(c, spec.default, name, at) for c in spec.choices]
            if value not in choices:
                raise ConfigError(
                    f"--param {name}={overrides.get(name, value)}: not among the choices",
                    where=at, hint=f"choose one of {', '.join(str(c) for c in spec.choices)}")
        values[name] = value
    return values


def _coerce(value: Any, default: Any, name: str, at: str) -> Any:
    from labctl.units import parse_quantity

    def refuse(kind: str) -> ConfigError:
        return ConfigError(f"--param {name}={value}: expected {kind} like the default "
                           f"{default!r}", where=at)

    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise refuse("true or false")
    if isinstance(default, int | float):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        try:
            number = float(str(value))
        except ValueError:
            raise refuse("a number") from None
        return int(number) if isinstance(default, int) and number.is_integer() else number
    if isinstance(default, str) and NUMBER_FIRST.match(default):
        try:
            unit = parse_quantity(default)
            return parse_quantity(value, where=at, expect=unit)
        except UnitError as exc:
            raise ConfigError(f"--param {name}={value}: {exc.message}", where=at,
                              hint=f"like the default {default!r}") from None
    return value if isinstance(value, str) else str(value)
