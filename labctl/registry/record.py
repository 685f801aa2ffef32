"""The calibration record: everything needed to re-check one run's result.

A ``Record`` is immutable. Its JSON document is what gets hashed (canonical JSON, RFC
8785), chained to the lab's previous record, signed with the lab's Ed25519 key and stored
in the registry. Records are never updated; a correction is a new record whose
``supersedes`` names the record it corrects.

This module imports pydantic and the analysis layer's light ``PointResult`` model only
(no SQLAlchemy, no cryptography), so any layer may build records. ``points`` accepts
``PointResult`` objects, plain dicts of the same shape, or other pydantic models and
dataclasses with those fields; every item is validated.

Conventions of the JSON document: times are UTC ISO 8601 with a ``Z``; dates are ISO
8601; quantities are ``{"value": float, "unit": str}``; numbers are finite. In a point's
``budget``, an infinite number (the degrees of freedom of a Type B component or an
infinite effective degrees of freedom) is written as ``null``.
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_serializer,
    model_validator,
)

from labctl.registry.certification import (
    SCHEMA2_FIELDS,
    Conclusion,
    DecisionRuleStatement,
    Issue,
    Method,
    Party,
    Place,
    schema2_problems,
)
from labctl.registry.errors import RecordError
from labctl.results import DecisionResult, PointResult, QuantityValue
from labctl.results import overall_decision as _overall_decision

__all__ = [
    "AppliedCorrection",
    "Conclusion",
    "DecisionResult",
    "DecisionRuleStatement",
    "Dut",
    "Environment",
    "EnvironmentRange",
    "Issue",
    "Method",
    "Party",
    "Place",
    "PointResult",
    "ProcedureRef",
    "QuantityValue",
    "Record",
    "StandardUsed",
    "new_record_id",
    "overall_decision",
]

Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
KeyId = Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]
NonEmpty = Annotated[str, Field(min_length=1)]

#: Record members set by chaining and signing, not by the run.
CHAIN_FIELDS: tuple[str, ...] = ("previous", "hash", "signature", "key_id")


def new_record_id() -> str:
    """A fresh record id (UUID4). Choose it at run start and keep it in the journal."""
    return str(uuid.uuid4())


def overall_decision(points: Iterable[PointResult]) -> DecisionResult:
    """The record's decision from its points' decisions, worst first.

    ``fail`` if any point fails; otherwise ``conditional_fail`` if any point is a
    conditional fail; otherwise ``conditional_pass`` if any point is a conditional pass;
    otherwise (every point passes) ``pass``. A record with no points has no decision:
    ``RecordError``. (The rule lives in ``labctl.results.overall_decision``.)
    """
    decision = _overall_decision(list(points))
    if decision is None:
        raise RecordError("a record needs at least one point to have a decision",
                          hint="build the record from the analysis' points")
    return decision


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Dut(_Model):
    """The device under test, as identified on the bench."""

    role: NonEmpty
    driver: NonEmpty
    maker: str
    model: str
    serial: str
    firmware: str | None = None
    #: Data plate entries: quantities (``Max``, ``e``, ``d``, ``Min``) or text (``class``).
    data_plate: dict[str, QuantityValue | str] = Field(default_factory=dict)


class AppliedCorrection(_Model):
    """A correction from a standard's certificate applied at one point of the run
    (a certificate stated at several values, interpolated at the value used)."""

    point: NonEmpty
    quantity: str | None = None
    at: QuantityValue
    correction: QuantityValue
    expanded_uncertainty: QuantityValue
    coverage_factor: float
    #: half-width of the rectangular interpolation component (0 at a certified point)
    interpolation_half_width: QuantityValue
    #: the certified values it lies between (one: at a certified value or beyond an end)
    between: list[QuantityValue]


class StandardUsed(_Model):
    """A reference standard from the lab's register, as used in the run."""

    register_id: NonEmpty
    description: str
    accuracy_class: str | None = None
    certificate: NonEmpty
    calibration_date: date
    due_date: date
    #: The certificate's expanded uncertainty and coverage factor; None for class-only use.
    expanded_uncertainty: QuantityValue | None = None
    coverage_factor: float | None = None
    #: The reason given for using this standard past its due date, or None.
    expired_allowed: str | None = None
    #: Schema 2: the laboratory that issued the standard's certificate, and the
    #: corrections from that certificate applied in the run (in words).
    issued_by: str | None = None
    corrections: str | None = None
    #: The corrections applied at each point, where the certificate is a table of
    #: values interpolated in the run (None: none applied that way).
    applied_corrections: list[AppliedCorrection] | None = None

    @model_serializer(mode="wrap")
    def _schema1_shape(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # a schema-1 document has neither member: leave them out when unset so that its
        # canonical JSON, and so its hash, stays what it was
        data = handler(self)
        for name in ("issued_by", "corrections", "applied_corrections"):
            if data.get(name) is None:
                data.pop(name, None)
        return data


class EnvironmentRange(_Model):
    """What one environmental quantity did during the run."""

    min: float
    max: float
    mean: float
    unit: str

    @model_validator(mode="after")
    def _ordered(self) -> EnvironmentRange:
        if not self.min <= self.mean <= self.max:
            raise ValueError(f"need min <= mean <= max, got {self.min}, {self.mean}, {self.max}")
        return self


class Environment(_Model):
    """Ambient conditions: ``measured`` by an environment role, or ``stated`` by the bench
    (then min = max = mean = the stated value). Every quantity measured has its range:
    temperature and humidity, and any other (pressure...) by its name."""

    model_config = ConfigDict(extra="allow", frozen=True)
    __pydantic_extra__: dict[str, EnvironmentRange]  # type: ignore[assignment]

    source: Literal["measured", "stated"]
    temperature: EnvironmentRange | None = None
    humidity: EnvironmentRange | None = None


class ProcedureRef(_Model):
    """The procedure that was run, pinned by the SHA-256 of its file."""

    id: NonEmpty
    version: NonEmpty
    title: str
    document: str
    kind: Literal["verification", "calibration"]
    category: str | None = None
    sha256: Sha256Hex


class AcceptedChange(_Model):
    """An input file that changed while a run was interrupted, accepted on resume."""

    file: Literal["procedure", "bench", "register"]
    path: str
    was: Sha256Hex
    now: Sha256Hex
    reason: NonEmpty


class AbandonedAttemptRecord(_Model):
    """An attempt at a point that ended in an error (or a killed run) and was measured
    again: none of its readings is in a result."""

    step: NonEmpty
    point: NonEmpty
    attempt: int = Field(ge=1)
    reason: NonEmpty
    instrument: str | None = None
    command: str | None = None


class GrossErrorRecord(_Model):
    """A point failed because an instrument's indication did not follow the procedure's
    change (a stuck indication)."""

    step: NonEmpty
    point: NonEmpty
    role: NonEmpty
    instrument: NonEmpty
    reply: str
    message: NonEmpty


#: Members written only when set, so records made before they existed hash the same.
OPTIONAL_MEMBERS: tuple[str, ...] = ("operators", "accepted_changes", "simulated",
                                     "abandoned_attempts", "gross_errors")


class Record(_Model):
    """One calibration or verification, as stored in the registry.

    ``id`` is a UUID (use a UUID4, ``new_record_id()``) chosen at run start and kept in
    the journal: it is the idempotency key of every push, so a resumed or re-delivered run
    never makes a second record. ``previous``, ``hash``, ``signature`` and ``key_id`` are
    set by chaining and signing (``labctl.registry.signing``); the hash covers every member
    but ``hash`` and ``signature``.

    Schema 2 (what ``labctl run`` writes) adds what a certificate needs
    (``labctl.registry.certification``): ``issue``, ``customer``, ``place``, ``method``,
    ``decision_rule``, ``uncertainty_statement``, ``conclusion`` (verifications), and the
    standards' ``issued_by`` and ``corrections``; a schema-2 record without them, or
    whose conclusion contradicts its points, is refused. Schema-1 records (the default
    when ``schema_version`` is not given) stay readable and hash as they always did.
    """

    schema_version: Literal[1, 2] = 1
    id: str
    lab: NonEmpty
    supersedes: str | None = None
    run_id: NonEmpty
    dut: Dut
    standards: list[StandardUsed]
    environment: Environment
    procedure: ProcedureRef
    journal_sha256: Sha256Hex
    points: list[PointResult] = Field(min_length=1)
    decision: DecisionResult
    allow_expired: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    seed: int | None = None
    virtual_clock: bool = False
    #: The bench's instruments that were simulators (``sim://``), by name: a record of a
    #: simulated run is never a real calibration (absent: no instrument was simulated,
    #: or a record from before labctl said so; ``is_simulated`` also reads the clock).
    simulated: list[NonEmpty] | None = None
    labctl_version: NonEmpty
    operator: NonEmpty
    #: Every operator of a run resumed by someone else, in order (absent: one operator).
    operators: list[NonEmpty] | None = None
    #: Input files accepted as changed on resume (``--accept-changed``), with the reason.
    accepted_changes: list[AcceptedChange] | None = None
    #: Attempts abandoned after an error and measured again, with why (absent: none).
    abandoned_attempts: list[AbandonedAttemptRecord] | None = None
    #: Points failed as gross errors (a stuck indication), naming the instrument.
    gross_errors: list[GrossErrorRecord] | None = None
    started: datetime
    finished: datetime
    # schema 2 (labctl.registry.certification)
    issue: Issue | None = None
    customer: Party | None = None
    place: Place | None = None
    method: Method | None = None
    decision_rule: DecisionRuleStatement | None = None
    uncertainty_statement: str | None = None
    conclusion: Conclusion | None = None
    previous: Sha256Hex | None = None
    hash: Sha256Hex | None = None
    signature: str | None = None
    key_id: KeyId | None = None

    # -- validation ---------------------------------------------------------------------

    @model_validator(mode="before")
    @classmethod
    def _fill_decision(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and data.get("decision") is None:
            points = data.get("points") or []
            decisions = [_decision_of(p) for p in points]
            if decisions and all(isinstance(d, str) for d in decisions):
                ballots = [SimpleNamespace(decision=d) for d in decisions]
                data = {**data, "decision": _overall_decision(ballots)}
        return data

    @field_validator("id", "supersedes")
    @classmethod
    def _uuid(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            return str(uuid.UUID(v))
        except (ValueError, AttributeError, TypeError):
            raise ValueError(f"{v!r} is not a UUID (use new_record_id())") from None

    @field_validator("points", mode="before")
    @classmethod
    def _points_as_dicts(cls, v: Any, info: ValidationInfo) -> Any:
        if not isinstance(v, list | tuple) or _read_from_json(info, v):
            return v
        return [_point_dict(p) for p in v]

    @field_validator("parameters", mode="before")
    @classmethod
    def _json_parameters(cls, v: Any, info: ValidationInfo) -> Any:
        if v is not None and _read_from_json(info, v):
            return v
        return _json_value(v, "parameters", inf_as_null=False) if v is not None else {}

    @field_validator("started", "finished")
    @classmethod
    def _utc(cls, v: datetime) -> datetime:
        if v.tzinfo is None or v.utcoffset() is None:
            raise ValueError("give a time with its UTC offset, e.g. 2024-05-01T10:00:00Z")
        return v.astimezone(UTC)

    @field_serializer("started", "finished")
    def _iso_z(self, v: datetime) -> str:
        return v.isoformat().replace("+00:00", "Z")

    @model_validator(mode="after")
    def _consistent(self) -> Record:
        expected = overall_decision(self.points)
        if self.decision != expected:
            raise ValueError(
                f"decision {self.decision!r} does not follow from the points ({expected!r}); "
                "leave it out to have it computed"
            )
        if self.finished < self.started:
            raise ValueError("finished is before started")
        if self.supersedes == self.id:
            raise ValueError("a record cannot supersede itself")
        if self.schema_version == 1:
            given = [name for name in SCHEMA2_FIELDS if getattr(self, name) is not None]
            given += [f"standards[{i}].{name}" for i, s in enumerate(self.standards)
                      for name in ("issued_by", "corrections") if getattr(s, name) is not None]
            if given:
                raise ValueError(f"{', '.join(given)} belong to schema 2: "
                                 "give schema_version: 2")
        else:
            problems = schema2_problems(self)
            if problems:
                raise ValueError("; ".join(problems))
        return self

    @model_serializer(mode="wrap")
    def _schema1_shape(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        if self.schema_version == 1:  # a schema-1 document keeps its members (and hash)
            for name in SCHEMA2_FIELDS:
                data.pop(name, None)
        for name in OPTIONAL_MEMBERS:  # only when set: earlier records hash the same
            if data.get(name) is None:
                data.pop(name, None)
        return data

    # -- forms --------------------------------------------------------------------------

    @property
    def is_simulated(self) -> bool:
        """True when any instrument of the run was a simulator, or the run ran on the
        virtual clock (only an all-simulated bench does)."""
        return bool(self.simulated) or self.virtual_clock

    @property
    def signed(self) -> bool:
        """True once hash, signature and key id are set."""
        return self.hash is not None and self.signature is not None and self.key_id is not None

    def document(self) -> dict[str, Any]:
        """The record's JSON document (plain dicts, lists, str, float, int, bool, None)."""
        return self.model_dump(mode="json")

    def canonical_json(self) -> bytes:
        """The canonical JSON (RFC 8785) of the whole record, hash and signature included."""
        from labctl.registry.canonical import canonical_json

        return canonical_json(self.document(), what=f"record {self.id}")

    def linked_to(self, previous: str | None) -> Record:
        """A copy chained after ``previous`` (a hash, or None for a lab's first record),
        with hash, signature and key id cleared: sign it next."""
        return self.model_copy(
            update={"previous": previous, "hash": None, "signature": None, "key_id": None}
        )

    def content(self) -> dict[str, Any]:
        """The document without the chain and signature members: what the run produced."""
        return {k: v for k, v in self.document().items() if k not in CHAIN_FIELDS}

    @classmethod
    def from_json(cls, text: str | bytes) -> Record:
        """Read a record from its JSON text (as ``canonical.load_json`` reads numbers).

        orjson reads it when it can; plain JSON read so (finite numbers, no integer beyond
        2**53) is validated without the walk that converts other values to JSON's."""
        from labctl.registry.canonical import load_stored_json

        doc, plain = load_stored_json(text)
        return cls.model_validate(doc, context={"json": True} if plain else None)


# -- helpers ------------------------------------------------------------------------------


def _read_from_json(info: ValidationInfo, value: Any) -> bool:
    """True when the caller says the data were read by ``canonical.load_json`` (context
    ``{"json": True}``): plain JSON values, finite numbers, nothing to convert, so the
    conversion walk is skipped (the registry service validates records this way)."""
    return bool(info.context and info.context.get("json")) and isinstance(value, list | dict)


def _decision_of(point: Any) -> Any:
    if isinstance(point, Mapping):
        return point.get("decision")
    return getattr(point, "decision", None)


def _point_dict(point: Any) -> Any:
    """A point as a plain dict, with infinite numbers of its budget written as None."""
    if isinstance(point, BaseModel):
        data: Any = point.model_dump(mode="python")
    elif dataclasses.is_dataclass(point) and not isinstance(point, type):
        data = dataclasses.asdict(point)
    elif hasattr(point, "to_dict"):
        data = point.to_dict()
    else:
        data = point
    # A budget's infinite dof are written as None; anything else infinite is refused.
    for key, inf_as_null in (("budget", True), ("details", False)):
        if isinstance(data, Mapping) and data.get(key) is not None:
            where = f"points[{data.get('point', '?')}].{key}"
            data = {**data, key: _json_value(data[key], where, inf_as_null=inf_as_null)}
    return data


def _json_value(value: Any, where: str, *, inf_as_null: bool) -> Any:
    """``value`` with tuples as lists and numpy scalars as Python numbers; NaN refused;
    infinities refused, or written as None when ``inf_as_null``."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            raise ValueError(f"{where}: NaN is not a number a record can hold")
        if math.isinf(value):
            if inf_as_null:
                return None
            raise ValueError(f"{where}: an infinite number cannot be stored in a record")
        return value
    if isinstance(value, Mapping):
        return {
            str(k): _json_value(v, f"{where}.{k}", inf_as_null=inf_as_null)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [
            _json_value(v, f"{where}[{i}]", inf_as_null=inf_as_null) for i, v in enumerate(value)
        ]
    if isinstance(value, BaseModel):
        return _json_value(value.model_dump(mode="python"), where, inf_as_null=inf_as_null)
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return _json_value(value.item(), where, inf_as_null=inf_as_null)
    raise ValueError(f"{where}: a {type(value).__name__} cannot be stored in a record")
