"""The registry: signed records in SQLite (embedded, the default) or PostgreSQL.

``open_registry(url)`` opens (and creates the tables of) a registry. ``Registry.push``
stores a signed record, idempotent on its id; records are never updated or deleted.
A push is refused unless the record's ``previous`` is the lab's last hash in this
registry (``ChainMoved``; the outbox then re-links, re-signs and pushes again), its hash
matches its content and its signature verifies under its key.

URLs: ``sqlite:///relative.db``, ``sqlite:////absolute/path.db``, ``sqlite://`` (in
memory), ``postgresql+psycopg://user:password@host:5432/database`` (``postgresql://`` is
taken to mean psycopg 3). To keep labctl's tables in a PostgreSQL schema, add
``?options=-csearch_path%3Dmyschema`` to the URL.

Engines and transactions are made in ``labctl.registry.database``; the checks of a stored
record's integrity are in ``labctl.registry.integrity``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError
from sqlalchemy import Connection, Engine, bindparam, func, insert, select, tuple_
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from labctl.registry import migrate
from labctl.registry.canonical import (
    CanonicalDocument,
    load_stored_json,
)
from labctl.registry.database import (
    Transaction,
    checkpointed_file,
    make_engine,
    not_a_path,
    parse_url,
)
from labctl.registry.errors import (
    ChainMoved,
    RecordNotFound,
    RegistryConflict,
    RegistryError,
    RegistryUnavailable,
)
from labctl.registry.family import family_of
from labctl.registry.integrity import DERIVED_COLUMNS, chain_problems, derived_columns
from labctl.registry.record import Record
from labctl.registry.reviews import ReviewBook, status_clause
from labctl.registry.signature_batch import PIECE, RecordChecks
from labctl.registry.signing import (
    key_id,
    load_public_key,
    public_key_text,
    raw_public_key,
    verify_record,
)
from labctl.registry.standards import standard_rows
from labctl.registry.tables import chain_end, chain_heads, keys, records, standards
from labctl.registry.wal_checkpoint import WalCheckpointer

_ID_PREFIX = re.compile(r"^[0-9a-f-]{4,36}$")


@dataclass(frozen=True)
class PushResult:
    """What a push did: ``created`` is False when the registry already had the record."""

    created: bool
    id: str
    hash: str


@dataclass(frozen=True)
class RecordSummary:
    """One line of ``Registry.list``."""

    id: str
    lab: str
    finished: str
    dut_maker: str
    dut_model: str
    dut_serial: str
    procedure_id: str
    procedure_version: str
    decision: str
    supersedes: str | None
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def open_registry(url: str | None = None) -> Any:
    """Open the registry at ``url`` (None: the embedded one, ``default_registry_url()``).

    A database URL gives a ``Registry``, its schema made or migrated to the current
    revision (``labctl.registry.migrate``); an ``http://`` or ``https://`` URL gives an
    ``HttpRegistry`` (``labctl.registry.client``) with the same reading and pushing
    methods, talking to ``labctl registry serve``. A URL labctl cannot use raises
    ``RegistryError``; a registry that cannot be reached raises ``RegistryUnavailable``.
    """
    if url is not None and url.partition("://")[0].lower() in ("http", "https"):
        from labctl.registry.client import HttpRegistry

        return HttpRegistry(url)
    if url is None:
        from labctl.paths import default_registry_url, registry_path

        registry_path().parent.mkdir(parents=True, exist_ok=True)
        url = default_registry_url()
    parsed = parse_url(url)
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite" and not not_a_path(parsed):
        parent = Path(str(parsed.database)).parent
        if not parent.is_dir():
            raise RegistryUnavailable(f"directory {parent} does not exist",
                                      where=f"registry {shown}",
                                      hint="create it or fix the path in the URL")
    engine = make_engine(parsed, shown)
    try:
        migrate.upgrade(engine, shown)
    except BaseException:
        engine.dispose()
        raise
    return Registry(engine, shown)


def registry_name(url: str | None = None) -> str:
    """The registry's URL as labctl shows it (absolute paths, no password); None: the
    embedded registry. Two URLs of the same registry give the same name."""
    if url is not None and url.partition("://")[0].lower() in ("http", "https"):
        from labctl.registry.client import service_name

        return service_name(url)
    if url is None:
        from labctl.paths import default_registry_url

        url = default_registry_url()
    return parse_url(url).render_as_string(hide_password=True)


class Registry(ReviewBook):
    """A registry of signed records (and their review and approval entries, see
    ``labctl.registry.reviews``). Use ``open_registry`` to get one."""

    def __init__(self, engine: Engine, url: str):
        self._engine = engine
        self.url = url
        self._known_keys: dict[str, Ed25519PublicKey] = {}
        database = checkpointed_file(engine.url)
        self._checkpointer = None if database is None else WalCheckpointer(database)

    # -- life -------------------------------------------------------------------------

    def close(self) -> None:
        """Release the database connections (after the last checkpoint of the log)."""
        if self._checkpointer is not None:
            self._checkpointer.close()
        self._engine.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Registry({self.url!r})"

    @property
    def _where(self) -> str:
        return f"registry {self.url}"

    # -- keys -------------------------------------------------------------------------

    def register_key(self, public_key: Ed25519PublicKey) -> str:
        """Store a lab's public key (by key id) so its records can be verified; idempotent."""
        kid = key_id(public_key)
        if kid in self._known_keys:
            return kid
        text = public_key_text(public_key)
        try:
            with self._write() as conn:
                stored = conn.execute(
                    select(keys.c.public_key).where(keys.c.key_id == kid)
                ).scalar_one_or_none()
                if stored is None:
                    conn.execute(insert(keys).values(key_id=kid, public_key=text,
                                                     added=_now()))
        except IntegrityError:  # another process stored it between our read and insert
            with self._read() as conn:
                stored = conn.execute(
                    select(keys.c.public_key).where(keys.c.key_id == kid)
                ).scalar_one_or_none()
        if stored is not None and stored != text:
            raise RegistryConflict(f"key id {kid} is already stored for another key",
                                   where=self._where)
        self._known_keys[kid] = public_key
        return kid

    def public_key(self, kid: str) -> Ed25519PublicKey | None:
        """The public key stored under ``kid``, or None."""
        if kid in self._known_keys:
            return self._known_keys[kid]
        with self._read() as conn:
            text = conn.execute(
                select(keys.c.public_key).where(keys.c.key_id == kid)
            ).scalar_one_or_none()
        if text is None:
            return None
        key = load_public_key(text)
        self._known_keys[kid] = key
        return key

    # -- writing ----------------------------------------------------------------------

    def push(self, record: Record, public_key: Ed25519PublicKey | None = None) -> PushResult:
        """Store a signed record; a no-op if the registry already holds the same record.

        ``public_key`` (the lab's) is registered first when given; otherwise the key must
        already be in the registry. Raises ``RegistryConflict`` for an id already stored
        with other content, ``ChainMoved`` when ``record.previous`` is not the lab's last
        hash, ``RegistryError`` for an unsigned or badly signed record.
        """
        return self.push_many([record], public_key)[0]

    def push_many(self, batch: list[Record], public_key: Ed25519PublicKey | None = None,
                  documents: list[dict[str, Any]] | None = None) -> list[PushResult]:
        """Store signed records in one transaction, in order (each record's ``previous``
        the hash of the one before it of its lab, the first's the lab's last hash here);
        all or none. Records already stored are no-ops, as in ``push``.

        ``documents``: the records' JSON documents as read from JSON text (``load_json``;
        the service and the outbox pass them), each validated as ``batch``'s record; they
        are what is hashed, checked and stored, which spares serialising the models again
        and lets canonical JSON take its fast path."""
        if public_key is not None:
            self.register_key(public_key)
        keys = [self._signer(record, public_key) for record in batch]
        docs = documents if documents is not None else [None] * len(batch)
        try:
            with self._write() as conn:
                return self._write_batch(conn, batch, docs, keys)
        except (IntegrityError, HeadMoved):
            # Someone pushed between our checks and our insert: the same records, or
            # other records of this lab taking the same place in the chain.
            with self._read() as conn:
                found = [self._existing(conn, record) for record in batch]
            if all(found):
                return found  # type: ignore[return-value]
            first = next(r for r, f in zip(batch, found, strict=True) if f is None)
            raise ChainMoved(f"record {first.id}: another record of lab {first.lab!r} took its "
                             "place in the chain", where=self._where,
                             hint="re-link and re-sign it; the outbox does this") from None

    def _signer(self, record: Record, public_key: Ed25519PublicKey | None) -> Ed25519PublicKey:
        """The stored key ``record`` is signed with (``public_key``, when given, must be it)."""
        name = f"record {record.id}"
        if not record.signed:
            raise RegistryError(f"{name} is not signed", where=self._where,
                                hint="sign it with signing.sign_record, or use the outbox")
        assert record.hash is not None and record.key_id is not None
        if public_key is not None and key_id(public_key) != record.key_id:
            raise RegistryError(f"{name} is signed by key {record.key_id}, not by the "
                                f"key given ({key_id(public_key)})", where=self._where)
        key = self.public_key(record.key_id)
        if key is None:
            raise RegistryError(f"{name} is signed by key {record.key_id}, unknown here",
                                where=self._where, hint="push with the lab's public key")
        return key

    def _row(self, record: Record, doc: dict[str, Any] | None = None,
             now: str | None = None) -> dict[str, Any]:
        """The row of one record, with its canonical JSON (``_canonical``, which gives the
        part its hash covers; the hash and the signature are checked apart,
        ``signature_batch``); the columns are read from the document, as ``verify`` reads
        them."""
        name = f"record {record.id}"
        from_json = doc is not None
        if doc is None:
            doc = record.document()
        if (doc.get("hash"), doc.get("signature"), doc.get("key_id")) != \
                (record.hash, record.signature, record.key_id):
            raise RegistryError(f"{name}: the document's hash, signature or key id is not "
                                "the record's", where=self._where,
                                hint="push the document the record was read from")
        canonical = CanonicalDocument(doc, what=name, from_json=from_json)
        row = derived_columns(doc)
        if row["id"] != record.id or row["lab"] != record.lab:
            raise RegistryError(f"{name}: the document's id or lab is not in canonical form",
                                where=self._where, hint="write ids as lowercase UUIDs")
        row.update({
            "link": doc.get("previous") or "",
            "document": canonical.json().decode("utf-8"),
            "pushed_at": now or _now(),
            "family": family_of(doc),
            "_standards": standard_rows(doc),
            "_doc": doc,
            "_canonical": canonical,
        })
        return row

    def _write_batch(self, conn: Connection, batch: list[Record],
                     docs: list[dict[str, Any] | None],
                     keys: list[Ed25519PublicKey]) -> list[PushResult]:
        """Write the batch a piece at a time, uncommitted: while the database writes a
        piece's rows, the workers (``signature_batch``) check its hashes and signatures,
        and this thread then prepares the next piece. The transaction commits only after
        every check passed; a bad record refuses the whole batch (rolled back)."""
        raws = {id(key): raw_public_key(key) for key in keys}
        chain = _ChainAppend(conn, batch)
        now = _now()
        results: list[PushResult] = []
        checks = RecordChecks(len(batch))  # claims the signature worker: failed() frees it
        try:
            for start in range(0, len(batch), WRITE_PIECE):
                part = slice(start, start + WRITE_PIECE)
                rows = [self._row(record, doc, now)
                        for record, doc in zip(batch[part], docs[part], strict=True)]
                checks.add([(raws[id(key)], str(record.signature), str(record.hash),
                             row["_canonical"]) for record, key, row in
                            zip(batch[part], keys[part], rows, strict=True)])
                new_rows = []
                for record, row in zip(batch[part], rows, strict=True):
                    existing = self._known(record, chain.stored.get(record.id))
                    if existing is None:
                        self._admit(chain, record, row)
                        new_rows.append(row)
                        existing = PushResult(created=True, id=record.id, hash=str(record.hash))
                    results.append(existing)
                if new_rows:
                    _insert_records(conn, new_rows)
                    chain.written += new_rows
            chain.move_heads()
            chain.insert_standards()
        finally:
            # Every record checked so far is awaited, even when writing failed (a
            # concurrent push of the same records): a record with a bad hash or signature
            # is named, and never gets a receipt.
            for i in checks.failed():
                problems = verify_record(docs[i] or batch[i].document(), keys[i])
                raise RegistryError("; ".join(problems or ["the hash or signature does not "
                                                           "verify"]),
                                    where=self._where,
                                    hint="records are signed after their last change")
        return results

    def _admit(self, chain: _ChainAppend, record: Record, row: dict[str, Any]) -> None:
        """Check that ``record`` goes on its lab's chain here (``ChainMoved`` if not) and
        that what it supersedes may be; note its standards."""
        head = chain.head(record.lab)
        if record.previous != head:
            raise ChainMoved(
                f"record {record.id} links to previous {_short(record.previous)} "
                f"but lab {record.lab!r}'s chain ends at {_short(head)}",
                where=self._where, hint="re-link and re-sign it; the outbox does this")
        if record.supersedes is not None:
            self._check_supersedes(chain.conn, record, chain.written)
        chain.heads[record.lab] = record.hash
        for standard in row["_standards"]:
            chain.standards.setdefault(
                (standard["lab"], standard["register_id"], standard["certificate"]), standard)

    # -- reading ----------------------------------------------------------------------

    def last_hash(self, lab: str) -> str | None:
        """The hash of the lab's last record in this registry, or None if it has none."""
        with self._read() as conn:
            return self._last_hash(conn, lab)

    def chain_head(self, lab: str) -> tuple[str, str, int] | None:
        """The id and hash of the lab's last record here and how many records the lab
        has, read together (None: the lab has none)."""
        with self._read() as conn:
            end = chain_end(conn, records, lab, "id", "hash")
        if end is None:
            return None
        (record_id, record_hash), count = end
        return str(record_id), str(record_hash), count

    def labs(self) -> list[str]:
        """The labs that have records here, sorted."""
        with self._read() as conn:
            return list(conn.execute(select(records.c.lab).distinct().order_by(records.c.lab))
                        .scalars())

    def count(self, lab: str | None = None) -> int:
        """How many records the registry holds (of ``lab``, if given)."""
        query = select(func.count()).select_from(records)
        if lab is not None:
            query = query.where(records.c.lab == lab)
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def list(
        self,
        limit: int | None = 50,
        lab: str | None = None,
        dut_serial: str | None = None,
        decision: str | None = None,
        status: str | None = None,
    ) -> list[RecordSummary]:
        """Summaries of the records, newest first, optionally filtered (``status``: the
        review status, ``labctl.registry.reviews.STATUSES``)."""
        query = select(
            records.c.id, records.c.lab, records.c.finished, records.c.dut_maker,
            records.c.dut_model, records.c.dut_serial, records.c.procedure_id,
            records.c.procedure_version, records.c.decision, records.c.supersedes,
            records.c.hash,
        ).order_by(records.c.seq.desc())
        if lab is not None:
            query = query.where(records.c.lab == lab)
        if dut_serial is not None:
            query = query.where(records.c.dut_serial == dut_serial)
        if decision is not None:
            query = query.where(records.c.decision == decision)
        if status is not None:
            query = query.where(status_clause(status))
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            return [RecordSummary(**row._asdict()) for row in conn.execute(query)]

    def resolve(self, id_or_prefix: str) -> str:
        """The full id of the one record whose id is, or starts with, ``id_or_prefix``."""
        wanted = id_or_prefix.strip().lower()
        if not _ID_PREFIX.match(wanted):
            raise RecordNotFound(f"{id_or_prefix!r} is not a record id or an id prefix",
                                 where=self._where, hint="give at least 4 characters of the id")
        with self._read() as conn:
            exact = conn.execute(
                select(records.c.id).where(records.c.id == wanted)
            ).scalar_one_or_none()
            if exact is not None:
                return exact
            found = list(conn.execute(
                select(records.c.id).where(records.c.id.startswith(wanted, autoescape=True))
                .order_by(records.c.seq).limit(3)
            ).scalars())
        if not found:
            raise RecordNotFound(f"no record {id_or_prefix!r}", where=self._where,
                                 hint="'labctl registry list' shows the ids")
        if len(found) > 1:
            raise RecordNotFound(f"{id_or_prefix!r} matches several records "
                                 f"({', '.join(i[:13] for i in found)}...)", where=self._where,
                                 hint="give more characters of the id")
        return found[0]

    def document(self, id_or_prefix: str) -> dict[str, Any]:
        """The record's JSON document exactly as stored."""
        return load_stored_json(self._stored_text(id_or_prefix))[0]

    def _stored_text(self, id_or_prefix: str) -> str:
        """The stored JSON text of the record with this id, or of the one record whose id
        starts with this prefix."""
        wanted = id_or_prefix.strip().lower()
        with self._read() as conn:
            text = conn.execute(_DOCUMENT, {"id": wanted}).scalar_one_or_none()
        if text is None:
            full = self.resolve(id_or_prefix)
            with self._read() as conn:
                text = conn.execute(_DOCUMENT, {"id": full}).scalar_one()
        return text

    def get(self, id_or_prefix: str) -> Record:
        """The record with this id, or the one record whose id starts with this prefix.

        A document that holds plain JSON values with finite numbers only (what labctl
        stores) is validated with the context ``{"json": True}``, which spares the walks
        that convert values given in Python (``record._read_from_json``); the result is
        the same."""
        doc, plain = load_stored_json(self._stored_text(id_or_prefix))
        try:
            return Record.model_validate(doc, context={"json": True} if plain else None)
        except ValidationError as err:
            first = err.errors()[0]
            place = ".".join(str(p) for p in first["loc"])
            raise RegistryError(
                f"record {doc.get('id')} cannot be read by this labctl: {place}: {first['msg']}",
                where=self._where, hint="upgrade labctl, or read it with --json") from err

    # -- verifying --------------------------------------------------------------------

    def verify(self, id_or_prefix: str,
               trusted: Mapping[str, Ed25519PublicKey] | None = None) -> list[str]:
        """Problems with one record's hash and signature ([] when it is good); with
        ``trusted`` (the trust anchor), a record signed by another key is a problem."""
        from labctl.registry.signing import verify_stored

        return verify_stored(self.document(id_or_prefix), self.public_key, trusted)

    def verify_chain(self, lab: str,
                     trusted: Mapping[str, Ed25519PublicKey] | None = None) -> list[str]:
        """Problems with a lab's chain: broken links, rows whose columns differ from their
        documents, bad hashes, bad signatures, and (with ``trusted``, the keys of the trust
        anchor) records signed by a key that is not trusted."""
        with self._read() as conn:
            known = {kid: load_public_key(text)
                     for kid, text in conn.execute(select(keys.c.key_id, keys.c.public_key))}
        columns = [records.c[name] for name, _ in DERIVED_COLUMNS]
        query = (
            select(records.c.seq, records.c.link, records.c.document, *columns)
            .where(records.c.lab == lab)
            .order_by(records.c.seq)
            .execution_options(yield_per=500)
        )
        with self._read() as conn:
            return chain_problems(lab, conn.execute(query), known, trusted)

    def chain_rows(self, lab: str, after_seq: int = 0, limit: int = 500) -> list[dict[str, Any]]:
        """A lab's rows as stored, every column, in chain order after ``after_seq``."""
        query = (select(records).where(records.c.lab == lab, records.c.seq > after_seq)
                 .order_by(records.c.seq).limit(limit))
        with self._read() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def has_record(self, lab: str, record_id: str, record_hash: str) -> bool:
        """True when the record ``record_id`` of ``lab`` is stored with this hash (the
        outbox checkpoints use it; found by id, which is indexed: hashes are not)."""
        with self._read() as conn:
            return conn.execute(
                select(records.c.seq).where(records.c.id == record_id, records.c.lab == lab,
                                            records.c.hash == record_hash)
            ).first() is not None

    def superseded_by(self, record_id: str) -> list[str]:
        """The ids of the records that supersede ``record_id`` (one at most, by rule)."""
        with self._read() as conn:
            return list(conn.execute(
                select(records.c.id).where(records.c.supersedes == record_id)
                .order_by(records.c.seq)).scalars())

    def stored_keys(self) -> dict[str, str]:
        """The public keys stored here (key id -> base64 of the raw key)."""
        with self._read() as conn:
            return dict(conn.execute(select(keys.c.key_id, keys.c.public_key)).all())

    def query(
        self,
        *,
        limit: int = 50,
        before_seq: int | None = None,
        lab: str | None = None,
        dut_serial: str | None = None,
        decision: str | None = None,
        procedure_id: str | None = None,
        family: str | None = None,
        finished_from: str | None = None,
        finished_to: str | None = None,
        supersedes: str | None = None,
        record_hash: str | None = None,
        status: str | None = None,
    ) -> list[dict[str, Any]]:
        """Record summaries (with ``seq``, ``family`` and ``pushed_at``), newest first,
        filtered; page on with ``before_seq`` = the last ``seq`` of the previous page.
        ``finished_from``/``finished_to``: ISO times (from inclusive, to exclusive)."""
        query = select(
            records.c.seq, records.c.id, records.c.lab, records.c.finished,
            records.c.dut_maker, records.c.dut_model, records.c.dut_serial,
            records.c.procedure_id, records.c.procedure_version, records.c.decision,
            records.c.supersedes, records.c.hash, records.c.family, records.c.pushed_at,
        ).order_by(records.c.seq.desc()).limit(limit)
        for column, value in ((records.c.lab, lab), (records.c.dut_serial, dut_serial),
                              (records.c.decision, decision),
                              (records.c.procedure_id, procedure_id),
                              (records.c.family, family), (records.c.supersedes, supersedes),
                              (records.c.hash, record_hash)):
            if value is not None:
                query = query.where(column == value)
        if before_seq is not None:
            query = query.where(records.c.seq < before_seq)
        if status is not None:
            query = query.where(status_clause(status))
        if finished_from is not None:
            query = query.where(records.c.finished >= finished_from)
        if finished_to is not None:
            query = query.where(records.c.finished < finished_to)
        with self._read() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def history(self, dut_serial: str, *, limit: int = 50,
                before_seq: int | None = None) -> list[dict[str, Any]]:
        """An instrument's record summaries by serial, newest first (as ``query`` gives
        them); page on with ``before_seq``. The statement is built once; the history
        index (migration 0003, covering on PostgreSQL) finds a page by its key, without
        counting past what earlier pages held (keyset pagination)."""
        params: dict[str, Any] = {"serial": dut_serial, "limit": limit}
        query = _HISTORY
        if before_seq is not None:
            params["before"] = before_seq
            query = _HISTORY_BEFORE
        with self._read() as conn:
            return [dict(zip(_SUMMARY_NAMES, row, strict=True))
                    for row in conn.execute(query, params)]

    def counts(self, column: str) -> dict[str, int]:
        """How many records there are by the value of ``column`` (decision, family,
        procedure_id, lab)."""
        col = records.c[column]
        with self._read() as conn:
            rows = conn.execute(select(col, func.count()).group_by(col).order_by(col)).all()
        return {str(value): int(n) for value, n in rows}

    # -- internals --------------------------------------------------------------------

    def _existing(self, conn: Connection, record: Record) -> PushResult | None:
        stored = conn.execute(
            select(records.c.hash).where(records.c.id == record.id)
        ).scalar_one_or_none()
        return self._known(record, stored)

    def _known(self, record: Record, stored: str | None) -> PushResult | None:
        """The receipt of a record already stored with hash ``stored`` (None: not stored);
        ``RegistryConflict`` when that is another record under the same id."""
        if stored is None:
            return None
        if stored == record.hash:
            return PushResult(created=False, id=record.id, hash=stored)
        raise RegistryConflict(
            f"record {record.id} is already stored with other content "
            f"(hash {stored[:12]}, pushed {str(record.hash)[:12]})", where=self._where,
            hint="records are never changed: push a correction with a new id and supersedes")

    @staticmethod
    def _last_hash(conn: Connection, lab: str) -> str | None:
        return conn.execute(
            select(records.c.hash).where(records.c.lab == lab)
            .order_by(records.c.seq.desc()).limit(1)
        ).scalar_one_or_none()

    def _check_supersedes(self, conn: Connection, record: Record,
                          batch: list[dict[str, Any]] = ()) -> None:  # type: ignore[assignment]
        lab = conn.execute(
            select(records.c.lab).where(records.c.id == record.supersedes)
        ).scalar_one_or_none()
        if lab is None:
            lab = next((r["lab"] for r in batch if r["id"] == record.supersedes), None)
        if lab is None:
            raise RegistryError(f"record {record.id} supersedes {record.supersedes}, "
                                "which is not in this registry", where=self._where,
                                hint="push the superseded record first")
        if lab != record.lab:
            raise RegistryError(f"record {record.id} of lab {record.lab!r} supersedes a record "
                                f"of lab {lab!r}", where=self._where,
                                hint="a lab corrects its own records only")
        # Two records superseding one would fork its history. The check is safe against
        # concurrent pushes: both records are of one lab, whose chain admits one at a time.
        other = conn.execute(
            select(records.c.id).where(records.c.supersedes == record.supersedes)
        ).scalar_one_or_none() or next(
            (r["id"] for r in batch if r["supersedes"] == record.supersedes), None)
        if other is not None:
            raise RegistryError(f"record {record.supersedes} is already superseded by {other}",
                                where=self._where,
                                hint=f"supersede the correction {other} instead, to chain them")

    def _read(self) -> Transaction:
        return Transaction(self._engine, self.url, write=False)

    def _write(self) -> Transaction:
        return Transaction(self._engine, self.url, write=True,
                           committed=self._checkpointer and self._checkpointer.committed)


