"""Certificates from real review and approval entries: refused until a reviewer reviewed
and an approver approved (the message says what is missing), then the signatories come
from the entries into the HTML and the DCC; an approval entry altered in the database
stops the certificate."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from labctl.cli import main
from labctl.personnel import load_personnel
from labctl.registry.signing import load_or_create_key
from labctl.registry.store import open_registry
from labctl.report.approval import approval_of
from labctl.report.dcc import validate_dcc

ROOT = Path(__file__).resolve().parents[2]
NS = {"dcc": "https://ptb.de/dcc"}


def test_certificate_only_after_review_and_approval(store, record_doc, tmp_path, capsys,
                                                    monkeypatch):
    monkeypatch.setenv("LABCTL_PERSONNEL", str(ROOT / "benches" / "personnel.yaml"))
    url, record = store(record_doc)  # operator L. Wang
    html, dcc = tmp_path / "cert.html", tmp_path / "cert.xml"
    argv = ["certificate", record.id[:8], "--registry", url, "--html", str(html),
            "--dcc", str(dcc)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "is not approved (not reviewed: it needs a reviewer's positive review, then an " \
           "approver's approval)" in err and err.count("\n") == 1
    assert main(["registry", "review", record.id[:8], "--approve", "--reason",
                 "readings, budget, standards and environment checked", "--as", "hzhou",
                 "--registry", url]) == 0
    capsys.readouterr()
    assert main(argv) == 2
    assert "reviewed by H. Zhou on " in capsys.readouterr().err
    assert main(["registry", "approve", record.id, "--as", "mchen", "--registry", url]) == 0
    capsys.readouterr()
    assert main(argv) == 0
    text = html.read_text(encoding="utf-8")
    assert "DRAFT" not in text
    for needle in ("H. Zhou", "Senior calibration engineer", "M. Chen", "Technical manager",
                   "批准人", "核验员", "L. Wang"):
        assert needle in text, needle
    assert validate_dcc(dcc) == []
    root = ET.fromstring(dcc.read_bytes())
    people = [(p.findtext("dcc:person/dcc:name/dcc:content", namespaces=NS),
               p.findtext("dcc:role", namespaces=NS), p.findtext("dcc:mainSigner", namespaces=NS))
              for p in root.findall(".//dcc:respPerson", NS)]
    assert people == [("H. Zhou", "reviewer", "false"), ("M. Chen", "approver", "true"),
                      ("L. Wang", "operator", "false")]
    with open_registry(url) as registry:
        approval = approval_of(record.id, registry)
    assert [s.name for s in approval.signatories] == ["H. Zhou", "M. Chen"]
    assert len(approval.entries) == 2
    assert "Review and approval entries" in text and all(e in text for e in approval.entries)


def test_an_altered_approval_entry_stops_the_certificate(store, record_doc, tmp_path,
                                                         raw_sql, capsys):
    url, record = store(record_doc)
    people = load_personnel(ROOT / "benches" / "personnel.yaml")
    key = load_or_create_key()
    with open_registry(url) as registry:
        registry.review(record.id, approve=True, reason="ok", person="hzhou",
                        personnel=people, key=key)
        registry.approve(record.id, person="mchen", personnel=people, key=key)
    raw_sql(url, ["DROP TRIGGER labctl_reviews_no_update",
                         "UPDATE labctl_reviews SET document = replace(document, "
                         "'\"name\":\"M. Chen\"', '\"name\":\"X. Forger\"')"])
    assert main(["certificate", record.id, "--registry", url, "--html",
                 str(tmp_path / "c.html")]) == 2
    err = capsys.readouterr().err
    assert "approval entry " in err and f"of record {record.id} does not verify: hash " \
        "mismatch" in err
    assert not (tmp_path / "c.html").exists()


def test_the_certificate_says_whose_personal_signature_verified(store, record_doc, tmp_path,
                                                                capsys):
    """H. Zhou signs her review with her own key (the list gives it); M. Chen has none:
    the certificate (HTML and DCC) says so for each signatory."""
    assert main(["registry", "key", "person", "hzhou"]) == 0
    line = capsys.readouterr().out.strip()
    people = tmp_path / "personnel.yaml"
    people.write_text((ROOT / "benches" / "personnel.yaml").read_text(encoding="utf-8")
                      .replace("    name: H. Zhou\n", f"    name: H. Zhou\n    {line}\n"),
                      encoding="utf-8")
    url, record = store(record_doc)
    common = ["--registry", url, "--personnel", str(people)]
    assert main(["registry", "review", record.id, "--approve", "--as", "hzhou", *common]) == 0
    assert main(["registry", "approve", record.id, "--as", "mchen", *common]) == 0
    with open_registry(url) as registry:
        (review, _approval) = registry.review_entries(record.id)
    kid = review["person_signature"]["key_id"]
    html, dcc = tmp_path / "cert.html", tmp_path / "cert.xml"
    assert main(["certificate", record.id, "--html", str(html), "--dcc", str(dcc),
                 *common]) == 0
    import html as html_lib
    import re

    text = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html.read_text(
        encoding="utf-8"))).split())
    assert (f"H. Zhou , Senior calibration engineer {review['time'][:10]} {review['time'][11:16]}"
            "+00:00 "
            f"个人签名 Personal signature : 已验证 / verified (key {kid})") in text
    assert ("M. Chen , Technical manager") in text
    assert "M. Chen , Technical manager" in text and \
        "个人签名 Personal signature : 无 / none" in text
    assert validate_dcc(dcc) == []
    descriptions = [p.findtext("dcc:description/dcc:content", namespaces=NS)
                    for p in ET.fromstring(dcc.read_bytes()).findall(".//dcc:respPerson", NS)]
    assert f"personal signature verified, key {kid}" in descriptions[0]
    assert "no personal signature (lab key only)" in descriptions[1]
