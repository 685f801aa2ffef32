"""The register file's schema: what each entry of ``register.yaml`` may hold.

pydantic models of the YAML, with the checks one entry can make by itself (units,
dates, a complete certificate checked by a second person, a weight's value given with
its U and k). ``labctl.register.load_register`` validates a file with ``RegisterFile``
and turns the result into the register's entries.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from labctl.errors import UnitError
from labctl.units import Quantity, parse_quantity


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


class CertificateFields(_Model):
    certificate: str | None = None
    issued_by: str | None = None
    calibrated: IsoDate | None = None
    due: IsoDate | None = None
    entered_by: str | None = None
    checked_by: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> CertificateFields:
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


class WeightItemFields(_Model):
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


class QuantityCertificateFields(_Model):
    U: DiffQ
    k: float = Field(gt=0)
    correction: DiffQ | None = None


class InstrumentFields(CertificateFields):
    id: Id
    kind: str
    maker: str | None = None
    model: str | None = None
    serial: str = Field(min_length=1)
    quantities: dict[str, QuantityCertificateFields] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _quantities_need_certificate(self) -> InstrumentFields:
        if self.quantities and self.certificate is None:
            raise ValueError(f"instrument {self.id!r} gives certificate values but no "
                             "certificate (number, issued_by, calibrated, due, ...)")
        return self


class RegisterFile(_Model):
    lab: str | None = None
    weight_sets: list[WeightSetFields] = Field(default_factory=list)
    instruments: list[InstrumentFields] = Field(default_factory=list)
