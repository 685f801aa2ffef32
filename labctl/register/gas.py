"""The gas family's register kind ``cylinders``: certified reference gas mixtures in
cylinders (GBW / GBW(E) certified reference materials), the standards a gas dilution
calibrator dilutes::

    cylinders:
      - id: CYL-CH4-01
        crm: GBW(E)061234              # the CRM number of the certificate
        component: CH4
        balance: N2
        value: 2.50 %vol               # c0, an amount fraction (umol/mol, %vol, ...)
        U: 1 %                         # expanded, relative (or as an amount fraction)
        k: 2
        lel: 5.0 %vol                  # optional: the component's LEL, for %LEL
        other_components:              # optional: further certified components of the
          - {component: CH4, value: 1912.4 nmol/mol, U: 1.2 nmol/mol}   # same mixture
        serial: 20250731-018           # the cylinder's own number
        certificate: GBW-2025-0731     # the certificate; due: the CRM's expiry date
        issued_by: ...
        calibrated: 2025-07-31
        due: 2026-07-30
        entered_by: L. Wang
        checked_by: H. Zhou

The certificate is required (a cylinder without one is no standard); the core refuses a
bench whose cylinder is past its ``due`` date before anything moves. A cylinder's
``parts()`` is itself, so the bench's ``standard_parts()`` lists it and the gas
calibrator's driver finds the cylinder it is bound to there. Registered as ``cylinders``
in the ``labctl.register_kinds`` entry-point group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, model_validator

from labctl.errors import ConfigError, UnitError
from labctl.register.entries import Standard
from labctl.register.fields import CertificateFields, EntryFields, Id
from labctl.register.kinds import EntryKind, EntryPlace, certificate_of
from labctl.units import Quantity, parse_quantity

#: GBW 08123, GBW(E) 061234, GBW(E)080372: the Chinese CRM numbers (first and second class).
CRM_NUMBER = re.compile(r"^GBW(\(E\))?\s?\d{5,6}[a-zA-Z]?$")


def _fraction(value: Any) -> Quantity:
    try:
        q = parse_quantity(value)
    except UnitError as exc:
        raise ValueError(exc.message) from exc
    if not q.dimensionless:
        raise ValueError(f"{value!r} is not an amount fraction: write it like '2.5 %vol', "
                         "'1000 umol/mol' or '500 nmol/mol'")
    return q


Fraction = Annotated[Quantity, BeforeValidator(_fraction)]


class ComponentFields(EntryFields):
    """A further certified component of the same mixture (a natural-air standard
    certified for CO2 and CH4); ``k`` defaults to the entry's."""

    component: str = Field(min_length=1, pattern=r"^[A-Za-z0-9()+-]+$")
    value: Fraction
    U: Fraction
    k: float | None = Field(default=None, gt=0)


class CylinderFields(CertificateFields):
    id: Id
    crm: str = Field(min_length=1)
    component: str = Field(min_length=1, pattern=r"^[A-Za-z0-9()+-]+$")
    balance: str = Field(min_length=1)
    value: Fraction
    U: Fraction
    k: float = Field(gt=0)
    lel: Fraction | None = None
    serial: str | None = None
    maker: str | None = None
    other_components: list[ComponentFields] = []

    @model_validator(mode="after")
    def _check(self) -> CylinderFields:
        if not CRM_NUMBER.match(self.crm.strip()):
            raise ValueError(f"crm {self.crm!r} is not a CRM number like 'GBW 08123' or "
                             "'GBW(E)061234'")
        if self.value.magnitude <= 0:
            raise ValueError(f"value {self.value:~P} must be positive")
        if self.U.magnitude <= 0:
            raise ValueError(f"U {self.U:~P} must be positive")
        if self.lel is not None and self.lel.magnitude <= 0:
            raise ValueError(f"lel {self.lel:~P} must be positive")
        names = [self.component.upper()] + [c.component.upper()
                                            for c in self.other_components]
        if len(set(names)) != len(names):
            raise ValueError(f"cylinder {self.id!r} names a component twice")
        if self.certificate is None:
            raise ValueError(f"cylinder {self.id!r} needs its certificate (certificate, "
                             "issued_by, calibrated, due, entered_by, checked_by)")
        return self


