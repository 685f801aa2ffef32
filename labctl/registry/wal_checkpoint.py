"""Checkpoints of an embedded (SQLite) registry's write-ahead log, in a thread of their own.

In WAL mode a commit appends the changed pages to the ``-wal`` file and syncs it; a
checkpoint later copies them into the database file and syncs that. SQLite runs the
checkpoint itself, inside the commit that takes the log past ``wal_autocheckpoint``
pages, so one push in three of 200 records waited for it; with ten indexes on a registry
of 40,000 records a checkpoint copied about 1,000 pages to places all over the file and
took about as long as the push's own commit (``benchmarks/bench_registry_service.py``).

``WalCheckpointer`` runs a PASSIVE checkpoint on a connection of its own after each
committed write, in a daemon thread: the sqlite3 module lets go of the GIL while SQLite
works, so the pushing thread prepares its next batch meanwhile. A PASSIVE checkpoint
never blocks a writer or a reader; it copies what it can and stops. The writers' own
automatic checkpoint stays as a backstop at ``BACKSTOP_PAGES`` (set by
``labctl.registry.database``), so the log stays bounded if this thread falls behind or
fails. A checkpoint interrupted by a crash or kill -9 leaves the log as it was: SQLite
copies it again at the next checkpoint (the log is the truth until then).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading

log = logging.getLogger(__name__)

#: The writers' own automatic checkpoint when this thread checkpoints (pages; about
#: 40 MB of 4 KiB pages): reached only when the thread falls behind.
BACKSTOP_PAGES = 10_000


class WalCheckpointer:
    """Checkpoints the SQLite database file ``path`` after each committed write
    (``committed``), coalesced: writes that commit while a checkpoint runs get one more
    after it. ``close`` stops the thread (and waits for a running checkpoint)."""

    def __init__(self, path: str, *, busy_timeout: float = 30.0):
        self._path = path
        self._busy_timeout = busy_timeout
        self._wake = threading.Condition()
        self._pending = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        #: checkpoints run and the last error (sqlite3.Error) one raised, for status
        self.runs = 0
        self.last_error: sqlite3.Error | None = None

    def committed(self) -> None:
        """A write transaction committed: checkpoint soon."""
        with self._wake:
            if self._closed:
                return
            if self._pid != os.getpid():  # a forked child: the thread stayed behind
                self._thread, self._pid = None, os.getpid()
            self._pending = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name=f"labctl WAL checkpoint {self._path}")
                self._thread.start()
            self._wake.notify()

    def close(self) -> None:
        """Run the checkpoint still due, then stop the thread."""
        with self._wake:
            self._closed = True
            self._wake.notify()
            thread = self._thread if self._pid == os.getpid() else None
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while True:
                with self._wake:
                    while not self._pending and not self._closed:
                        self._wake.wait()
                    if not self._pending:
                        return
                    self._pending = False
                try:
                    if conn is None:
                        conn = sqlite3.connect(self._path, timeout=self._busy_timeout,
                                               isolation_level=None, check_same_thread=False)
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.runs += 1
                except sqlite3.OperationalError as err:
                    if not _busy(err):
                        self._failed(err)
                    # else another process's checkpoint is copying the log right now
                except sqlite3.Error as err:
                    self._failed(err)
        finally:
            if conn is not None:
                conn.close()

    def _failed(self, err: sqlite3.Error) -> None:
        # The writers' backstop checkpoint keeps the log bounded; say why once.
        if self.last_error is None:
            log.warning("registry %s: background WAL checkpoint failed (%s); "
                        "SQLite's own checkpoints go on", self._path, err)
        self.last_error = err


def _busy(err: sqlite3.OperationalError) -> bool:
    """True for SQLITE_BUSY or SQLITE_LOCKED: a PASSIVE checkpoint does not wait for
    another connection's checkpoint (of a second service process, say)."""
    code = getattr(err, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(err) or "busy" in str(err)
