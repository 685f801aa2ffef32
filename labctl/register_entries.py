"""The entries of the equipment register as the rest of labctl sees them.

Plain immutable data: a ``WeightSet`` and its ``Weight`` items, a ``MeasuringInstrument``
with its ``QuantityCertificate`` per quantity, each with its ``Certificate``. Built by
``labctl.register.load_register``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from labctl.metrology.weighing.weight_classes import DOCUMENT
from labctl.units import Quantity


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
            "calibrated": cert.calibrated.isoformat() if cert else None,
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
