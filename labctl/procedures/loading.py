"""Loading a procedure file: read the YAML (every key keeps its ``file:line:col``),
validate its shape with pydantic, then run the checks across the file
(``labctl.procedures.checks``). Every refusal is one ``ConfigError`` naming the place in
the file."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, Discriminator, ValidationError

from labctl.errors import ConfigError, read_bytes
from labctl.procedures.action_models import ACTIONS
from labctl.procedures.procedure_model import Procedure, ensure_models
from labctl.yamlio import loads_yaml, validation_error, where

_ACTION_UNION = object()  # marks the action union while walking the models


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
    ensure_models()
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
                           hint=f"the actions are {', '.join(ACTIONS.names())}")
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
        elif node is _ACTION_UNION:
            node = ACTIONS.get(str(part)) if str(part) in ACTIONS else None
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
    while True:
        origin = get_origin(annotation)
        if origin is Annotated and any(isinstance(m, Discriminator)
                                       for m in getattr(annotation, "__metadata__", ())):
            return _ACTION_UNION, container
        if origin in (list, dict):
            container, annotation = True, get_args(annotation)[-1]
        elif origin in (Union, UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        elif origin is Annotated:
            annotation = get_args(annotation)[0]
        else:
            break
    return annotation, container