@dataclass(frozen=True)
class Cylinder(Standard):
    """A cylinder of certified reference gas: ``c0`` (mol/mol) with ``U`` (mol/mol) and
    ``k``; ``lel`` (mol/mol) of the component where given."""

    title: ClassVar[str] = "gas cylinder"

    crm: str = ""
    component: str = ""
    balance: str = ""
    c0: float = 0.0        # mol/mol
    U: float = 0.0         # mol/mol
    k: float = 2.0
    lel: float | None = None   # mol/mol
    serial: str | None = None
    maker: str | None = None
    others: tuple[tuple[str, float, float, float], ...] = ()  # (component, c, U, k)

    @property
    def u_relative(self) -> float:
        return self.U / self.k / self.c0

    def parts(self) -> tuple[Any, ...]:
        return (self,)

    def contents(self) -> dict[str, tuple[float, float, float]]:
        """Every certified component -> (amount fraction, U, k), in mol/mol."""
        return {self.component: (self.c0, self.U, self.k),
                **{name: (c, U, k) for name, c, U, k in self.others}}

    def describe(self) -> str:
        return (f"{self.title} {self.crm}, {self.component} in {self.balance}, "
                f"{self.c0 * 1e6:.6g} umol/mol, U = {self.U * 1e6:.3g} umol/mol "
                f"(k = {self.k:g})"
                + "".join(f"; {n} {_fraction_text(c, U)} (k = {k:g})"
                          for n, c, U, k in self.others)
                + (f", serial {self.serial}" if self.serial else ""))

    def as_record(self) -> dict[str, Any]:
        return {**super().as_record(), "crm": self.crm, "component": self.component,
                "balance": self.balance, "serial": self.serial,
                "value": {"value": self.c0 * 1e6, "unit": "umol/mol"},
                "U": {"value": self.U * 1e6, "unit": "umol/mol"}, "k": self.k,
                "lel": None if self.lel is None else {"value": self.lel * 1e6,
                                                      "unit": "umol/mol"},
                **({"other_components": [
                    {"component": name, "value": {"value": c * 1e6, "unit": "umol/mol"},
                     "U": {"value": U * 1e6, "unit": "umol/mol"}, "k": k}
                    for name, c, U, k in self.others]} if self.others else {})}


def cylinders_of(parts: Any) -> tuple[Cylinder, ...]:
    """The cylinders among a bench's standard parts (``standard_parts()``)."""
    return tuple(p for p in parts if isinstance(p, Cylinder))


def cylinder_records(standards: Any) -> list[dict[str, Any]]:
    """The cylinders among a run's journalled standards (``as_record()`` dicts)."""
    return [s for s in standards or () if isinstance(s, dict) and s.get("crm")]


class CylinderKind(EntryKind):
    fields = CylinderFields
    title = "gas cylinder"

    def build(self, fields: Any, place: EntryPlace) -> Cylinder:
        m: CylinderFields = fields
        at = place.claim(m.id)
        c0 = float(m.value.m_as(""))
        U = float(m.U.m_as("")) * (c0 if _is_relative(m.U) else 1.0)
        if c0 <= U:
            raise ConfigError(f"cylinder {m.id!r}: U {m.U:~P} is not smaller than the value "
                              f"{m.value:~P}", where=place.where("U"))
        return Cylinder(id=m.id, certificate=certificate_of(m), where=at,
                        due_where=place.where("due"), crm=m.crm.strip(),
                        component=m.component, balance=m.balance, c0=c0, U=U, k=m.k,
                        lel=None if m.lel is None else float(m.lel.m_as("")),
                        serial=m.serial, maker=m.maker,
                        others=tuple(_other(m, i, c, place)
                                     for i, c in enumerate(m.other_components)))


def _other(m: CylinderFields, i: int, c: ComponentFields, place: EntryPlace
           ) -> tuple[str, float, float, float]:
    value = float(c.value.m_as(""))
    U = float(c.U.m_as("")) * (value if _is_relative(c.U) else 1.0)
    if value <= 0 or not 0 < U < value:
        raise ConfigError(f"cylinder {m.id!r}: {c.component} needs a positive value and a "
                          f"U smaller than it", where=place.where("other_components", i))
    return c.component, value, U, float(c.k if c.k is not None else m.k)


def _fraction_text(c: float, U: float) -> str:
    """``1952.6 nmol/mol, U = 1 nmol/mol`` (nmol/mol below 10 umol/mol, else umol/mol)."""
    unit, scale = ("nmol/mol", 1e9) if c < 1e-5 else ("umol/mol", 1e6)
    return f"{c * scale:.6g} {unit}, U = {U * scale:.3g} {unit}"


def _is_relative(q: Quantity) -> bool:
    """A U written in % (of the value) rather than as an amount fraction."""
    from labctl.units import parse_unit

    return q.units in (parse_unit("percent"), parse_unit("permille"))


CYLINDERS = CylinderKind()
