"""The entries of the equipment register every family shares.

Plain immutable data: a ``Standard`` (any top-level entry, with its ``Certificate``) and
the core kind ``MeasuringInstrument`` with its ``QuantityCertificate`` per quantity.
Families add their own kinds (the weighing family's ``WeightSet`` of ``Weight`` parts,
in ``labctl.register.weighing``) through ``labctl.register.kinds``. Built by
``labctl.register.load_register``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from labctl.register.certificate_table import CertificateTable
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
    """A top-level register entry of any kind (a measuring instrument, a weight set...).

    ``where`` is the ``file:line:col`` of the entry, ``due_where`` that of its due date.
    An entry made of separately identified parts (the weights of a set) returns them from
    ``parts()``; each part has an ``id`` and ``as_record()``.
    """

    title: ClassVar[str] = "entry"  # what one entry of the kind is called in messages

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

    def parts(self) -> tuple[Any, ...]:
        """The separately identified parts of this entry (none by default)."""
        return ()

    def describe(self) -> str:
        """One line naming the standard in a record or certificate."""
        return f"{self.title} {self.id}"

    def corrections_applied(self) -> str:
        """What a run applies of the certificate, in words (for the record and the
        certificate, ISO/IEC 17025 7.8.4.1); a kind that applies corrections says which."""
        return "none: the certificate's values are used as stated, no correction applied"

    def as_record(self) -> dict[str, Any]:
        """JSON-ready certificate data for the run record (journalled at run start)."""
        cert = self.certificate
        return {"id": self.id, "kind": type(self).__name__, "description": self.describe(),
                "corrections": self.corrections_applied(),
                "certificate": cert.number if cert else None,
                "issued_by": cert.issued_by if cert else None,
                "due": cert.due.isoformat() if cert else None,
                "calibrated": cert.calibrated.isoformat() if cert else None}


@dataclass(frozen=True)
class QuantityCertificate:
    """Certificate values of a measuring instrument for one quantity: one ``U``, ``k``
    (and ``correction``) for the whole range, or a ``table`` of points
    (``labctl.register.certificate_table``; then ``U`` and ``k`` are None)."""

    U: Quantity | None
    k: float | None
    correction: Quantity | None = None
    table: CertificateTable | None = None

    @property
    def u(self) -> Quantity:
        if self.U is None or self.k is None:
            raise ValueError("a certificate table has a u per point: use table.at(value)")
        return self.U / self.k

    def describe(self, name: str) -> str:
        if self.table is not None:
            return f"{name} certified at {self.table.describe()}"
        from labctl.numbers import quantity_text

        return f"{name} U = {quantity_text(self.U)} (k = {self.k:g})"

    def as_record(self) -> dict[str, Any]:
        data: dict[str, Any] = {"U": quantity_json(self.U), "k": self.k,
                                "correction": quantity_json(self.correction)}
        if self.table is not None:
            data["points"] = self.table.as_record()
        return data


@dataclass(frozen=True)
class MeasuringInstrument(Standard):
    title: ClassVar[str] = "measuring instrument"

    kind: str = ""
    serial: str = ""
    maker: str | None = None
    model: str | None = None
    quantities: dict[str, QuantityCertificate] = field(default_factory=dict)

    def describe(self) -> str:
        quantities = ", ".join(c.describe(name) for name, c in self.quantities.items())
        text = " ".join(str(v) for v in (self.kind, self.maker, self.model) if v)
        return text + f", serial {self.serial}" + (f"; {quantities}" if quantities else "")

    def corrections_applied(self) -> str:
        from labctl.numbers import quantity_text

        stated = [f"{name} {quantity_text(c.correction, sign=True)}"
                  for name, c in self.quantities.items() if c.correction is not None]
        tables = [name for name, c in self.quantities.items() if c.table is not None]
        if tables:
            # an analysis that reads this instrument as its reference applies them, and
            # lists each correction it applied, at each point, in the record
            return (f"{', '.join(tables)}: the certificate's corrections, interpolated "
                    "linearly between its points at each reference reading, where an "
                    "analysis uses this instrument as its reference; nothing outside the "
                    "certified range")
        if stated:
            return (f"certificate corrections ({', '.join(stated)}) not applied: the "
                    "readings judge the conditions only")
        return "none: the certificate states no correction"

    def as_record(self) -> dict[str, Any]:
        return {
            **super().as_record(), "kind": self.kind, "serial": self.serial,
            "maker": self.maker, "model": self.model,
            "quantities": {name: c.as_record() for name, c in self.quantities.items()},
        }


def quantity_json(x: Quantity | None) -> dict[str, Any] | None:
    """``{"value", "unit"}`` for JSON; the unit text parses back with labctl.units."""
    if x is None:
        return None
    unit = f"{x.units:~P}"
    if "Δ" in unit:  # a temperature difference: spell it so it parses back
        unit = f"{x.units:C}"
    return {"value": float(x.magnitude), "unit": unit}
