"""A record as a certificate reads it: grouped, rounded, in display units, paginated.

``certificate_view`` turns a ``Record`` (schema 2; schema 1 records are refused with the
reason) plus its signature status and approval into plain dicts and lists that the HTML
template and the DCC writer share. Numbers follow GUM 7.2.6: U with two significant
digits, the value to the same last digit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from labctl.numbers import number_text, uncertainty_text, value_text
from labctl.report.approval import Approval
from labctl.report.tables import _in, _small_unit, common_unit
from labctl.results import CONFORMING

#: Result rows on one sheet with the test's plot, and on a continuation sheet.
ROWS_WITH_PLOT = 12
ROWS_PER_SHEET = 30
#: Standard groups on the standards sheet before it continues on another.
GROUPS_PER_SHEET = 9
#: The height (mm) a sheet gives to results, between its head and its foot.
SHEET_MM = 240.0


class NotCertifiable(ValueError):
    """The record lacks what a certificate needs (e.g. a schema-1 record)."""


@dataclass
class SignatureStatus:
    """Whether the record's hash and signature verified in its registry."""

    verified: bool
    key_id: str | None
    problems: list[str] = field(default_factory=list)


def fmt_value(value: float | None, u: float | None = None, digits: int = 6) -> str:
    """A value rounded to the last digit of its two-digit uncertainty, or to ``digits``
    significant digits when it has none (``labctl.numbers``, as every table)."""
    if value is None:
        return "–"
    return value_text(value, u) if u else number_text(value, digits=digits)


def fmt_u(u: float | None) -> str:
    """An uncertainty with two significant digits (GUM 7.2.6)."""
    return "–" if u is None else uncertainty_text(u)


def _tables_of(points: Sequence[Any]) -> dict[str, list[Any]]:
    """The points by test, in record order; a test whose points are of several
    quantities (a CO2 and a CH4 channel: units that differ) gets one table each, keyed
    ``"test quantity"``, so no column mixes units."""
    by_test: dict[str, list[Any]] = {}
    for p in points:
        by_test.setdefault(p.test, []).append(p)
    out: dict[str, list[Any]] = {}
    for test, pts in by_test.items():
        groups: dict[tuple[str | None, str | None], list[Any]] = {}
        for p in pts:
            key = (p.nominal.unit if p.nominal else None, p.error.unit if p.error else None)
            groups.setdefault(key, []).append(p)
        if len(groups) == 1:
            out[test] = pts
            continue
        for (nominal, error), group in groups.items():
            details = group[0].details or {}
            what = details.get("component") or details.get("quantity") or nominal or error
            out[f"{test} {what}"] = group
    return out


def test_title(test: str) -> str:
    return test.replace("_", " ").capitalize()


def column_heading(points: Sequence[Any], column: str) -> tuple[str | None, str]:
    """(Chinese or None, English) head of a results column: the label the analyses give
    it when all the points give the same (``details["nominal_label"]`` with
    ``details["nominal_label_zh"]``, ``details["error_label"]``...), as the result tables
    of ``labctl.report.tables`` head it; else the certificate's own label."""
    from labctl.report.labels import label

    given = {((p.details or {}).get(f"{column}_label"),
              (p.details or {}).get(f"{column}_label_zh")) for p in points}
    if len(given) == 1:
        en, zh = given.pop()
        if en:
            return (str(zh) if zh else None), str(en)[:1].upper() + str(en)[1:]
    return label(column)


