"""Verifying a long chain with its hashes and signatures checked in worker threads
(``signature_batch.CheckStream``, ``row_findings``): a bad row deep inside the chain is
named exactly once, in chain order, in the same words as when everything is checked in
the verifying thread; records and review entries alike."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from labctl.registry import signature_batch
from labctl.registry.canonical import canonical_json, hashed_part, record_hash
from labctl.registry.review_entry import entry_hash, sign_entry
from labctl.registry.reviews import review_chain_problems
from labctl.registry.signature_batch import CheckStream
from labctl.registry.signing import key_id, raw_public_key, sign_record
from labctl.registry.store import open_registry

LENGTH = 200


@pytest.fixture(params=["workers", "calling thread"])
def workers(request, monkeypatch):
    """Checked by one worker thread (even on a one-core machine), or by none."""
    count = 1 if request.param == "workers" else 0
    monkeypatch.setattr(signature_batch, "_workers", lambda: count)
    return count


@pytest.fixture
def other_key():
    return Ed25519PrivateKey.generate()


def _forged(other_key, digest: str) -> str:
    """A well-formed signature of ``digest`` by a key that is not the record's."""
    return base64.b64encode(other_key.sign(bytes.fromhex(digest))).decode("ascii")


# -- the stream ---------------------------------------------------------------------------


def _items(key, n: int, bad: set[int]) -> list:
    """Signatures to check; those at ``bad`` signed another message."""
    raw = raw_public_key(key.public_key())
    items = []
    for i in range(n):
        message = hashlib.sha256(f'{{"i":{i}}}'.encode()).digest()
        signature = base64.b64encode(key.sign(message)).decode("ascii")
        items.append((raw, signature, hashlib.sha256(message).digest() if i in bad
                      else message))
    return items


@pytest.mark.parametrize("ahead", [0, 1, None])
def test_the_stream_gives_every_record_back_once_in_order(lab_key, workers, ahead):
    """Records put with nothing to check come back in their place among the checked."""
    items = _items(lab_key, 130, bad={3, 77, 129})
    stream: CheckStream[int] = CheckStream(ahead=ahead)
    back = []
    for i, item in enumerate(items):
        back += stream.put(None if i % 10 == 5 else item, i)
    back += stream.finish()
    assert [i for i, _ in back] == list(range(130))
    assert [i for i, ok in back if ok is None] == [i for i in range(130) if i % 10 == 5]
    assert [i for i, ok in back if ok is False] == [3, 77, 129]


def test_a_short_stream_is_checked_in_the_calling_thread(lab_key, monkeypatch):
    monkeypatch.setattr(signature_batch, "_workers", lambda: 1)
    monkeypatch.setattr(signature_batch, "_executor", lambda: pytest.fail("no worker wanted"))
    stream: CheckStream[int] = CheckStream()
    items = _items(lab_key, signature_batch.THREADED_FROM - 1, bad={2})
    back = [pair for i, item in enumerate(items) for pair in stream.put(item, i)]
    back += stream.finish()
    assert [ok for _, ok in back] == [i != 2 for i in range(len(items))]


# -- the chain of records -----------------------------------------------------------------


def _disable_immutability(url: str) -> list[str]:
    if url.startswith("sqlite"):
        return ["DROP TRIGGER labctl_records_no_update", "DROP TRIGGER labctl_records_no_delete"]
    return ["ALTER TABLE labctl_records DISABLE TRIGGER USER"]


@pytest.fixture
def long_chain(registry_url, make_record, lab_key):
    """A registry holding one lab's chain of ``LENGTH`` records, and the records."""
    records, previous = [], None
    for _ in range(LENGTH):
        record = sign_record(make_record().linked_to(previous), lab_key)
        records.append(record)
        previous = record.hash
    with open_registry(registry_url) as reg:
        reg.push_many(records, lab_key.public_key())
        seqs = {row["id"]: row["seq"] for row in reg.chain_rows(records[0].lab, 0, LENGTH)}
        yield reg, records, seqs


def _where(record, seqs) -> str:
    return f"lab {record.lab!r}, record {record.id[:8]} (#{seqs[record.id]})"


def test_a_bad_signature_deep_in_a_long_chain_is_named_once(long_chain, registry_url, raw_sql,
                                                            other_key, workers):
    reg, records, seqs = long_chain
    bad = records[149]  # record 150 of 200
    raw_sql(registry_url, [*_disable_immutability(registry_url),
                           f"UPDATE labctl_records SET document = replace(document, "
                           f"'{bad.signature}', '{_forged(other_key, str(bad.hash))}') "
                           f"WHERE id = '{bad.id}'"])
    assert reg.verify_chain(bad.lab) == [
        f"{_where(bad, seqs)}: bad signature: the hash was not signed by key {bad.key_id}"]


