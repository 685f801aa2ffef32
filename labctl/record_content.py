"""The statements a record carries for its certificate, computed from the run.

Pure functions over the journal's run information, the procedure and the analysed
points (``labctl.calibration.build_record`` calls them): the certificate number, the
customer and place, the standards' corrections in words, the method with its declared
deviations, the decision rule and the uncertainty as sentences, and a verification's
conclusion with its next due date. Family-neutral: a standard is described from its
register data (a weight's correction, an instrument's per-quantity corrections).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from labctl.registry.certification import expected_document_kind
from labctl.results import CONFORMING

__all__ = ["RULE_TEXT", "add_period", "certificate_number", "conclusion", "customer",
           "decision_rule", "expected_document_kind", "issuer", "item_name", "method",
           "standard_corrections", "uncertainty_statement"]

#: What each decision rule of ``labctl.uncertainty.decision`` means, in one sentence.
RULE_TEXT: dict[str, str] = {
    "simple": ("simple acceptance (ILAC-G8:09/2019 4.2.1, guard band w = 0): a result "
               "conforms when the measured value lies within the tolerance limits"),
    "guard_band_U": ("guarded acceptance with w = U (ILAC-G8:09/2019 4.2.2): a result "
                     "conforms when it lies within the limits narrowed by its expanded "
                     "uncertainty"),
    "guard_band_rU": ("guarded acceptance with w = r U (ILAC-G8:09/2019 4.2.3): a result "
                      "conforms when it lies within the limits narrowed by r times its "
                      "expanded uncertainty"),
    "guard_band_1.645u": ("guarded acceptance with w = 1.645 u (JCGM 106:2012 8.3.2, "
                          "specific false-accept risk at most 5 %)"),
    "jjf1094": ("JJF 1094-2002: when U95 is at most one third of the MPE the measured "
                "value alone decides; otherwise the value with its uncertainty decides"),
}


def certificate_number(prefix: str, record_id: str, finished: datetime) -> str:
    """The document's unique number: PREFIX-YYYYMMDD-XXXXXXXX (the record id's first 8
    hex digits), so a record and its number identify each other and a correction (a new
    record) gets a new number."""
    return f"{prefix}-{finished:%Y%m%d}-{record_id.replace('-', '')[:8].upper()}"


def add_period(start: date, period: str) -> date:
    """The day before ``start`` + ``period`` ("1 year", "6 months"): the last day the
    verification is valid (as a standard's due date is written in the register)."""
    match = re.fullmatch(r"\s*([1-9][0-9]*)\s*(years?|months?)\s*", period)
    if match is None:
        raise ValueError(f"period {period!r} is not 'N years' or 'N months'")
    months = int(match.group(1)) * (12 if match.group(2).startswith("year") else 1)
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    return date.fromordinal(date(year, month + 1, day).toordinal() - 1)


def standard_corrections(s: Mapping[str, Any]) -> str:
    """What the run applied of a standard's certificate, in words: as the register entry
    said it (``corrections_applied()``, journalled at run start)."""
    given = s.get("corrections")
    if given:
        return str(given)
    return "not stated (journalled before labctl recorded the corrections applied)"


def method(procedure: Any, deviations: Sequence[str], expired: Sequence[str],
           allow_expired: str | None) -> dict[str, Any]:
    """The method document and the deviations declared by the operator, plus the use of
    a standard past its due date, which is always a deviation."""
    listed = [d.strip() for d in deviations if d and d.strip()]
    if expired:
        listed.append(f"standard(s) {', '.join(expired)} used past the due date: "
                      f"{allow_expired or 'no reason given'}")
    steps = {step.id: {"en": step.title or step.id, "zh": getattr(step, "title_zh", "")}
             for step in getattr(procedure, "steps", ())}
    return {"document": procedure.document, "title": procedure.title, "deviations": listed,
            "steps": steps}


def item_name(procedure: Any) -> dict[str, str] | None:
    """The name of the kind of instrument the procedure is for, if it gives one."""
    names = getattr(procedure, "instrument", None)
    if not names or not names.get("en"):
        return None
    return {"en": names["en"], "zh": names.get("zh", "")}


def decision_rule(points: Sequence[Any]) -> dict[str, Any]:
    """The rules the points were decided by, and the statement of them."""
    rules = sorted({p.rule for p in points})
    parts = [RULE_TEXT.get(r, f"rule {r}") for r in rules]
    statement = "Conformity is decided by " + "; and ".join(parts) + \
        " (the rule of each result is named with it). The decision is stated for each " \
        "result against the maximum permissible error (MPE) of the method document."
    return {"rules": rules, "statement": statement}


def _fmt_k(k: float) -> str:
    return f"{k:.2g}" if abs(k - round(k, 1)) < 0.005 else f"{k:.3g}"


def uncertainty_statement(points: Sequence[Any]) -> str:
    """U, k and the coverage probability of the results, as a sentence (GUM 7.2.3)."""
    with_u = [p for p in points if p.expanded_uncertainty is not None and p.coverage_factor]
    without = len(points) - len(with_u)
    if not with_u:
        return ("No result of this record is stated with a measurement uncertainty: every "
                "result is a check that passes or fails.")
    ks = sorted({round(float(p.coverage_factor), 2) for p in with_u})
    probabilities = sorted({round(float((p.budget or {}).get("coverage_probability") or 0.9545),
                                  4) for p in with_u})
    k_text = f"k = {_fmt_k(ks[0])}" if len(ks) == 1 else \
        f"k from {_fmt_k(ks[0])} to {_fmt_k(ks[-1])} (stated with each result)"
    p_text = " and ".join(f"{p * 100:.0f} %" for p in probabilities)
    text = (f"The expanded uncertainty U stated with each result is the combined standard "
            f"uncertainty multiplied by the coverage factor {k_text}, which corresponds to "
            f"a coverage probability of approximately {p_text}; it is evaluated according "
            "to JCGM 100:2008 (GUM) and JJF 1059.1-2012.")
    if without:
        text += (f" {without} result(s) without U are checks that pass or fail without a "
                 "measured error.")
    return text


def conclusion(procedure: Any, points: Sequence[Any], decision: str,
               finished: datetime) -> dict[str, Any] | None:
    """A verification's conclusion; None for a calibration (which states no conformity
    of the instrument as a whole unless the customer asks)."""
    if procedure.kind != "verification":
        return None
    conforms = decision in CONFORMING
    failing = [p.point for p in points if p.decision not in CONFORMING]
    period = getattr(procedure, "period", None)
    if conforms:
        statement = (f"The instrument conforms to {procedure.document} "
                     f"({procedure.title}): every result is within its MPE.")
        next_due = add_period(finished.date(), period) if period else None
        if next_due is None:
            statement += " The procedure states no verification period."
    else:
        statement = (f"The instrument does not conform to {procedure.document}: "
                     f"{len(failing)} of {len(points)} results are not within their MPE.")
        next_due = None
    return {"conforms": conforms, "statement": statement, "non_conforming": failing,
            "period": period, "next_due": next_due}


def issuer(info: Mapping[str, Any]) -> dict[str, Any]:
    """The issuing laboratory (the bench's lab and its ``issuer`` details)."""
    details = dict(info.get("issuer") or {})
    details.pop("number_prefix", None)
    return {"name": info.get("lab") or "-", **details}


def customer(info: Mapping[str, Any]) -> dict[str, Any]:
    """The customer of the run; without one the instrument is the lab's own (in-house)."""
    given = info.get("customer")
    if given:
        return dict(given)
    return {"name": f"{info.get('lab') or '-'} (in-house: the laboratory's own instrument)"}
