"""``labctl certificate``: refused without approval, DRAFT on every page with --draft, the
approved certificate with its signatories, page marks, plots, hash and signature status."""

from __future__ import annotations

import base64
import re
from datetime import date

import pytest
from sqlalchemy import create_engine, select, text, update

from labctl.cli import main
from labctl.registry.store import open_registry
from labctl.report.approval import approval_of
from labctl.report.certificate import CertificateRefused, build_view, issue_certificate
from labctl.report.html import render_html

ISSUED = date(2026, 12, 4)


def _sheets(html: str) -> list[str]:
    return re.findall(r'<section class="sheet .*?</section>', html, flags=re.S)


def test_an_unapproved_record_is_refused_with_a_clear_message(store, record_doc, capsys):
    url, record = store(record_doc)
    with open_registry(url) as registry:
        assert approval_of(record.id, registry) is None  # not reviewed, not approved
        with pytest.raises(CertificateRefused, match="not approved.*--draft"):
            issue_certificate(registry, record.id, html=None)
    assert main(["certificate", record.id[:8], "--registry", url, "--html", "x.html"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("labctl: error: record ") and "--draft" in err
    assert err.count("\n") == 1


def test_a_draft_says_draft_on_every_page_and_shows_no_signatory(store, record_doc, tmp_path,
                                                                 capsys):
    url, record = store(record_doc)
    html_file = tmp_path / "draft.html"
    assert main(["certificate", record.id[:8], "--registry", url, "--html", str(html_file),
                 "--draft"]) == 0
    assert "draft of certificate CIM-M-" in capsys.readouterr().out
    html = html_file.read_text(encoding="utf-8")
    sheets = _sheets(html)
    m = len(sheets)
    assert m >= 5
    for n, sheet in enumerate(sheets, start=1):
        assert "DRAFT" in sheet and "草稿" in sheet
        assert f"page {n} of {m}" in sheet and f"第 {n} 页 共 {m} 页" in sheet
    assert html.count("End of certificate") == 1 and "以下空白" in sheets[-1]
    assert "Approved by" not in html and "批准人" not in html  # no signatory
    assert record_doc["operator"] in sheets[0]               # who performed it, not a signer


def test_the_certificate_carries_the_record_its_plots_hash_and_signature_status(
        store, record_doc, approved):
    url, record = store(record_doc)
    with open_registry(url) as plain:
        view = build_view(approved(plain, record.id), record.id, draft=False, issued=ISSUED)
    html = render_html(view)
    assert "DRAFT" not in html and "草稿" not in html
    for name in ("H. Zhou", "M. Chen", "technical manager", "批准人", "核验员"):
        assert name in html
    # ISO/IEC 17025 7.8: lab, customer, item, dates, method, standards, environment ...
    for needle in (record.issue.number, record.issue.lab.name, record.customer.name,
                   record.dut.serial, record.method.document, "MC-2025-0412",
                   "Provincial Institute of Metrology, mass laboratory", "2027-09-14",
                   "temperature", "humidity", record.conclusion.next_due.isoformat(),
                   record.decision_rule.statement, record.uncertainty_statement,
                   record.hash, "hash and signature verified", record.key_id,
                   "检定证书", "Verification Certificate", "送检单位", "Customer",
                   # the procedure's instrument name and step titles head the results
                   "数字指示秤 Digital indicating weighing instrument", "置零准确度",
                   "Weighing test, increasing then decreasing loads"):
        assert needle in html, needle
    # a plot per test that has errors, each a PNG
    tests_with_errors = {p.test for p in record.points if p.error is not None}
    images = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)
    assert len(images) == len(tests_with_errors)
    assert all(base64.b64decode(i).startswith(b"\x89PNG\r\n\x1a\n") for i in images)
    # every point is in a results table, with U rounded to two significant digits
    for p in record.points:
        assert f"<td>{p.point}" in html
    first = next(p for p in record.points if p.point == "weighing/01")
    u_grams = first.expanded_uncertainty.value * (1000 if first.expanded_uncertainty.unit == "kg"
                                                  else 1)
    assert f">{u_grams:.2f}<" in html, u_grams  # weighing/01's U, in g, two decimals


def test_a_record_altered_in_the_registry_is_printed_as_not_verified(store, record_doc):
    url, record = store(record_doc)
    from labctl.registry.tables import records

    engine = create_engine(url)
    with engine.begin() as conn:  # a row altered behind the registry's back (SQLite)
        conn.execute(text("DROP TRIGGER labctl_records_no_update"))
        body = conn.execute(select(records.c.document).where(records.c.id == record.id)
                            ).scalar_one()
        conn.execute(update(records).where(records.c.id == record.id)
                     .values(document=body.replace(record.operator, "Somebody Else")))
    engine.dispose()
    with open_registry(url) as registry:
        view = build_view(registry, record.id, draft=True, issued=ISSUED, plots=False)
    assert not view["signature"].verified
    html = render_html(view)
    assert "NOT verified" in html and "hash" in " ".join(view["signature"].problems)


def test_a_schema1_record_cannot_be_certified(store, record_doc):
    from labctl.registry.certification import SCHEMA2_FIELDS

    old = {k: v for k, v in record_doc.items() if k not in SCHEMA2_FIELDS}
    old["schema_version"] = 1
    old["standards"] = [{k: v for k, v in s.items() if k not in ("issued_by", "corrections")}
                        for s in old["standards"]]
    url, record = store(old)
    with open_registry(url) as registry, \
            pytest.raises(CertificateRefused, match="schema-1 record"):
        issue_certificate(registry, record.id, html=None, draft=True)


def test_a_failed_verification_is_a_notice_naming_the_non_conforming_items(store, record_doc):
    from labctl.registry.record import PointResult

    record_doc["points"][3]["decision"] = "fail"
    record_doc["decision"] = "fail"
    record_doc["issue"]["document_kind"] = "verification_notice"
    point = PointResult.model_validate(record_doc["points"][3]).point
    record_doc["conclusion"].update(conforms=False, non_conforming=[point], next_due=None,
                                    statement="The instrument does not conform.")
    url, record = store(record_doc)
    with open_registry(url) as registry:
        html = render_html(build_view(registry, record.id, draft=True, issued=ISSUED))
    assert "检定结果通知书" in html and "Notice of Verification Result" in html
    assert f'<span class="fail">{point}</span>' in html
    assert "Valid until" not in html


def test_pdf_has_one_page_per_sheet(store, record_doc, tmp_path, pdf_ready):
    url, record = store(record_doc)
    with open_registry(url) as registry:
        out = issue_certificate(registry, record.id, html=tmp_path / "c.html",
                                pdf=tmp_path / "c.pdf", draft=True, issued=ISSUED)
    assert (tmp_path / "c.pdf").read_bytes().startswith(b"%PDF-")
    assert out.pdf_pages == out.pages  # no sheet overflowed onto a page of its own


def test_without_weasyprint_pdf_is_refused_in_one_line(store, record_doc, tmp_path, capsys,
                                                        monkeypatch):
    import labctl.report.pdf as pdf

    monkeypatch.setattr(pdf, "weasyprint_problem",
                        lambda: "WeasyPrint is not installed; pip install 'labctl[pdf]'")
    url, record = store(record_doc)
    assert main(["certificate", record.id, "--registry", url, "--html",
                 str(tmp_path / "c.html"), "--pdf", str(tmp_path / "c.pdf"), "--draft"]) == 2
    err = capsys.readouterr().err
    assert "labctl[pdf]" in err and err.count("\n") == 1
    assert not (tmp_path / "c.pdf").exists() and not (tmp_path / "c.html").exists()


def test_a_record_without_environment_readings_says_so(store, record_doc):
    record_doc["environment"] = {"source": "stated"}  # no environment role, nothing stated
    url, record = store(record_doc)
    with open_registry(url) as registry:
        html = render_html(build_view(registry, record.id, draft=True, issued=ISSUED,
                                      plots=False))
    assert "not measured or stated by the bench" in html
