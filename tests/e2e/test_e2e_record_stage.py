"""A finished run is never left without a record.

The journal gets ``run_finished`` before the record is built, signed and put in the
outbox; a kill -9 in between used to lose the record for good (``--resume`` refused a
finished run). Now ``labctl run --resume RUN_ID`` finishes the record stage under the
record id journalled at the start (the outbox put is idempotent on it) and journals
``record_stored``; a run whose record is stored is refused with a clear message.

The kills come from this process, at a chosen journal line of a run in another process
(``LABCTL_TEST_JOURNAL_HOLD``), so every trial is reproducible.
"""

from __future__ import annotations

import json
import os
import random
import signal
from pathlib import Path

import pytest
from e2e_interrupts import (
    Worker,
    journal_types,
    records_of,
    reference_lines,
    run_args,
    send,
    the_journal,
)

SEED = 539
KILL_TRIALS = 10


@pytest.fixture
def setup(tmp_path: Path):
    home = tmp_path / "home"
    env = {**os.environ, "LABCTL_HOME": str(home)}
    registry = f"sqlite:///{tmp_path / 'registry.db'}"
    worker = Worker(env)
    try:
        yield tmp_path, home, env, registry, worker
    finally:
        worker.close()


def _killed_at(line: int, env: dict[str, str], runs: Path, registry: str) -> None:
    victim = Worker(env)
    try:
        status = victim.run(run_args(runs, registry), hold=line, on_hold=send(signal.SIGKILL))
        assert status is None, f"not killed at line {line}: status {status}"
    finally:
        victim.close()


def test_kill_9_between_run_finished_and_the_outbox_then_resume_stores_one_record(
        setup) -> None:
    from labctl.procedures.journal import finished_journal_sha256, read_journal

    tmp_path, home, env, registry, worker = setup
    lines = reference_lines(worker, tmp_path, registry)
    runs = tmp_path / "runs"
    _killed_at(lines["run_finished"], env, runs, registry)
    journal = the_journal(runs)
    run_id = journal.parent.name
    assert journal_types(journal)[-1] == "run_finished"
    assert records_of(run_id, home / "outbox.db", registry).outbox == []  # lost, so far

    out = tmp_path / "record.json"
    status = worker.run([*run_args(runs, registry), "--resume", run_id, "--json", str(out)])
    assert status == 0, "\n".join(worker.log)
    events, _ = read_journal(journal)
    assert [e["type"] for e in events][-2:] == ["run_finished", "record_stored"]
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["id"] == events[0]["record_id"] == events[-1]["record_id"]
    assert record["journal_sha256"] == finished_journal_sha256(journal)
    records = records_of(run_id, home / "outbox.db", registry)
    assert records.outbox == [record["id"]] == records.registry

    # the run is whole now: another resume is refused, in one line, and stores nothing
    status = worker.run([*run_args(runs, registry), "--resume", run_id])
    assert status == 2
    assert any(f"run {run_id} is finished and its record {record['id']} is stored" in line
               for line in worker.log), worker.log
    assert records_of(run_id, home / "outbox.db", registry).outbox == [record["id"]]


def test_kill_9_at_random_lines_across_the_whole_run_leaves_exactly_one_record(
        setup) -> None:
    """Every journal line is a possible last one, the record stage's included: after
    the kill, ``--resume`` (or, when the record was stored, ``registry deliver``) ends
    every trial with exactly one record of the run, in the outbox and the registry."""
    tmp_path, home, env, registry, worker = setup
    lines = reference_lines(worker, tmp_path, registry)
    rng = random.Random(SEED)
    chosen = [lines["run_finished"], lines["record_stored"]]  # the last second, always
    chosen += [rng.randint(0, lines["record_stored"]) for _ in range(KILL_TRIALS - 2)]
    for trial, line in enumerate(chosen):
        where = f"trial {trial}: kill -9 after journal line {line}"
        runs = tmp_path / f"runs-{trial}"
        _killed_at(line, env, runs, registry)
        journal = the_journal(runs)
        run_id = journal.parent.name
        types = journal_types(journal)
        status = worker.run([*run_args(runs, registry), "--resume", run_id])
        if "record_stored" in types:
            assert status == 2 and any("is stored" in x for x in worker.log), where
            status = worker.run(["registry", "deliver", "--registry", registry])
        assert status == 0, f"{where}: status {status}\n" + "\n".join(worker.log[-15:])
        records = records_of(run_id, home / "outbox.db", registry)
        assert records.exactly_one and records.registry == records.outbox, \
            f"{where}: {records}"
