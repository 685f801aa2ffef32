"""The record carries what a certificate needs (schema 2), checked by its model; schema-1
records stay readable and hash as before."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from labctl.record_content import add_period, certificate_number, uncertainty_statement
from labctl.registry.canonical import record_hash
from labctl.registry.certification import SCHEMA2_FIELDS
from labctl.registry.record import Record


def test_a_run_of_the_shipped_bench_writes_a_complete_schema2_record(shipped_run):
    record = Record.model_validate(shipped_run)
    assert record.schema_version == 2
    issue = record.issue
    assert issue.lab.name == "City Institute of Metrology, mass laboratory"
    assert issue.lab.address and issue.lab.country == "CN"
    assert issue.document_kind == "verification_certificate"
    assert issue.number == certificate_number("CIM-M", record.id, record.finished)
    assert record.customer.name == "Example Market Management Office"
    assert record.place.kind == "laboratory" and record.place.address
    # every standard: its certificate's issuer, dates and the corrections applied
    for s in record.standards:
        assert s.issued_by and s.corrections and s.certificate
        assert s.calibration_date < s.due_date
    weights = {s.register_id: s for s in record.standards}
    assert "correction +120 mg" in weights["M1-A/10kg"].corrections  # register: +120 mg
    assert weights["CP-A/0.5g-01"].corrections.startswith("none: used at its nominal value")
    assert weights["TH-01"].issued_by == "Provincial Institute of Metrology, thermal laboratory"
    # the environment as measured, with min <= mean <= max
    env = record.environment
    assert env.source == "measured"
    assert env.temperature.min < env.temperature.max and env.humidity.min < env.humidity.max
    assert record.method.document == "JJG 539-2016" and record.method.deviations == []
    assert record.decision_rule.rules == ["simple"]
    assert "ILAC-G8" in record.decision_rule.statement
    assert all(p.rule in record.decision_rule.rules for p in record.points)
    assert "k = 2" in record.uncertainty_statement
    assert "95 %" in record.uncertainty_statement
    conclusion = record.conclusion
    assert conclusion.conforms and conclusion.non_conforming == []
    assert conclusion.period == "1 year"
    assert conclusion.next_due == add_period(record.finished.date(), "1 year")


def test_deviations_and_the_customer_given_to_the_run_reach_the_record(tmp_path, repo_root):
    from labctl.calibration import CalibrationRequest, calibrate

    result = calibrate(CalibrationRequest(
        repo_root / "procedures" / "scale-jjg539.yaml", repo_root / "benches" / "sim-scale.yaml",
        customer={"name": "Stall 17, East Market", "address": "East Market"},
        deviations=["warm-up shortened to 10 min at the customer's request"],
        parameters={"warm_up": "10 min"}))
    record = result.record
    assert record.customer.name == "Stall 17, East Market"
    assert record.method.deviations == ["warm-up shortened to 10 min at the customer's request"]


def _schema_error(doc: dict) -> str:
    with pytest.raises(ValidationError) as info:
        Record.model_validate(doc)
    return str(info.value)


@pytest.mark.parametrize("field", ["issue", "customer", "place", "method", "decision_rule",
                                   "uncertainty_statement"])
def test_a_schema2_record_without_a_certificate_member_is_refused(record_doc, field):
    record_doc.pop(field)
    assert field in _schema_error(record_doc)


def test_a_standard_without_its_issuer_or_corrections_is_refused(record_doc):
    record_doc["standards"][3]["issued_by"] = None
    record_doc["standards"][5]["corrections"] = None
    message = _schema_error(record_doc)
    assert "standards[3]" in message and "issued_by" in message
    assert "standards[5]" in message and "corrections" in message


def test_a_conclusion_that_contradicts_the_points_is_refused(record_doc):
    record_doc["points"][2]["decision"] = "fail"
    record_doc["decision"] = "fail"
    message = _schema_error(record_doc)
    assert "conclusion.conforms is True" in message
    assert "weighing/02" in message                     # the non-conforming items
    assert "verification_notice" in message              # a failed verification's document


def test_a_passing_verification_needs_its_next_due_date(record_doc):
    record_doc["conclusion"]["next_due"] = None
    assert "next due date" in _schema_error(record_doc)
    record_doc["conclusion"]["next_due"] = record_doc["finished"][:10]
    assert "not after the verification" in _schema_error(record_doc)


def test_a_point_decided_by_a_rule_the_record_does_not_name_is_refused(record_doc):
    record_doc["points"][0]["rule"] = "guard_band_U"
    assert "guard_band_U" in _schema_error(record_doc)


def test_a_failed_verification_is_a_notice_with_its_non_conforming_items(record_doc):
    from types import SimpleNamespace

    from labctl.record_content import conclusion
    from labctl.results import PointResult

    record_doc["points"][2]["decision"] = "fail"
    record_doc["decision"] = "fail"
    record_doc["issue"]["document_kind"] = "verification_notice"
    points = [PointResult.model_validate(p) for p in record_doc["points"]]
    finished = datetime.fromisoformat(record_doc["finished"].replace("Z", "+00:00"))
    procedure = SimpleNamespace(kind="verification", document="JJG 539-2016", title="scales",
                                period="1 year")
    record_doc["conclusion"] = conclusion(procedure, points, "fail", finished)
    record = Record.model_validate(record_doc)
    assert record.conclusion.non_conforming == ["weighing/02"]
    assert record.conclusion.next_due is None and not record.conclusion.conforms
    assert "1 of 22 results" in record.conclusion.statement


def test_schema1_records_stay_readable_and_hash_as_before(make_record_v1):
    record = make_record_v1()
    document = record.document()
    assert not set(SCHEMA2_FIELDS) & set(document)
    assert all("issued_by" not in s and "corrections" not in s for s in document["standards"])
    again = Record.model_validate(document)
    assert again.document() == document
    assert record_hash(again) == record_hash(record)


def test_a_schema1_record_with_a_schema2_member_is_refused(make_record_v1, shipped_run):
    data = make_record_v1().document()
    data["customer"] = shipped_run["customer"]
    assert "give schema_version: 2" in _schema_error(data)


@pytest.fixture
def make_record_v1(shipped_run):
    """A record as labctl wrote it before schema 2: the shipped run without the
    certificate members (the document shape of a schema-1 record)."""
    def make() -> Record:
        doc = {k: v for k, v in shipped_run.items()
               if k not in (*SCHEMA2_FIELDS, "hash", "signature", "key_id", "previous")}
        doc["schema_version"] = 1
        doc["standards"] = [{k: v for k, v in s.items() if k not in ("issued_by", "corrections")}
                            for s in doc["standards"]]
        record = Record.model_validate(doc)
        assert record.content() == doc  # nothing added to an old document
        return record

    return make


@pytest.mark.parametrize(("start", "period", "due"), [
    (date(2026, 12, 3), "1 year", date(2027, 12, 2)),
    (date(2026, 1, 31), "1 month", date(2026, 2, 27)),
    (date(2025, 9, 15), "2 years", date(2027, 9, 14)),
    (date(2026, 11, 30), "6 months", date(2027, 5, 29)),
])
def test_the_next_due_date_is_the_day_before_the_period_ends(start, period, due):
    assert add_period(start, period) == due


def test_statement_helpers():
    from labctl.report.view import compact

    assert compact(0.00012, "kg") == "120 mg"
    assert certificate_number("LC", "fdb4c45f-f1d2-410c-b440-a8cf825e8d88",
                              datetime(2026, 12, 3, tzinfo=UTC)) == "LC-20261203-FDB4C45F"
    assert "No result" in uncertainty_statement([])
