"""The lab key and record signatures."""

from __future__ import annotations

import base64
import os
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from labctl.paths import key_path
from labctl.registry.canonical import record_hash
from labctl.registry.errors import SigningError
from labctl.registry.signing import (
    key_id,
    load_or_create_key,
    load_public_key,
    public_key_path,
    public_key_text,
    raw_public_key,
    sign_record,
    verify_record,
)


def test_lab_key_is_created_once_with_mode_0600_and_its_public_key_beside_it(labctl_home):
    key = load_or_create_key()
    path = key_path()
    assert path.is_relative_to(labctl_home)
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    public = load_public_key(public_key_path(path).read_text())
    assert raw_public_key(public) == raw_public_key(key.public_key())
    again = load_or_create_key()
    assert raw_public_key(again.public_key()) == raw_public_key(key.public_key())


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_key_readable_by_others_is_refused():
    load_or_create_key()
    key_path().chmod(0o644)
    with pytest.raises(SigningError, match="chmod 600"):
        load_or_create_key()


def test_a_garbage_key_file_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.pem"
    path.write_text("not a key")
    path.chmod(0o600)
    with pytest.raises(SigningError, match="cannot read the lab key"):
        load_or_create_key(path)


def test_key_id_is_the_sha256_prefix_of_the_raw_public_key(lab_key):
    import hashlib

    raw = raw_public_key(lab_key.public_key())
    assert key_id(lab_key.public_key()) == hashlib.sha256(raw).hexdigest()[:16]
    assert load_public_key(public_key_text(lab_key.public_key())).public_bytes_raw() == raw


def test_sign_sets_key_id_hash_and_signature_and_verifies(make_record, lab_key):
    record = make_record(previous="e" * 64)
    signed = sign_record(record, lab_key)
    assert signed.signed and signed.previous == "e" * 64
    assert signed.key_id == key_id(lab_key.public_key())
    assert signed.hash == record_hash(signed)
    lab_key.public_key().verify(base64.b64decode(signed.signature), bytes.fromhex(signed.hash))
    assert verify_record(signed, lab_key.public_key()) == []
    assert verify_record(signed.document(), lab_key.public_key()) == []


def test_unsigned_record_is_reported(make_record, lab_key):
    problems = verify_record(make_record(), lab_key.public_key())
    assert len(problems) == 1 and "not signed" in problems[0]


def test_tampered_content_is_a_hash_mismatch(make_record, lab_key):
    signed = sign_record(make_record(), lab_key)
    doc = signed.document()
    doc["points"][0]["error"]["value"] = 0.0
    problems = verify_record(doc, lab_key.public_key())
    assert len(problems) == 1 and "hash mismatch" in problems[0]


def test_rehashed_tampering_is_a_bad_signature(make_record, lab_key):
    signed = sign_record(make_record(), lab_key)
    doc = signed.document()
    doc["decision"] = "fail"
    doc["points"][0]["decision"] = "fail"
    doc["hash"] = record_hash(doc)  # the forger recomputes the hash but has no key
    problems = verify_record(doc, lab_key.public_key())
    assert len(problems) == 1 and "bad signature" in problems[0]


def test_another_key_does_not_verify(make_record, lab_key):
    signed = sign_record(make_record(), lab_key)
    other = Ed25519PrivateKey.generate().public_key()
    problems = verify_record(signed, other)
    assert len(problems) == 1 and "signed by key" in problems[0]


def test_signing_is_deterministic(make_record, lab_key):
    record = make_record()
    assert sign_record(record, lab_key) == sign_record(record, lab_key)
