"""The family's register kind ``voltage_references``: DC voltage references (Zener
standards) with their certified value, listed under ``voltage_references:`` in a
register file and used on a bench as a check standard::

    voltage_references:
      - id: ZR-01
        serial: ZR7-0315
        value: 10.000012 V
        U: 1.5 uV
        k: 2
        certificate: EL-2026-0230
        ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field

from labctl.register.entries import Standard, quantity_json
from labctl.register.fields import CertificateFields, Id, quantity_field
from labctl.register.kinds import EntryKind, EntryPlace, certificate_of
from labctl.units import Quantity

VoltQ = Annotated[Quantity, BeforeValidator(quantity_field)]


class VoltageReferenceFields(CertificateFields):
    id: Id
    serial: str = Field(min_length=1)
    value: VoltQ
    U: VoltQ
    k: float = Field(gt=0)


@dataclass(frozen=True)
class VoltageReference(Standard):
    title: ClassVar[str] = "DC voltage reference"

    serial: str = ""
    value: Quantity | None = None
    U: Quantity | None = None
    k: float = 2.0

    def describe(self) -> str:
        return f"{self.title} {self.value:~P}, serial {self.serial}"

    def as_record(self) -> dict[str, Any]:
        return {**super().as_record(), "serial": self.serial,
                "value": quantity_json(self.value), "U": quantity_json(self.U), "k": self.k}


class VoltageReferenceKind(EntryKind):
    fields = VoltageReferenceFields
    title = "DC voltage reference"

    def build(self, fields: Any, place: EntryPlace) -> VoltageReference:
        m = fields
        at = place.claim(m.id)
        if m.certificate is None:
            from labctl.errors import ConfigError

            raise ConfigError(f"voltage reference {m.id!r} needs its certificate", where=at)
        return VoltageReference(id=m.id, certificate=certificate_of(m), where=at,
                                due_where=place.where("due"), serial=m.serial,
                                value=m.value.to("V"), U=m.U.to("V"), k=m.k)


VOLTAGE_REFERENCES = VoltageReferenceKind()
