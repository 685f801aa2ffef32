"""A resume must not change what the record claims.

The run journals the SHA-256 of its bench, register and procedure files at its start.
Resumed with a changed file, it is refused with a message naming the file (or, with
``--accept-changed REASON``, the change and the reason are journalled and carried into
the record). ``--param`` and ``--seed`` other than the run's are refused, also by
``--dry-run``; a second operator is journalled and listed in the record.

Each test stops a run with SIGTERM from this process after journal line 12 (mid-run,
in the weighing step), then resumes it in the same worker process.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from e2e_interrupts import CHAOS_PROCEDURE, Worker, run_args, send, the_journal
from e2e_support import bench_copy, journal_events

STOP_AFTER_LINE = 12


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("home")
    w = Worker({**os.environ, "LABCTL_HOME": str(home)})
    yield w
    w.close()


def _stopped_run(worker: Worker, tmp_path: Path,
                 *extra: str) -> tuple[list[str], str, Path, Path]:
    """A run on a copy of the shipped bench and register, stopped mid-run; returns
    (the command's arguments, the run id, the journal, the bench copy)."""
    bench = bench_copy(tmp_path / "bench")
    argv = run_args(tmp_path / "runs", f"sqlite:///{tmp_path / 'registry.db'}",
                    procedure=CHAOS_PROCEDURE, bench=bench)
    status = worker.run([*argv, *extra], hold=STOP_AFTER_LINE, on_hold=send(signal.SIGTERM))
    assert status == 130, "\n".join(worker.log)
    journal = the_journal(tmp_path / "runs")
    return argv, journal.parent.name, journal, bench


def _error(worker: Worker) -> str:
    return "\n".join(line for line in worker.log if line.startswith("labctl: error"))


def test_a_changed_register_is_refused_naming_it_or_accepted_with_a_reason(
        worker: Worker, tmp_path: Path) -> None:
    argv, run_id, journal, bench = _stopped_run(worker, tmp_path)
    register = bench.parent / "register.yaml"
    register.write_text(register.read_text(encoding="utf-8").replace(
        "MC-2025-0412", "MC-2026-0001"), encoding="utf-8")
    assert worker.run([*argv, "--resume", run_id]) == 2
    error = _error(worker)
    assert f"cannot resume run {run_id}: the register file {register} has changed since " \
           f"the run started" in error and "--accept-changed REASON" in error
    assert journal_events(journal)[-1]["type"] == "run_finished"  # nothing was journalled

    out = tmp_path / "record.json"
    reason = "M1-A recalibrated during the stop; masses within U of the old certificate"
    status = worker.run([*argv, "--resume", run_id, "--accept-changed", reason,
                         "--json", str(out)])
    assert status == 0, "\n".join(worker.log)
    (resumed,) = [e for e in journal_events(journal) if e["type"] == "resumed_run"]
    (change,) = resumed["accepted_changes"]
    assert change["file"] == "register" and change["reason"] == reason
    assert change["was"] != change["now"]
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["accepted_changes"] == [change]


def test_a_changed_bench_file_is_refused(worker: Worker, tmp_path: Path) -> None:
    argv, run_id, _journal, bench = _stopped_run(worker, tmp_path)
    bench.write_text(bench.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    assert worker.run([*argv, "--resume", run_id]) == 2
    assert f"the bench file {bench} has changed" in _error(worker)


def test_another_seed_or_parameter_is_refused_also_by_the_dry_run(
        worker: Worker, tmp_path: Path) -> None:
    argv, run_id, journal, _bench = _stopped_run(worker, tmp_path, "--seed", "11")
    assert journal_events(journal)[0]["seed"] == 11
    for extra in ([], ["--dry-run"]):
        assert worker.run([*argv, "--resume", run_id, "--seed", "12", *extra]) == 2
        assert f"run {run_id} started with seed 11, not 12" in _error(worker)
        assert worker.run([*argv, "--resume", run_id, "--param", "category=in_service",
                           *extra]) == 2
        assert f"run {run_id} started with other parameters: category='initial'" \
            in _error(worker)
    # the same values are fine, and without --seed the run keeps its own seed (11)
    assert worker.run([*argv, "--resume", run_id, "--param", "category=initial"]) == 0, \
        "\n".join(worker.log)


def test_a_second_operator_is_recorded(worker: Worker, tmp_path: Path) -> None:
    argv, run_id, journal, _bench = _stopped_run(worker, tmp_path, "--operator", "A. First")
    out = tmp_path / "record.json"
    status = worker.run([*argv, "--resume", run_id, "--operator", "B. Second",
                         "--json", str(out)])
    assert status == 0, "\n".join(worker.log)
    (resumed,) = [e for e in journal_events(journal) if e["type"] == "resumed_run"]
    assert resumed["operator"] == "B. Second"
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["operator"] == "A. First"
    assert record["operators"] == ["A. First", "B. Second"]


def test_one_operator_throughout_adds_nothing_to_the_record(worker: Worker,
                                                            tmp_path: Path) -> None:
    argv, run_id, journal, _bench = _stopped_run(worker, tmp_path, "--operator", "A. First")
    out = tmp_path / "record.json"
    assert worker.run([*argv, "--resume", run_id, "--json", str(out)]) == 0
    (resumed,) = [e for e in journal_events(journal) if e["type"] == "resumed_run"]
    assert resumed["operator"] == "A. First"  # the run's operator, not the bench's
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["operator"] == "A. First" and "operators" not in record
    assert "accepted_changes" not in record
