"""What is wrong with the rows of a stored chain (records, or review entries), named in
chain order while the rows' signatures are checked in worker threads.

Verifying a chain reads each row, checks its columns, its JSON, its canonical form and
its hash (the SHA-256 of its hashed text against the hash it carries) in the verifying
thread, and hands its Ed25519 signature check (``SignatureCheck``) to the workers of
``signature_batch.CheckStream``; a row's findings (``RowFindings``: what was found before
its signature check, the check, what was found after it) are named once its verdict is
back, in the order the rows were read, in the words verify has always used.

The workers' check (``signature_batch.signature_ok`` of the hash's 32 bytes) is handed
a document only when ``signing.signed_hash_problems`` would find nothing else wrong with
it: its hash and signature are non-empty text, its key id is its key's
(``worker_checkable``) and its hash is the one computed; the signature verifies then
exactly when ``signed_hash_problems`` finds nothing. Every other document, and any whose
signature the workers refuse, is explained in the verifying thread by the chain's own
words (``Explain``), so every problem reads as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from labctl.registry.canonical import sha256_hex
from labctl.registry.signature_batch import CheckStream, Signed
from labctl.registry.signing import key_id, raw_public_key

#: How the problems of a document the workers refused are found, from the members the
#: check reads (``CHECKED_MEMBERS``), its key, and the hash computed of its content.
Explain = Callable[[Mapping[str, Any], Ed25519PublicKey, str], list[str]]

#: The members of a document its hash and signature check reads.
CHECKED_MEMBERS = ("id", "hash", "signature", "key_id")


def signer_key(doc: Mapping[str, Any], known: Mapping[str, Any],
               trusted: Mapping[str, Ed25519PublicKey] | None) -> Any:
    """The key a stored document is checked under: with ``trusted`` (the trust anchor)
    its key of the document's key id, else the registry's (``known``); None: none."""
    kid = str(doc.get("key_id"))
    return trusted.get(kid) if trusted is not None else known.get(kid)


class KeyFacts:
    """Each key's raw 32 bytes and key id, worked out once per key of a walk."""

    def __init__(self) -> None:
        self._facts: dict[int, tuple[Ed25519PublicKey, bytes, str]] = {}

    def of(self, key: Ed25519PublicKey) -> tuple[bytes, str]:
        facts = self._facts.get(id(key))
        if facts is None:  # the key is kept in the entry, so its id() is not reused
            facts = self._facts[id(key)] = (key, raw_public_key(key), key_id(key))
        return facts[1], facts[2]


def worker_checkable(doc: Mapping[str, Any], kid: str) -> bool:
    """True when the workers' check of ``doc`` may stand for ``signed_hash_problems``'s
    once its hash is the one computed (see the module doc): its hash and signature are
    non-empty text, its key id is ``kid`` (the id of the key it is checked under)."""
    stored, signature = doc.get("hash"), doc.get("signature")
    return (stored.__class__ is str and bool(stored) and signature.__class__ is str
            and bool(signature) and doc.get("key_id") == kid)


class SignatureCheck:
    """The hash and signature check of one stored document (``worker_checkable``) under
    ``key``: its hash against ``hashed`` (the canonical JSON its hash covers), compared
    here, and its signature, for the workers (``item``; None when the hash differs, so
    that there is nothing to hand them), explained by ``explain`` when either fails.
    ``raw``: the key's 32 bytes."""

    def __init__(self, doc: Mapping[str, Any], key: Ed25519PublicKey, hashed: bytes,
                 raw: bytes, explain: Explain):
        # only what the check reads: a window of these waits for the workers
        self._doc = {name: doc[name] for name in CHECKED_MEMBERS if name in doc}
        self._key, self._explain = key, explain
        self._computed = sha256_hex(hashed)  # hashlib lets the workers have the GIL
        self.item: Signed | None = (
            (raw, str(doc["signature"]), bytes.fromhex(self._computed))
            if self._computed == doc["hash"] else None)

    def problems(self, ok: bool | None) -> list[str]:
        """What is wrong: nothing when the workers found the signature good (``ok``),
        else what ``explain`` says (also when it was not handed to them: None)."""
        if ok:
            return []
        return self._explain(self._doc, self._key, self._computed)


class RowFindings:
    """What is wrong with one row of a chain: ``before`` its signature check
    (``signature``; None when there is none to make in the workers), and ``after`` it,
    each named after the row (``where``)."""

    def __init__(self, where: str):
        self.where = where
        self.before: list[str] = []
        self.signature: SignatureCheck | None = None
        self.after: list[str] = []

    @property
    def item(self) -> Signed | None:
        """The workers' check of the row, None when it has none."""
        return self.signature.item if self.signature is not None else None

    def problems(self, ok: bool | None) -> list[str]:
        """Every problem of the row, in order, given the workers' verdict ``ok``."""
        checked = self.signature.problems(ok) if self.signature is not None else []
        return [f"{self.where}: {p}" for p in (*self.before, *checked, *self.after)]


def named(resolved: Iterable[tuple[RowFindings, bool | None]]) -> list[str]:
    """The problems of the rows ``CheckStream`` gave back, in chain order."""
    return [p for findings, ok in resolved for p in findings.problems(ok)]


def chain_findings(rows: Iterable[RowFindings]) -> list[str]:
    """The problems of a chain's rows (its walk gives each row's findings as it reads
    it), their signatures checked by the workers while the walk reads on; named in
    chain order."""
    checks: CheckStream[RowFindings] = CheckStream()
    problems: list[str] = []
    for findings in rows:
        problems += named(checks.put(findings.item, findings))
    return problems + named(checks.finish())
