"""The lab's equipment register: reference standards and measuring instruments.

One YAML file, shared by every bench of the lab (format in ``docs/benches.md``)::

    lab: City Institute of Metrology, mass laboratory
    weight_sets:
      - id: M1-A
        class: M1
        certificate: MC-2025-0412
        issued_by: Provincial Institute of Metrology
        calibrated: 2025-09-15
        due: 2027-09-14
        entered_by: L. Wang
        checked_by: H. Zhou
        items:
          - {id: 10kg, nominal: 10 kg, correction: +120 mg, U: 160 mg, k: 2}
          - {id: 500mg, nominal: 500 mg}        # class only: u = MPE / sqrt(3)
    instruments:
      - id: TH-01
        kind: thermohygrometer
        serial: TH100-2025-0173
        certificate: TC-2025-0988
        ...
        quantities:
          temperature: {U: 0.2 degC, k: 2}
          humidity: {U: 2.0 %, k: 2}

A weight is known everywhere by its register id ``SET/ITEM`` (``M1-A/2kg*``). Loading
checks everything once (units, dates, classes, unique ids) and reports the first bad
place as ``file:line:col``; the objects it returns are plain immutable data.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from labctl.errors import ConfigError, UnitError
from labctl.units import Quantity, parse_quantity
from labctl.weight_classes import CLASSES, DOCUMENT, weight_mpe
from labctl.yamlio import load_yaml, validation_error, where

# ---------------------------------------------------------------------------------------
# Parsing helpers for pydantic fields
# ---------------------------------------------------------------------------------------


def _quantity(value: Any) -> Quantity:
    try:
        return parse_quantity(value)
    except UnitError as exc:
        raise ValueError(exc.message) from exc


def _difference(value: Any) -> Quantity:
    """A quantity used as a difference (U, correction): 0.2 degC means 0.2 delta_degC."""
    q = _quantity(value)
    if not q._is_multiplicative:  # an offset unit such as degC
        from labctl.units import Q_

        q = Q_(q.magnitude, f"delta_{q.units}")
    return q


def _mass(value: Any) -> Quantity:
    try:
        return parse_quantity(value, expect="kg")
    except UnitError as exc:
        raise ValueError(f"{exc.message} (a mass is needed here, e.g. '500 mg' or '2 kg')") from exc


def _iso_date(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected an ISO date like 2027-03-31, got {value!r}")


DiffQ = Annotated[Quantity, BeforeValidator(_difference)]
MassQ = Annotated[Quantity, BeforeValidator(_mass)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Id = Annotated[str, Field(min_length=1, pattern=r"^[^\s/]+$")]
WeightClass = Literal["E1", "E2", "F1", "F2", "M1", "M1-2", "M2", "M2-3", "M3"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True,
                              populate_by_name=True)


class _CertificateFields(_Model):
    certificate: str | None = None
    issued_by: str | None = None
    calibrated: IsoDate | None = None
    due: IsoDate | None = None
    entered_by: str | None = None
    checked_by: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> _CertificateFields:
        if self.certificate is None:
            return self
        missing = [k for k in ("issued_by", "calibrated", "due", "entered_by", "checked_by")
                   if getattr(self, k) is None]
        if missing:
            raise ValueError(f"certificate {self.certificate!r} needs {', '.join(missing)}")
        if self.due <= self.calibrated:  # type: ignore[operator]
            raise ValueError(f"due date {self.due} is not after the calibration date "
                             f"{self.calibrated}")
        if self.entered_by.strip().lower() == self.checked_by.strip().lower():  # type: ignore[union-attr]
            raise ValueError("checked_by must be another person than entered_by "
                             "(every register entry is checked by a second person)")
        return self


class _WeightItem(_Model):
    id: Id
    nominal: MassQ
    correction: MassQ | None = None         # conventional mass minus nominal
    conventional_mass: MassQ | None = None  # or the conventional mass itself
    U: MassQ | None = None
    k: float | None = Field(default=None, gt=0)
    weight_class: WeightClass | None = Field(default=None, alias="class")

    @model_validator(mode="after")
    def _certificate_or_class(self) -> _WeightItem:
        if self.nominal.magnitude <= 0:
            raise ValueError(f"nominal value {self.nominal:~P} must be positive")
        if self.correction is not None and self.conventional_mass is not None:
            raise ValueError("give either correction or conventional_mass, not both")
        has_value = self.correction is not None or self.conventional_mass is not None
        given = [has_value, self.U is not None, self.k is not None]
        if any(given) and not all(given):
            raise ValueError("a certificate value needs correction (or conventional_mass), "
                             "U and k together; leave all three out for class only")
        if self.U is not None and self.U.magnitude <= 0:
            raise ValueError(f"U {self.U:~P} must be positive")
        return self


class _WeightSet(_CertificateFields):
    id: Id
    weight_class: WeightClass = Field(alias="class")
    maker: str | None = None
    serial: str | None = None
    items: list[_WeightItem] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_items(self) -> _WeightSet:
        if self.certificate is None:
            raise ValueError(f"weight set {self.id!r} needs its certificate (number, issued_by, "
                             "calibrated, due, entered_by, checked_by)")
        seen: set[str] = set()
        for item in self.items:
            if item.id in seen:
                raise ValueError(f"weight id {item.id!r} appears twice in set {self.id!r} "
                                 "(mark a second piece of the same nominal value, e.g. 2kg*)")
            seen.add(item.id)
        return self


class _QuantityCertificate(_Model):
    U: DiffQ
    k: float = Field(gt=0)
    correction: DiffQ | None = None


class _Instrument(_CertificateFields):
    id: Id
    kind: str
    maker: str | None = None
    model: str | None = None
    serial: str = Field(min_length=1)
    quantities: dict[str, _QuantityCertificate] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _quantities_need_certificate(self) -> _Instrument:
        if self.quantities and self.certificate is None:
            raise ValueError(f"instrument {self.id!r} gives certificate values but no "
                             "certificate (number, issued_by, calibrated, due, ...)")
        return self


class _RegisterFile(_Model):
    lab: str | None = None
    weight_sets: list[_WeightSet] = Field(default_factory=list)
    instruments: list[_Instrument] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------
# What the rest of labctl sees
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificate:
    """A calibration certificate as entered in the register."""

    number: str
    issued_by: str
    calibrated: date
    due: date
    entered_by: str
    checked_by: str


@dataclass(frozen=True)
class Standard:
    """A register entry: a weight set or a measuring instrument.

    ``where`` is the ``file:line:col`` of the entry, ``due_where`` that of its due date.
    """

    id: str
    certificate: Certificate | None
    where: str
    due_where: str

    @property
    def due(self) -> date | None:
        return self.certificate.due if self.certificate else None

    def expired(self, on: date) -> bool:
        """True when the certificate's due date has passed on day ``on``."""
        return self.certificate is not None and self.certificate.due < on