_SUMMARY_COLUMNS = (
    records.c.seq, records.c.id, records.c.lab, records.c.finished, records.c.dut_maker,
    records.c.dut_model, records.c.dut_serial, records.c.procedure_id,
    records.c.procedure_version, records.c.decision, records.c.supersedes, records.c.hash,
    records.c.family, records.c.pushed_at)
#: their names as plain ``str`` (SQLAlchemy's are a subclass, which orjson refuses as keys)
_SUMMARY_NAMES = tuple(str.__str__(column.name) for column in _SUMMARY_COLUMNS)
_HISTORY = (select(*_SUMMARY_COLUMNS).where(records.c.dut_serial == bindparam("serial"))
            .order_by(records.c.seq.desc()).limit(bindparam("limit")))
_HISTORY_BEFORE = _HISTORY.where(records.c.seq < bindparam("before"))
#: built once: building the statement anew each call cost as much as reading the row
_DOCUMENT = select(records.c.document).where(records.c.id == bindparam("id"))

#: The first key of the advisory locks on PostgreSQL that serialise a lab's chain appends
#: (the two-key space, apart from the schema lock of ``labctl.registry.migrate``).
CHAIN_LOCK = 0x6C616263  # "labc"


def _lock_chains(conn: Connection, labs: set[str]) -> None:
    """Take the chain lock of each lab for the rest of the transaction, in a fixed order
    (no deadlock between two batches of several labs). On PostgreSQL this is an advisory
    transaction lock, so pushes of one lab from several service processes queue, and each
    reads the chain head after the one before it committed (READ COMMITTED reads anew at
    every statement): a push linked to an old head is refused as ``ChainMoved`` before it
    inserts anything. The unique (lab, link) constraint stays the last guard. SQLite
    needs nothing: a write transaction holds the database lock from BEGIN IMMEDIATE."""
    if conn.dialect.name != "postgresql":
        return
    for lab in sorted(labs):
        digest = hashlib.sha256(lab.encode("utf-8")).digest()
        conn.execute(_CHAIN_LOCK_SQL, {"space": CHAIN_LOCK,
                                       "key": int.from_bytes(digest[:4], "big", signed=True)})


