"""The actions of a procedure's steps (docs/contracts.md, "Procedure YAML"): one pydantic
model per action, ``ACTIONS`` (name -> model) and ``AnyAction``, the tagged union a
step's ``before``, ``actions`` and ``after`` lists hold."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import Discriminator, Field, PrivateAttr, Tag, model_validator
from pydantic_core import PydanticCustomError

from labctl.procedures.model_base import Scalar, _Model
from labctl.procedures.values import Value

POSITIONS: tuple[str, ...] = ("centre", "front", "back", "left", "right")
"""Where a weight handler can put a load on the receptor."""


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


class SearchAction(Action):
    """A search on the load standing on the receptor: the scale (``role``) is read while
    the weight handler (``loader``) adds or takes off ``step`` weights."""

    capability: ClassVar[str | None] = "scale"
    role: str
    loader: str
    step: Scalar
    timeout: Scalar = "60 s"

    @property
    def roles(self) -> dict[str, str | None]:
        return {"role": "scale", "loader": "weight_handler"}


class ChangePointAction(SearchAction):
    """The change-point method (OIML R 76-1 A.4.4.3): add ``step`` at a time until the
    indication rises by one ``d``; every addition and reading is journaled."""

    kind: ClassVar[str] = "change_point"
    expressions: ClassVar[tuple[str, ...]] = ("step", "max_steps", "timeout")
    max_steps: Scalar = 10
    as_: str = Field("change_point", alias="as")


class DiscriminationAction(SearchAction):
    """The discrimination test of OIML R 76-1 A.4.8.2 (digital indication): ``pieces``
    weights of ``step`` (0.1 d) are put on the load, taken off one at a time until the
    indication falls to I - d, one is put back and ``extra`` (1.4 d) is added. The weight
    handler only places, adds or takes all off: a piece is taken off by unloading and
    placing the load again with one piece fewer."""

    kind: ClassVar[str] = "discrimination"
    expressions: ClassVar[tuple[str, ...]] = ("step", "extra", "pieces", "timeout")
    extra: Scalar
    pieces: Scalar = 10
    as_: str = Field("discrimination", alias="as")


ACTIONS: dict[str, type[Action]] = {
    cls.kind: cls for cls in (ZeroAction, TareAction, ClearTareAction, LoadAction,
                              UnloadAction, WaitAction, ReadAction, PromptAction,
                              ChangePointAction, DiscriminationAction)
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
