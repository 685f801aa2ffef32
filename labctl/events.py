"""The journal's events, typed: one model per event type with the schema version, the
one codec for quantities (``{"value", "unit"}``), and the reader of journals written
before the version (``upgrade``).

A journal is JSON lines (docs/contracts.md, "Journal"). Every event has ``seq``,
``type``, ``t`` (clock seconds) and ``wall``; ``run_started`` carries ``schema``, the
version of the event format the run was written in. What each event type carries is
below; an event of a type the core does not know (a family's own, such as the weighing
family's ``load``) is kept whole, with its fields as they are.

Version 2 (this one) writes a reading's status flags as ``flags`` (a list) and the
family's own keys of a reading (a change point's ``change_step``...) in ``extras``.
Version 1 (no ``schema``) wrote ``overload``/``underload`` booleans and those keys at the
top level; ``upgrade`` turns such an event into version 2, so every reader sees one shape.
A journal of a later version than this labctl knows is refused with a clear message.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from labctl.errors import RunError

SCHEMA_VERSION = 2

#: Keys a version-1 reading held at the top level that version 2 keeps in ``extras``.
_LEGACY_EXTRAS = ("change_step", "change_found", "discrimination_pieces",
                  "discrimination_found")
_LEGACY_FLAGS = ("overload", "underload")


# -- the quantity codec ----------------------------------------------------------------
@lru_cache(maxsize=256)
def unit_text(unit: Any) -> str:
    """A unit as the journal writes it: compact, and readable back by ``parse_unit``."""
    return format(unit, "~C")


def quantity_json(q: Any) -> dict[str, Any]:
    """A pint quantity as ``{"value": float, "unit": text}``."""
    return {"value": float(q.magnitude), "unit": unit_text(q.units)}


def quantity_from_json(data: Mapping[str, Any]) -> Any:
    """``{"value", "unit"}`` back into a pint quantity (``None`` value: ``None``)."""
    from labctl.units import Q_, parse_unit

    if data.get("value") is None:
        return None
    return Q_(float(data["value"]), parse_unit(str(data.get("unit") or "")))


def value_unit(data: Any) -> tuple[float, str] | None:
    """``{"value": 1.5, "unit": "kg"}`` (or a bare number) as (1.5, "kg"); else None."""
    if data is None or isinstance(data, bool):
        return None
    if isinstance(data, Mapping) and "value" in data:
        if data["value"] is None or isinstance(data["value"], bool):
            return None
        return float(data["value"]), str(data.get("unit") or "")
    if isinstance(data, int | float):
        return float(data), ""
    return None


# -- the event models ------------------------------------------------------------------
class Event(BaseModel):
    """What every event carries; other keys are kept (a family's event types)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    seq: int
    type: str
    t: float = 0.0
    wall: str = ""


class Tagged(Event):
    """An event inside a step (and a point, with its attempt)."""

    step: str | None = None
    point: str | None = None
    attempt: int = 1


class RunStarted(Event):
    run_id: str
    schema_version: int = Field(1, alias="schema")
    procedure: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, Any] = Field(default_factory=dict)
    record_id: str | None = None


class Reading(Tagged):
    role: str = ""
    name: str = ""
    value: float | None = None
    unit: str = ""
    stable: bool | None = None
    raw: str = ""
    flags: list[str] = Field(default_factory=list)
    values: dict[str, dict[str, Any]] = Field(default_factory=dict)
    extras: dict[str, Any] = Field(default_factory=dict)


class RunFinished(Event):
    state: str = ""


class ResumedRun(Event):
    attempt: int = 2
    operator: str | None = None
    #: input files accepted as changed on this resume: {file, path, was, now, reason}
    accepted_changes: list[dict[str, str]] = Field(default_factory=list)


class RecordStored(Event):
    """The run's record is in the outbox (after the last ``run_finished``, done)."""

    record_id: str
    hash: str | None = None
    outbox: str | None = None


EVENT_MODELS: dict[str, type[Event]] = {
    "run_started": RunStarted,
    "reading": Reading,
    "run_finished": RunFinished,
    "resumed_run": ResumedRun,
    "record_stored": RecordStored,
    **{kind: Tagged for kind in ("step_started", "step_finished", "point_started",
                                 "point_finished", "set", "output", "settled", "prompt")},
}
"""Event type -> model; every other type is an ``Event`` with its fields kept."""


def parse_event(data: Mapping[str, Any]) -> Event:
    """The typed event of a journal line (upgraded from an older version)."""
    event = upgrade(data)
    return EVENT_MODELS.get(str(event.get("type")), Event).model_validate(event)


def upgrade(event: Mapping[str, Any]) -> dict[str, Any]:
    """An event of any known version in the shape of this version (a copy)."""
    out = dict(event)
    if out.get("type") == "run_started":
        version = int(out.get("schema") or 1)
        if version > SCHEMA_VERSION:
            raise RunError(f"the journal was written by a newer labctl (event schema "
                           f"{version}; this labctl reads up to {SCHEMA_VERSION})",
                           hint="upgrade labctl to read this run")
    if out.get("type") != "reading":
        return out
    flags = set(out.get("flags") or ())
    for name in _LEGACY_FLAGS:
        if out.pop(name, False):
            flags.add(name)
    if flags or "flags" in out:
        out["flags"] = sorted(flags)
    extras = dict(out.get("extras") or {})
    for name in _LEGACY_EXTRAS:
        if name in out:
            extras[name] = out.pop(name)
    if extras:
        out["extras"] = extras
    return out
