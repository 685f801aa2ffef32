"""The outbox: a finished run's signed record waits here until the registry has it.

The outbox is a local SQLite file (``labctl.paths.outbox_path()``, beside the runs).
``put`` links a record to the lab's chain as this outbox knows it (the hash of the last
record it holds for that lab and registry), signs it with the lab key and commits it to
disk, noting the registry it is meant for: from then on the record survives a crash or
a power loss. ``deliver`` pushes the records pending for a registry in the order they
were put, with retries and exponential backoff while the registry cannot be reached.

Delivery sends records in batches (consecutive records of one lab signed by one key, up
to ``batch`` of them) in one push each; a batch the registry refuses for good is sent
again one record at a time, so only the bad record is marked rejected. Waits between
failed attempts grow exponentially with random jitter (tenacity's
``wait_exponential`` plus ``wait_random``).

After each delivery the outbox keeps a *checkpoint*: the last record it delivered to
that registry for that lab, signed with the lab key. ``labctl registry verify`` checks
that the registry still holds it, so cutting records off the end of a chain, which the
chain alone cannot show, is seen from every bench that delivered them. The outbox keeps
the same kind of checkpoint of the review-entry chain for ``labctl registry review`` /
``approve`` (``checkpoint_entry``); ``labctl.registry.checkpoints`` holds both.

Chaining happens here. Before a push the outbox does not ask the registry anything: it
pushes the record as stored. If the registry answers ``ChainMoved`` (its last hash for
the lab is not the record's ``previous``: another bench pushed, or this outbox is new),
the outbox re-links the record to the registry's last hash, re-signs it, saves that
form, and pushes again. Pushing the stored form first keeps delivery idempotent: if a
push reached the registry but its answer was lost, the retry finds the same record
there and is a no-op.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from labctl.registry import checkpoints
from labctl.registry.canonical import load_json, load_stored_json
from labctl.registry.checkpoints import (
    Checkpoint,
    EntryCheckpoint,
    VerifiedEntryHead,
    VerifiedHead,
)
from labctl.registry.errors import (
    ChainMoved,
    OutboxError,
    RegistryError,
    RegistryUnavailable,
)
from labctl.registry.gc_pause import collector_held
from labctl.registry.record import Record

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

    from labctl.registry.store import Registry

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    target TEXT NOT NULL,
    lab TEXT NOT NULL,
    hash TEXT NOT NULL,
    public_key TEXT NOT NULL,
    document TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'rejected')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    put_at TEXT NOT NULL,
    delivered_at TEXT
)
"""

@dataclass
class DeliveryReport:
    """What one ``Outbox.deliver`` did.

    ``delivered``: ids the registry now holds (pushed now, or found already there);
    ``rejected``: (id, reason) of records the registry refused for good (they stay in the
    outbox, marked rejected); ``pending``: ids still waiting (the registry could not be
    reached within ``max_attempts``); ``attempts``: pushes and opens tried.
    """

    delivered: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    attempts: int = 0
    last_error: str | None = None

    @property
    def ok(self) -> bool:
        """True when every record was delivered."""
        return not self.rejected and not self.pending


