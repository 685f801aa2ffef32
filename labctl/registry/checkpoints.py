"""Signed checkpoints of chain heads, kept in the local outbox (``labctl.registry.outbox``).

A chain alone cannot show that its *last* links were cut off: what is left is still a
good chain. So whoever adds to a chain keeps, on their own machine, a signed note of the
head they saw after adding to it; ``labctl registry verify`` then asks the registry
whether that head is still there.

Four heads are checkpointed, each in its own table of the outbox's SQLite file, one row
per (registry, lab), replaced by each new act:

- ``checkpoints``: the last *record* the outbox delivered (``Checkpoint``), kept by
  ``Outbox.deliver``;
- ``entry_checkpoints``: the last *review or approval entry* this machine wrote
  (``EntryCheckpoint``), kept by ``labctl registry review`` / ``approve`` through
  ``Outbox.checkpoint_entry``, embedded or over HTTP.

- ``verified_checkpoints`` and ``verified_entry_checkpoints``: the head of each lab's
  *record* chain and *entry* chain as ``labctl registry verify`` last found the chain
  good from this machine (``VerifiedHead``, ``VerifiedEntryHead``), so that a machine
  that only reads (a quality office, an auditor) sees records or entries cut off the end
  of a chain since its last check, whoever wrote them.

All are signed the same way (``CHAINS`` says how each differs): Ed25519 with the key of
the labctl home over the RFC 8785 canonical JSON of the row's values (without the
signature) and the chain's ``kind``; the public key is kept beside it so a row that
was edited by hand shows as a bad signature, and ``verify`` asks that key be trusted.
"""

from __future__ import annotations

import base64
import sqlite3
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from labctl.registry.canonical import canonical_json

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

#: The columns every checkpoint has around its chain's own (``_Chain.fields``).
_COMMON_HEAD = ("target", "lab")
_COMMON_TAIL = ("at", "key_id", "public_key", "signature")


@dataclass(frozen=True, kw_only=True)
class _Signed:
    """What every checkpoint has: where and for which lab, when, and its signature (with
    the key and whether the signature verifies under it)."""

    target: str
    lab: str
    at: str
    key_id: str
    public_key: str
    signature: str
    signature_ok: bool


@dataclass(frozen=True, kw_only=True)
class Checkpoint(_Signed):
    """The last record this outbox delivered to ``target`` for ``lab``, signed."""

    record_id: str
    hash: str


@dataclass(frozen=True, kw_only=True)
class EntryCheckpoint(_Signed):
    """The last review or approval entry written from this machine to ``target`` for
    ``lab`` (its id, record, person, role and act, and its ``hash``), signed."""

    entry_id: str
    record_id: str
    person_id: str
    person_name: str
    role: str
    act: str
    hash: str


@dataclass(frozen=True, kw_only=True)
class VerifiedHead(_Signed):
    """The last record of ``lab``'s chain in ``target`` (its id and ``hash``, and how
    many records the lab had) when ``labctl registry verify`` last found the chain good
    here, signed."""

    record_id: str
    hash: str
    count: str


@dataclass(frozen=True, kw_only=True)
class VerifiedEntryHead(_Signed):
    """The last review or approval entry of ``lab``'s entry chain in ``target`` (its id,
    record and ``hash``, and how many entries the lab had) when ``labctl registry
    verify`` last found the entry chain good here, signed."""

    entry_id: str
    record_id: str
    hash: str
    count: str


@dataclass(frozen=True)
class _Chain:
    """How one chain's checkpoints are kept: table, signed kind, row type."""

    table: str
    kind: str
    row: type[Checkpoint] | type[EntryCheckpoint] | type[VerifiedHead] | type[VerifiedEntryHead]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self.row) if f.name != "signature_ok")

    @property
    def own(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c not in _COMMON_HEAD + _COMMON_TAIL)

    def schema(self) -> str:
        own = ",\n    ".join(f"{c} TEXT NOT NULL" for c in self.own)
        return (f"CREATE TABLE IF NOT EXISTS {self.table} (\n    target TEXT NOT NULL,\n"
                f"    lab TEXT NOT NULL,\n    {own},\n    at TEXT NOT NULL,\n"
                "    key_id TEXT NOT NULL,\n    public_key TEXT NOT NULL,\n"
                "    signature TEXT NOT NULL,\n    PRIMARY KEY (target, lab)\n)")


RECORDS = _Chain("checkpoints", "labctl-chain-checkpoint", Checkpoint)
ENTRIES = _Chain("entry_checkpoints", "labctl-entry-chain-checkpoint", EntryCheckpoint)
VERIFIED = _Chain("verified_checkpoints", "labctl-verified-chain-head", VerifiedHead)
VERIFIED_ENTRIES = _Chain("verified_entry_checkpoints", "labctl-verified-entry-chain-head",
                          VerifiedEntryHead)
CHAINS = (RECORDS, ENTRIES, VERIFIED, VERIFIED_ENTRIES)


def signed_bytes(chain: _Chain, values: dict[str, Any]) -> bytes:
    """What the signature covers: the row's values but the signature, and the kind."""
    return canonical_json({"kind": chain.kind,
                           **{c: values[c] for c in chain.columns if c != "signature"}})


def keep(conn: sqlite3.Connection, chain: _Chain, key: Ed25519PrivateKey,
         values: dict[str, str]) -> None:
    """Sign ``values`` (the chain's columns but ``key_id``, ``public_key`` and
    ``signature``) with ``key`` and put them in place of the (target, lab) row."""
    from labctl.registry.signing import key_id, public_key_text

    row = {**values, "key_id": key_id(key.public_key()),
           "public_key": public_key_text(key.public_key())}
    row["signature"] = base64.b64encode(key.sign(signed_bytes(chain, row))).decode("ascii")
    columns = chain.columns
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in _COMMON_HEAD)
    conn.execute(f"INSERT INTO {chain.table} ({', '.join(columns)}) VALUES "
                 f"({', '.join('?' for _ in columns)}) ON CONFLICT (target, lab) DO UPDATE "
                 f"SET {updates}", [row[c] for c in columns])


def forget(conn: sqlite3.Connection, chain: _Chain, target: str) -> int:
    """Delete the chain's checkpoints for ``target``; how many there were."""
    return conn.execute(f"DELETE FROM {chain.table} WHERE target = ?", (target,)).rowcount


def read(conn: sqlite3.Connection, chain: _Chain, target: str) -> list[Any]:
    """The chain's checkpoints for ``target``, one per lab, each with whether its
    signature verifies under the key kept beside it."""
    columns = chain.columns
    rows = conn.execute(f"SELECT {', '.join(columns)} FROM {chain.table} WHERE target = ? "
                        "ORDER BY lab", (target,)).fetchall()
    out = []
    for row in rows:
        values = dict(zip(columns, (str(v) for v in row), strict=True))
        out.append(chain.row(**values, signature_ok=_signature_ok(chain, values)))
    return out


def _signature_ok(chain: _Chain, values: dict[str, str]) -> bool:
    from labctl.registry.errors import SigningError
    from labctl.registry.signature_batch import signature_ok
    from labctl.registry.signing import key_id, load_public_key, raw_public_key

    try:
        public = load_public_key(values["public_key"])
    except SigningError:
        return False
    return key_id(public) == values["key_id"] and signature_ok(
        raw_public_key(public), values["signature"], signed_bytes(chain, values))
