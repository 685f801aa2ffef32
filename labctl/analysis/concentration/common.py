"""What the concentration analyses share: readings by role and name, the certificate of
the reference standard, data-plate quantities, limits from the data table, and turning a
budget into a ``PointResult``."""

from __future__ import annotations

import functools
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from labctl.analysis.registry import AnalysisContext
from labctl.errors import ConfigError
from labctl.history import Attempt, ReadingEvent, RunHistory
from labctl.results import PointResult, QuantityValue

#: What a point's ``nominal`` column holds and what its ``error`` column holds when it
#: is not an error, as the result tables, the certificate and the DCC head them
#: (``details["nominal_label"]``, ``details["error_label"]`` with their Chinese
#: ``..._label_zh``; ``labctl.report``). A point without them is headed ``nominal``.
REFERENCE_VALUE: dict[str, str] = {"nominal_label": "reference value",
                                   "nominal_label_zh": "参考值"}
INITIAL_VALUE: dict[str, str] = {"nominal_label": "initial value", "nominal_label_zh": "初始值"}
LEVEL: dict[str, str] = {"nominal_label": "level", "nominal_label_zh": "浓度水平"}
RSD: dict[str, str] = {"error_label": "RSD", "error_label_zh": "相对标准偏差"}
T90: dict[str, str] = {"error_label": "T90", "error_label_zh": "响应时间 T90"}
DRIFT: dict[str, str] = {"error_label": "drift", "error_label_zh": "漂移"}

#: Options every concentration analysis takes.
COMMON_DEFAULTS: dict[str, Any] = {"limit": None, "limits_folder": "particulate",
                                   "dut_role": "dut"}


def q(value: Any, unit: str | None = None) -> Any:
    from labctl.units import Q_, parse_quantity

    if isinstance(value, Mapping):
        return Q_(float(value["value"]), value["unit"])
    return parse_quantity(value, unit)


def values_of(readings: Sequence[ReadingEvent], unit: str) -> list[float]:
    """The readings' values in ``unit`` (readings without a value left out)."""
    return [r.value * factor(r.unit, unit) for r in readings if r.value is not None]


@functools.lru_cache(maxsize=256)
def factor(unit: str, target: str) -> float:
    """The factor from ``unit`` to ``target`` (a journal's unit texts; parsed once)."""
    from labctl.units import Q_, parse_unit

    return float(Q_(1.0, parse_unit(unit)).m_as(parse_unit(target)))


def readings(attempt: Attempt, name: str, role: str | None = None) -> list[ReadingEvent]:
    """The readings of an attempt named ``name`` (of ``role`` when given)."""
    return [r for r in attempt.readings if r.name == name and (role is None or r.role == role)]


def reading_values(attempt: Attempt, name: str, role: str | None, unit: str) -> list[float]:
    """The values in ``unit`` of an attempt's readings named ``name`` (of ``role`` when
    given), readings without a value left out."""
    return values_of(readings(attempt, name, role), unit)


def finished(history: RunHistory, context: AnalysisContext) -> list[tuple[Any, Attempt]]:
    """(point info, its last finished attempt) of every point of the analysis's steps."""
    out = []
    for step in context.steps:
        for info, attempts in history.finished_attempts(step):
            if attempts:
                out.append((info, attempts[-1]))
    return out


def plate(context: AnalysisContext, key: str, unit: str, default: str | None) -> float | None:
    """A data-plate quantity of the instrument under test in ``unit`` (or ``default``)."""
    value = (context.data_plate or {}).get(key) if isinstance(context.data_plate, Mapping) \
        else getattr(context.data_plate, key, None)
    if value is None:
        value = default
    if value is None:
        return None
    return float(q(value).m_as(unit))


def option_or_plate(options: Any, context: AnalysisContext, name: str, unit: str,
                    plate_key: str | None = None) -> float | None:
    """The analysis option ``name`` in ``unit`` when the procedure gives it, else the
    data plate's ``plate_key`` (``name`` when not given) of the instrument under test;
    None when neither does."""
    if options[name]:
        return float(q(options[name]).m_as(unit))
    return plate(context, plate_key or name, unit, None)