def test_rows_altered_deep_in_a_long_chain_are_named_in_chain_order(
        long_chain, registry_url, raw_sql, other_key, lab_key, workers):
    reg, records, seqs = long_chain
    edited, forged, last = records[39], records[149], records[-1]
    raw_sql(registry_url, [
        *_disable_immutability(registry_url),
        f"UPDATE labctl_records SET document = replace(document, '\"operator\":\"A. Engineer\"',"
        f" '\"operator\":\"Mallory\"') WHERE id = '{edited.id}'",
        f"UPDATE labctl_records SET document = replace(document, '{forged.signature}', "
        f"'{_forged(other_key, str(forged.hash))}') WHERE id = '{forged.id}'",
        f"UPDATE labctl_records SET decision = 'fail' WHERE id = '{last.id}'"])
    computed = record_hash(reg.document(edited.id))
    expected = [
        f"{_where(edited, seqs)}: hash mismatch: the content changed after signing (stored "
        f"{str(edited.hash)[:12]}, computed {computed[:12]})",
        f"{_where(forged, seqs)}: bad signature: the hash was not signed by key "
        f"{forged.key_id}",
        f"{_where(last, seqs)}: column decision (fail) differs from the record's decision "
        "(pass): the row was edited"]
    assert reg.verify_chain(edited.lab) == expected
    trusted = {key_id(lab_key.public_key()): lab_key.public_key()}
    assert reg.verify_chain(edited.lab, trusted) == expected


def test_a_key_not_trusted_is_named_for_every_record_it_signed(long_chain, other_key, workers):
    reg, records, seqs = long_chain
    trusted = {key_id(other_key.public_key()): other_key.public_key()}
    problems = reg.verify_chain(records[0].lab, trusted)
    assert problems == [f"{_where(r, seqs)}: signed by key {r.key_id}, which is not a trusted "
                        "key of the lab (not in the trusted-keys file)" for r in records]


# -- the chain of review entries ----------------------------------------------------------


def _entries(lab_key, records) -> list[dict]:
    """A review entry of each record, chained."""
    out, previous = [], None
    for i, record in enumerate(records):
        entry = sign_entry({
            "schema": "labctl.review/1", "id": f"{i + 1:08x}-0000-4000-8000-{i:012d}",
            "lab": record.lab, "act": "review", "record_id": record.id,
            "record_hash": record.hash, "procedure": record.procedure.id,
            "decision": "approved", "reason": "checked",
            "person": {"id": "hzhou", "name": "H. Zhou"}, "role": "reviewer",
            "time": "2026-12-03T10:00:00Z", "personnel_sha256": None, "previous": previous,
        }, lab_key)
        out.append(entry)
        previous = entry["hash"]
    return out


def _rows(entries) -> list[dict]:
    return [{"seq": i + 1, "id": e["id"], "lab": e["lab"], "link": e["previous"] or "",
             "hash": e["hash"], "key_id": e["key_id"], "record_id": e["record_id"],
             "act": e["act"], "decision": e["decision"], "person_id": e["person"]["id"],
             "time": e["time"], "document": canonical_json(e).decode("utf-8")}
            for i, e in enumerate(entries)]


def test_review_entries_altered_deep_in_a_long_chain_are_named_in_chain_order(
        make_record, lab_key, other_key, workers):
    records = [make_record() for _ in range(LENGTH)]
    records = [r.model_copy(update={"hash": f"{i:064x}"}) for i, r in enumerate(records)]
    entries = _entries(lab_key, records)
    forged = entries[149]
    entries[149] = {**forged, "signature": _forged(other_key, forged["hash"])}
    edited = entries[170] = {**entries[170], "reason": "looked fine"}
    stored = {r.id: {"hash": r.hash, "operators": [r.operator]} for r in records}
    known = {key_id(lab_key.public_key()): lab_key.public_key()}
    problems = review_chain_problems(records[0].lab, _rows(entries), stored, known, None)

    def where(i: int) -> str:
        return (f"lab {records[0].lab!r}, review entry {entries[i]['id'][:8]} (#{i + 1}, "
                f"review of record {records[i].id[:8]})")

    assert problems == [
        f"{where(149)}: bad signature: the hash was not signed by key {forged['key_id']}",
        f"{where(170)}: hash mismatch: the entry changed after signing (stored "
        f"{edited['hash'][:12]}, computed {entry_hash(edited)[:12]})"]


_member = st.text(max_size=8) | st.integers(-5, 5) | st.none() | st.floats(allow_nan=False,
                                                                              allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=6), st.recursive(_member, lambda inner: st.lists(
    inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=10), max_size=6), st.sampled_from(["ab12", "a\\b", 'q"', "h", ""]),
       st.sampled_from(["c2lnbg==", "x", "", None]))
def test_the_hashed_part_cut_from_the_whole_is_the_hashed_part_written(doc, digest, signature):
    """What review entries' verify hashes: cut out of the whole text when it can be."""
    doc = {**doc, "hash": digest}
    if signature is not None:
        doc["signature"] = signature
    cut = hashed_part(canonical_json(doc), doc)
    rest = {k: v for k, v in doc.items() if k not in ("hash", "signature")}
    assert cut is None or cut == canonical_json(rest)
