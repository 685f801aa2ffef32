"""Registry throughput and latency against raw database inserts, measured in the same run.

1. embedded: signed records pushed in batches (``Registry.push_many``; 200 a batch, as
   the outbox delivers them) into a SQLite registry, against raw sqlite3 inserts of the
   same canonical JSON in the same batches (same WAL and synchronous=FULL). Goal (issue
   11): >= 5,000 records/s. The CPU time of the pushing thread and of the signature
   worker process (labctl.registry.signature_process; one batch first starts it) is
   shown apart, and the parts of a push (canonicalisation, the Ed25519 check) are
   timed on the same records in one thread. ``--stored N``: both the registry and the
   raw table already hold N records (the rate of a registry in use; random keys in an
   index cost a page write a record once the index is large). The log pages written a
   record, for one batch with no checkpoint, count what the indexes cost in writes the
   same on any machine. Then the same records go the way a bench sends them: put in an
   outbox (``Outbox.put``, untimed), then ``Outbox.deliver`` into a copy of the same
   registry (timed): each record's JSON read from the outbox, checked against the
   record schema, pushed, and marked delivered, with the signed checkpoint kept.
2. http: ``labctl registry serve`` (a subprocess, uvicorn) on PostgreSQL; 4 client
   processes push pre-signed records through ``HttpRegistry.push_many``, each for its own
   lab (its own chain), in batches of ``--batch`` (and once one record per request);
   against raw psycopg inserts of the same JSON by 4 threads. Goal: >= 1,000 records/s.
   Meanwhile a reader asks for the newest record every 20 ms: how long it waits (p50, p99).
3. history: ``--history N`` rows generated in PostgreSQL (server side; small documents,
   10 records per instrument), then the p50/p99 of ``GET /v1/instruments/{serial}/history``
   over HTTP and of the same query through the store. Goal: p99 <= 10 ms at 10^6 records.

Run: ``python benchmarks/bench_registry_service.py [--records N] [--batch B]
[--stored N] [--history N] [--quick]``. Parts 2 and 3 need PostgreSQL (LABCTL_TEST_PG_URL or
postgresql+psycopg://postgres@127.0.0.1:5432/test); they are skipped with a message when
it does not answer. Each goal prints one line ending in OK or MISS.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_registry import _records  # noqa: E402  (the same records as bench_registry)
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

PG_URL = os.environ.get("LABCTL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def goal(name: str, value: float, target: float, unit: str, higher: bool = True) -> None:
    ok = value >= target if higher else value <= target
    sign = ">=" if higher else "<="
    print(f"goal {name}: {value:,.1f} {unit} (goal {sign} {target:,.0f}) {'OK' if ok else 'MISS'}")


# -- 1. embedded ----------------------------------------------------------------------------


def embedded(n: int, batch: int, repeats: int = 3, stored: int = 0) -> None:
    from labctl.registry.canonical import CanonicalDocument, load_json
    from labctl.registry.outbox import Outbox
    from labctl.registry.signing import verify_record
    from labctl.registry.store import open_registry

    key = Ed25519PrivateKey.generate()
    records = _records(stored + batch + n, key)
    before, records = records[:stored + batch], records[stored + batch:]
    # the documents as the outbox (and the service) hand them over: read from the
    # canonical JSON the outbox keeps
    before_docs = [load_json(r.canonical_json()) for r in before]
    bodies = [(r.id, r.canonical_json().decode()) for r in records]
    docs_in = [load_json(text) for _, text in bodies]
    pushes, raws, deliveries, problems = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        # the registry and the raw table as they are before the timed pushes: ``stored``
        # records already in them, then one batch (it starts the signature worker
        # process, once a process); copied afresh for each run
        reg_start, raw_start = Path(tmp, "registry.db"), Path(tmp, "raw.db")
        reg = open_registry(f"sqlite:///{reg_start.as_posix()}")
        reg.register_key(key.public_key())
        for i in range(0, len(before), 1000):
            reg.push_many(before[i:i + 1000], documents=before_docs[i:i + 1000])
        reg.close()
        raw = sqlite3.connect(raw_start, isolation_level=None)
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("CREATE TABLE records (id TEXT PRIMARY KEY, document TEXT NOT NULL)")
        raw.executemany("INSERT INTO records (id, document) VALUES (?, ?)",
                        [(r.id, r.canonical_json().decode()) for r in before])
        raw.close()
        for path in (reg_start, raw_start):
            _checkpointed(path)
        # the records waiting in a bench's outbox for the registry at ``deliver_url``
        deliver_path = Path(tmp, "deliver.db")
        deliver_url = f"sqlite:///{deliver_path.as_posix()}"
        outbox_start = Outbox(Path(tmp, "outbox.db"), key=key)
        for record in records:
            outbox_start.put(record, deliver_url)
        _checkpointed(outbox_start.path)
        # alternately, each time into a fresh copy: the machine's load moves both
        for k in range(repeats):
            raw_path = Path(tmp, f"raw{k}.db")
            shutil.copyfile(raw_start, raw_path)
            raw = sqlite3.connect(raw_path, isolation_level=None)
            raw.execute("PRAGMA journal_mode=WAL")
            raw.execute("PRAGMA synchronous=FULL")
            t0, c0 = time.perf_counter(), time.process_time()
            for i in range(0, n, batch):
                raw.execute("BEGIN IMMEDIATE")
                raw.executemany("INSERT INTO records (id, document) VALUES (?, ?)",
                                bodies[i:i + batch])
                raw.execute("COMMIT")
            raws.append((time.perf_counter() - t0, time.process_time() - c0))
            raw.close()
            reg_path = Path(tmp, f"registry{k}.db")
            shutil.copyfile(reg_start, reg_path)
            reg = open_registry(f"sqlite:///{reg_path.as_posix()}")
            t0, c0, m0 = time.perf_counter(), time.process_time(), time.thread_time()
            w0 = _worker_cpu()
            for i in range(0, n, batch):
                reg.push_many(records[i:i + batch], documents=docs_in[i:i + batch])
            pushes.append((time.perf_counter() - t0, time.process_time() - c0,
                           time.thread_time() - m0, _worker_cpu() - w0))
            problems += reg.verify_chain("Bench Lab")
            reg.close()
            # the same records from the outbox into a copy of the same registry
            shutil.copyfile(reg_start, deliver_path)
            outbox = Outbox(Path(tmp, f"outbox{k}.db"), key=key)
            shutil.copyfile(outbox_start.path, outbox.path)
            reg = open_registry(deliver_url)
            t0 = time.perf_counter()
            report = outbox.deliver(reg, batch=batch)
            deliveries.append(time.perf_counter() - t0)
            problems += [f"not delivered: {report.rejected or report.last_error}"] * \
                (len(report.delivered) != n) + reg.verify_chain("Bench Lab")
            reg.close()
        pages = _log_pages(reg_start, records[:batch], docs_in[:batch])

    # where the time of a push goes, on the same records
    docs = [r.document() for r in records]
    t0 = time.perf_counter()
    hashes = [CanonicalDocument(d, from_json=True).hash() for d in docs_in]
    t_canon = time.perf_counter() - t0
    t0 = time.perf_counter()
    for d, h in zip(docs, hashes, strict=True):
        verify_record(d, key.public_key(), computed_hash=h)
    t_verify = time.perf_counter() - t0
    import rfc8785

    t0 = time.perf_counter()
    for d in docs:
        rfc8785.dumps(d)
    t_rfc = time.perf_counter() - t0

    w_push = statistics.median(p[3] for p in pushes)
    t_push = statistics.median(p[0] for p in pushes)
    c_push = statistics.median(p[1] for p in pushes)
    m_push = statistics.median(p[2] for p in pushes)
    t_raw = statistics.median(r[0] for r in raws)
    us = 1e6 / n
    print(f"embedded: {n} records of {sum(len(b) for _, b in bodies) / n:.0f} bytes, batches "
          f"of {batch}, into a registry holding {stored + batch:,} records, median of "
          f"{repeats} runs; chain problems: {len(problems)}")
    print(f"  push_many {n / t_push:9.0f} records/s   raw sqlite3 {n / t_raw:9.0f} records/s   "
          f"ratio {t_push / t_raw:5.2f}x")
    print(f"  CPU a record: the pushing thread {m_push * us:4.0f} us (alone it would push "
          f"{n / m_push:,.0f} records/s), other threads {(c_push - m_push) * us:4.0f} us, the "
          f"signature worker process {w_push * us:4.0f} us")
    print(f"  parts, one thread, on the same records: canonical JSON + SHA-256 "
          f"{t_canon * us:4.0f} us (the rfc8785 package alone: {t_rfc * us:5.0f} us), "
          f"Ed25519 check {t_verify * us:4.0f} us")
    print(f"  log pages written a record (one batch, nothing checkpointed): {pages:.2f}")
    t_deliver = statistics.median(deliveries)
    print(f"  from the outbox (read, checked against the record schema, pushed, marked "
          f"delivered): {n / t_deliver:.0f} records/s, ratio to raw {t_deliver / t_raw:5.2f}x")
    goal("embedded SQLite push", n / t_push, 5000, "records/s")
    goal("embedded SQLite delivery from the outbox", n / t_deliver, 5000, "records/s")


def _checkpointed(path: Path) -> None:
    """Everything in the database file, the log emptied."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _log_pages(start: Path, batch: list[Any], docs: list[dict[str, Any]]) -> float:
    """Pages the registry writes to its log a record, for one batch pushed into a copy
    of ``start`` with nothing checkpointed meanwhile: what the indexes cost in writes,
    and the same on any machine."""
    from labctl.registry.store import open_registry

    path = start.with_name("pages.db")
    shutil.copyfile(start, path)
    reg = open_registry(f"sqlite:///{path.as_posix()}")
    reg._checkpointer = None  # only SQLite's own backstop, far off (10,000 pages)
    with reg._read() as conn:
        page_size = conn.exec_driver_sql("PRAGMA page_size").scalar()
    reg.push_many(batch, documents=docs)
    frames = Path(f"{path}-wal").stat().st_size // (page_size + 24)  # 24: a frame's header
    reg.close()
    return frames / len(batch)