def limit(context: AnalysisContext, options: Any, analysis: str, unit: str,
          key: str = "limit") -> tuple[float, str]:
    """The limit ``key`` of the analysis in ``unit`` and where it comes from: the
    ``limit`` option if given, else the data table the procedure names."""
    given = options.get(key) if key != "limit" else options["limit"]
    if given is not None:
        return float(q(given).m_as(unit)), "the procedure's options"
    table_key = (context.data or {}).get("limits")
    if not table_key:
        raise ConfigError(f"{analysis}: no {key} given and the procedure names no limits "
                          "table", where=context.where.get("options"),
                          hint=f"give options: {{{key}: ...}} or data: {{limits: <document>}}")
    from labctl.metrology.datafiles import load_data_file

    table = load_data_file(str(options["limits_folder"]), str(table_key),
                           what="limits table", hint="see labctl/data/particulate/")
    entry = (table.get("limits") or {}).get(analysis) or {}
    value = entry.get(key)
    by = entry.get("by")
    if value is None and by and isinstance(entry.get("values"), Mapping):
        # a limit that depends on the instrument: ``by: sampling``, ``values: {diffusion:
        # 60 s, pumped: 30 s}`` picks the value by the data plate's ``sampling``
        chosen = str(_plate_value(context, str(by)) or entry.get("default") or "")
        value = entry["values"].get(chosen)
        if value is None:
            raise ConfigError(f"{analysis}: the limits table {table_key!r} has no {key} for "
                              f"{by} {chosen!r}", where=context.where.get("data"),
                              hint=f"give the instrument's {by} ("
                                   f"{', '.join(map(str, entry['values']))}) in its options")
    if value is None:
        raise ConfigError(f"{analysis}: the limits table {table_key!r} has no {key}",
                          where=context.where.get("data"))
    source = str(entry.get("source") or table.get("document") or table_key)
    if entry.get("from_memory"):
        source += " (from memory, unchecked)"
    of = entry.get("of")
    if of:
        # a fiducial limit: ``limit: 3 %``, ``of: range`` is 3 % of the data plate's range
        full = _plate_value(context, str(of))
        if full is None:
            raise ConfigError(f"{analysis}: the limit is a fraction of the instrument's {of}, "
                              "which its data plate does not give",
                              where=context.where.get("analysis"),
                              hint=f"give the instrument's {of} in its options")
        return float((q(value) * q(full)).m_as(unit)), f"{source}, of the {of} {full}"
    return float(q(value).m_as(unit)), source


def check_table_choices(check: Any) -> None:
    """Plan-time check (``Analysis.check_plan``): every limit of the procedure's limits
    table that is chosen by a data-plate value (``by: accuracy_class``) has a value for
    the instrument under test as the bench file declares it, so an instrument of a class
    the table does not list is refused before anything moves, not after its readings.
    A plate that states no such value is left to the analysis (it says so then)."""
    table_key = (check.data or {}).get("limits")
    if not table_key or check.options.get("limit") is not None:
        return
    from labctl.metrology.datafiles import load_data_file

    table = load_data_file(str(check.options["limits_folder"]), str(table_key),
                           what="limits table", hint="see labctl/data/")
    for analysis, entry in (table.get("limits") or {}).items():
        by, values = (entry or {}).get("by"), (entry or {}).get("values")
        if not by or not isinstance(values, Mapping):
            continue
        chosen = check.data_plate.get(str(by))
        if chosen is None or str(chosen) in {str(v) for v in values}:
            continue
        raise ConfigError(
            f"the instrument under test has {by} {chosen!r}, but the limits table "
            f"{table_key!r} gives {analysis} only for {by} "
            f"{', '.join(map(str, values))}", where=check.data_where or check.where,
            hint=f"correct the instrument's {by} in the bench file"
                 + (f" ({check.data_plate_where})" if check.data_plate_where else "")
                 + ", or use a procedure whose limits cover it")


def _plate_value(context: AnalysisContext, key: str) -> Any:
    plate = context.data_plate
    if isinstance(plate, Mapping):
        return plate.get(key)
    return getattr(plate, key, None)


def reference_certificate(history: RunHistory, context: AnalysisContext, role: str,
                          quantity: str) -> dict[str, Any]:
    """The register certificate data of ``quantity`` for the standard bound to ``role``
    (matched by the serial the instrument reported), else the one standard of the run
    certified for ``quantity``: ``{"id", "U", "k", "correction"}`` with quantities."""
    serial = str((history.identified.get(role) or {}).get("serial", ""))
    candidates = [(s, s["quantities"][quantity])
                  for s in certificate_candidates(context.standards, quantity)]
    chosen = [c for c in candidates if str(c[0].get("serial", "")) == serial] or candidates
    if len(chosen) != 1:
        what = "no standard" if not chosen else "several standards"
        raise ConfigError(f"{what} of the run with a certificate for {quantity!r} "
                          f"(role {role!r})", where=context.where.get("analysis"),
                          hint="bind the reference to its register entry (serial: <id>) and "
                               f"give the entry a {quantity} certificate")
    s, cert = chosen[0]
    table = None
    if cert.get("points"):
        from labctl.register.certificate_table import CertificateTable

        table = CertificateTable.from_record(cert["points"])
    return {"id": s.get("id"), "certificate": s.get("certificate"),
            "issued_by": s.get("issued_by"), "calibrated": s.get("calibrated"),
            "due": s.get("due"), "quantity": quantity,
            "U": q(cert["U"]) if cert.get("U") else None,
            "k": float(cert.get("k") or 2.0),
            "correction": q(cert["correction"]) if cert.get("correction") else None,
            "table": table}


