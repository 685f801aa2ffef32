"""A certificate stated at several points of a quantity, and interpolation between them.

A calibration certificate often gives its result as a table: at each nominal value of
the measured quantity, the correction (or the error) of the instrument and its expanded
uncertainty U with coverage factor k. In the register it is written under the quantity::

    quantities:
      flow:
        points:                       # nominal, correction (or error), U, k
          - {nominal: 1 L/min,  correction: +0.004 L/min, U: 0.006 L/min, k: 2}
          - {nominal: 5 L/min,  correction: +0.010 L/min, U: 0.020 L/min, k: 2}
          - {nominal: 20 L/min, correction: -0.030 L/min, U: 0.080 L/min, k: 2}

``correction`` is the value to add to the indication (true - indicated); a certificate
that states the ``error`` (indicated - true) gives ``error:`` instead and the table keeps
its negative. Corrections and U are either all in the quantity's unit or all relative
(``%``, of the indication). The nominals rise strictly; the table covers the range from
the first to the last, and nothing outside it (``CertificateTable.at`` refuses to
extrapolate, naming the register's ``file:line:col`` and the value).

**Interpolation** (``CertificateTable.at``), between the neighbouring points i and i+1,
with t = (x - x_i) / (x_{i+1} - x_i):

- correction: linear, c = c_i + t (c_{i+1} - c_i);
- certificate uncertainty: the standard uncertainty interpolated linearly,
  u = u_i + t (u_{i+1} - u_i) (stated as U = u k with the nearer point's k). Not the
  larger of the two: that rule jumps at every certified point, so a value just above
  the 5 L/min point would take the U of 20 L/min and one just below it that of 1 L/min,
  a step no calibration has, and results would hinge on which side of a point a reading
  fell. A certificate's U grows smoothly with the value (mostly a relative component),
  which the linear u follows; what the chord may miss between the points is carried,
  for the correction, by the next component;
- an interpolation component, rectangular, half-width a = |c_{i+1} - c_i| t (1 - t):
  the linear chord is right only if the correction is linear in between. Of the
  quadratic curves through the two points that stay monotonic between them (a correction
  curve with no extremum between two calibration points), the one farthest from the
  chord deviates from it by exactly |c_{i+1} - c_i| t (1 - t) (|Δc|/4 mid-way, nothing
  at the points). A value at a point takes that point's correction and U, with a = 0.

``reach`` (a fraction of the end point's nominal) lets a value just beyond an end (a
reading of a source set to the end point, a little above it) take the end point's
correction and U, with the end segment's slope times the distance as the interpolation
half-width; beyond the reach the value is refused. It is 0 unless the caller gives it.

Any family's reference instrument uses it (through ``instruments:`` entries); the
simulators draw true errors within it with ``true_errors``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from labctl.errors import ConfigError
from labctl.units import Quantity


@dataclass(frozen=True)
class CertificatePoint:
    """One row of a certificate table, in the table's units (floats)."""

    nominal: float
    correction: float        # true - indicated
    U: float
    k: float
    stated_as: str = "correction"   # or "error" (as the certificate states it)

    @property
    def u(self) -> float:
        return self.U / self.k


@dataclass(frozen=True)
class CorrectionAt:
    """What a certificate table gives at one value: the correction to apply, the
    certificate's uncertainty there (``U``, ``k``), the interpolation component
    (rectangular half-width ``interpolation``), all in the table's ``unit`` (``%`` for a
    relative table), and between which certified points (``between``: nominals)."""

    value: float             # the value asked for, in ``nominal_unit``
    nominal_unit: str
    correction: float
    U: float
    k: float
    interpolation: float     # rectangular half-width (0 at a certified point)
    unit: str                # of correction, U and interpolation
    between: tuple[float, ...]

    @property
    def u(self) -> float:
        return self.U / self.k

    @property
    def relative(self) -> bool:
        from labctl.units import parse_unit

        return parse_unit(self.unit).dimensionless

    def as_record(self) -> dict[str, Any]:
        """JSON-ready: what was applied at this value."""
        return {"at": {"value": self.value, "unit": self.nominal_unit},
                "correction": {"value": self.correction, "unit": self.unit},
                "U": {"value": self.U, "unit": self.unit}, "k": self.k,
                "interpolation_half_width": {"value": self.interpolation, "unit": self.unit},
                "between": [{"value": v, "unit": self.nominal_unit} for v in self.between]}

    def describe(self) -> str:
        n, v = _shown(self.nominal_unit), _shown(self.unit)
        where = (f"the certified point {self.between[0]:g} {n}" if len(self.between) == 1
                 else f"interpolated between {self.between[0]:g} and {self.between[1]:g} {n}")
        return (f"{self.correction:+.4g} {v} at {self.value:.4g} {n} "
                f"({where}; U = {self.U:.3g} {v}, k = {self.k:g}"
                + (f"; interpolation +-{self.interpolation:.3g} {v}"
                   if self.interpolation else "") + ")")