def _worker_cpu() -> float:
    """CPU seconds the signature worker process (labctl.registry.signature_process) has
    used so far (Linux: from /proc; 0 elsewhere or before it started)."""
    from labctl.registry import signature_process

    worker = signature_process._worker
    if worker is None:
        return 0.0
    try:
        fields = Path(f"/proc/{worker._proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- PostgreSQL helpers ---------------------------------------------------------------------


def _pg_params() -> dict[str, Any]:
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL)
    return {"host": url.host, "port": url.port or 5432, "user": url.username,
            "password": url.password, "dbname": url.database}


def _pg_schema() -> tuple[str, str] | None:
    """A fresh schema and the registry URL that puts tables in it; None if no server."""
    import psycopg
    from sqlalchemy.engine import make_url

    try:
        with psycopg.connect(**_pg_params(), autocommit=True, connect_timeout=3) as conn:
            schema = f"labctl_bench_{uuid.uuid4().hex[:10]}"
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.Error as err:
        print(f"PostgreSQL at {PG_URL} does not answer ({' '.join(str(err).split())}): "
              "http and history parts skipped")
        return None
    url = make_url(PG_URL).set(query={"options": f"-csearch_path={schema}"})
    return schema, url.render_as_string(hide_password=False)


def _drop(schema: str) -> None:
    import psycopg

    with psycopg.connect(**_pg_params(), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Reading:
    """A reader asking the service for the newest record every 20 ms in a thread, while
    benches push: how long a reader waits behind the pushes (ms)."""

    def __init__(self, url: str, token: str):
        import httpx

        self._client = httpx.Client(base_url=url, timeout=30,
                                    headers={"authorization": f"Bearer {token}"})
        self.waits: list[float] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.wait(0.02):
            t0 = time.perf_counter()
            self._client.get("/v1/records", params={"limit": 1}).raise_for_status()
            self.waits.append((time.perf_counter() - t0) * 1000)

    def stop(self) -> list[float]:
        self._done.set()
        self._thread.join()
        self._client.close()
        return self.waits


class _Served:
    """``labctl registry serve`` in a subprocess."""

    def __init__(self, db: str, workers: int):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "labctl.cli", "registry", "serve", "--db", db, "--port",
             str(self.port), "--workers", str(workers), "--max-body", str(64 << 20)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the service did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)


