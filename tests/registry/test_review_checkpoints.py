"""Issue 11: the end of a lab's review-entry chain is covered by a checkpoint. Whoever
writes a review or approval (``labctl registry review/approve``) keeps a signed
checkpoint of the entry in its outbox; ``labctl registry verify`` names a checkpointed
entry that is gone from the chain (deleted from its end, which the chain alone cannot
show), and a checkpoint edited by hand. SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3

import pytest
from reviews_support import personnel_file, push_signed

from labctl.cli import main
from labctl.registry.outbox import Outbox
from labctl.registry.store import open_registry


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")


def _unlock(url: str) -> list[str]:
    if url.startswith("sqlite"):
        return ["DROP TRIGGER labctl_reviews_no_delete"]
    return ["ALTER TABLE labctl_reviews DISABLE TRIGGER USER"]


@pytest.fixture
def approved(registry_url, make_record, lab_key, tmp_path, capsys):
    """Two records pushed; through the commands, the first reviewed (H. Zhou) and
    approved (M. Chen), the second reviewed (M. Chen): three entries."""
    people = str(personnel_file(tmp_path))
    with open_registry(registry_url) as reg:
        records = [push_signed(reg, make_record, lab_key) for _ in range(2)]
    common = ["--registry", registry_url, "--personnel", people]
    assert main(["registry", "review", records[0].id, "--approve", "--reason", "checked",
                 "--as", "hzhou", *common]) == 0
    assert main(["registry", "approve", records[0].id, "--as", "mchen", *common]) == 0
    assert main(["registry", "review", records[1].id, "--approve", "--as", "mchen",
                 *common]) == 0
    capsys.readouterr()
    return records


def _entries(registry_url, record_id):
    with open_registry(registry_url) as reg:
        return reg.review_entries(record_id)


def test_an_untouched_chain_and_its_checkpoint_verify_clean(registry_url, approved, capsys):
    (point,) = Outbox().entry_checkpoints(registry_url)
    (last,) = _entries(registry_url, approved[1].id)
    assert point.signature_ok
    assert (point.entry_id, point.record_id, point.person_id, point.role, point.act,
            point.hash) == (last["id"], approved[1].id, "mchen", "reviewer", "review",
                            last["hash"])
    assert main(["registry", "verify", "--registry", registry_url]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "review and approval entries: chain, hashes and signatures good" in out
    assert "missing" not in out and "bad signature" not in out


def test_the_last_entry_deleted_in_the_database_is_named(registry_url, approved, raw_sql,
                                                         capsys):
    (last,) = _entries(registry_url, approved[1].id)
    raw_sql(registry_url, [*_unlock(registry_url),
                           f"DELETE FROM labctl_reviews WHERE id = '{last['id']}'"])
    with open_registry(registry_url) as reg:  # what is left is a good chain
        assert reg.verify_reviews(approved[0].lab) == []
        assert reg.review_status(approved[1].id).status == "unreviewed"
    assert main(["registry", "verify", "--registry", registry_url]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert (f"lab 'Municipal Metrology Institute': review entry {last['id']} (record "
            f"{approved[1].id}, M. Chen (mchen) as reviewer, hash {last['hash'][:12]}), "
            "written from this machine and checkpointed in its outbox on") in out
    assert ("is missing from the lab's entry chain: entries were cut off its end or the "
            "chain was rewritten, so the record's review status no longer shows this act"
            ) in out


def test_every_entry_of_the_lab_deleted_is_named(registry_url, approved, raw_sql, capsys):
    """No entry of the lab is left, so the lab has no entry chain to walk at all: the
    checkpoint still names the last one."""
    (last,) = _entries(registry_url, approved[1].id)
    raw_sql(registry_url, [*_unlock(registry_url), "DELETE FROM labctl_reviews"])
    with open_registry(registry_url) as reg:
        assert reg.review_labs() == []
    assert main(["registry", "verify", "--registry", registry_url]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert f"review entry {last['id']} (record {approved[1].id}" in out
    assert "is missing from the lab's entry chain" in out


def test_a_checkpoint_edited_by_hand_is_itself_reported(registry_url, approved, raw_sql,
                                                        capsys):
    """Someone deletes the last entry and moves the checkpoint back to the entry before
    it: the checkpoint's signature no longer holds, and verify says so."""
    (last,) = _entries(registry_url, approved[1].id)
    approval = _entries(registry_url, approved[0].id)[1]
    raw_sql(registry_url, [*_unlock(registry_url),
                           f"DELETE FROM labctl_reviews WHERE id = '{last['id']}'"])
    with sqlite3.connect(Outbox().path) as conn:
        conn.execute("UPDATE entry_checkpoints SET entry_id = ?, record_id = ?, hash = ?, "
                     "act = 'approval', role = 'approver'",
                     (approval["id"], approved[0].id, approval["hash"]))
    (point,) = Outbox().entry_checkpoints(registry_url)
    assert not point.signature_ok
    assert main(["registry", "verify", "--registry", registry_url]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert ("review-entry checkpoint of lab 'Municipal Metrology Institute' in "
            f"{Outbox().path} has a bad signature: it was edited after it was signed") in out


def test_a_checkpoint_of_this_machine_needs_no_place_in_the_trust_anchor(
        registry_url, approved, lab_key, tmp_path, capsys):
    """A reviewer's machine signs its checkpoints with its own labctl home key, which the
    lab's trust anchor (the bench keys) need not list: verify accepts that key."""
    from labctl.registry.trust import add_trusted_key

    trusted = tmp_path / "trusted-keys.txt"
    add_trusted_key(trusted, lab_key.public_key(), "test: the bench key only")
    (point,) = Outbox().entry_checkpoints(registry_url)
    assert point.signature_ok
    main(["registry", "verify", "--registry", registry_url, "--trusted-keys", str(trusted)])
    out = " ".join(capsys.readouterr().out.split())
    # (embedded, this home's key also signed the entries, which the anchor does not list:
    # those are named; the checkpoint this machine signed is not)
    assert "which is not a trusted key of the lab" in out
    assert "review-entry checkpoint" not in out


def test_a_checkpoint_signed_by_a_foreign_key_is_reported(registry_url, approved, lab_key,
                                                          tmp_path, capsys):
    """A checkpoint planted with another key (its signature good, the key neither this
    machine's nor trusted) cannot vouch for the chain's end."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from labctl.registry import checkpoints
    from labctl.registry.trust import add_trusted_key

    trusted = tmp_path / "trusted-keys.txt"
    add_trusted_key(trusted, lab_key.public_key(), "test: the bench key only")
    (point,) = Outbox().entry_checkpoints(registry_url)
    values = {c: getattr(point, c) for c in checkpoints.ENTRIES.columns
              if c not in ("key_id", "public_key", "signature")}
    foreign = Ed25519PrivateKey.generate()
    with sqlite3.connect(Outbox().path) as conn:
        checkpoints.keep(conn, checkpoints.ENTRIES, foreign, values)
    (planted,) = Outbox().entry_checkpoints(registry_url)
    assert planted.signature_ok and planted.key_id != point.key_id
    assert main(["registry", "verify", "--registry", registry_url, "--trusted-keys",
                 str(trusted)]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert (f"review-entry checkpoint of lab 'Municipal Metrology Institute' is signed by "
            f"key {planted.key_id}, which is neither trusted nor this machine's own "
            "key") in out


def test_the_record_checkpoints_are_kept_as_before(registry_url, lab_key, make_record):
    """The record checkpoints share the code: a delivery still keeps one, signed."""
    outbox = Outbox(key=lab_key)
    records = [outbox.put(make_record(), registry_url) for _ in range(2)]
    assert outbox.deliver(registry_url).ok
    (point,) = outbox.checkpoints(registry_url)
    assert point.signature_ok and point.record_id == records[-1].id
    assert outbox.entry_checkpoints(registry_url) == []


def test_an_outbox_that_cannot_keep_the_checkpoint_does_not_undo_the_act(
        sqlite_url, make_record, lab_key, tmp_path, capsys):
    """The entry is written before its checkpoint: when the outbox cannot be written (here
    its file's place is taken by a directory), the act still succeeds and the command
    says what is not covered."""
    from labctl.paths import outbox_path

    people = str(personnel_file(tmp_path))
    with open_registry(sqlite_url) as reg:
        record = push_signed(reg, make_record, lab_key)
    outbox_path().parent.mkdir(parents=True, exist_ok=True)
    outbox_path().mkdir()
    assert main(["registry", "review", record.id, "--approve", "--reason", "checked",
                 "--as", "hzhou", "--registry", sqlite_url, "--personnel", people]) == 0
    captured = capsys.readouterr()
    assert "status: reviewed" in captured.out
    entry = _entries(sqlite_url, record.id)[0]
    assert (f"warning: the review entry {entry['id'][:8]} is written, but its checkpoint "
            "could not be kept in this machine's outbox") in " ".join(captured.err.split())