_CHAIN_LOCK_SQL = sql_text("SELECT pg_advisory_xact_lock(:space, :key)")


class _ChainAppend:
    """What a push learns as it appends a batch to the labs' chains in one transaction:
    the ids already stored, each lab's head, the rows written so far, the standards."""

    def __init__(self, conn: Connection, batch: list[Record]):
        self.conn = conn
        _lock_chains(conn, {record.lab for record in batch})
        self.stored: dict[str, str] = dict(conn.execute(  # type: ignore[arg-type]
            select(records.c.id, records.c.hash)
            .where(records.c.id.in_([r.id for r in batch]))).all())
        self.heads: dict[str, str | None] = {}
        self._read_heads: dict[str, str | None] = {}
        self.written: list[dict[str, Any]] = []
        self.standards: dict[tuple[str, str, str], dict[str, str]] = {}

    def head(self, lab: str) -> str | None:
        if lab not in self.heads:
            self.heads[lab] = self._read_heads[lab] = Registry._last_hash(self.conn, lab)
        return self.heads[lab]

    def move_heads(self) -> None:
        """Move the row of ``labctl_chain_heads`` of each lab this push appended to from
        the head the push read to its last record, and only from there: ``HeadMoved``
        when another push moved it first (the guard against a fork of the chain)."""
        upsert = _UPSERT[self.conn.dialect.name]
        for lab, before in self._read_heads.items():
            if self.heads[lab] == before:
                continue
            statement = upsert(chain_heads).values(lab=lab, hash=self.heads[lab])
            statement = statement.on_conflict_do_nothing(index_elements=["lab"]) \
                if before is None else statement.on_conflict_do_update(
                    index_elements=["lab"], set_={"hash": statement.excluded.hash},
                    where=chain_heads.c.hash == before)
            if self.conn.execute(statement.returning(chain_heads.c.lab)).first() is None:
                raise HeadMoved(lab)

    def insert_standards(self) -> None:
        """Insert the standards the batch used that the registry does not hold yet."""
        if not self.standards:
            return
        known = set(self.conn.execute(
            select(standards.c.lab, standards.c.register_id, standards.c.certificate)
            .where(tuple_(standards.c.lab, standards.c.register_id,
                          standards.c.certificate).in_(list(self.standards)))).all())
        fresh = [row for k, row in self.standards.items() if k not in known]
        if fresh:
            self.conn.execute(insert(standards), fresh)