@dataclass(frozen=True)
class Weight:
    """One standard weight with what a calculation needs of its certificate.

    ``basis`` is ``"certificate"`` (conventional mass with U and k from the certificate)
    or ``"class"`` (conventional mass taken as nominal, u = MPE / sqrt(3), U and k None).
    """

    id: str                      # register id "SET/ITEM"
    set_id: str
    item: str
    nominal: Quantity
    conventional_mass: Quantity
    u: Quantity                  # standard uncertainty of the conventional mass
    U: Quantity | None
    k: float | None
    weight_class: str
    mpe: Quantity | None         # OIML R 111-1 MPE of its class (None: not in the table)
    basis: Literal["certificate", "class"]
    certificate: str
    issued_by: str
    due: date
    where: str = ""
    calibrated: date | None = None

    def expired(self, on: date) -> bool:
        return self.due < on

    def as_record(self) -> dict[str, Any]:
        """JSON-ready certificate data (for the run record and the analysis)."""

        return {
            "id": self.id, "kind": "weight", "set": self.set_id,
            "nominal": _q(self.nominal), "conventional_mass": _q(self.conventional_mass),
            "u": _q(self.u), "U": _q(self.U), "k": self.k, "class": self.weight_class,
            "mpe": _q(self.mpe), "mpe_document": DOCUMENT, "basis": self.basis,
            "certificate": self.certificate, "issued_by": self.issued_by,
            "due": self.due.isoformat(),
            "calibrated": self.calibrated.isoformat() if self.calibrated else None,
        }


@dataclass(frozen=True)
class WeightSet(Standard):
    weight_class: str = "M1"
    maker: str | None = None
    serial: str | None = None
    weights: tuple[Weight, ...] = ()


@dataclass(frozen=True)
class QuantityCertificate:
    """Certificate values of a measuring instrument for one quantity."""

    U: Quantity
    k: float
    correction: Quantity | None = None

    @property
    def u(self) -> Quantity:
        return self.U / self.k


