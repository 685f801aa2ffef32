"""One review or approval act as an immutable signed entry (issue 11; ISO/IEC 17025
7.8.1.2: results are reviewed and authorised before release).

An entry is a JSON object::

    {"schema": "labctl.review/1", "id": UUID, "lab": ..., "act": "review" | "approval",
     "record_id": ..., "record_hash": ..., "procedure": ...,
     "decision": "approved" | "rejected", "reason": ...,
     "person": {"id": ..., "name": ..., "title": ...}, "role": "reviewer" | "approver",
     "time": "...Z", "personnel_sha256": ... | null,
     "previous": hash of the lab's previous entry | null, "key_id": ...,
     "hash": ..., "signature": ...}

It is hashed and signed exactly like a record: ``hash`` is the SHA-256 of the RFC 8785
canonical JSON of the entry without ``hash`` and ``signature`` (so it covers
``previous``, ``record_hash`` and ``key_id``), ``signature`` is Ed25519 over the 32
bytes of the hash, base64. The entries of a lab form their own chain.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from labctl.registry.canonical import canonical_json, sha256_hex

SCHEMA = "labctl.review/1"
ACTS = ("review", "approval")
ROLE_OF_ACT = {"review": "reviewer", "approval": "approver"}
DECISIONS = ("approved", "rejected")
_UNHASHED = ("hash", "signature")


def entry_hash(doc: Mapping[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of the entry without ``hash`` and ``signature``."""
    hashed = {k: v for k, v in doc.items() if k not in _UNHASHED}
    return sha256_hex(canonical_json(hashed, what=f"review entry {doc.get('id', '?')}"))


def sign_entry(doc: Mapping[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """A copy of ``doc`` with ``key_id``, ``hash`` and ``signature`` set by ``key``."""
    from labctl.registry.signing import key_id

    out = {k: v for k, v in doc.items() if k not in _UNHASHED}
    out["key_id"] = key_id(key.public_key())
    digest = entry_hash(out)
    out["hash"] = digest
    out["signature"] = base64.b64encode(key.sign(bytes.fromhex(digest))).decode("ascii")
    return out


def verify_entry(doc: Mapping[str, Any], public_key: Ed25519PublicKey) -> list[str]:
    """What is wrong with the entry's hash and signature under ``public_key``; []: good."""
    from labctl.registry.signing import key_id

    stored, signature, kid = doc.get("hash"), doc.get("signature"), doc.get("key_id")
    if not stored or not signature or not kid:
        return ["not signed (hash, signature or key_id missing)"]
    problems = []
    computed = entry_hash(doc)
    if computed != stored:
        problems.append(f"hash mismatch: the entry changed after signing (stored "
                        f"{str(stored)[:12]}, computed {computed[:12]})")
    if kid != key_id(public_key):
        return [*problems, f"signed by key {kid}, but the key given is {key_id(public_key)}"]
    try:
        public_key.verify(base64.b64decode(str(signature), validate=True),
                          bytes.fromhex(str(stored)))
    except (binascii.Error, ValueError):
        problems.append("the signature or hash is not well-formed")
    except InvalidSignature:
        problems.append(f"bad signature: the hash was not signed by key {kid}")
    return problems
