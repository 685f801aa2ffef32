"""Review and approval through the registry service and the commands pointed at it:
reviewer tokens act as their person, the service checks its personnel list and signs the
entries with its key (published at /v1/keys), verify --registry URL walks the entries
with this machine's trust anchor, and the certificate takes its signatories from them."""

from __future__ import annotations

import json

import pytest
from reviews_support import personnel_file, push_signed
from service_support import Service, make_tokens

from labctl.cli import main
from labctl.registry.store import open_registry
from labctl.registry.tokens import create_token

pytestmark = pytest.mark.realtime


@pytest.fixture
def service(registry_url, tmp_path):
    svc = Service(registry_url, personnel=personnel_file(tmp_path),
                  signing_key=tmp_path / "service-key.pem")
    svc.tokens = make_tokens(registry_url)
    with open_registry(registry_url) as reg:
        for person in ("hzhou", "mchen", "aeng"):
            svc.tokens[person] = create_token(reg, "reviewer", person, person)[0]
    svc.start()
    yield svc
    svc.stop()


def test_review_and_approve_over_http(service, registry_url, make_record, lab_key, capsys,
                                      monkeypatch):
    with open_registry(registry_url) as reg:
        record = push_signed(reg, make_record, lab_key)
    with service.client(service.tokens["reader"]) as reader:
        answer = reader.post(f"/v1/records/{record.id}/review", json={"decision": "approve"})
        assert answer.status_code == 403 and answer.json()["kind"] == "forbidden"
    with service.client(service.tokens["reviewer"]) as anonymous:  # a token of no person
        answer = anonymous.post(f"/v1/records/{record.id}/review", json={"decision": "approve"})
        assert answer.status_code == 403 and "names no person" in answer.json()["error"]
    with service.client(service.tokens["aeng"]) as operator:  # the record's own operator
        answer = operator.post(f"/v1/records/{record.id}/review", json={"decision": "approve"})
        assert answer.status_code == 409 and "is the operator of this record" in answer.text
    with service.client(service.tokens["hzhou"]) as hzhou:
        answer = hzhou.post(f"/v1/records/{record.id}/review",
                            json={"decision": "approve", "as": "mchen"})
        assert answer.status_code == 403 and "acts as hzhou, not as mchen" in answer.text
        answer = hzhou.post(f"/v1/records/{record.id}/approval", json={})
        assert answer.status_code == 403  # H. Zhou is no approver
        answer = hzhou.post(f"/v1/records/{record.id}/review",
                            json={"decision": "maybe"})
        assert answer.status_code == 422
        answer = hzhou.post(f"/v1/records/{record.id}/review",
                            json={"decision": "approve", "reason": "bad\x07bell"})
        assert answer.status_code == 422 and "control" in answer.text

    monkeypatch.setenv("LABCTL_REGISTRY_TOKEN", service.tokens["hzhou"])
    assert main(["registry", "review", record.id[:8], "--approve", "--reason",
                 "readings, budget and standards checked", "--as", "hzhou",
                 "--registry", service.url]) == 0
    out = capsys.readouterr().out
    assert f"record {record.id} approved by H. Zhou (reviewer)" in out
    assert "status: reviewed: reviewed by H. Zhou" in out
    assert main(["registry", "review", record.id, "--reject", "--reason", "again", "--as",
                 "hzhou", "--registry", service.url]) == 2
    assert "is already reviewed" in capsys.readouterr().err
    monkeypatch.setenv("LABCTL_REGISTRY_TOKEN", service.tokens["mchen"])
    assert main(["registry", "approve", record.id, "--as", "M. Chen",
                 "--registry", service.url]) == 0
    assert "status: approved" in capsys.readouterr().out

    monkeypatch.setenv("LABCTL_REGISTRY_TOKEN", service.tokens["reader"])
    assert main(["registry", "list", "--status", "approved", "--registry", service.url,
                 "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["status"]) for r in listed] == [(record.id, "approved")]
    assert main(["registry", "show", record.id[:8], "--registry", service.url]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "review status: approved" in shown and "approval approved by M. Chen" in shown
    assert main(["registry", "verify", "--registry", service.url]) == 0
    assert "review and approval entries: chain, hashes and signatures good" in \
        " ".join(capsys.readouterr().out.split())
    with service.client(service.tokens["reader"]) as reader:
        keys = reader.get("/v1/keys").json()
        entries = reader.get(f"/v1/records/{record.id}/reviews").json()["entries"]
    assert set(keys["service"]) == {entries[0]["key_id"]}  # the service signs the entries


def test_verify_through_the_service_names_an_edited_entry(service, registry_url, make_record,
                                                          lab_key, raw_sql, capsys,
                                                          monkeypatch):
    with open_registry(registry_url) as reg:
        record = push_signed(reg, make_record, lab_key)
    with service.client(service.tokens["hzhou"]) as hzhou:
        entry = hzhou.post(f"/v1/records/{record.id}/review",
                           json={"decision": "approve", "reason": "ok"}).json()["entry"]
    unlock = (["DROP TRIGGER labctl_reviews_no_update"] if registry_url.startswith("sqlite")
              else ["ALTER TABLE labctl_reviews DISABLE TRIGGER USER"])
    raw_sql(registry_url, [*unlock, "UPDATE labctl_reviews SET document = replace(document, "
                                    "'\"name\":\"H. Zhou\"', '\"name\":\"M. Chen\"')"])
    monkeypatch.setenv("LABCTL_REGISTRY_TOKEN", service.tokens["reader"])
    assert main(["registry", "verify", "--registry", service.url]) == 1
    out = capsys.readouterr().out
    assert f"review entry {entry['id'][:8]} (#1, review of record {record.id[:8]}): hash " \
           "mismatch" in " ".join(out.split())


def test_verify_through_the_service_names_the_last_entry_cut_off(service, registry_url,
                                                                 make_record, lab_key, raw_sql,
                                                                 capsys, monkeypatch):
    """A review made with the command over HTTP leaves an entry checkpoint in this
    machine's outbox; when that entry is deleted from the service's database, verify
    --registry URL names it (the chain left is good, so only the checkpoint can tell)."""
    with open_registry(registry_url) as reg:
        record = push_signed(reg, make_record, lab_key)
    monkeypatch.setenv("LABCTL_REGISTRY_TOKEN", service.tokens["hzhou"])
    monkeypatch.setenv("COLUMNS", "400")
    assert main(["registry", "review", record.id, "--approve", "--as", "hzhou",
                 "--registry", service.url]) == 0
    assert main(["registry", "verify", "--registry", service.url]) == 0
    with open_registry(registry_url) as reg:
        (entry,) = reg.review_entries(record.id)
    unlock = (["DROP TRIGGER labctl_reviews_no_delete"] if registry_url.startswith("sqlite")
              else ["ALTER TABLE labctl_reviews DISABLE TRIGGER USER"])
    raw_sql(registry_url, [*unlock, f"DELETE FROM labctl_reviews WHERE id = '{entry['id']}'"])
    capsys.readouterr()
    assert main(["registry", "verify", "--registry", service.url]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert (f"review entry {entry['id']} (record {record.id}, H. Zhou (hzhou) as reviewer"
            in out and "is missing from the lab's entry chain" in out), out


def test_the_service_asks_for_the_personal_signature_of_a_person_with_a_key(
        registry_url, tmp_path, make_record, lab_key, capsys, monkeypatch):
    """The service's list gives H. Zhou a key: an act without her signature (or with a
    malformed one) is refused; the command, run where her key is, signs and is accepted."""
    assert main(["registry", "key", "person", "hzhou"]) == 0
    line = capsys.readouterr().out.strip()
    people = personnel_file(tmp_path)
    people.write_text(people.read_text().replace(
        "    name: H. Zhou\n", f"    name: H. Zhou\n    {line}\n"), encoding="utf-8")
    svc = Service(registry_url, personnel=people, signing_key=tmp_path / "service-key.pem")
    with open_registry(registry_url) as reg:
        record = push_signed(reg, make_record, lab_key)
        token = create_token(reg, "reviewer", "hzhou", "hzhou")[0]
    svc.start()
    try:
        with svc.client(token) as hzhou:
            answer = hzhou.post(f"/v1/records/{record.id}/review", json={"decision": "approve"})
            assert answer.status_code == 403 and answer.json()["kind"] == "person_signature"
            assert "H. Zhou (hzhou) has a public key in the personnel list" in answer.text
            answer = hzhou.post(f"/v1/records/{record.id}/review",
                                json={"decision": "approve", "person_signature": {"a": "b"}})
            assert answer.status_code == 422 and "person_signature" in answer.text
        monkeypatch.setenv("LABCTL_REGISTRY_TOKEN", token)
        assert main(["registry", "review", record.id, "--approve", "--as", "hzhou",
                     "--registry", svc.url]) == 0
        assert "signed personally by H. Zhou with key" in capsys.readouterr().out
        assert main(["registry", "verify", "--registry", svc.url, "--personnel",
                     str(people)]) == 0
        with open_registry(registry_url) as reg:
            (entry,) = reg.review_entries(record.id)
        assert entry["person_signature"]["public_key"] == line.split()[-1]
    finally:
        svc.stop()