def certificate_candidates(standards: Any, quantity: str) -> list[Mapping[str, Any]]:
    """The journalled standards with a certificate for ``quantity`` (one U or points)."""
    out = []
    for s in standards or ():
        if isinstance(s, Mapping):
            cert = (s.get("quantities") or {}).get(quantity)
            if cert and (cert.get("U") or cert.get("points")):
                out.append(s)
    return out


@dataclass(frozen=True)
class RelativeCertificate:
    """A reference's certificate at one level, relative to the level: the correction
    applied, its U and k, the rectangular half-width of the interpolation component (0
    for a one-value certificate or a certified point) and, for a table, what was applied
    (``applied``: ``CorrectionAt.as_record()`` with the standard's id and certificate)."""

    correction: float
    U: float
    k: float
    interpolation: float = 0.0
    applied: dict[str, Any] | None = None
    text: str = ""


def certificate_at(cert: Mapping[str, Any], level: float, unit: str, *,
                   reach: float = 0.0, what: str = "the reference reading"
                   ) -> RelativeCertificate:
    """The certificate ``cert`` (``reference_certificate``) at ``level`` (in ``unit``),
    relative: a one-value certificate as ``relative_certificate``; a table interpolated
    at the level (``CertificateTable.at``), refused beyond ``reach`` of its range."""
    table = cert.get("table")
    if table is None:
        c, U, k = relative_certificate(cert, level, unit)
        return RelativeCertificate(c, U, k)
    from labctl.units import Q_, parse_unit

    at = table.at(Q_(level, parse_unit(unit)), what=what, reach=reach)

    def rel(x: float) -> float:
        if at.relative:
            return float(Q_(x, parse_unit(at.unit)).m_as(""))
        return float(Q_(x, parse_unit(at.unit)).m_as(unit)) / level if level else 0.0

    applied = {"standard": cert.get("id"), "certificate": cert.get("certificate"),
               "quantity": cert.get("quantity"), **at.as_record()}
    return RelativeCertificate(rel(at.correction), rel(at.U), at.k, rel(at.interpolation),
                               applied, at.describe())


def relative_certificate(cert: Mapping[str, Any], level: float, unit: str
                         ) -> tuple[float, float, float]:
    """(relative correction, relative U, k) of a certificate at ``level`` (in ``unit``):
    a dimensionless U/correction (``3 %``) is relative already; one in the measured unit is
    divided by the level. A table of points is interpolated at the level (without the
    interpolation component: ``certificate_at`` gives it)."""
    if cert.get("table") is not None:
        at = certificate_at(cert, level, unit)
        return at.correction, at.U, at.k

    def rel(x: Any) -> float:
        if x is None:
            return 0.0
        if x.dimensionless:
            return float(x.m_as(""))
        return float(x.m_as(unit)) / level if level else 0.0

    return rel(cert["correction"]), rel(cert["U"]), float(cert["k"])


def mean_sd(values: Sequence[float]) -> tuple[float, float]:
    mean = statistics.fmean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return mean, sd


def point_result(test: str, info: Any, result: Any, *, unit: str, nominal: QuantityValue | None,
                 indication: QuantityValue | None, mpe: float | None, rule: str,
                 notes: list[str], details: dict[str, Any]) -> PointResult:
    """A ``PointResult`` from a ``BudgetResult`` (error, U and k in ``unit``)."""
    return PointResult(
        test=test, step=info.step, point=info.point, nominal=nominal, indication=indication,
        error=QuantityValue.of(result.value, unit),
        expanded_uncertainty=QuantityValue.of(result.expanded_uncertainty, unit),
        coverage_factor=result.coverage_factor,
        mpe=None if mpe is None else QuantityValue.of(mpe, unit),
        decision=result.decision.result if result.decision is not None else "pass",
        rule=rule, budget=result.to_dict(), notes="; ".join(notes), details=details)


def u_over_mpe_note(U: float, mpe: float, unit: str) -> str:
    third = "within" if mpe / 3 >= U else "above"
    return f"U = {U:.3g} {unit} is {third} a third of the limit {mpe:.3g} {unit} (JJF 1094)"
