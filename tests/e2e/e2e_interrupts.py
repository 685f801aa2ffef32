"""Interrupting runs from another process, at a chosen journal line: the harness of the
interruption tests (test_e2e_signals_from_outside.py, test_e2e_record_stage.py) and of
``benchmarks/chaos.py``.

A ``Worker`` is a ``labctl`` process (e2e_worker.py) fed commands on its standard input.
``Worker.run(argv, hold=N, on_hold=...)`` runs one command with
``LABCTL_TEST_JOURNAL_HOLD=N``: the journal writer stops right after line N (its
``seq``) is on disk and says so on standard error; ``on_hold`` then gets the worker's
pid and sends what it likes (SIGTERM, SIGINT, SIGHUP, SIGKILL) from this process.
``records_of`` counts the records of a run in the outbox and in the registry.
"""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
WORKER = HERE / "e2e_worker.py"
CHAOS_PROCEDURE = HERE / "e2e-chaos-scale.yaml"
SHIPPED_BENCH = ROOT / "benches" / "sim-scale.yaml"
HOLD_ENV = "LABCTL_TEST_JOURNAL_HOLD"
HOLD_MARKER = "labctl-test-hold: seq"
STATUS_MARKER = "labctl-test-worker: status"


class Worker:
    """A labctl process serving commands (see e2e_worker.py); ``close()`` ends it."""

    def __init__(self, env: Mapping[str, str], cwd: Path = ROOT) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER)], cwd=cwd, env=dict(env), stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, bufsize=1)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def run(self, argv: Sequence[str], *, hold: int | None = None,
            on_hold: Callable[[int], None] | None = None,
            timeout: float = 180.0) -> int | None:
        """Run ``labctl argv``; the exit status, or None if the process died."""
        command = {"argv": list(argv), "env": {HOLD_ENV: None if hold is None else str(hold)}}
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        self.log = []
        while True:
            line = self.lines.get(timeout=timeout)
            if line is None:
                self.proc.wait(timeout=timeout)
                return None
            self.log.append(line)
            if line.startswith(HOLD_MARKER) and on_hold is not None:
                on_hold(self.proc.pid)
            elif line.startswith(STATUS_MARKER):
                return int(line.split()[-1])

    def close(self) -> None:
        if self.alive:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def send(sig: int) -> Callable[[int], None]:
    """An ``on_hold`` that sends ``sig`` to the held process."""
    return lambda pid: os.kill(pid, sig)


def run_args(runs_dir: Path, registry: str, *, procedure: Path = CHAOS_PROCEDURE,
             bench: Path = SHIPPED_BENCH) -> list[str]:
    return ["run", str(procedure), "--bench", str(bench), "--runs-dir", str(runs_dir),
            "--registry", registry, "-q"]


def the_journal(runs_dir: Path) -> Path:
    (journal,) = sorted(runs_dir.glob("*/journal.jsonl"))
    return journal


def journal_types(journal: Path) -> list[str]:
    from labctl.procedures.journal import read_journal

    events, _problems = read_journal(journal)  # raises on a repeated or missing seq
    return [str(e["type"]) for e in events]


@dataclass
class Records:
    outbox: list[str] = field(default_factory=list)     # record ids of the run there
    registry: list[str] = field(default_factory=list)

    @property
    def exactly_one(self) -> bool:
        return len(set(self.outbox)) == 1 == len(self.outbox) and \
            self.registry in ([], self.outbox)


def records_of(run_id: str, outbox_path: Path, registry: str | None = None) -> Records:
    """The records of ``run_id`` in the outbox file and in the registry."""
    found = Records()
    if outbox_path.exists():
        with sqlite3.connect(outbox_path) as conn:
            for (text,) in conn.execute("SELECT document FROM outbox"):
                if json.loads(text).get("run_id") == run_id:
                    found.outbox.append(json.loads(text)["id"])
    if registry is not None:
        from labctl.registry.store import open_registry

        with open_registry(registry) as reg:
            for summary in reg.list(limit=None):
                if reg.document(summary.id).get("run_id") == run_id:
                    found.registry.append(summary.id)
    return found


def reference_lines(worker: Worker, folder: Path, registry: str) -> dict[str, int]:
    """Run the chaos procedure once, uninterrupted: the seq of its ``run_finished`` and
    of its ``record_stored`` (the same on every run of the seeded bench)."""
    runs = folder / "reference-runs"
    status = worker.run(run_args(runs, registry))
    assert status == 0, "\n".join(worker.log[-20:])
    types = journal_types(the_journal(runs))
    return {"run_finished": types.index("run_finished"),
            "record_stored": types.index("record_stored")}