class Outbox:
    """The local outbox at ``path`` (default ``outbox_path()``).

    ``key`` signs records (default: the lab key, ``load_or_create_key()``, loaded when
    first needed); ``sleep`` is the function waited with between retries (tests pass a
    fake).
    """

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        key: Ed25519PrivateKey | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if path is None:
            from labctl.paths import outbox_path

            path = outbox_path()
        self.path = Path(path)
        self._key = key
        self._sleep = sleep
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise OutboxError(f"cannot create the outbox's directory: {err.strerror}",
                              where=str(self.path.parent),
                              hint="check LABCTL_HOME and permissions") from err
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_SCHEMA)
            for chain in checkpoints.CHAINS:
                conn.execute(chain.schema())

    # -- putting ----------------------------------------------------------------------

    def put(self, record: Record, registry: str | None = None) -> Record:
        """Link, sign and store ``record`` durably, for delivery to ``registry`` (a URL;
        None: the embedded registry); returns the stored (signed) record.

        Idempotent on the record id: putting the same content again returns the stored
        record; other content under a stored id raises ``OutboxError``. A record that
        is already signed must be signed by the outbox's key; it is stored as it is.
        """
        target = _registry_name(registry)
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            stored = conn.execute(
                "SELECT document FROM outbox WHERE id = ?", (record.id,)
            ).fetchone()
            if stored is not None:
                existing = Record.from_json(stored[0])
                if existing.content() != record.content():
                    raise OutboxError(
                        f"record {record.id} is already in the outbox with other content",
                        where=str(self.path),
                        hint="records are never changed: make a correction with a new id")
                return existing
            if record.signed and record.key_id != self._key_id():
                raise OutboxError(f"record {record.id} is signed by key {record.key_id}, "
                                  f"not by this outbox's key {self._key_id()}",
                                  where=str(self.path), hint="put it unsigned: the outbox signs")
            if not record.signed:
                previous = conn.execute(
                    "SELECT hash FROM outbox WHERE target = ? AND lab = ? "
                    "AND state != 'rejected' ORDER BY seq DESC LIMIT 1", (target, record.lab)
                ).fetchone()
                record = self._sign(record.linked_to(previous[0] if previous else None))
            conn.execute(
                "INSERT INTO outbox (id, target, lab, hash, public_key, document, state, put_at)"
                " VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)",
                (record.id, target, record.lab, record.hash, self._public_text(),
                 _text(record), _now()),
            )
        return record

    # -- reading ----------------------------------------------------------------------

    def get(self, record_id: str) -> Record:
        """The record as the outbox holds it now (after any re-link at delivery)."""
        with self._connect() as conn:
            row = conn.execute("SELECT document FROM outbox WHERE id = ?",
                               (record_id,)).fetchone()
        if row is None:
            raise OutboxError(f"no record {record_id} in the outbox", where=str(self.path))
        return Record.from_json(row[0])

    def state(self, record_id: str) -> str:
        """``pending``, ``delivered`` or ``rejected``."""
        with self._connect() as conn:
            row = conn.execute("SELECT state FROM outbox WHERE id = ?", (record_id,)).fetchone()
        if row is None:
            raise OutboxError(f"no record {record_id} in the outbox", where=str(self.path))
        return str(row[0])

    def pending(self, registry: str | None = None) -> list[Record]:
        """The records waiting for delivery to ``registry`` (a URL; None: the embedded
        registry), in the order they were put."""
        return self._pending(_registry_name(registry))

    def waiting(self) -> dict[str, int]:
        """How many records wait, by registry name (URL without password)."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT target, count(*) FROM outbox WHERE state = 'pending' GROUP BY target "
                "ORDER BY target"
            ).fetchall()
        return {target: count for target, count in rows}

    def _pending(self, target: str) -> list[Record]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT document FROM outbox WHERE state = 'pending' AND target = ? "
                "ORDER BY seq", (target,)
            ).fetchall()
        return [Record.from_json(text) for (text,) in rows]

    # -- delivering -------------------------------------------------------------------

    def deliver(
        self,
        registry: Registry | str | None = None,
        *,
        max_attempts: int = 5,
        base_delay: float = 1.0,
        max_delay: float = 60.0,
        jitter: float | None = None,
        batch: int = 200,
    ) -> DeliveryReport:
        """Push the records pending for ``registry``, oldest first, in batches.

        ``registry`` is an open registry (``Registry`` or ``HttpRegistry``), or a URL (None:
        the embedded registry) opened here, again on every retry. Only records put for that
        registry go. While the registry cannot be reached, wait ``base_delay * 2**(n-1)``
        seconds (at most ``max_delay``) plus a random jitter of up to ``jitter`` seconds
        (default ``base_delay / 2``) after the n-th failed attempt; after ``max_attempts``
        failed attempts in a row, stop: the rest stays pending for the next delivery. A
        record the registry refuses for good (same id with other content, a bad signature)
        is marked rejected and skipped.

        Only the records pending when the call starts are its business: a record another
        process (a concurrent run sharing this labctl home) puts meanwhile is left to
        that process and never reported as pending here.
        """
        from tenacity import wait_exponential, wait_random

        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        wait = wait_exponential(multiplier=base_delay, max=max_delay) + wait_random(
            0, base_delay / 2 if jitter is None else jitter)
        report = DeliveryReport()
        url: str | None = None
        opened: Registry | None = None
        own = registry is None or isinstance(registry, str)  # opened (and closed) here
        if own:
            url = registry  # type: ignore[assignment]
            target = _registry_name(url)
        else:
            opened = registry  # type: ignore[assignment]
            target = opened.url  # type: ignore[union-attr]
        failures = 0
        pending = self._pending_rows(target)  # documents are read a batch at a time
        mine_ids = [row.id for row in pending]  # other processes' later records are theirs
        single_until = 0  # after a refused batch, records before this index go one by one
        i = 0
        relink = False
        relinks = 0
        try:
            while i < len(pending):
                size = 1 if i < single_until else max(1, batch)
                group = [pending[i]]
                while (len(group) < size and i + len(group) < len(pending)
                       and pending[i + len(group)].joins(group[0])):
                    group.append(pending[i + len(group)])
                try:
                    with collector_held():
                        records, documents = self._read_batch([row.id for row in group])
                except _Unreadable as bad:
                    self._mark(bad.record_id, "rejected", str(bad))
                    report.rejected.append((bad.record_id, str(bad)))
                    at = next(k for k, row in enumerate(pending) if row.id == bad.record_id)
                    del pending[at]
                    single_until -= at < single_until
                    continue
                try:
                    if opened is None:
                        opened = _open(url)
                    if relink:
                        records = self._relink_all(records, opened.last_hash(records[0].lab))
                        documents = [_document(r) for r in records]
                        relink = False
                    report.attempts += 1
                    with collector_held():
                        opened.push_many(records, _load_key(group[0].public_key), documents)
                except ChainMoved as err:
                    # Another record took this place in the lab's chain: re-link and
                    # push again; only a registry that keeps moving counts as a failure.
                    relink = True
                    relinks += 1
                    if relinks == 1:
                        continue
                    error = str(err)
                except (RegistryUnavailable, OutboxError) as err:
                    error = str(err)
                    if own and opened is not None:
                        opened.close()
                        opened = None
                except RegistryError as err:  # refused for good: conflict, bad signature
                    if len(records) > 1:
                        single_until = i + len(records)
                        continue
                    self._mark(records[0].id, "rejected", str(err))
                    report.rejected.append((records[0].id, str(err)))
                    i += 1
                    relinks = 0
                    continue
                else:
                    failures = 0
                    relinks = 0
                    self._mark_delivered(target, records)
                    report.delivered.extend(r.id for r in records)
                    i += len(records)
                    continue
                failures += 1
                report.last_error = error
                self._note_failure(records[0].id, error)
                if failures >= max_attempts:
                    report.pending = self._still_pending(mine_ids)
                    return report
                self._sleep(wait(_RetryState(failures)))
        finally:
            if own and opened is not None:
                opened.close()
        report.pending = self._still_pending(mine_ids)
        return report

    # -- checkpoints ------------------------------------------------------------------

    def checkpoints(self, registry: str | None = None) -> list[Checkpoint]:
        """The signed checkpoints of record chains this outbox keeps for ``registry`` (a
        URL; None: the embedded registry), one per lab, with whether each signature
        verifies under the key that made it (``registry verify`` also asks that key be
        trusted)."""
        return self._notes(checkpoints.RECORDS, registry)

    def entry_checkpoints(self, registry: str | None = None) -> list[EntryCheckpoint]:
        """The signed checkpoints of review-entry chains kept for ``registry``, one per
        lab: the last entry written from this machine (``checkpoint_entry``)."""
        return self._notes(checkpoints.ENTRIES, registry)

    def checkpoint_entry(self, registry: str | None, entry: Mapping[str, Any]) -> None:
        """Keep a signed checkpoint of ``entry``, a review or approval entry just written
        to ``registry`` (the head of its lab's entry chain after the act), in place of the
        lab's previous one."""
        person = entry.get("person") or {}
        values = {"target": _registry_name(registry), "lab": str(entry["lab"]),
                  "entry_id": str(entry["id"]), "record_id": str(entry["record_id"]),
                  "person_id": str(person.get("id", "")),
                  "person_name": str(person.get("name", "")), "role": str(entry["role"]),
                  "act": str(entry["act"]), "hash": str(entry["hash"]), "at": _now()}
        self._keep_note(checkpoints.ENTRIES, values)

    def verified_heads(self, registry: str | None = None) -> list[VerifiedHead]:
        """The heads of ``registry``'s record chains as ``registry verify`` last found
        them good from this machine, one per lab, signed (``keep_verified_head``)."""
        return self._notes(checkpoints.VERIFIED, registry)

    def keep_verified_head(self, registry: str | None, lab: str, record_id: str,
                           record_hash: str, count: int) -> None:
        """Keep a signed note that ``record_id`` (``record_hash``) was the last of
        ``lab``'s ``count`` records in ``registry`` when its chain verified, in place of
        the lab's previous note."""
        self._keep_note(checkpoints.VERIFIED, {
            "target": _registry_name(registry), "lab": lab, "record_id": record_id,
            "hash": record_hash, "count": str(count), "at": _now()})

    def verified_entry_heads(self, registry: str | None = None) -> list[VerifiedEntryHead]:
        """The heads of ``registry``'s review-entry chains as ``registry verify`` last
        found them good from this machine, one per lab, signed."""
        return self._notes(checkpoints.VERIFIED_ENTRIES, registry)

    def keep_verified_entry_head(self, registry: str | None, lab: str, entry_id: str,
                                 record_id: str, entry_hash: str, count: int) -> None:
        """Keep a signed note that entry ``entry_id`` (about ``record_id``, with
        ``entry_hash``) was the last of ``lab``'s ``count`` entries in ``registry`` when
        its entry chain verified, in place of the lab's previous note."""
        self._keep_note(checkpoints.VERIFIED_ENTRIES, {
            "target": _registry_name(registry), "lab": lab, "entry_id": entry_id,
            "record_id": record_id, "hash": entry_hash, "count": str(count), "at": _now()})

    def forget_verified_heads(self, registry: str | None = None) -> int:
        """Drop the verified heads of record and entry chains noted for ``registry`` (a
        registry replaced on purpose, restored from a backup); how many were dropped."""
        target = _registry_name(registry)
        with self._connect() as conn:
            return sum(checkpoints.forget(conn, chain, target)
                       for chain in (checkpoints.VERIFIED, checkpoints.VERIFIED_ENTRIES))

    def _notes(self, chain: Any, registry: str | None) -> list[Any]:
        """The checkpoints of kind ``chain`` kept for ``registry``."""
        with self._connect() as conn:
            return checkpoints.read(conn, chain, _registry_name(registry))

    def _keep_note(self, chain: Any, values: dict[str, str]) -> None:
        """Sign and keep ``values`` as the checkpoint of kind ``chain`` of their lab."""
        with self._connect() as conn:
            checkpoints.keep(conn, chain, self._signing_key(), values)

    def _keep_checkpoint(self, conn: sqlite3.Connection, target: str, record: Record) -> None:
        values = {"target": target, "lab": record.lab, "record_id": record.id,
                  "hash": str(record.hash), "at": _now()}
        checkpoints.keep(conn, checkpoints.RECORDS, self._signing_key(), values)

    # -- internals --------------------------------------------------------------------

    def _still_pending(self, ids: list[str]) -> list[str]:
        with self._connect() as conn:
            pending = {rid for (rid,) in _rows_of(
                conn, "SELECT id FROM outbox WHERE state = 'pending' AND id IN ({})", ids)}
        return [rid for rid in ids if rid in pending]

    def _signing_key(self) -> Ed25519PrivateKey:
        if self._key is None:
            from labctl.registry.signing import load_or_create_key

            self._key = load_or_create_key()
        return self._key

    def _key_id(self) -> str:
        from labctl.registry.signing import key_id

        return key_id(self._signing_key().public_key())

    def _public_text(self) -> str:
        from labctl.registry.signing import public_key_text

        return public_key_text(self._signing_key().public_key())

    def _sign(self, record: Record) -> Record:
        from labctl.registry.signing import sign_record

        return sign_record(record, self._signing_key())

    def _pending_rows(self, target: str) -> list[_Waiting]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT id, lab, public_key FROM outbox WHERE state = 'pending' AND target = ? "
                "ORDER BY seq", (target,)
            ).fetchall()
        return [_Waiting(*row) for row in rows]

    def _read_batch(self, ids: list[str]) -> tuple[list[Record], list[dict[str, Any]]]:
        """The records ``ids`` as the outbox holds them now (a re-link saved its form),
        each with its document as read from its JSON (the form a registry checks
        fastest); ``_Unreadable`` names the first whose JSON is not a valid record."""
        with self._connect() as conn:
            texts = dict(_rows_of(conn, "SELECT id, document FROM outbox WHERE id IN ({})",
                                  ids))
        records, documents = [], []
        for rid in ids:
            try:
                # orjson reads it (several times faster than the standard library); a
                # document of plain JSON values skips the model's conversion walk
                doc, plain = load_stored_json(texts[rid])
                records.append(Record.model_validate(doc, context={"json": plain}))
            except (ValueError, TypeError) as err:  # pydantic's ValidationError is one
                raise _Unreadable(rid, err) from err
            documents.append(doc)
        return records, documents

    def _relink_all(self, batch: list[Record], previous: str | None) -> list[Record]:
        """Re-link a run of pending records of one lab after ``previous``, in order."""
        out = []
        for record in batch:
            relinked = self._relink(record, previous)
            previous = relinked.hash
            out.append(relinked)
        return out

    def _mark_delivered(self, target: str, batch: list[Record]) -> None:
        """Mark ``batch`` delivered to ``target`` and keep the checkpoint of its last
        record, in one transaction (one write to disk)."""
        now = _now()
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "UPDATE outbox SET state = 'delivered', last_error = NULL, delivered_at = ?, "
                "attempts = attempts + 1 WHERE id = ?", [(now, r.id) for r in batch])
            self._keep_checkpoint(conn, target, batch[-1])

    def _relink(self, record: Record, previous: str | None) -> Record:
        """Re-link a pending record after ``previous``, re-sign it and save that form."""
        relinked = self._sign(record.linked_to(previous))
        with self._connect() as conn:
            conn.execute("UPDATE outbox SET document = ?, hash = ?, public_key = ? WHERE id = ?",
                         (_text(relinked), relinked.hash, self._public_text(), record.id))
        return relinked

    def _mark(self, record_id: str, state: str, error: str | None) -> None:
        delivered_at = _now() if state == "delivered" else None
        with self._connect() as conn:
            conn.execute(
                "UPDATE outbox SET state = ?, last_error = ?, delivered_at = ?, "
                "attempts = attempts + 1 WHERE id = ?",
                (state, error, delivered_at, record_id),
            )

    def _note_failure(self, record_id: str, error: str) -> None:
        with self._connect() as conn:
            conn.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?",
                         (error, record_id))

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as err:
            raise OutboxError(f"cannot open the outbox: {err}", where=str(self.path),
                              hint="check LABCTL_HOME and permissions") from err
        try:
            conn.execute("PRAGMA synchronous=FULL")
            yield conn
            if conn.in_transaction:
                conn.execute("COMMIT")
        except BaseException as err:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(err, sqlite3.Error):
                raise OutboxError(f"outbox database error: {err}", where=str(self.path),
                                  hint="check the disk and permissions; retry") from err
            raise
        finally:
            conn.close()