@dataclass(frozen=True)
class CertificateTable:
    """A certificate's points for one quantity, sorted by nominal, in the units
    ``nominal_unit`` (the nominals) and ``unit`` (corrections and U); ``where`` is the
    ``file:line:col`` of the table in the register."""

    points: tuple[CertificatePoint, ...]
    nominal_unit: str
    unit: str
    where: str

    @property
    def low(self) -> float:
        return self.points[0].nominal

    @property
    def high(self) -> float:
        return self.points[-1].nominal

    @property
    def relative(self) -> bool:
        from labctl.units import parse_unit

        return parse_unit(self.unit).dimensionless

    def range_text(self) -> str:
        return f"{self.low:g} to {self.high:g} {_shown(self.nominal_unit)}"

    def covers(self, value: Quantity | float, *, reach: float = 0.0) -> bool:
        x = self._number(value)
        return self.low * (1 - reach) <= x <= self.high * (1 + reach)

    def check_covers(self, value: Quantity | float, *, what: str, reach: float = 0.0,
                     hint: str | None = None) -> None:
        """Refuse ``value`` outside the certified range (``ConfigError`` at the table)."""
        if not self.covers(value, reach=reach):
            x = self._number(value)
            raise ConfigError(
                f"{what}: {x:g} {_shown(self.nominal_unit)} is outside the certified range "
                f"{self.range_text()}: the certificate is not extrapolated",
                where=self.where,
                hint=hint or "calibrate at points within the range, or have the standard "
                             "calibrated over it and enter the new points")

    def at(self, value: Quantity | float, *, what: str = "the value",
           reach: float = 0.0) -> CorrectionAt:
        """The correction, U and interpolation component at ``value`` (a quantity of the
        nominals' dimension, or a number in ``nominal_unit``); refused outside the range
        (beyond ``reach`` of an end)."""
        x = self._number(value)
        self.check_covers(x, what=what, reach=reach)
        pts = self.points
        if x <= pts[0].nominal:
            return self._end(x, pts[0], pts[1])
        if x >= pts[-1].nominal:
            return self._end(x, pts[-1], pts[-2])
        for a, b in zip(pts, pts[1:], strict=False):
            if x == a.nominal:
                return self._single(x, a)
            if a.nominal < x < b.nominal:
                t = (x - a.nominal) / (b.nominal - a.nominal)
                c = a.correction + t * (b.correction - a.correction)
                u = a.u + t * (b.u - a.u)
                k = a.k if t <= 0.5 else b.k
                half = abs(b.correction - a.correction) * t * (1 - t)
                return CorrectionAt(x, self.nominal_unit, c, u * k, k, half,
                                    self.unit, (a.nominal, b.nominal))
        return self._single(x, pts[-1])  # pragma: no cover - x == last nominal

    def _single(self, x: float, p: CertificatePoint) -> CorrectionAt:
        return CorrectionAt(x, self.nominal_unit, p.correction, p.U, p.k, 0.0, self.unit,
                            (p.nominal,))

    def _end(self, x: float, end: CertificatePoint, inner: CertificatePoint) -> CorrectionAt:
        if x == end.nominal:
            return self._single(x, end)
        slope = (end.correction - inner.correction) / (end.nominal - inner.nominal)
        half = abs(slope * (x - end.nominal))
        return CorrectionAt(x, self.nominal_unit, end.correction, end.U, end.k, half,
                            self.unit, (end.nominal,))

    def _number(self, value: Quantity | float) -> float:
        if hasattr(value, "units"):
            from labctl.units import parse_unit

            try:
                return float(value.m_as(parse_unit(self.nominal_unit)))  # type: ignore[union-attr]
            except Exception:  # noqa: BLE001 - pint's DimensionalityError
                raise ConfigError(f"{value:~P} is not of the dimension of the certificate's "
                                  f"nominals ({self.nominal_unit})", where=self.where) from None
        return float(value)

    # -- the journal -------------------------------------------------------------------
    def as_record(self) -> dict[str, Any]:
        """JSON-ready (journalled at run start; ``from_record`` reads it back)."""
        return {"where": self.where, "nominal_unit": self.nominal_unit, "unit": self.unit,
                "points": [{"nominal": p.nominal, "correction": p.correction, "U": p.U,
                            "k": p.k, "stated_as": p.stated_as} for p in self.points]}

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> CertificateTable:
        return cls(tuple(CertificatePoint(float(p["nominal"]), float(p["correction"]),
                                          float(p["U"]), float(p["k"]),
                                          str(p.get("stated_as") or "correction"))
                         for p in data["points"]),
                   str(data["nominal_unit"]), str(data["unit"]), str(data.get("where") or ""))

    def describe(self) -> str:
        us = [p.U for p in self.points]
        return (f"{len(self.points)} points {self.range_text()}, U {min(us):.3g} to "
                f"{max(us):.3g} {_shown(self.unit)}")