def _test_table(test: str, points: Sequence[Any], steps: Any) -> dict[str, Any]:
    units = {name: common_unit(getattr(p, name) for p in points)
             for name in ("nominal", "indication", "error", "expanded_uncertainty", "mpe")}
    shared = {units[n] for n in ("error", "expanded_uncertainty", "mpe") if units[n]}
    small = _small_unit(list(points), shared.pop()) if len(shared) == 1 else None
    rows = []
    for p in points:
        err = _in(p.error, small) if small else p.error
        big_u = _in(p.expanded_uncertainty, small) if small else p.expanded_uncertainty
        mpe = _in(p.mpe, small) if small else p.mpe
        u_value = big_u.value if big_u is not None else None
        rows.append({
            "point": p.point, "nominal": fmt_value(p.nominal.value if p.nominal else None),
            "indication": fmt_value(p.indication.value if p.indication else None),
            "error": fmt_value(err.value if err else None, u_value),
            "U": fmt_u(u_value), "k": f"{p.coverage_factor:.2g}" if p.coverage_factor else "–",
            "mpe": fmt_value(mpe.value if mpe else None, digits=4),
            "decision": p.decision, "conforms": p.decision in CONFORMING, "rule": p.rule,
            "position": (p.details or {}).get("position"),
            "direction": (p.details or {}).get("direction"),
            "notes": p.notes, "source": p,
        })
    step = steps.get(points[0].step) if steps else None
    title = step.en if step else test_title(test)
    return {"test": test, "title": title, "title_zh": step.zh if step else "", "rows": rows,
            "nominal_label": column_heading(points, "nominal"),
            "error_label": column_heading(points, "error"),
            "nominal_unit": units["nominal"] or "", "indication_unit": units["indication"] or "",
            "small_unit": small or "", "plot_png": None,
            "has_errors": any(p.error is not None for p in points)}


def _standard_groups(standards: Sequence[Any]) -> list[dict[str, Any]]:
    """Standards that share one certificate (the pieces of a weight set) as one row."""
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for s in standards:
        base = s.register_id.split("/")[0]
        key = (base, s.certificate, s.issued_by, s.calibration_date, s.due_date)
        g = groups.setdefault(key, {
            "id": base, "certificate": s.certificate, "issued_by": s.issued_by or "–",
            "calibrated": s.calibration_date.isoformat(), "due": s.due_date.isoformat(),
            "class": s.accuracy_class or "", "pieces": [], "corrections": [],
            "expired": s.expired_allowed, "description": s.description})
        g["pieces"].append(s.register_id.split("/", 1)[1] if "/" in s.register_id else "")
        if s.corrections:  # the kinds of correction, counted (the values are per piece)
            kind = re.sub(r" \(correction [^)]*\)", "", s.corrections)
            g["corrections"].append(kind)
    out = []
    for g in groups.values():
        counts: dict[str, int] = {}
        for kind in g["corrections"]:
            counts[kind] = counts.get(kind, 0) + 1
        g["corrections"] = [kind if len(g["pieces"]) < 2 else f"{kind} ({n} piece(s))"
                            for kind, n in counts.items()]
        pieces = [p for p in g["pieces"] if p]
        if pieces:
            g["description"] = (f"{len(pieces)} piece(s): {pieces[0]} … {pieces[-1]}"
                                if len(pieces) > 3 else f"piece(s) {', '.join(pieces)}")
            if g["class"]:
                g["description"] = f"class {g['class']}, " + g["description"]
        out.append(g)
    return out


def _environment(env: Any) -> list[dict[str, str]]:
    rows = []
    quantities = {"temperature": env.temperature, "humidity": env.humidity,
                  **(env.model_extra or {})}
    for name, r in quantities.items():
        if r is None:
            continue
        rows.append({"name": name, "min": f"{r.min:.4g}", "max": f"{r.max:.4g}",
                     "mean": f"{r.mean:.4g}", "unit": r.unit})
    return rows


def compact(value: float, unit: str) -> str:
    """``value unit`` in the prefix that reads best (0.005 kg -> 5 g)."""
    from labctl.units import Q_, parse_unit

    try:
        q = Q_(round(value, 12), parse_unit(unit)).to_compact()
    except Exception:  # a unit pint cannot scale: as given
        return f"{value:.6g} {unit}"
    return f"{q.magnitude:.6g} {q.units:~P}"


def _plate(dut: Any) -> str:
    items = []
    for key, v in dut.data_plate.items():
        items.append(f"{key} {v}" if isinstance(v, str) else f"{key} = {compact(v.value, v.unit)}")
    return ", ".join(items)


