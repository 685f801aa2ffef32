"""Issue 8 item 5: authorship and completeness, not only integrity. Keys come from a
trust anchor outside the database; every column derived from a record is checked; a
signed checkpoint in the bench's outbox shows a cut-off chain."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from labctl.cli import main
from labctl.registry.outbox import Outbox
from labctl.registry.signing import public_key_text, sign_record
from labctl.registry.store import open_registry
from labctl.registry.trust import add_trusted_key, load_trusted_keys


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")


def _lift_triggers(url: str) -> list[str]:
    if url.startswith("sqlite"):
        return ["DROP TRIGGER labctl_records_no_update", "DROP TRIGGER labctl_records_no_delete"]
    return ["ALTER TABLE labctl_records DISABLE TRIGGER labctl_records_immutable"]


@pytest.fixture
def delivered(registry_url, lab_key, make_record):
    outbox = Outbox(key=lab_key)  # the bench's outbox, in the labctl home
    records = [outbox.put(make_record(), registry_url) for _ in range(3)]
    assert outbox.deliver(registry_url).ok
    return records


def _trust_file(tmp_path, *keys):
    path = tmp_path / "trusted-keys.txt"
    for key in keys:
        add_trusted_key(path, key.public_key(), "test: the lab key, added by the QM")
    return path


def test_a_record_signed_by_a_key_outside_the_trust_anchor_is_named(
        registry_url, delivered, lab_key, make_record, tmp_path, capsys):
    forger = Ed25519PrivateKey.generate()
    with open_registry(registry_url) as reg:  # the forger brings its own key along
        forged = sign_record(make_record(operator="Forger").linked_to(
            reg.last_hash(delivered[0].lab)), forger)
        reg.push(forged, public_key=forger.public_key())
        assert reg.verify_chain(forged.lab) == []  # integrity alone: all good
    trusted = _trust_file(tmp_path, lab_key)
    assert main(["registry", "verify", "--registry", registry_url,
                 "--trusted-keys", str(trusted)]) == 1
    out = capsys.readouterr().out
    assert "1 trusted keys from" in out
    assert f"record {forged.id[:8]}" in out and f"signed by key {forged.key_id}, which is " \
        "not a trusted key of the lab" in out
    for good in delivered:
        assert good.id[:8] not in out
    assert main(["registry", "show", forged.id, "--registry", registry_url,
                 "--trusted-keys", str(trusted)]) == 0
    assert "not a trusted key" in capsys.readouterr().out
    # without an anchor verify says that authorship was not checked
    assert main(["registry", "verify", "--registry", registry_url]) == 0
    assert "integrity, not authorship" in capsys.readouterr().out.replace("\n", " ")


def test_every_column_derived_from_the_record_is_checked(registry_url, delivered, raw_sql,
                                                        capsys):
    target = delivered[1]
    raw_sql(registry_url, [
        *_lift_triggers(registry_url),
        f"UPDATE labctl_records SET decision = 'fail', dut_serial = 'FORGED-1' "
        f"WHERE id = '{target.id}'",
    ])
    assert main(["registry", "verify", "--registry", registry_url]) == 1
    out = capsys.readouterr().out
    assert f"record {target.id[:8]}" in out
    assert "column decision (fail) differs from the record's decision (pass)" in out
    assert "column dut_serial (FORGED-1) differs" in out


def test_cutting_off_the_last_record_shows_through_the_outbox_checkpoint(
        registry_url, delivered, raw_sql, capsys):
    last = delivered[-1]
    raw_sql(registry_url, [*_lift_triggers(registry_url),
                           f"DELETE FROM labctl_records WHERE id = '{last.id}'"])
    with open_registry(registry_url) as reg:
        assert reg.verify_chain(last.lab) == []  # the chain alone cannot tell
    assert main(["registry", "verify", "--registry", registry_url]) == 1
    out = capsys.readouterr().out
    assert f"record {last.id[:8]}" in out and "checkpointed in its outbox, is missing" in out


def test_the_checkpoint_is_signed(registry_url, delivered, lab_key):
    outbox = Outbox(key=lab_key)
    (point,) = outbox.checkpoints(registry_url)
    assert point.signature_ok and point.record_id == delivered[-1].id
    import sqlite3

    with sqlite3.connect(outbox.path) as conn:  # moved back by hand: the signature breaks
        conn.execute("UPDATE checkpoints SET record_id = ?, hash = ?",
                     (delivered[0].id, delivered[0].hash))
    (moved,) = outbox.checkpoints(registry_url)
    assert not moved.signature_ok


def test_trust_command_and_file_errors(tmp_path, lab_key, capsys):
    pem = tmp_path / "lab.pub.pem"
    pem.write_bytes(lab_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    trusted = tmp_path / "trusted.txt"
    for _ in range(2):  # adding twice keeps one line
        assert main(["registry", "trust", str(pem), "--note", "QM, 2026-12-03",
                     "--trusted-keys", str(trusted)]) == 0
    assert len(load_trusted_keys(trusted)) == 1
    assert trusted.read_text().count("\n") == 1 and "QM, 2026-12-03" in trusted.read_text()
    trusted.write_text(trusted.read_text() + "# a comment\n\nnot-a-key  # typo\n")
    assert main(["registry", "verify", "--trusted-keys", str(trusted)]) == 2
    err = capsys.readouterr().err
    assert f"{trusted}, line 4:" in err and err.count("\n") == 1


def test_a_service_with_a_trust_anchor_refuses_other_keys(sqlite_url, lab_key, make_record,
                                                          tmp_path):
    from service_support import Service, make_tokens

    trusted = _trust_file(tmp_path, lab_key)
    service = Service(sqlite_url, trusted_keys=trusted)
    token = make_tokens(sqlite_url)["bench"]
    service.start()
    try:
        forger = Ed25519PrivateKey.generate()
        with service.client(token) as http:
            bad = sign_record(make_record(), forger)
            answer = http.post("/v1/records", json={
                "record": bad.document(), "public_key": public_key_text(forger.public_key())})
            assert answer.status_code == 403 and answer.json()["kind"] == "untrusted_key"
            good = sign_record(make_record(), lab_key)
            assert http.post("/v1/records", json={
                "record": good.document(),
                "public_key": public_key_text(lab_key.public_key())}).status_code == 201
            keys = http.get("/v1/keys").json()
            assert list(keys["trusted"]) == [good.key_id]
    finally:
        service.stop()