@dataclass(frozen=True)
class MeasuringInstrument(Standard):
    kind: str = ""
    serial: str = ""
    maker: str | None = None
    model: str | None = None
    quantities: dict[str, QuantityCertificate] = field(default_factory=dict)

    def as_record(self) -> dict[str, Any]:
        cert = self.certificate
        return {
            "id": self.id, "kind": self.kind, "serial": self.serial,
            "maker": self.maker, "model": self.model,
            "certificate": cert.number if cert else None,
            "issued_by": cert.issued_by if cert else None,
            "due": cert.due.isoformat() if cert else None,
            "quantities": {
                name: {"U": _q(c.U), "k": c.k, "correction": _q(c.correction)}
                for name, c in self.quantities.items()
            },
        }


def _q(x: Quantity | None) -> dict[str, Any] | None:
    """``{"value", "unit"}`` for JSON; the unit text parses back with labctl.units."""
    if x is None:
        return None
    unit = f"{x.units:~P}"
    if "Δ" in unit:  # a temperature difference: spell it so it parses back
        unit = f"{x.units:C}"
    return {"value": float(x.magnitude), "unit": unit}


class Register:
    """The loaded register. Look entries up by id (``standard``, ``weight``) or serial."""

    def __init__(self, path: Path, text: str, lab: str | None,
                 weight_sets: list[WeightSet], instruments: list[MeasuringInstrument]):
        self.path = path
        self.sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
        self.lab = lab
        self._standards: dict[str, WeightSet | MeasuringInstrument] = {}
        for entry in [*weight_sets, *instruments]:
            self._standards[entry.id] = entry
        self._weights = {w.id: w for ws in weight_sets for w in ws.weights}

    # -- lookups -------------------------------------------------------------------
    @property
    def ids(self) -> list[str]:
        """Every top-level id (weight sets and instruments), in file order."""
        return list(self._standards)

    def __contains__(self, id: object) -> bool:
        return id in self._standards or id in self._weights

    def __iter__(self) -> Iterator[WeightSet | MeasuringInstrument]:
        return iter(self._standards.values())

    def standard(self, id: str) -> WeightSet | MeasuringInstrument:
        """The weight set or instrument registered as ``id``."""
        try:
            return self._standards[id]
        except KeyError:
            raise self._unknown(id, self._standards) from None

    def weight(self, id: str) -> Weight:
        """The weight registered as ``SET/ITEM``."""
        try:
            return self._weights[id]
        except KeyError:
            raise self._unknown(id, self._weights) from None

    def weights(self, id: str) -> tuple[Weight, ...]:
        """The weights a register id stands for: all of a set's, or the one weight."""
        if id in self._weights:
            return (self._weights[id],)
        entry = self.standard(id)
        if not isinstance(entry, WeightSet):
            raise ConfigError(f"{id!r} is a {entry.kind}, not a weight set", where=entry.where)
        return entry.weights

    def instrument(self, id: str) -> MeasuringInstrument:
        entry = self.standard(id)
        if not isinstance(entry, MeasuringInstrument):
            raise ConfigError(f"{id!r} is a weight set, not an instrument", where=entry.where)
        return entry

    def by_serial(self, serial: str) -> MeasuringInstrument | WeightSet | None:
        """The entry whose serial number is ``serial`` (None if no entry has it)."""
        for entry in self._standards.values():
            if getattr(entry, "serial", None) == serial:
                return entry
        return None

    def owner(self, id: str) -> WeightSet | MeasuringInstrument:
        """The top-level entry holding ``id`` (the set of a weight, or the entry itself)."""
        if id in self._weights:
            return self.standard(self._weights[id].set_id)
        return self.standard(id)

    def _unknown(self, id: str, known: dict[str, Any]) -> ConfigError:
        names = ", ".join(list(known)[:12]) + (", ..." if len(known) > 12 else "")
        return ConfigError(f"no entry {id!r} in the register", where=str(self.path),
                           hint=f"known ids: {names or 'none'}")


# ---------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------


