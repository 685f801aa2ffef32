"""The core register kind ``instruments``: measuring instruments with a certificate per
quantity (the thermo-hygrometer of a room, a reference instrument, a DMM), each with one
value (``U``, ``k``, ``correction``) or a table of points
(``labctl.register.certificate_table``)."""

from __future__ import annotations

import functools

from labctl.errors import ConfigError
from labctl.register.certificate_table import CertificateTable, PointEntry, build_table
from labctl.register.entries import MeasuringInstrument, QuantityCertificate
from labctl.register.fields import CertificatePointFields, InstrumentFields
from labctl.register.kinds import EntryKind, EntryPlace, certificate_of


class InstrumentKind(EntryKind):
    fields = InstrumentFields
    title = "instrument"

    def build(self, fields: InstrumentFields, place: EntryPlace) -> MeasuringInstrument:  # type: ignore[override]
        m = fields
        at = place.claim(m.id)
        quantities: dict[str, QuantityCertificate] = {}
        for name, c in m.quantities.items():
            if c.points is not None:
                quantities[name] = QuantityCertificate(
                    U=None, k=None, table=_table(m.id, name, c.points, place))
                continue
            assert c.U is not None and c.k is not None  # checked by the fields
            if c.correction is not None and c.correction.dimensionality != c.U.dimensionality:
                raise ConfigError(f"{name}: correction {c.correction:~P} and U {c.U:~P} differ "
                                  "in dimension", where=place.where("quantities", name))
            quantities[name] = QuantityCertificate(U=c.U, k=c.k, correction=c.correction)
        return MeasuringInstrument(
            id=m.id, certificate=certificate_of(m), where=at, due_where=place.where("due"),
            kind=m.kind, serial=m.serial, maker=m.maker, model=m.model, quantities=quantities)


def _table(id: str, name: str, points: list[CertificatePointFields],
           place: EntryPlace) -> CertificateTable:
    """The certificate table of quantity ``name``, checked, each error at its row."""
    rows = [PointEntry(p.nominal, p.correction, p.error, p.U, p.k,
                       functools.partial(place.where, "quantities", name, "points", i))
            for i, p in enumerate(points)]
    return build_table(rows, place.where("quantities", name, "points"),
                       what=f"instrument {id!r}, {name} certificate")


INSTRUMENTS = InstrumentKind()