def _client(url: str, token: str, lab: str, n: int, batch: int, start: Any, out: Any,
            ready: Any) -> None:
    from labctl.registry.canonical import load_json
    from labctl.registry.client import HttpRegistry

    key = Ed25519PrivateKey.generate()
    records = _lab_records(n, key, lab)
    # as the outbox hands them over: read from the canonical JSON it keeps
    docs = [load_json(r.canonical_json()) for r in records]
    with HttpRegistry(url, token=token) as reg:
        reg.push_many(records[:1], key.public_key())  # the key, and a warm connection
        ready.put(lab)
        start.wait()
        t0 = time.perf_counter()
        for i in range(1, n, batch):
            reg.push_many(records[i:i + batch], documents=docs[i:i + batch])
        out.put(time.perf_counter() - t0)


def _lab_records(n: int, key: Ed25519PrivateKey, lab: str) -> list[Any]:
    from labctl.registry.signing import sign_record

    previous = None
    out = []
    for record in _records(n, key):
        signed = sign_record(record.model_copy(update={"lab": lab}).linked_to(previous), key)
        previous = signed.hash
        out.append(signed)
    return out


def http(n_per_client: int, batch: int, workers: int) -> None:
    made = _pg_schema()
    if made is None:
        return
    schema, db = made
    from labctl.registry.store import open_registry
    from labctl.registry.tokens import create_token

    try:
        with open_registry(db) as reg:
            token = create_token(reg, "bench", "benchmark")[0]
            reader = create_token(reg, "reader", "benchmark reader")[0]
        served = _Served(db, workers)
        try:
            for size in (batch, 1):
                count = n_per_client if size > 1 else max(50, n_per_client // 10)
                ctx = multiprocessing.get_context("spawn")
                start, out, ready = ctx.Event(), ctx.Queue(), ctx.Queue()
                procs = [ctx.Process(target=_client, args=(
                    served.url, token, f"Lab {size}-{i}", count + 1, size, start, out, ready))
                    for i in range(4)]
                for p in procs:
                    p.start()
                for _ in procs:  # every client has signed its records and connected
                    ready.get(timeout=600)
                t0 = time.perf_counter()
                start.set()
                waits = _Reading(served.url, reader) if size > 1 else None
                times = [out.get(timeout=600) for _ in procs]
                wall = time.perf_counter() - t0
                read = waits.stop() if waits is not None else []
                for p in procs:
                    p.join()
                rate = 4 * count / wall
                print(f"http: 4 clients x {count} records, {size} per request, {workers} "
                      f"service process(es): {rate:,.0f} records/s (slowest client "
                      f"{max(times):.2f} s)")
                if size > 1:
                    batched_rate = rate
                    if len(read) >= 2:
                        q = statistics.quantiles(read, n=100, method="inclusive")
                        print(f"  a reader meanwhile (GET /v1/records?limit=1, every 20 ms): "
                              f"{len(read)} requests, p50 {q[49]:.1f} ms, p99 {q[98]:.1f} ms, "
                              f"slowest {max(read):.1f} ms")
        finally:
            served.stop()
        with open_registry(db) as reg:
            bad = sum(len(reg.verify_chain(lab)) for lab in reg.labs())
            print(f"  stored {reg.count()} records; chain problems: {bad}")
        raw_rate = _raw_pg(schema, n_per_client, batch)
        print(f"  raw psycopg inserts of the same JSON, 4 threads, {batch} per transaction: "
              f"{raw_rate:,.0f} records/s; ratio {raw_rate / batched_rate:.2f}x")
        goal("HTTP push, 4 clients, PostgreSQL", batched_rate, 1000, "records/s")
    finally:
        _drop(schema)


def _raw_pg(schema: str, n: int, batch: int) -> float:
    import psycopg

    key = Ed25519PrivateKey.generate()
    bodies = [(str(uuid.uuid4()), r.canonical_json().decode()) for r in _records(n, key)]
    with psycopg.connect(**_pg_params(), autocommit=True) as conn:
        conn.execute(f'CREATE TABLE "{schema}".raw (id text primary key, document text)')

    def insert(rows: list[tuple[str, str]]) -> None:
        with psycopg.connect(**_pg_params()) as conn:
            for i in range(0, len(rows), batch):
                with conn.transaction(), conn.cursor() as cur:
                    cur.executemany(f'INSERT INTO "{schema}".raw VALUES (%s, %s)',
                                    rows[i:i + batch])

    threads = [threading.Thread(target=insert, args=(
        [(f"{k}-{rid}", body) for rid, body in bodies],)) for k in range(4)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return 4 * n / (time.perf_counter() - t0)


# -- 3. history -----------------------------------------------------------------------------


def history(total: int, requests: int) -> None:
    made = _pg_schema()
    if made is None:
        return
    schema, db = made
    import psycopg

    from labctl.registry.store import open_registry
    from labctl.registry.tokens import create_token

    try:
        with open_registry(db) as reg:
            token = create_token(reg, "reader", "benchmark")[0]
        instruments = max(1, total // 10)
        t0 = time.perf_counter()
        with psycopg.connect(**_pg_params(), autocommit=True) as conn:
            # rows only: small documents, links unique; what history reads is the columns
            conn.execute(f'''
                INSERT INTO "{schema}".labctl_records (id, lab, link, hash, key_id, finished,
                    dut_maker, dut_model, dut_serial, procedure_id, procedure_version, decision,
                    document, pushed_at, family)
                SELECT md5(g::text || 'id')::uuid::text, 'History Lab', md5(g::text || 'l'),
                    md5(g::text) || md5(g::text || 'x'), '0123456789abcdef',
                    to_char(timestamp '2020-01-01' + g * interval '1 minute',
                            'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                    'Maker', 'M1', 'SN' || (g % {instruments}), 'scale-jjg539', '1.0.0',
                    CASE WHEN g % 17 = 0 THEN 'fail' ELSE 'pass' END,
                    '{{"id":"' || g || '","note":"generated for the history benchmark"}}',
                    '2026-01-01T00:00:00Z', 'weighing'
                FROM generate_series(1, {total}) AS g''')
            # what autovacuum does to a table after many inserts: statistics, and the
            # pages marked all-visible (which index-only scans need)
            conn.execute(f'VACUUM ANALYZE "{schema}".labctl_records')
        print(f"history: {total:,} rows generated in {time.perf_counter() - t0:.1f} s "
              f"({instruments:,} instruments, 10 records each)")
        rng = random.Random(7)
        serials = [f"SN{rng.randrange(instruments)}" for _ in range(requests)]
        served = _Served(db, 1)
        try:
            import httpx

            with httpx.Client(base_url=served.url, timeout=10,
                              headers={"Authorization": f"Bearer {token}"}) as client:
                client.get(f"/v1/instruments/{serials[0]}/history")
                lat = []
                for serial in serials:
                    t = time.perf_counter()
                    answer = client.get(f"/v1/instruments/{serial}/history")
                    lat.append(time.perf_counter() - t)
                    assert answer.status_code == 200 and len(answer.json()["records"]) == 10
        finally:
            served.stop()
        with open_registry(db) as reg:
            direct = []  # other instruments than over HTTP: neither pass reads warm pages
            for serial in [f"SN{rng.randrange(instruments)}" for _ in range(requests)]:
                t = time.perf_counter()
                reg.history(serial, limit=50)
                direct.append(time.perf_counter() - t)
        for name, values in (("HTTP", lat), ("store", direct)):
            q = statistics.quantiles(values, n=100)
            print(f"  {name:5s} history of one instrument: p50 {q[49] * 1e3:6.2f} ms, "
                  f"p99 {q[98] * 1e3:6.2f} ms ({len(values)} requests)")
        goal(f"history p99 over HTTP at {total:,} records",
             statistics.quantiles(lat, n=100)[98] * 1e3, 10, "ms", higher=False)
    finally:
        _drop(schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=2000, help="embedded: records")
    parser.add_argument("--stored", type=int, default=0,
                        help="embedded: records already in the registry (and in the raw "
                             "table) before the timed pushes")
    parser.add_argument("--per-client", type=int, default=1000, help="http: records a client")
    parser.add_argument("--batch", type=int, default=200,
                        help="records per push (default: the outbox's batch)")
    parser.add_argument("--workers", type=int, default=2, help="service processes")
    parser.add_argument("--history", type=int, default=100_000, help="rows for the history")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--only", choices=["embedded", "http", "history"])
    args = parser.parse_args()
    if args.quick:
        args.records, args.per_client, args.history = 400, 100, 5000
    if args.only in (None, "embedded"):
        embedded(args.records, args.batch, stored=args.stored)
    if args.only in (None, "http"):
        http(args.per_client, args.batch, args.workers)
    if args.only in (None, "history"):
        history(args.history, 200 if args.quick else 1000)


if __name__ == "__main__":
    main()