def load_register(path: str | Path) -> Register:
    """Read and check a register file. Any problem is a ``ConfigError`` at ``file:line:col``."""
    p = Path(path)
    data = load_yaml(p)
    text = p.read_text(encoding="utf-8")
    if not isinstance(data, dict):
        raise ConfigError("a register file is a mapping with weight_sets and instruments",
                          where=str(p))
    try:
        model = _RegisterFile.model_validate(data)
    except pydantic.ValidationError as exc:
        raise validation_error(exc, data, str(p)) from None

    seen: dict[str, str] = {}

    def claim(id: str, loc: tuple[Any, ...]) -> str:
        place = where(data, loc, str(p))
        if id in seen:
            raise ConfigError(f"register id {id!r} is used twice (first at {seen[id]})",
                              where=place, hint="give every set and instrument its own id")
        seen[id] = place
        return place

    sets = [_weight_set(ws, data, ("weight_sets", i), str(p), claim)
            for i, ws in enumerate(model.weight_sets)]
    instruments = [_instrument(ins, data, ("instruments", i), str(p), claim)
                   for i, ins in enumerate(model.instruments)]
    return Register(p, text, model.lab, sets, instruments)


def _certificate(m: _CertificateFields) -> Certificate | None:
    if m.certificate is None:
        return None
    return Certificate(m.certificate, m.issued_by or "", m.calibrated, m.due,  # type: ignore[arg-type]
                       m.entered_by or "", m.checked_by or "")


def _weight_set(m: _WeightSet, data: Any, loc: tuple[Any, ...], file: str, claim: Any) -> WeightSet:
    place = claim(m.id, loc)
    cert = _certificate(m)
    assert cert is not None  # _WeightSet requires it
    weights = []
    for j, item in enumerate(m.items):
        item_loc = (*loc, "items", j)
        weights.append(_weight(m, item, cert, where(data, item_loc, file)))
    return WeightSet(
        id=m.id, certificate=cert, where=place, due_where=where(data, (*loc, "due"), file),
        weight_class=m.weight_class, maker=m.maker, serial=m.serial, weights=tuple(weights),
    )


def _weight(ws: _WeightSet, item: _WeightItem, cert: Certificate, place: str) -> Weight:
    cls = item.weight_class or ws.weight_class
    nominal = item.nominal
    try:
        mpe: Quantity | None = weight_mpe(cls, nominal, where=place)
    except ConfigError:
        if item.U is None:  # class only, and the table has no value: nothing to go on
            raise
        mpe = None
    if item.U is None:
        assert mpe is not None
        conventional = nominal
        u = mpe / math.sqrt(3)
        basis: Literal["certificate", "class"] = "class"
    else:
        if item.conventional_mass is not None:
            conventional = item.conventional_mass.to(nominal.units)
        else:
            conventional = nominal + item.correction.to(nominal.units)  # type: ignore[union-attr]
        u = item.U / item.k  # type: ignore[operator]
        basis = "certificate"
        deviation = abs((conventional - nominal).to("mg"))
        if mpe is not None and deviation > mpe.to("mg") * (1 + 1e-9):
            raise ConfigError(
                f"weight {ws.id}/{item.id}: conventional mass deviates {deviation:.4g~P} from "
                f"nominal, more than the class {cls} MPE {mpe:~P} ({DOCUMENT})",
                where=place, hint="check the certificate value, or enter the weight's real class",
            )
    return Weight(
        id=f"{ws.id}/{item.id}", set_id=ws.id, item=item.id, nominal=nominal,
        conventional_mass=conventional, u=u.to(nominal.units), U=item.U, k=item.k,
        weight_class=cls, mpe=mpe, basis=basis, certificate=cert.number,
        issued_by=cert.issued_by, due=cert.due, where=place, calibrated=cert.calibrated,
    )


def _instrument(m: _Instrument, data: Any, loc: tuple[Any, ...], file: str,
                claim: Any) -> MeasuringInstrument:
    place = claim(m.id, loc)
    quantities = {
        name: QuantityCertificate(U=c.U, k=c.k, correction=c.correction)
        for name, c in m.quantities.items()
    }
    for name, c in m.quantities.items():
        if c.correction is not None and c.correction.dimensionality != c.U.dimensionality:
            raise ConfigError(f"{name}: correction {c.correction:~P} and U {c.U:~P} differ in "
                              "dimension", where=where(data, (*loc, "quantities", name), file))
    return MeasuringInstrument(
        id=m.id, certificate=_certificate(m), where=place,
        due_where=where(data, (*loc, "due"), file), kind=m.kind, serial=m.serial,
        maker=m.maker, model=m.model, quantities=quantities,
    )


__all__ = [
    "CLASSES", "Certificate", "MeasuringInstrument", "QuantityCertificate", "Register",
    "Standard", "Weight", "WeightSet", "load_register",
]
