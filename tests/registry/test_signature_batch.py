"""The checks of a pushed batch's hashes and signatures in worker threads (libsodium).

A batch of ``THREADED_FROM`` records or more is checked by worker threads a piece at a
time; whatever a worker finds must refuse the whole batch, naming the record, exactly as
the check in the pushing thread does for a small batch."""

from __future__ import annotations

import base64
import hashlib
import os

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from labctl.registry import signature_batch
from labctl.registry.canonical import record_hash
from labctl.registry.errors import RegistryError
from labctl.registry.signature_batch import RecordChecks, record_ok, signature_ok
from labctl.registry.signing import key_id, raw_public_key, verify_record
from labctl.registry.store import open_registry

#: The identity point: a public key of small order (8), under which OpenSSL's Ed25519
#: check accepts the signature R = identity, S = 0 of any message.
SMALL_ORDER_KEY = bytes([1]) + bytes(31)
FORGED_SIGNATURE = base64.b64encode(SMALL_ORDER_KEY + bytes(32)).decode("ascii")


def test_signature_ok_refuses_what_is_not_the_keys_signature(lab_key):
    message = hashlib.sha256(b"x").digest()
    good = base64.b64encode(lab_key.sign(message)).decode("ascii")
    raw = raw_public_key(lab_key.public_key())
    assert signature_ok(raw, good, message)
    assert not signature_ok(raw, good, hashlib.sha256(b"y").digest())
    other = raw_public_key(Ed25519PrivateKey.generate().public_key())
    assert not signature_ok(other, good, message)
    assert not signature_ok(raw, "not base64!", message)
    assert not signature_ok(raw, base64.b64encode(b"short").decode(), message)
    assert not signature_ok(raw[:31], good, message)


def test_a_small_order_key_forgery_is_refused():
    # the key is a valid encoding that cryptography loads; the signature is no one's
    Ed25519PublicKey.from_public_bytes(SMALL_ORDER_KEY)
    for message in (b"any message", bytes(32), hashlib.sha256(b"record").digest()):
        assert not signature_ok(SMALL_ORDER_KEY, FORGED_SIGNATURE, message)


def test_record_ok_checks_the_hash_of_the_hashed_text_and_the_signature(lab_key):
    hashed = b'{"a":1}'
    digest = hashlib.sha256(hashed).hexdigest()
    signature = base64.b64encode(lab_key.sign(bytes.fromhex(digest))).decode("ascii")
    raw = raw_public_key(lab_key.public_key())
    assert record_ok(raw, signature, digest, hashed)
    assert not record_ok(raw, signature, digest, b'{"a":2}')  # content changed
    assert not record_ok(raw, signature, "zz" * 32, hashed)  # hash not hex


@pytest.mark.parametrize("threaded", [True, False])
def test_pieces_give_the_results_in_order(lab_key, monkeypatch, threaded):
    if not threaded:
        monkeypatch.setattr(signature_batch, "_workers", lambda: 0)
    raw = raw_public_key(lab_key.public_key())
    items = []
    for i in range(60):
        hashed = f'{{"i":{i}}}'.encode()
        digest = hashlib.sha256(hashed).hexdigest()
        signature = base64.b64encode(lab_key.sign(bytes.fromhex(digest))).decode("ascii")
        if i in (7, 33, 59):
            hashed += b" "
        items.append((raw, signature, digest, hashed))
    checks = RecordChecks(len(items))
    for start in range(0, len(items), 25):
        checks.add(items[start:start + 25])
    assert checks.failed() == [7, 33, 59]
    assert len(checks.result()) == 60


@pytest.mark.parametrize("what", ["signature", "content"])
def test_a_bad_record_inside_a_threaded_batch_refuses_the_batch(sqlite_url, signed_chain,
                                                                lab_key, what):
    records = signed_chain(3 * signature_batch.THREADED_FROM)
    bad_at = len(records) - 5  # in the last piece a worker checks
    bad = records[bad_at]
    if what == "signature":
        other = Ed25519PrivateKey.generate()
        forged = base64.b64encode(other.sign(bytes.fromhex(str(bad.hash)))).decode("ascii")
        records[bad_at] = bad.model_copy(update={"signature": forged})
        expected = "bad signature"
    else:
        records[bad_at] = bad.model_copy(update={"operator": "someone else"})
        expected = "hash mismatch"
    with open_registry(sqlite_url) as reg:
        with pytest.raises(RegistryError) as err:
            reg.push_many(records, lab_key.public_key())
        assert bad.id[:8] in str(err.value) and expected in str(err.value)
        assert reg.count() == 0
        reg.push_many(signed_chain(20), lab_key.public_key())
        assert reg.count() == 20 and reg.verify_chain(records[0].lab) == []


def test_a_record_forged_under_a_small_order_key_is_refused_and_named_by_verify(
        sqlite_url, make_record):
    weak = Ed25519PublicKey.from_public_bytes(SMALL_ORDER_KEY)
    record = make_record().model_copy(update={"key_id": key_id(weak)})
    digest = record_hash(record)
    forged = record.model_copy(update={"hash": digest, "signature": FORGED_SIGNATURE})
    assert verify_record(forged, weak) == [
        f"record {forged.id[:8]}: bad signature: the hash was not signed by key {key_id(weak)}"]
    with open_registry(sqlite_url) as reg:
        with pytest.raises(RegistryError, match="bad signature"):
            reg.push(forged, weak)
        assert reg.count() == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
def test_a_forked_child_checks_with_threads_of_its_own(lab_key):
    """A child forked after the pool was made (a worker process of a server, say) gets
    threads of its own instead of waiting forever on its copy of the parent's pool."""
    import multiprocessing

    raw = raw_public_key(lab_key.public_key())
    hashed = b'{"a":1}'
    digest = hashlib.sha256(hashed).hexdigest()
    good = base64.b64encode(lab_key.sign(bytes.fromhex(digest))).decode("ascii")
    items = [(raw, good, digest, hashed)] * (2 * signature_batch.THREADED_FROM)
    checks = RecordChecks(len(items))
    checks.add(items)
    assert checks.failed() == []  # the parent's pool exists now
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        assert pool.apply_async(_failed_in_child, (items,)).get(timeout=60) == []


def _failed_in_child(items):
    checks = RecordChecks(len(items))
    checks.add(items)
    return checks.failed()
