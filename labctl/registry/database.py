"""The registry's database: URLs, engines, and transactions that fail clearly.

SQLite (embedded, the default) or PostgreSQL through psycopg 3. A connection failure
becomes ``RegistryUnavailable`` naming the registry; on SQLite a write transaction
begins with BEGIN IMMEDIATE and the file is kept in WAL mode with full syncs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from labctl.registry.errors import RegistryError, RegistryUnavailable
from labctl.registry.wal_checkpoint import BACKSTOP_PAGES


def parse_url(url: str) -> URL:
    """``url`` checked and normalised: absolute SQLite paths, psycopg 3 for PostgreSQL."""
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise RegistryError(f"{url!r} is not a registry URL",
                            hint="use sqlite:///path.db or postgresql+psycopg://user@host/db"
                            ) from err
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise RegistryError(f"registry URL {url!r}: driver {driver!r} is not supported",
                                hint="use sqlite:///path.db")
        if not not_a_path(parsed):
            absolute = Path(str(parsed.database)).expanduser().resolve()
            parsed = parsed.set(database=absolute.as_posix())
        return parsed
    if backend in ("postgresql", "postgres"):
        if driver not in ("", "psycopg"):
            raise RegistryError(f"registry URL {url!r}: driver {driver!r} is not supported",
                                hint="use postgresql+psycopg://user@host/db")
        return parsed.set(drivername="postgresql+psycopg")
    raise RegistryError(f"registry URL {url!r}: {backend!r} databases are not supported",
                        hint="use sqlite:///path.db or postgresql+psycopg://user@host/db")


def check_url(url: str | None) -> None:
    """Refuse (``RegistryError``) a registry URL that can never work, before anything
    is run: an unknown scheme or driver, or a SQLite file in a directory that does not
    exist. ``http://`` and ``https://`` (a registry server) are accepted without being
    reached; a database server is not reached either (it may be down only for now)."""
    if url is None:
        return
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme in ("http", "https"):
        if not url.partition("://")[2].strip("/"):
            raise RegistryError(f"registry URL {url!r} names no host",
                                hint="e.g. https://registry.example.org")
        return
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite" and not not_a_path(parsed):
        parent = Path(str(parsed.database)).parent
        if not parent.is_dir():
            raise RegistryError(f"registry URL {url!r}: directory {parent} does not exist",
                                hint="create it, or fix the path in the URL")
    elif parsed.get_backend_name() == "postgresql":
        from importlib.util import find_spec

        if find_spec("psycopg") is None:
            raise RegistryError(f"registry URL {url!r}: the PostgreSQL driver psycopg is "
                                "not installed", hint="pip install 'labctl[postgres]'")


def checkpointed_file(url: URL) -> str | None:
    """The SQLite file whose log a ``WalCheckpointer`` (started by ``Registry``)
    checkpoints, or None: another database, in memory, or a ``file:`` URI."""
    if url.get_backend_name() != "sqlite" or not_a_path(url):
        return None
    return str(url.database)


def not_a_path(url: URL) -> bool:
    """True for an in-memory SQLite database or a ``file:`` URI (left as given)."""
    database = url.database or ""
    return database in ("", ":memory:") or database.startswith("file:")


def make_engine(url: URL, shown: str) -> Engine:
    """A SQLAlchemy engine for ``url`` (``shown``: the URL as errors show it)."""
    try:
        if url.get_backend_name() == "sqlite":
            memory = url.database in (None, "", ":memory:")
            engine = create_engine(url, poolclass=StaticPool if memory else None,
                                   connect_args={"timeout": 30})
            _sqlite_transactions(engine, memory=memory,
                                 checkpointed=checkpointed_file(url) is not None)
            return engine
        return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})
    except ImportError as err:
        raise RegistryError(f"cannot use registry {shown}: {err}",
                            hint="install the driver: pip install 'labctl[postgres]'") from err
    except (ArgumentError, NoSuchModuleError) as err:
        raise RegistryError(f"cannot use registry {shown}: {err}") from err


def _sqlite_transactions(engine: Engine, *, memory: bool, checkpointed: bool) -> None:
    """Let SQLAlchemy, not the sqlite3 module, begin transactions (see the SQLAlchemy
    SQLite dialect docs), in WAL mode with full syncs, so records survive a power loss.
    ``checkpointed``: a ``WalCheckpointer`` checkpoints the file (``Registry`` starts
    one), so the connections' own automatic checkpoint is only its backstop."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        if not memory:
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute("PRAGMA synchronous=FULL")
        if checkpointed:
            dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("labctl_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def unavailable(shown: str, err: DBAPIError) -> RegistryUnavailable:
    """``RegistryUnavailable`` for a database error of the registry ``shown``."""
    reason = str(err.orig).strip().splitlines()[0] if err.orig is not None else str(err)
    return RegistryUnavailable(f"cannot reach the registry: {reason}", where=f"registry {shown}",
                               hint="check that the server is running and the URL is right")


class Transaction:
    """A transaction on the registry that turns connection failures into RegistryUnavailable.

    On SQLite a write transaction starts with BEGIN IMMEDIATE, so two writers queue on
    the database lock instead of failing when the second tries to write.
    """

    def __init__(self, engine: Engine, url: str, *, write: bool,
                 committed: Callable[[], None] | None = None):
        """``committed``: called after a write transaction committed."""
        self._engine = engine
        self._url = url
        self._write = write
        self._committed = committed
        self._conn: Connection | None = None
        self._tx: Any = None

    def __enter__(self) -> Connection:
        try:
            conn = self._engine.connect()
            if self._write:
                conn.execution_options(labctl_write=True)
            self._conn = conn
            self._tx = conn.begin()
        except DBAPIError as err:
            if self._conn is not None:
                self._conn.close()
            raise unavailable(self._url, err) from err
        return conn

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        assert self._conn is not None
        try:
            if exc_type is None:
                self._tx.commit()
                if self._committed is not None:
                    self._committed()
            else:
                self._tx.rollback()
        except DBAPIError as err:
            if exc_type is None:
                raise unavailable(self._url, err) from err
        finally:
            self._conn.close()
        if exc is not None and isinstance(exc, DBAPIError) and not isinstance(exc, IntegrityError):
            raise unavailable(self._url, exc) from exc
        return False
