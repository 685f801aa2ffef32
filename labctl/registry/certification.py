"""What a record carries so that a certificate can be issued from it (record schema 2).

ISO/IEC 17025:2017 7.5 (technical records) and 7.8 (reporting results), JJF 1069-2012 and
JJF 1071-2010 ask a certificate for: the issuing laboratory and the certificate's unique
number; the customer (owner) and the place where the work was done; the standards used
with their traceability (issuing laboratory, certificate number, calibration and due
dates) and the corrections applied; the environmental conditions; the method and any
deviation from it; the decision rule; the uncertainty as a statement; and, for a
verification, the conclusion, the non-conforming items and the next due date.

These models are parts of ``labctl.registry.record.Record``; ``schema2_problems`` lists
what a schema-2 record lacks or contradicts. Pydantic only: any layer may import this.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from labctl.registry.record import Record

NonEmpty = Annotated[str, Field(min_length=1)]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]

#: The documents a record can be issued as (JJF 1069-2012 / JJF 1071-2010 practice):
#: a calibration certificate; a verification certificate for an instrument that passed;
#: a notice of verification result for one that failed.
DocumentKind = Literal["calibration_certificate", "verification_certificate",
                       "verification_notice"]

#: Where the work was done (the DCC 3.3.0 ``performanceLocation`` values).
PlaceKind = Literal["laboratory", "laboratoryBranch", "customer", "customerBranch", "other"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Party(_Model):
    """A laboratory or a customer: name and address (ISO/IEC 17025 7.8.2.1 b, d)."""

    name: NonEmpty
    address: str = ""
    city: str = ""
    country: CountryCode | None = None


class IssuingLab(Party):
    """The laboratory issuing the certificate, with its accreditation if it has one."""

    accreditation: str = ""


class LocalName(_Model):
    """A name in English and, where the procedure gives it, in Chinese."""

    en: NonEmpty
    zh: str = ""


class Issue(_Model):
    """Who issues the document and under which unique number (7.8.2.1 a, b, c), and the
    name of the kind of item it is about (计量器具名称), when the procedure gives one."""

    lab: IssuingLab
    number: NonEmpty
    document_kind: DocumentKind
    item_name: LocalName | None = None


class Place(_Model):
    """Where the laboratory activities were done (7.8.2.1 c)."""

    kind: PlaceKind = "laboratory"
    address: str = ""


class Method(_Model):
    """The method document and every deviation from it, declared (7.8.2.1 f, 7.8.3.1 a)."""

    document: NonEmpty
    title: str = ""
    deviations: list[NonEmpty] = Field(default_factory=list)
    #: the procedure's steps (id -> title) the results are headed by
    steps: dict[str, LocalName] = Field(default_factory=dict)


class DecisionRuleStatement(_Model):
    """The decision rule(s) the points were decided by, and the rule in words (7.8.6)."""

    rules: list[NonEmpty] = Field(min_length=1)
    statement: NonEmpty


class Conclusion(_Model):
    """A verification's conclusion: conforms or not, the items that do not, and the date
    by which the instrument is due again (none for an instrument that failed)."""

    conforms: bool
    statement: NonEmpty
    non_conforming: list[NonEmpty] = Field(default_factory=list)
    period: str | None = None
    next_due: date | None = None


#: Record members that exist from schema 2 on (absent from a schema-1 document).
SCHEMA2_FIELDS: tuple[str, ...] = ("issue", "customer", "place", "method", "decision_rule",
                                   "uncertainty_statement", "conclusion")


def expected_document_kind(kind: str, conforms: bool) -> DocumentKind:
    """The document a record is issued as, from the procedure kind and the decision."""
    if kind == "calibration":
        return "calibration_certificate"
    return "verification_certificate" if conforms else "verification_notice"


def schema2_problems(record: Record) -> list[str]:
    """What a schema-2 record lacks or contradicts; empty when it can be certified."""
    from labctl.results import CONFORMING

    problems: list[str] = []
    missing = [name for name in SCHEMA2_FIELDS if name != "conclusion"
               and getattr(record, name) in (None, "")]
    if missing:
        problems.append(f"schema 2 needs {', '.join(missing)}")
    for i, s in enumerate(record.standards):
        if not s.issued_by:
            problems.append(f"standards[{i}] ({s.register_id}): the issuing laboratory of "
                            "its certificate (issued_by) is missing")
        if not s.corrections:
            problems.append(f"standards[{i}] ({s.register_id}): the corrections applied "
                            "(corrections) are missing")
    conforms = record.decision in CONFORMING
    if record.decision_rule is not None:
        unknown = sorted({p.rule for p in record.points} - set(record.decision_rule.rules))
        if unknown:
            problems.append(f"decision_rule: points decided by {', '.join(unknown)}, "
                            "which the record-level rule does not name")
    if record.issue is not None:
        wanted = expected_document_kind(record.procedure.kind, conforms)
        if record.issue.document_kind != wanted:
            problems.append(f"issue.document_kind is {record.issue.document_kind}, but a "
                            f"{record.procedure.kind} that is decided {record.decision} is "
                            f"issued as a {wanted}")
    conclusion = record.conclusion
    if record.procedure.kind == "verification":
        if conclusion is None:
            problems.append("a verification needs its conclusion")
        else:
            failing = [p.point for p in record.points if p.decision not in CONFORMING]
            if conclusion.conforms != conforms:
                problems.append(f"conclusion.conforms is {conclusion.conforms}, but the "
                                f"decision is {record.decision}")
            if conclusion.non_conforming != failing:
                problems.append("conclusion.non_conforming must list the points that do not "
                                f"conform ({', '.join(failing) or 'none'})")
            if conforms and conclusion.period and conclusion.next_due is None:
                problems.append(f"a verification that passes needs its next due date "
                                f"(period {conclusion.period})")
            if not conforms and conclusion.next_due is not None:
                problems.append("an instrument that failed its verification has no next "
                                "due date")
            if conclusion.next_due is not None and \
                    conclusion.next_due <= record.finished.date():
                problems.append("conclusion.next_due is not after the verification")
    return problems
