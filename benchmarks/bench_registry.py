"""Registry speed against raw sqlite3, measured in the same run.

Pushes N signed records (one transaction each) to an embedded SQLite registry, and
inserts the same canonical JSON with raw sqlite3 (one commit each, same WAL and
synchronous=FULL settings); then reads every record back by id both ways. Prints the
time per operation and the ratios. Run: ``python benchmarks/bench_registry.py [N]``.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from labctl.registry.record import Record
from labctl.registry.signing import sign_record
from labctl.registry.store import open_registry


def _point(i: int) -> dict[str, Any]:
    load = 0.5 + i
    return {
        "test": "weighing_error", "step": "weighing", "point": f"weighing/{i:02d}",
        "nominal": {"value": load, "unit": "kg"},
        "indication": {"value": load + 0.005, "unit": "kg"},
        "error": {"value": 0.005, "unit": "kg"},
        "expanded_uncertainty": {"value": 0.0029, "unit": "kg"}, "coverage_factor": 2.0,
        "mpe": {"value": 0.01, "unit": "kg"}, "decision": "pass",
        "rule": "simple acceptance", "notes": "",
        "budget": {"components": [{"name": "weight", "u": 0.0004, "dof": None},
                                  {"name": "rounding", "u": 0.00144, "dof": None}],
                   "u_c": 0.00145, "nu_eff": None},
    }


def _records(n: int, key: Ed25519PrivateKey) -> list[Record]:
    started = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)
    out: list[Record] = []
    previous = None
    for i in range(n):
        record = Record.model_validate({
            "id": str(uuid.uuid4()), "lab": "Bench Lab", "run_id": f"run-{i}",
            "dut": {"role": "dut", "driver": "mtsics", "maker": "Mettler", "model": "ICS425",
                    "serial": f"SN{i:06d}"},
            "standards": [{"register_id": "W-M1", "description": "M1 set", "certificate": "C-1",
                           "calibration_date": "2024-01-01", "due_date": "2026-01-01"}],
            "environment": {"source": "stated"},
            "procedure": {"id": "scale-jjg539", "version": "1.0.0", "title": "Scales",
                          "document": "JJG 539-2016", "kind": "verification",
                          "sha256": "a" * 64},
            "journal_sha256": "b" * 64, "points": [_point(j) for j in range(12)],
            "labctl_version": "0.1.0", "operator": "bench",
            "started": started.isoformat(), "finished": (started + timedelta(hours=1)).isoformat(),
        })
        signed = sign_record(record.linked_to(previous), key)
        previous = signed.hash
        out.append(signed)
    return out


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(n: int = 1000) -> None:
    key = Ed25519PrivateKey.generate()
    records = _records(n, key)
    bodies = [(r.id, r.canonical_json().decode()) for r in records]
    size = sum(len(b) for _, b in bodies) / n
    with tempfile.TemporaryDirectory() as tmp:
        reg = open_registry(f"sqlite:///{Path(tmp, 'registry.db').as_posix()}")
        reg.register_key(key.public_key())
        raw = sqlite3.connect(Path(tmp, "raw.db"), isolation_level=None)
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=FULL")
        raw.execute("CREATE TABLE records (id TEXT PRIMARY KEY, document TEXT NOT NULL)")

        def push_all() -> None:
            for r in records:
                reg.push(r)

        def raw_insert_all() -> None:
            for rid, body in bodies:
                raw.execute("BEGIN IMMEDIATE")
                raw.execute("INSERT INTO records (id, document) VALUES (?, ?)", (rid, body))
                raw.execute("COMMIT")

        def get_all() -> None:
            for r in records:
                reg.get(r.id)

        def raw_get_all() -> None:
            for rid, _ in bodies:
                json.loads(raw.execute("SELECT document FROM records WHERE id = ?",
                                       (rid,)).fetchone()[0])

        t_raw_insert = _timed(raw_insert_all)
        t_push = _timed(push_all)
        t_raw_get = _timed(raw_get_all)
        t_get = _timed(get_all)
        problems = reg.verify_chain("Bench Lab")
        t_verify = _timed(lambda: reg.verify_chain("Bench Lab"))
        reg.close()
        raw.close()

    us = 1e6 / n
    print(f"records: {n}, canonical JSON {size:.0f} bytes each, chain problems: {len(problems)}")
    print(f"push      {t_push * us:9.1f} us/record   raw sqlite3 insert {t_raw_insert * us:9.1f} "
          f"us/record   ratio {t_push / t_raw_insert:5.2f}x")
    print(f"get by id {t_get * us:9.1f} us/record   raw select + json  {t_raw_get * us:9.1f} "
          f"us/record   ratio {t_get / t_raw_get:5.2f}x")
    print(f"verify_chain {t_verify * us:9.1f} us/record")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
