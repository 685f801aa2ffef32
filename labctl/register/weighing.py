"""The weighing family's register kind ``weight_sets``: standard weights (OIML R 111-1).

A weight is known everywhere by its register id ``SET/ITEM`` (``M1-A/2kg*``); a set is
a ``Standard`` whose ``parts()`` are its ``Weight`` items::

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

Registered as ``weight_sets`` in the ``labctl.register_kinds`` entry-point group.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, model_validator

from labctl.errors import ConfigError, UnitError
from labctl.metrology.weighing.weight_classes import DOCUMENT, weight_mpe
from labctl.register.entries import Certificate, Standard, quantity_json
from labctl.register.fields import CertificateFields, EntryFields, Id
from labctl.register.kinds import EntryKind, EntryPlace, certificate_of
from labctl.units import Quantity, parse_quantity


def _mass(value: Any) -> Quantity:
    try:
        return parse_quantity(value, expect="kg")
    except UnitError as exc:
        raise ValueError(f"{exc.message} (a mass is needed here, e.g. '500 mg' or '2 kg')") from exc


MassQ = Annotated[Quantity, BeforeValidator(_mass)]
WeightClass = Literal["E1", "E2", "F1", "F2", "M1", "M1-2", "M2", "M2-3", "M3"]


class WeightItemFields(EntryFields):
    id: Id
    nominal: MassQ
    correction: MassQ | None = None         # conventional mass minus nominal
    conventional_mass: MassQ | None = None  # or the conventional mass itself
    U: MassQ | None = None
    k: float | None = Field(default=None, gt=0)
    weight_class: WeightClass | None = Field(default=None, alias="class")

    @model_validator(mode="after")
    def _certificate_or_class(self) -> WeightItemFields:
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


class WeightSetFields(CertificateFields):
    id: Id
    weight_class: WeightClass = Field(alias="class")
    maker: str | None = None
    serial: str | None = None
    items: list[WeightItemFields] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_items(self) -> WeightSetFields:
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

    def describe(self) -> str:
        """``weight 10 kg (certificate)`` or ``... (class only)``."""
        nominal = quantity_json(self.nominal)
        assert nominal is not None
        basis = "certificate" if self.basis == "certificate" else "class only"
        return f"weight {nominal['value']:g} {nominal['unit']} ({basis})"

    def as_record(self) -> dict[str, Any]:
        """JSON-ready certificate data (for the run record and the analysis)."""

        return {
            "id": self.id, "kind": "weight", "set": self.set_id,
            "description": self.describe(),
            "nominal": quantity_json(self.nominal),
            "conventional_mass": quantity_json(self.conventional_mass),
            "u": quantity_json(self.u), "U": quantity_json(self.U), "k": self.k,
            "class": self.weight_class,
            "mpe": quantity_json(self.mpe), "mpe_document": DOCUMENT, "basis": self.basis,
            "certificate": self.certificate, "issued_by": self.issued_by,
            "due": self.due.isoformat(),
            "calibrated": self.calibrated.isoformat() if self.calibrated else None,
        }


@dataclass(frozen=True)
class WeightSet(Standard):
    title: ClassVar[str] = "weight set"

    weight_class: str = "M1"
    maker: str | None = None
    serial: str | None = None
    weights: tuple[Weight, ...] = ()


    def parts(self) -> tuple[Weight, ...]:
        return self.weights


def weights_of(parts: Iterable[Any]) -> tuple[Weight, ...]:
    """The standard weights among register parts (a bench's ``standard_parts()``)."""
    return tuple(p for p in parts if isinstance(p, Weight))


class WeightSetKind(EntryKind):
    fields = WeightSetFields
    title = "weight set"

    def build(self, fields: WeightSetFields, place: EntryPlace) -> WeightSet:  # type: ignore[override]
        return _weight_set(fields, place)


WEIGHT_SETS = WeightSetKind()


def _weight_set(m: WeightSetFields, place: EntryPlace) -> WeightSet:
    at = place.claim(m.id)
    cert = certificate_of(m)
    assert cert is not None  # WeightSetFields requires it
    weights = [_weight(m, item, cert, place.where("items", j)) for j, item in enumerate(m.items)]
    return WeightSet(
        id=m.id, certificate=cert, where=at, due_where=place.where("due"),
        weight_class=m.weight_class, maker=m.maker, serial=m.serial, weights=tuple(weights),
    )


def _weight(ws: WeightSetFields, item: WeightItemFields, cert: Certificate, place: str) -> Weight:
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


__all__ = ["WEIGHT_SETS", "Weight", "WeightSet", "WeightSetKind", "weights_of"]
