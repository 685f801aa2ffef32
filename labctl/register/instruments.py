"""The core register kind ``instruments``: measuring instruments with a certificate per
quantity (the thermo-hygrometer of a room, a reference monitor, a DMM)."""

from __future__ import annotations

from labctl.errors import ConfigError
from labctl.register.entries import MeasuringInstrument, QuantityCertificate
from labctl.register.fields import InstrumentFields
from labctl.register.kinds import EntryKind, EntryPlace, certificate_of


class InstrumentKind(EntryKind):
    fields = InstrumentFields
    title = "instrument"

    def build(self, fields: InstrumentFields, place: EntryPlace) -> MeasuringInstrument:  # type: ignore[override]
        m = fields
        at = place.claim(m.id)
        for name, c in m.quantities.items():
            if c.correction is not None and c.correction.dimensionality != c.U.dimensionality:
                raise ConfigError(f"{name}: correction {c.correction:~P} and U {c.U:~P} differ "
                                  "in dimension", where=place.where("quantities", name))
        quantities = {name: QuantityCertificate(U=c.U, k=c.k, correction=c.correction)
                      for name, c in m.quantities.items()}
        return MeasuringInstrument(
            id=m.id, certificate=certificate_of(m), where=at, due_where=place.where("due"),
            kind=m.kind, serial=m.serial, maker=m.maker, model=m.model, quantities=quantities)


INSTRUMENTS = InstrumentKind()