def _blocks(t: dict[str, Any]) -> list[dict[str, Any]]:
    """A test as blocks that each fit a sheet: the plot with the first rows, then the
    remaining rows continued."""
    rows = t["rows"]
    first = rows[:ROWS_WITH_PLOT] if t["has_errors"] else rows[:ROWS_PER_SHEET]
    blocks = [{"test": t, "rows": first, "plot": t["has_errors"], "continued": False}]
    rest = rows[len(first):]
    for i in range(0, len(rest), ROWS_PER_SHEET):
        blocks.append({"test": t, "rows": rest[i:i + ROWS_PER_SHEET], "plot": False,
                       "continued": True})
    return blocks


def _height(block: dict[str, Any]) -> float:
    """A block's height in mm on the sheet (heading, table head, rows, plot)."""
    return 12 + 13 + 6.3 * len(block["rows"]) + (66 if block["plot"] else 0)


def _sheets(tests: list[dict[str, Any]], groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pages: cover, standards and conditions, results (tests packed onto sheets in
    their order, long tables continued), statements and integrity. Each fits one A4
    page (the PDF test checks that the page count equals the sheet count)."""
    sheets: list[dict[str, Any]] = [{"kind": "cover"}]
    for i in range(0, max(len(groups), 1), GROUPS_PER_SHEET):
        sheets.append({"kind": "standards", "groups": groups[i:i + GROUPS_PER_SHEET],
                       "first": i == 0})
    current: dict[str, Any] | None = None
    for t in tests:
        for block in _blocks(t):
            if current is None or current["used"] + _height(block) > SHEET_MM:
                current = {"kind": "results", "blocks": [], "used": 0.0}
                sheets.append(current)
            current["blocks"].append(block)
            current["used"] += _height(block)
    sheets.append({"kind": "statements"})
    for n, sheet in enumerate(sheets, start=1):
        sheet["n"] = n
    return sheets


def certificate_view(record: Any, *, signature: SignatureStatus, approval: Approval | None,
                     draft: bool, plots: bool = True,
                     issued: date | None = None) -> dict[str, Any]:
    """Everything the templates and the DCC writer need, from one record."""
    if record.schema_version < 2 or record.issue is None:
        raise NotCertifiable(
            f"record {record.id} is a schema-{record.schema_version} record: it lacks what a "
            "certificate needs (issuing lab and number, customer, place, method, decision "
            "rule, uncertainty statement)")
    if approval is None and not draft:
        raise NotCertifiable(f"record {record.id} is not approved")
    by_test = _tables_of(record.points)
    tests = []
    for name, pts in by_test.items():
        t = _test_table(pts[0].test, pts, record.method.steps)
        if name != pts[0].test:     # one of several tables of a test, one a quantity
            t["title"] += f" ({name.split(' ', 1)[1]})"
            t["title_zh"] += f" ({name.split(' ', 1)[1]})" if t["title_zh"] else ""
            t["test"] = name
        tests.append(t)
    if plots:
        from labctl.report.plots import test_plot_png

        for t in tests:
            t["plot_png"] = test_plot_png(t["title"], by_test[t["test"]]) \
                if t["has_errors"] else None
    groups = _standard_groups(record.standards)
    sheets = _sheets(tests, groups)
    failing = [p.point for p in record.points if p.decision not in CONFORMING]
    return {
        "record": record, "draft": draft, "simulated": record.is_simulated,
        "approval": None if draft else approval,
        "signatories": [] if draft or approval is None else list(approval.signatories),
        "signature": signature, "kind": record.issue.document_kind,
        "number": record.issue.number, "lab": record.issue.lab,
        "item_name": record.issue.item_name,
        "customer": record.customer, "place": record.place, "method": record.method,
        "dut": record.dut, "plate": _plate(record.dut), "procedure": record.procedure,
        "tests": tests, "groups": groups, "environment": _environment(record.environment),
        "environment_source": record.environment.source,
        "decision_rule": record.decision_rule,
        "uncertainty_statement": record.uncertainty_statement,
        "conclusion": record.conclusion, "decision": record.decision,
        "conforms": record.decision in CONFORMING, "non_conforming": failing,
        "gross_errors": list(record.gross_errors or ()),
        "abandoned_attempts": list(record.abandoned_attempts or ()),
        "started": record.started, "finished": record.finished,
        "issued": issued or datetime.now().date(), "sheets": sheets, "pages": len(sheets),
    }
