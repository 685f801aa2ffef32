"""The registry's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

``labctl_records`` holds each record's canonical JSON exactly as signed (``document``)
plus a few columns copied out of it for listing. ``seq`` gives the order records were
pushed in; ``link`` is the record's ``previous`` ('' for a lab's first record); a push
moves the lab's row of ``labctl_chain_heads`` from the head it linked to, so a lab's
chain can never fork even with concurrent pushes.
Triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL): records are never
changed; a correction is a new record that names the one it supersedes.

These definitions are what queries use; the schema itself (tables, indexes, triggers) is
made by the migrations in ``migrations/versions`` (``labctl.registry.migrate``), which
must agree with them.

``labctl_tokens`` holds the service's bearer tokens by role, as SHA-256 of the token.

``labctl_chain_heads`` holds each lab's last record, moved by every push (the guard
against a fork, see there).

``labctl_keys`` holds the public keys records were signed with, by key id, so a
registry can be verified anywhere.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    select,
)

metadata = MetaData()


def chain_end(conn: Any, table: Table, lab: str, *columns: str) -> tuple[Any, int] | None:
    """``columns`` of the last row of ``lab``'s chain in ``table`` (records or review
    entries) and how many rows the lab has, read in one connection (None: it has none)."""
    row = conn.execute(select(*(table.c[name] for name in columns))
                       .where(table.c.lab == lab)
                       .order_by(table.c.seq.desc()).limit(1)).first()
    if row is None:
        return None
    return row, int(conn.execute(select(func.count()).select_from(table)
                                 .where(table.c.lab == lab)).scalar_one())


def _chain_columns(*, unique_hash: bool = True) -> list[Column]:  # type: ignore[type-arg]
    """The columns of a signed chain's table, records and review entries alike: push
    order, id, lab, the previous hash (``link``), the hash and the signing key.
    ``unique_hash``: an index that keeps hashes unique (records have none, see 0004)."""
    return [
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("id", String(36), nullable=False, unique=True),
        Column("lab", String(200), nullable=False),
        Column("link", String(64), nullable=False),
        Column("hash", String(64), nullable=False, unique=unique_hash),
        Column("key_id", String(16), nullable=False),
    ]


records = Table(
    "labctl_records",
    metadata,
    *_chain_columns(unique_hash=False),
    Column("supersedes", String(36)),
    Column("finished", String(40), nullable=False),
    Column("dut_maker", String(200), nullable=False),
    Column("dut_model", String(200), nullable=False),
    Column("dut_serial", String(200), nullable=False),
    Column("procedure_id", String(200), nullable=False),
    Column("procedure_version", String(50), nullable=False),
    Column("decision", String(20), nullable=False),
    Column("document", Text, nullable=False),
    Column("pushed_at", String(40), nullable=False),
    Column("family", String(100)),
    # no unique (lab, link) and no unique hash since 0004: labctl_chain_heads guards the
    # chains, and an id (unique) is inside what the hash covers
    Index("ix_labctl_records_lab_seq", "lab", "seq"),
    # history by serial: (dut_serial, seq) on SQLite (0002); on PostgreSQL a covering
    # (dut_serial, seq DESC) INCLUDE (...) index, ix_labctl_records_history (0003)
    sqlite_autoincrement=True,
)

chain_heads = Table(
    "labctl_chain_heads",
    metadata,
    Column("lab", String(200), primary_key=True),
    Column("hash", String(64), nullable=False),
)
"""Each lab's last record (migration 0004): a push moves it from the head it read to its
own last record, and only from there, so two pushes can never fork a lab's chain (the
unique (lab, link) of records did this before, at the price of an index with a random
key written by every record). Records stay the truth: ``verify`` walks them, not this."""

keys = Table(
    "labctl_keys",
    metadata,
    Column("key_id", String(16), primary_key=True),
    Column("public_key", String(64), nullable=False),
    Column("added", String(40), nullable=False),
)

tokens = Table(
    "labctl_tokens",
    metadata,
    Column("token_id", String(16), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("label", String(200), nullable=False),
    Column("created", String(40), nullable=False),
    Column("revoked", String(40)),
    Column("person", String(64)),  # 0003: the person a reviewer token acts as
)

reviews = Table(
    "labctl_reviews",
    metadata,
    *_chain_columns(),
    Column("record_id", String(36), nullable=False),
    Column("act", String(20), nullable=False),
    Column("decision", String(20), nullable=False),
    Column("person_id", String(64), nullable=False),
    Column("time", String(40), nullable=False),
    Column("document", Text, nullable=False),
    UniqueConstraint("lab", "link", name="uq_labctl_reviews_chain"),
    UniqueConstraint("record_id", "act", name="uq_labctl_reviews_act"),
    sqlite_autoincrement=True,
)
"""Review and approval entries (migration 0003): one signed entry per act, chained per
lab; see ``labctl.registry.reviews``."""

standards = Table(
    "labctl_standards",
    metadata,
    Column("lab", String(200), primary_key=True),
    Column("register_id", String(200), primary_key=True),
    Column("certificate", String(200), primary_key=True),
    Column("description", Text, nullable=False),
    Column("calibration_date", String(10), nullable=False),
    Column("due_date", String(10), nullable=False),
    Column("first_record", String(36), nullable=False),
)
