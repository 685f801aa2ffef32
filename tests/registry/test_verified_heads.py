"""``registry verify`` notes the head of each chain it found good, signed, in this
machine's outbox, and names it when it is later missing: records cut off a chain's end
show to a machine that only reads (a quality office) although it delivered none of them
and the chain left is good. On SQLite and PostgreSQL, embedded and through the service."""

from __future__ import annotations

import sqlite3

import pytest
from reviews_support import personnel_file, push_signed
from service_support import Service, make_tokens

from labctl.cli import main
from labctl.registry.outbox import Outbox
from labctl.registry.store import open_registry


def _cut_last(raw_sql, url: str, records) -> None:
    """Delete the last record behind labctl's back and move the chain-head row back to
    the one before it, so that the chain left is good and ends where the head says."""
    last, before = records[-1], records[-2]
    unlock = (["DROP TRIGGER labctl_records_no_update", "DROP TRIGGER labctl_records_no_delete"]
              if url.startswith("sqlite") else
              ["ALTER TABLE labctl_records DISABLE TRIGGER labctl_records_immutable"])
    raw_sql(url, [*unlock, f"DELETE FROM labctl_records WHERE id = '{last.id}'",
                  f"UPDATE labctl_chain_heads SET hash = '{before.hash}' "
                  f"WHERE lab = '{last.lab}'"])


@pytest.fixture
def pushed(registry_url, signed_chain, lab_key):
    """Four records pushed by a bench elsewhere (not through this home's outbox)."""
    records = signed_chain(4)
    with open_registry(registry_url) as reg:
        reg.push_many(records, lab_key.public_key())
    return records


