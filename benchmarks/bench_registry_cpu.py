"""CPU time a record of reading (``Registry.get``) and verifying (``verify_chain``) an
embedded SQLite registry, from ``time.thread_time()``: less noisy than wall time on a
shared machine, and it tells the verifying thread's own CPU from the worker threads'
(``time.process_time()`` counts them all).

Pushes N signed records (``bench_registry.py``'s, 7.2 kB each) in one batch, then gets
each by id and verifies the chain, each the best of 3 walks. Run:
``python benchmarks/bench_registry_cpu.py [N]`` (default 300); run it against the code
before a change too (``PYTHONPATH=<other checkout>``) and alternate the two.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from labctl.registry.store import open_registry

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_registry import _records  # noqa: E402  (the same records as bench_registry)


def _best_of_3(fn: Callable[[], Any]) -> tuple[float, float, float]:
    """The least wall, calling-thread CPU and process CPU of 3 calls (seconds)."""
    best = (float("inf"),) * 3
    for _ in range(3):
        wall, thread, process = time.perf_counter(), time.thread_time(), time.process_time()
        fn()
        best = min(best, (time.perf_counter() - wall, time.thread_time() - thread,
                          time.process_time() - process))
    return best


def main(n: int = 300) -> None:
    key = Ed25519PrivateKey.generate()
    records = _records(n, key)
    with tempfile.TemporaryDirectory() as tmp:
        reg = open_registry(f"sqlite:///{Path(tmp, 'registry.db').as_posix()}")
        reg.register_key(key.public_key())
        reg.push_many(records)
        ids = [r.id for r in records]
        problems = reg.verify_chain("Bench Lab")
        times = {"get": _best_of_3(lambda: [reg.get(i) for i in ids]),
                 "verify_chain": _best_of_3(lambda: reg.verify_chain("Bench Lab"))}
        reg.close()
    print(f"records: {n}, chain problems: {len(problems)}")
    for name, (wall, thread, process) in times.items():
        print(f"{name:12s} calling thread {thread / n * 1e6:7.1f} us/record   all threads "
              f"{process / n * 1e6:7.1f} us/record   wall {wall / n * 1e6:7.1f} us/record")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