class HeadMoved(Exception):
    """Another push moved a lab's chain head after this push read it."""


#: INSERT ... ON CONFLICT of each dialect (the same statement, two modules)
_UPSERT: dict[str, Callable[..., Any]] = {"sqlite": sqlite_insert, "postgresql": pg_insert}


def _insert_records(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert rows of ``labctl_records`` (``Registry._row``'s, whose keys with a leading
    underscore are no columns) with the driver's own executemany: the statement is
    compiled once a dialect, so SQLAlchemy does not process each row's parameters."""
    sql, parameters = _INSERT_SQL.get(conn.dialect.name) or _compile_insert(conn)
    conn.exec_driver_sql(sql, [parameters(row) for row in rows])


#: The compiled INSERT of ``labctl_records`` by dialect, and what takes a row's
#: parameters out of its dict (a tuple in the statement's order, or a dict of the
#: columns for named parameters).
_INSERT_SQL: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {}


def _compile_insert(conn: Connection) -> tuple[str, Callable[[dict[str, Any]], Any]]:
    names = [c.name for c in records.columns if c.name != "seq"]
    compiled = insert(records).inline().compile(dialect=conn.dialect, column_keys=names)
    if compiled.positional and compiled.positiontup:
        parameters: Callable[[dict[str, Any]], Any] = itemgetter(*compiled.positiontup)
    else:
        def parameters(row: dict[str, Any]) -> dict[str, Any]:
            return {name: row[name] for name in names}
    _INSERT_SQL[conn.dialect.name] = (str(compiled), parameters)
    return _INSERT_SQL[conn.dialect.name]


#: How many rows of a batch are written at a time (while the workers check the
#: signatures of the rows before, and before the next rows are prepared).
WRITE_PIECE = PIECE


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _short(value: str | None) -> str:
    return "none (first record)" if value is None else value[:12]