def _q(q: Quantity) -> str:
    """A quantity as people read it (``50 µg/m³``)."""
    return f"{q.magnitude:g} {q.units:~P}"


def _shown(unit: str) -> str:
    """A unit text as people read it (``µg/m³``)."""
    from labctl.units import parse_unit

    return format(parse_unit(unit), "~P")


def true_errors(table: CertificateTable, rng: Any) -> list[tuple[float, float]]:
    """An instrument the certificate could have been issued for: at each certified
    nominal, an error (indicated - true, in ``nominal_unit``) equal to minus the
    certificate's correction plus a normal draw with the certificate's standard
    uncertainty there, drawn again while it falls outside the expanded uncertainty U
    (a certificate whose stated interval missed the truth is not one a simulated lab
    should be shipped with); ``rng``: a seeded ``numpy.random.Generator``. For
    simulators."""
    out = []
    for p in table.points:
        draw = float(rng.normal(0.0, p.u))
        while abs(draw) > p.U:
            draw = float(rng.normal(0.0, p.u))
        error = -p.correction + draw
        if table.relative:
            from labctl.units import Q_, parse_unit

            error = float(Q_(error, parse_unit(table.unit)).m_as("")) * p.nominal
        out.append((p.nominal, error))
    return out


@dataclass(frozen=True)
class PointEntry:
    """One row as written: quantities, and the places of its keys (``place(key)``)."""

    nominal: Quantity
    correction: Quantity | None
    error: Quantity | None
    U: Quantity
    k: float
    place: Any   # Callable[[str], str]: file:line:col of a key of the row


def build_table(rows: Sequence[PointEntry], where: str, *, what: str) -> CertificateTable:
    """A checked table from the register's rows: at least two points; every nominal of
    one dimension, rising strictly; corrections and U all in the nominals' dimension or
    all relative; each row a correction or an error. Errors at the row's key."""
    if len(rows) < 2:
        raise ConfigError(f"{what}: a table of points needs at least two points (one value "
                          "is written as U, k and correction)", where=where)
    first = rows[0]
    nominal_unit = first.nominal.units
    value_unit = (first.correction if first.correction is not None else first.error).units  # type: ignore[union-attr]
    relative = first.U.dimensionless
    out: list[CertificatePoint] = []
    seen: dict[float, int] = {}
    for i, row in enumerate(rows):
        label = f"{what}: point {i + 1}"
        if row.nominal.dimensionality != first.nominal.dimensionality:
            raise ConfigError(f"{label}: nominal {_q(row.nominal)} is not of the dimension of "
                              f"point 1's {_q(first.nominal)}", where=row.place("nominal"),
                              hint="write every nominal in one kind of unit")
        if (row.correction is None) == (row.error is None):
            raise ConfigError(f"{label}: give its correction or its error (one of them)",
                              where=row.place("nominal"),
                              hint="correction = true - indicated; error = indicated - true")
        key, given = ("correction", row.correction) if row.correction is not None \
            else ("error", row.error)
        for name, q in ((key, given), ("U", row.U)):
            ok = q.dimensionless if relative else (
                q.dimensionality == first.nominal.dimensionality)  # type: ignore[union-attr]
            if not ok:
                want = "relative (%), as point 1's U" if relative else \
                    f"in the unit of the nominals ({first.nominal.units:~P}), as point 1's U"
                raise ConfigError(f"{label}: {name} {_q(q)} is not {want}",
                                  where=row.place(name),
                                  hint="write every correction and U of the table in one "
                                       "kind of unit")
        if row.U.magnitude <= 0:
            raise ConfigError(f"{label}: U {_q(row.U)} must be positive", where=row.place("U"))
        x = float(row.nominal.m_as(nominal_unit))
        if x in seen:
            raise ConfigError(f"{label}: nominal {_q(row.nominal)} is certified twice (point "
                              f"{seen[x] + 1} too)", where=row.place("nominal"),
                              hint="one row per nominal value")
        if out and x < out[-1].nominal:
            raise ConfigError(f"{label}: nominal {_q(row.nominal)} is below point {i}'s; the "
                              "points must rise", where=row.place("nominal"),
                              hint="list the points in increasing order of nominal")
        seen[x] = i
        c = float(given.m_as(value_unit))  # type: ignore[union-attr]
        out.append(CertificatePoint(x, c if key == "correction" else -c,
                                    float(row.U.m_as(value_unit)), float(row.k), key))
    return CertificateTable(tuple(out), format(nominal_unit, "~C"), format(value_unit, "~C"),
                            where)


__all__ = ["CertificatePoint", "CertificateTable", "CorrectionAt", "PointEntry", "build_table",
           "true_errors"]
