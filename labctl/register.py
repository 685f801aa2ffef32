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

The file's schema lives in ``labctl.register_file``, the entries (``Weight``,
``WeightSet``, ``MeasuringInstrument``...) in ``labctl.register_entries``; they are
importable from here, which holds the ``Register`` and ``load_register``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pydantic

from labctl.errors import ConfigError
from labctl.metrology.weighing.weight_classes import CLASSES, DOCUMENT, weight_mpe
from labctl.register_entries import (
    Certificate,
    MeasuringInstrument,
    QuantityCertificate,
    Standard,
    Weight,
    WeightSet,
)
from labctl.register_file import (
    CertificateFields,
    InstrumentFields,
    RegisterFile,
    WeightItemFields,
    WeightSetFields,
)
from labctl.units import Quantity
from labctl.yamlio import read_yaml_file, validation_error, where


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
    data, content = read_yaml_file(p, "register file")
    text = content.decode("utf-8")
    if not isinstance(data, dict):
        raise ConfigError("a register file is a mapping with weight_sets and instruments",
                          where=str(p))
    try:
        model = RegisterFile.model_validate(data)
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


def _certificate(m: CertificateFields) -> Certificate | None:
    if m.certificate is None:
        return None
    return Certificate(m.certificate, m.issued_by or "", m.calibrated, m.due,  # type: ignore[arg-type]
                       m.entered_by or "", m.checked_by or "")


def _weight_set(m: WeightSetFields, data: Any, loc: tuple[Any, ...], file: str,
                claim: Any) -> WeightSet:
    place = claim(m.id, loc)
    cert = _certificate(m)
    assert cert is not None  # WeightSetFields requires it
    weights = []
    for j, item in enumerate(m.items):
        item_loc = (*loc, "items", j)
        weights.append(_weight(m, item, cert, where(data, item_loc, file)))
    return WeightSet(
        id=m.id, certificate=cert, where=place, due_where=where(data, (*loc, "due"), file),
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


def _instrument(m: InstrumentFields, data: Any, loc: tuple[Any, ...], file: str,
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
