"""The registry's schema, made and kept current by versioned migrations (Alembic).

``upgrade(engine, shown)`` brings a registry database to the current revision
(``HEAD``): a new database gets every revision in turn; a database made by a labctl from
before migrations (the ``labctl_records`` table but no version table) is stamped at
revision 0001, the schema it has, and upgraded from there, in place, nothing lost. The
check costs one query when the schema is current; Alembic is imported only when there
is something to do. Migrations run in one transaction that holds a lock (BEGIN
IMMEDIATE on SQLite, an advisory lock on PostgreSQL), so two processes starting at once
migrate once.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from labctl.registry.database import unavailable

#: The newest revision in ``migrations/versions``.
HEAD = "0004_chain_heads"
#: Where the revision of a registry's schema is kept.
VERSION_TABLE = "labctl_schema_version"
MIGRATIONS = Path(__file__).with_name("migrations")
_PG_LOCK = 0x6C616263746C  # an arbitrary advisory-lock number of labctl's schema


def current_revision(conn: Connection) -> str | None:
    """The schema revision of the registry on ``conn`` (None: not versioned yet)."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar_one_or_none()


def upgrade(engine: Engine, shown: str) -> str | None:
    """Bring the registry to ``HEAD``; returns the revision it was at (None: new or
    made before migrations). Raises ``RegistryUnavailable`` when it cannot be reached."""
    try:
        with engine.connect() as conn:
            if current_revision(conn) == HEAD:
                conn.rollback()
                return HEAD
            conn.rollback()
            conn.execution_options(labctl_write=True)
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:n)"), {"n": _PG_LOCK})
                before = current_revision(conn)  # again, under the lock
                if before != HEAD:
                    _run_alembic(conn, before)
            return before
    except DBAPIError as err:
        raise unavailable(shown, err) from err


def _run_alembic(conn: Connection, before: str | None) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    if before is None and inspect(conn).has_table("labctl_records"):
        command.stamp(config, "0001")  # made by create_all before migrations existed
    command.upgrade(config, HEAD)