def test_records_cut_off_the_end_since_the_last_verify_are_named(
        registry_url, pushed, raw_sql, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    assert main(["registry", "verify", "--registry", registry_url]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert f"noted the 1 chain head found good in {Outbox().path}: a later verify" in said
    (note,) = Outbox().verified_heads(registry_url)
    last = pushed[-1]
    assert (note.lab, note.record_id, note.hash, note.count) == \
        (last.lab, last.id, last.hash, "4")
    assert note.signature_ok
    capsys.readouterr()

    _cut_last(raw_sql, registry_url, pushed)
    with open_registry(registry_url) as reg:
        assert reg.verify_chain(last.lab) == []  # the chain alone cannot tell
    assert main(["registry", "verify", "--registry", registry_url]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert (f"record {last.id[:8]} (hash {last.hash[:12]}), the last of the lab's 4 records "
            "when this machine last found the chain good") in out
    assert "is missing: records were cut off the chain's end" in out
    # the note is not moved on to the shortened chain: the next verify says it again
    assert main(["registry", "verify", "--registry", registry_url]) == 1
    assert f"record {last.id[:8]}" in capsys.readouterr().out
    assert Outbox().verified_heads(registry_url)[0].record_id == last.id

    # restored from a backup on purpose: the notes are dropped and the current head noted
    assert main(["registry", "verify", "--registry", registry_url, "--reset-verified"]) == 0
    assert "forgot the chain heads noted" in capsys.readouterr().out
    (note,) = Outbox().verified_heads(registry_url)
    assert (note.record_id, note.count) == (pushed[-2].id, "3")


def test_the_note_follows_the_chain_as_it_grows(registry_url, pushed, signed_chain,
                                                lab_key, make_record):
    assert main(["registry", "verify", "--registry", registry_url]) == 0
    from labctl.registry.signing import sign_record

    with open_registry(registry_url) as reg:
        more = sign_record(make_record().linked_to(pushed[-1].hash), lab_key)
        reg.push(more)
    assert main(["registry", "verify", "--registry", registry_url]) == 0
    (note,) = Outbox().verified_heads(registry_url)
    assert (note.record_id, note.count) == (more.id, "5")


def test_a_note_edited_by_hand_is_named_and_not_moved(registry_url, pushed, capsys):
    assert main(["registry", "verify", "--registry", registry_url]) == 0
    outbox = Outbox()
    with sqlite3.connect(outbox.path) as conn:  # moved back by hand: its signature breaks
        conn.execute("UPDATE verified_checkpoints SET record_id = ?, hash = ?, count = '1'",
                     (pushed[0].id, pushed[0].hash))
    capsys.readouterr()
    assert main(["registry", "verify", "--registry", registry_url]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "verified-head note of lab" in out and "has a bad signature" in out
    (note,) = outbox.verified_heads(registry_url)
    assert note.record_id == pushed[0].id and not note.signature_ok


def test_a_chain_with_problems_is_not_noted(registry_url, pushed, raw_sql):
    unlock = (["DROP TRIGGER labctl_records_no_update"] if registry_url.startswith("sqlite")
              else ["ALTER TABLE labctl_records DISABLE TRIGGER labctl_records_immutable"])
    raw_sql(registry_url, [*unlock, "UPDATE labctl_records SET document = replace(document, "
                           "'\"decision\":\"pass\"', '\"decision\":\"fail\"') "
                           f"WHERE id = '{pushed[1].id}'"])
    assert main(["registry", "verify", "--registry", registry_url]) == 1
    assert Outbox().verified_heads(registry_url) == []


@pytest.fixture
def reader_service(registry_url, monkeypatch):
    """The registry's service, this machine holding a reader token for it."""
    service = Service(registry_url)
    service.tokens = make_tokens(registry_url)
    service.start()
    monkeypatch.setenv("LABCTL_REGISTRY_TOKEN", service.tokens["reader"])
    monkeypatch.setenv("COLUMNS", "400")
    yield service
    service.stop()


@pytest.mark.realtime
def test_through_the_service_a_reader_sees_the_end_cut_off(registry_url, pushed,
                                                            reader_service, raw_sql, capsys):
    url = reader_service.url
    assert main(["registry", "verify", "--registry", url]) == 0
    (note,) = Outbox().verified_heads(url)
    assert (note.record_id, note.count) == (pushed[-1].id, "4")
    _cut_last(raw_sql, registry_url, pushed)
    capsys.readouterr()
    assert main(["registry", "verify", "--registry", url]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert f"record {pushed[-1].id[:8]}" in out and "cut off the chain's end" in out


@pytest.fixture
def reviewed(registry_url, make_record, lab_key, tmp_path, monkeypatch, capsys):
    """Two records and three review and approval entries, written from another machine
    (another labctl home: this one keeps no checkpoint of them)."""
    people = str(personnel_file(tmp_path))
    with open_registry(registry_url) as reg:
        records = [push_signed(reg, make_record, lab_key) for _ in range(2)]
    monkeypatch.setenv("LABCTL_HOME", str(tmp_path / "reviewer"))
    common = ["--registry", registry_url, "--personnel", people]
    assert main(["registry", "review", records[0].id, "--approve", "--as", "hzhou",
                 *common]) == 0
    assert main(["registry", "approve", records[0].id, "--as", "mchen", *common]) == 0
    assert main(["registry", "review", records[1].id, "--approve", "--as", "mchen",
                 *common]) == 0
    monkeypatch.setenv("LABCTL_HOME", str(tmp_path / "reader"))
    capsys.readouterr()
    with open_registry(registry_url) as reg:
        (last,) = reg.review_entries(records[1].id)
    return records, last


def _cut_last_entry(raw_sql, url: str, entry) -> None:
    unlock = (["DROP TRIGGER labctl_reviews_no_delete"] if url.startswith("sqlite")
              else ["ALTER TABLE labctl_reviews DISABLE TRIGGER USER"])
    raw_sql(url, [*unlock, f"DELETE FROM labctl_reviews WHERE id = '{entry['id']}'"])


def test_entries_cut_off_the_end_since_the_last_verify_are_named(
        registry_url, reviewed, raw_sql, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    records, last = reviewed
    assert main(["registry", "verify", "--registry", registry_url]) == 0
    assert Outbox().entry_checkpoints(registry_url) == []  # this machine wrote none
    (note,) = Outbox().verified_entry_heads(registry_url)
    assert (note.entry_id, note.record_id, note.hash, note.count) == \
        (last["id"], records[1].id, last["hash"], "3")
    _cut_last_entry(raw_sql, registry_url, last)
    with open_registry(registry_url) as reg:
        assert reg.verify_reviews(records[1].lab) == []  # the chain alone cannot tell
    capsys.readouterr()
    assert main(["registry", "verify", "--registry", registry_url]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert (f"review entry {last['id'][:8]} (record {records[1].id[:8]}, hash "
            f"{last['hash'][:12]}), the last of the lab's 3 review and approval entries "
            "when this machine last found their chain good") in out
    assert "is missing: entries were cut off the chain's end" in out
    assert Outbox().verified_entry_heads(registry_url)[0].entry_id == last["id"]
    assert main(["registry", "verify", "--registry", registry_url, "--reset-verified"]) == 0
    assert Outbox().verified_entry_heads(registry_url)[0].count == "2"


@pytest.mark.realtime
def test_through_the_service_a_reader_sees_entries_cut_off(registry_url, reviewed,
                                                            reader_service, raw_sql, capsys):
    records, last = reviewed
    url = reader_service.url
    assert main(["registry", "verify", "--registry", url]) == 0
    (note,) = Outbox().verified_entry_heads(url)
    assert (note.entry_id, note.count) == (last["id"], "3")
    _cut_last_entry(raw_sql, registry_url, last)
    capsys.readouterr()
    assert main(["registry", "verify", "--registry", url]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert f"review entry {last['id'][:8]}" in out and "cut off the chain's end" in out


def test_a_home_where_nothing_can_be_noted_still_verifies(registry_url, pushed, capsys,
                                                         monkeypatch):
    """An outbox that cannot be written (a read-only or full disk) is said once; the
    verification itself goes on and passes."""
    from labctl.registry.errors import OutboxError

    def refuse(self, *args):
        raise OutboxError("outbox database error: attempt to write a readonly database",
                          where=str(self.path))

    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.setattr(Outbox, "keep_verified_head", refuse)
    assert main(["registry", "verify", "--registry", registry_url]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert out.count("cannot keep notes of the chain heads in this labctl home") == 1
    assert "attempt to write a readonly database" in out and "4 records; chain" in out

    def unopenable(self, *args, **kwargs):
        raise OutboxError("cannot open the outbox: unable to open database file")

    monkeypatch.setattr(Outbox, "__init__", unopenable)
    assert main(["registry", "verify", "--registry", registry_url]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "cannot keep notes" in out and "unable to open database file" in out


@pytest.mark.realtime
def test_a_service_too_old_to_say_its_heads_is_verified_without_notes(
        registry_url, reviewed, reader_service, monkeypatch):
    """A service from before the heads were published (no ``head_id`` in /v1/labs, no
    /v1/reviews/heads: 404) is verified as before; nothing is noted."""
    from labctl.registry.client import HttpRegistry
    from labctl.registry.errors import RecordNotFound

    request = HttpRegistry._request

    def older(self, method, path, **kwargs):
        if path == "/v1/reviews/heads":
            raise RecordNotFound("not found", where=f"registry {self.url}")
        answer = request(self, method, path, **kwargs)
        if path == "/v1/labs":
            answer = {"labs": [{k: v for k, v in lab.items() if k != "head_id"}
                               for lab in answer["labs"]]}
        return answer

    monkeypatch.setattr(HttpRegistry, "_request", older)
    assert main(["registry", "verify", "--registry", reader_service.url]) == 0
    assert Outbox().verified_heads(reader_service.url) == []
    assert Outbox().verified_entry_heads(reader_service.url) == []
