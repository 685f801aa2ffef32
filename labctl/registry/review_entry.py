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

The person's own signature. When the personnel list gives the person a public key, the
entry also carries ``"person_signature": {"key_id", "public_key", "signature"}``: the
person's Ed25519 signature over the canonical JSON of their *act statement*
(``act_statement``: kind ``labctl-review-act``, lab, act, record id and hash, decision,
reason, person id, role), which the person's machine makes before the act and the
registry cannot choose (the entry's id, time and place in the chain are the registry's,
covered by its own signature). ``person_signature`` is inside the entry's hash.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from labctl.registry.canonical import canonical_json, sha256_hex
from labctl.registry.signature_batch import signature_ok

SCHEMA = "labctl.review/1"
ACTS = ("review", "approval")
ROLE_OF_ACT = {"review": "reviewer", "approval": "approver"}
DECISIONS = ("approved", "rejected")
_UNHASHED = ("hash", "signature")
ACT_KIND = "labctl-review-act"


def entry_hashed(doc: Mapping[str, Any]) -> bytes:
    """The canonical JSON of the entry without ``hash`` and ``signature``: what its hash
    covers."""
    hashed = {k: v for k, v in doc.items() if k not in _UNHASHED}
    return canonical_json(hashed, what=f"review entry {doc.get('id', '?')}")


def entry_hash(doc: Mapping[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of the entry without ``hash`` and ``signature``."""
    return sha256_hex(entry_hashed(doc))


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
    from labctl.registry.signing import signed_hash_problems

    return signed_hash_problems(doc, lambda: entry_hash(doc), public_key, changed="the entry")


def act_statement(lab: str, act: str, record_id: str, record_hash: str, decision: str,
                  reason: str, person_id: str) -> dict[str, str]:
    """What a person signs for their act (the reason with its spacing normalised, as the
    entry keeps it)."""
    return {"kind": ACT_KIND, "lab": lab, "act": act, "record_id": record_id,
            "record_hash": record_hash, "decision": decision,
            "reason": " ".join(reason.split()), "person_id": person_id,
            "role": ROLE_OF_ACT[act]}


def statement_of_entry(doc: Mapping[str, Any]) -> dict[str, str]:
    """The act statement an entry's person signed (from the entry's own members)."""
    return act_statement(str(doc.get("lab")), str(doc.get("act")), str(doc.get("record_id")),
                         str(doc.get("record_hash")), str(doc.get("decision")),
                         str(doc.get("reason") or ""),
                         str((doc.get("person") or {}).get("id")))


def sign_act(statement: Mapping[str, str], key: Ed25519PrivateKey) -> dict[str, str]:
    """The person's signature of ``statement``: ``{"key_id", "public_key", "signature"}``."""
    from labctl.registry.signing import key_id, public_key_text

    return {"key_id": key_id(key.public_key()), "public_key": public_key_text(key.public_key()),
            "signature": base64.b64encode(key.sign(canonical_json(statement))).decode("ascii")}


def person_signature_problems(signature: Any, statement: Mapping[str, str],
                              expected: Ed25519PublicKey | None) -> list[str]:
    """What is wrong with a person's signature of ``statement``: its form, the key it
    carries (it must be ``expected`` when given, the key of the personnel list) and the
    signature under that key; [] when good."""
    from labctl.registry.errors import SigningError
    from labctl.registry.signing import key_id, load_public_key, raw_public_key

    if not isinstance(signature, Mapping) or not all(
            isinstance(signature.get(k), str) for k in ("key_id", "public_key", "signature")):
        return ["the personal signature is not an object with key_id, public_key and "
                "signature"]
    try:
        carried = load_public_key(signature["public_key"])
    except SigningError as err:
        return [f"the personal signature's public key is not one: {err.message}"]
    kid = key_id(carried)
    if kid != signature["key_id"]:
        return [f"the personal signature names key {signature['key_id']} but carries key {kid}"]
    if expected is not None and kid != key_id(expected):
        return [f"the personal signature is by key {kid}, but the personnel list gives "
                f"{statement.get('person_id')} key {key_id(expected)}"]
    try:
        base64.b64decode(signature["signature"], validate=True)
    except (binascii.Error, ValueError):
        return ["the personal signature is not well-formed base64"]
    if not signature_ok(raw_public_key(carried), signature["signature"],
                        canonical_json(statement)):
        return [f"bad personal signature: key {kid} did not sign this act (record, its "
                "hash, act, decision, reason, person and role)"]
    return []
