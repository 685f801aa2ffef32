"""The register file's shared schema: the fields every entry kind builds on.

pydantic models of the YAML, with the checks one entry can make by itself (units,
dates, a complete certificate checked by a second person). The core entry kind
(``instruments``) is here; a family's kinds (``labctl.register.weighing``) extend
``CertificateFields`` the same way.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from labctl.errors import UnitError
from labctl.units import Quantity, parse_quantity


def quantity_field(value: Any) -> Quantity:
    """A quantity from YAML text, for a pydantic ``BeforeValidator``."""
    try:
        return parse_quantity(value)
    except UnitError as exc:
        raise ValueError(exc.message) from exc


def _difference(value: Any) -> Quantity:
    """A quantity used as a difference (U, correction): 0.2 degC means 0.2 delta_degC."""
    q = quantity_field(value)
    if not q._is_multiplicative:  # an offset unit such as degC
        from labctl.units import Q_

        q = Q_(q.magnitude, f"delta_{q.units}")
    return q


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
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Id = Annotated[str, Field(min_length=1, pattern=r"^[^\s/]+$")]


class EntryFields(BaseModel):
    """Base of every entry model: unknown keys refused, values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True,
                              populate_by_name=True)


class CertificateFields(EntryFields):
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


class CertificatePointFields(EntryFields):
    """One row of a certificate table (``labctl.register.certificate_table``)."""

    nominal: Annotated[Quantity, BeforeValidator(quantity_field)]
    correction: DiffQ | None = None
    error: DiffQ | None = None
    U: DiffQ
    k: float = Field(gt=0)


class QuantityCertificateFields(EntryFields):
    """One value (``U``, ``k``, ``correction``) or a table of ``points``."""

    U: DiffQ | None = None
    k: float | None = Field(default=None, gt=0)
    correction: DiffQ | None = None
    points: list[CertificatePointFields] | None = None

    @model_validator(mode="after")
    def _one_or_table(self) -> QuantityCertificateFields:
        if self.points is not None:
            if self.U is not None or self.k is not None or self.correction is not None:
                raise ValueError("give U, k and correction for one value, or points for a "
                                 "table, not both")
            return self
        if self.U is None or self.k is None:
            raise ValueError("give U and k (one value for the whole range), or points (a "
                             "table: nominal, correction or error, U, k)")
        return self


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
