"""The record as a DCC 3.3.0: every document written here validates against the shipped
XSD (labctl/report/schemas/dcc), offline."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from labctl.registry.store import open_registry
from labctl.report.certificate import build_view, issue_certificate
from labctl.report.dcc import DCC, SI, dcc_xml, dsi_unit, schema_dir, validate_dcc

NS = {"dcc": DCC, "si": SI}


def _dcc(store, doc, *, draft: bool, approved=None) -> tuple[bytes, object]:
    url, record = store(doc)
    with open_registry(url) as plain:
        registry = plain if draft else approved(plain, record.id)
        view = build_view(registry, record.id, draft=draft, issued=date(2026, 12, 4),
                          plots=False)
    return dcc_xml(view, software_version="0.1.0"), record


def test_the_shipped_schemas_and_their_notice_are_package_data():
    d = schema_dir()
    for name in ("dcc.xsd", "si/SI_Format.xsd", "d-sig/xmldsig-core-schema.xsd",
                 "si/qudt/quantitykind.xsd", "NOTICE.md", "COPYING.LESSER", "COPYING"):
        assert (d / name).is_file(), name
    assert "GNU Lesser General Public License" in (d / "dcc.xsd").read_text(encoding="utf-8")
    assert validate_dcc(d / "example-minimal.xml") == []


def test_an_approved_certificate_as_dcc_is_valid_and_complete(store, record_doc, approved):
    xml, record = _dcc(store, record_doc, draft=False, approved=approved)
    assert validate_dcc(xml) == []
    root = ET.fromstring(xml)
    assert root.get("schemaVersion") == "3.3.0"
    assert root.findtext(".//dcc:coreData/dcc:uniqueIdentifier", namespaces=NS) == \
        record.issue.number
    with_u = [p for p in record.points if p.expanded_uncertainty is not None]
    reals = root.findall(".//dcc:result//si:real[si:expandedUnc]", NS)
    assert len(reals) == len(with_u)
    first = next(r for r in reals)
    assert first.findtext("si:unit", namespaces=NS) == r"\kilogram"
    assert float(first.findtext("si:expandedUnc/si:coverageFactor", namespaces=NS)) >= 1
    conformities = [e.text for e in root.findall(".//dcc:result//dcc:conformity", NS)]
    assert len(conformities) == len(record.points) and set(conformities) == {"pass"}
    overall = root.find(".//dcc:statements/dcc:statement[dcc:conformity]", NS)
    assert overall.findtext("dcc:conformity", namespaces=NS) == "pass"
    assert overall.findtext("dcc:norm", namespaces=NS) == "JJG 539-2016"
    assert overall.findtext("dcc:date", namespaces=NS) == record.conclusion.next_due.isoformat()
    assert overall.findtext("dcc:period", namespaces=NS) == "P1Y"
    equipment = root.findall(".//dcc:measuringEquipment", NS)
    referrals = {e.findtext("dcc:certificate/dcc:referralID", namespaces=NS) for e in equipment}
    assert {"MC-2025-0412", "MV-2025-0731", "TC-2025-0988"} <= referrals
    signers = [p.findtext("dcc:person/dcc:name/dcc:content", namespaces=NS)
               for p in root.findall(".//dcc:respPerson", NS)
               if p.findtext("dcc:mainSigner", namespaces=NS) == "true"]
    assert signers == ["M. Chen"]
    assert b"DRAFT" not in xml


def test_a_draft_dcc_says_draft_and_names_no_signatory(store, record_doc):
    xml, record = _dcc(store, record_doc, draft=True)
    assert validate_dcc(xml) == []
    root = ET.fromstring(xml)
    assert root.findtext(".//dcc:uniqueIdentifier", namespaces=NS).startswith("DRAFT-")
    draft = [s for s in root.findall(".//dcc:statements/dcc:statement", NS)
             if s.findtext("dcc:name/dcc:content", namespaces=NS) == "DRAFT"]
    assert [s.findtext("dcc:valid", namespaces=NS) for s in draft] == ["false"]
    assert [p.findtext("dcc:mainSigner", namespaces=NS)
            for p in root.findall(".//dcc:respPerson", NS)] == ["false"]


def test_a_failed_verification_dcc_is_valid_with_fail(store, record_doc):
    record_doc["points"][1]["decision"] = "fail"
    record_doc["decision"] = "fail"
    record_doc["issue"]["document_kind"] = "verification_notice"
    record_doc["conclusion"].update(conforms=False, non_conforming=["weighing/01"],
                                    next_due=None, statement="Does not conform.")
    xml, _ = _dcc(store, record_doc, draft=True)
    assert validate_dcc(xml) == []
    root = ET.fromstring(xml)
    assert root.findtext(".//dcc:statements/dcc:statement/dcc:conformity",
                         namespaces=NS) == "fail"
    assert "fail" in [e.text for e in root.findall(".//dcc:result//dcc:conformity", NS)]


def test_a_calibration_dcc_is_valid_without_a_verification_conclusion(store, record_doc):
    record_doc["procedure"]["kind"] = "calibration"
    record_doc["issue"]["document_kind"] = "calibration_certificate"
    record_doc["conclusion"] = None
    xml, _ = _dcc(store, record_doc, draft=True)
    assert validate_dcc(xml) == []


def test_the_command_writes_a_valid_dcc(store, record_doc, tmp_path):
    url, record = store(record_doc)
    with open_registry(url) as registry:
        out = issue_certificate(registry, record.id, html=tmp_path / "c.html",
                                dcc=tmp_path / "c.xml", draft=True)
    assert out.dcc == tmp_path / "c.xml"
    assert validate_dcc(out.dcc) == []


@pytest.mark.parametrize(("unit", "dsi"), [
    ("kg", r"\kilogram"), ("g", r"\gram"), ("mg", r"\milli\gram"), ("%", r"\percent"),
    ("°C", r"\degreeCelsius"), ("ug/m^3", r"\micro\gram\metre\tothe{-3}"),
    ("L/min", r"\litre\minute\tothe{-1}"),
])
def test_units_are_written_in_dsi(unit, dsi):
    assert dsi_unit(unit) == dsi
