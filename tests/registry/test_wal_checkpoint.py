"""The embedded registry's log checkpoints in a thread of their own (``WalCheckpointer``):
after a push the log is copied into the database file without the pusher waiting; the
connections' own checkpoint stays only as a backstop; a checkpoint that fails is said
once and the registry goes on; a forked child starts its own thread; kill -9 in the
middle of pushes and checkpoints loses no committed record."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from labctl.registry.signing import sign_record
from labctl.registry.store import open_registry
from labctl.registry.wal_checkpoint import BACKSTOP_PAGES, WalCheckpointer


def _log_frames(path) -> tuple[int, int]:
    """(frames in the log, frames of it copied into the database) from a PASSIVE
    checkpoint that copies nothing new when everything is already copied."""
    conn = sqlite3.connect(path)
    try:
        _busy, log, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return log, copied
    finally:
        conn.close()


def _chain(make_record, lab_key, n):
    records, previous = [], None
    for _ in range(n):
        record = sign_record(make_record().linked_to(previous), lab_key)
        previous = record.hash
        records.append(record)
    return records


def test_a_push_is_checkpointed_by_the_thread(sqlite_url, make_record, lab_key):
    path = sqlite_url.removeprefix("sqlite:///")
    with open_registry(sqlite_url) as reg:
        reg.register_key(lab_key.public_key())
        with reg._read() as conn:
            backstop = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        assert backstop == BACKSTOP_PAGES
        reg.push_many(_chain(make_record, lab_key, 30))
        checkpointer = reg._checkpointer
    # close() ran the checkpoint still due and stopped the thread
    assert checkpointer.runs >= 1 and checkpointer.last_error is None
    assert not checkpointer._thread.is_alive()
    log, copied = _log_frames(path)
    assert log == copied  # every frame is in the database file
    with open_registry(sqlite_url) as reg:
        assert reg.count() == 30 and reg.verify_chain(make_record().lab) == []


def test_a_failing_checkpoint_is_said_once_and_pushes_go_on(tmp_path, caplog):
    not_a_database = tmp_path / "garbage.db"
    not_a_database.write_bytes(b"this is not a SQLite database" * 200)
    checkpointer = WalCheckpointer(str(not_a_database))
    with caplog.at_level(logging.WARNING, logger="labctl.registry.wal_checkpoint"):
        for _ in range(3):
            checkpointer.committed()
        checkpointer.close()
    assert isinstance(checkpointer.last_error, sqlite3.DatabaseError)
    warnings = [r for r in caplog.records if "background WAL checkpoint failed" in r.message]
    assert len(warnings) == 1 and str(not_a_database) in warnings[0].getMessage()
    checkpointer.committed()  # after close: nothing starts
    assert not checkpointer._thread.is_alive()


def test_a_checkpoint_busy_in_another_process_is_no_failure(tmp_path, caplog, monkeypatch):
    """A PASSIVE checkpoint does not wait for another connection's (a second service
    process on the same file): busy is skipped quietly, the next commit tries again."""
    import labctl.registry.wal_checkpoint as module

    class _Busy:
        def execute(self, _sql):
            err = sqlite3.OperationalError("database is locked")
            err.sqlite_errorcode = sqlite3.SQLITE_BUSY
            raise err

        def close(self):
            pass

    monkeypatch.setattr(module.sqlite3, "connect", lambda *a, **k: _Busy())
    checkpointer = WalCheckpointer(str(tmp_path / "registry.db"))
    with caplog.at_level(logging.WARNING, logger="labctl.registry.wal_checkpoint"):
        checkpointer.committed()
        checkpointer.close()
    assert checkpointer.last_error is None and checkpointer.runs == 0
    assert not [r for r in caplog.records if "checkpoint failed" in r.message]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_checkpoints_with_its_own_thread(sqlite_url, make_record, lab_key):
    path = sqlite_url.removeprefix("sqlite:///")
    records = _chain(make_record, lab_key, 6)
    with open_registry(sqlite_url) as reg:
        reg.register_key(lab_key.public_key())
        reg.push_many(records[:3])
        pid = os.fork()
        if pid == 0:  # the child pushes the rest; its checkpointer's thread is its own
            code = 1
            try:
                reg.push_many(records[3:])
                reg._checkpointer.close()
                code = 0 if reg._checkpointer.runs >= 1 else 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    log, copied = _log_frames(path)
    assert log == copied
    with open_registry(sqlite_url) as reg:
        assert reg.count() == 6 and reg.verify_chain(records[0].lab) == []


_PUSHER = textwrap.dedent("""
    import sys
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from labctl.registry.store import open_registry
    from labctl.registry.signing import sign_record
    sys.path.insert(0, sys.argv[3])
    from bench_registry import _records

    key = load_pem_private_key(open(sys.argv[2], "rb").read(), None)
    records = _records(1500, key)
    reg = open_registry(sys.argv[1])
    reg.register_key(key.public_key())
    for i in range(0, len(records), 50):
        reg.push_many(records[i:i + 50])
        print(i + 50, flush=True)
""")


def test_kill_9_while_pushing_and_checkpointing_keeps_every_committed_record(
        sqlite_url, tmp_path):
    """A process pushes 50 records at a time while its thread checkpoints; it is
    killed with SIGKILL after some pushes: every batch it said was stored is there,
    whole, and the chain verifies."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    key_file = tmp_path / "lab.pem"
    key_file.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    benchmarks = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks")
    proc = subprocess.Popen([sys.executable, "-c", _PUSHER, sqlite_url, str(key_file),
                             os.path.abspath(benchmarks)], stdout=subprocess.PIPE, text=True)
    said = 0
    assert proc.stdout is not None
    for line in proc.stdout:
        said = int(line)
        if said >= 300:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert said >= 300, "the pushing process ended before it was killed"
    with open_registry(sqlite_url) as reg:
        stored = reg.count()
        assert stored >= said and stored % 50 == 0
        assert reg.verify_chain("Bench Lab") == []