def _registry_name(url: str | None) -> str:
    from labctl.registry.store import registry_name

    return registry_name(url)


def _open(url: str | None) -> Registry:
    from labctl.registry.store import open_registry

    return open_registry(url)


def _document(record: Record) -> dict[str, Any]:
    """The document of ``record`` as a registry reads it from its canonical JSON."""
    return load_json(record.canonical_json())


def _rows_of(conn: sqlite3.Connection, sql: str, ids: list[str]) -> Iterator[tuple[Any, ...]]:
    """The rows of ``sql``, whose ``IN ({})`` takes ``ids``, a few hundred at a time
    (SQLite bounds the number of parameters of a statement)."""
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        yield from conn.execute(sql.format(",".join("?" * len(part))), part)


@dataclass(frozen=True)
class _Waiting:
    """A record waiting for delivery: what groups it into a batch (its document is read
    when its batch goes)."""

    id: str
    lab: str
    public_key: str

    def joins(self, first: _Waiting) -> bool:
        """True when it can go in one push with ``first`` (same lab, same signing key)."""
        return self.lab == first.lab and self.public_key == first.public_key


class _Unreadable(Exception):
    """A document in the outbox is not a record this labctl can read."""

    def __init__(self, record_id: str, err: Exception):
        if isinstance(err, ValidationError):  # each problem as "where: what", the first 3
            problems = [f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {e['msg']}"
                        for e in err.errors()[:3]]
            what = "; ".join(problems) + ("; ..." if err.error_count() > 3 else "")
        else:
            what = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        super().__init__(f"the outbox's copy of record {record_id} is not a valid record "
                         f"({what}); it was not sent")
        self.record_id = record_id


def _text(record: Record) -> str:
    return record.canonical_json().decode("utf-8")


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class _RetryState:
    """The little of tenacity's RetryCallState its wait strategies read."""

    def __init__(self, attempt_number: int):
        self.attempt_number = attempt_number


def _load_key(text: str) -> Ed25519PublicKey:
    from labctl.registry.signing import load_public_key

    return load_public_key(text)
