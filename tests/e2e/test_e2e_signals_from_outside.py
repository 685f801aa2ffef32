"""SIGTERM, SIGINT and SIGHUP sent from ANOTHER process, at random journal lines, stop a
run cleanly every time: the journal keeps one line per seq (no repeated seq, however
the signal lands on the run's threads), the run ends ``aborted`` with the signal named,
``labctl run --resume RUN_ID`` finishes it, and the run has exactly one record.

The signal goes out when the run's journal writer holds right after the chosen line
(``LABCTL_TEST_JOURNAL_HOLD``), so each trial is reproducible from the seed. Thirty
trials, ten of each signal, on the short chaos procedure and the shipped simulated
bench, all in one worker process (a signal stops the run, not the process).
"""

from __future__ import annotations

import os
import random
import signal
from pathlib import Path

from e2e_interrupts import (
    Worker,
    journal_types,
    records_of,
    reference_lines,
    run_args,
    send,
    the_journal,
)

SEED = 20261203
TRIALS_PER_SIGNAL = 10


def test_signals_from_another_process_at_random_lines_always_resume(tmp_path: Path) -> None:
    home = tmp_path / "home"
    registry = f"sqlite:///{tmp_path / 'registry.db'}"
    worker = Worker({**os.environ, "LABCTL_HOME": str(home)})
    try:
        lines = reference_lines(worker, tmp_path, registry)
        rng = random.Random(SEED)
        signals = [signal.SIGTERM, signal.SIGINT, signal.SIGHUP] * TRIALS_PER_SIGNAL
        rng.shuffle(signals)
        for trial, sig in enumerate(signals):
            line = rng.randint(0, lines["run_finished"])
            where = f"trial {trial}: {sig.name} after journal line {line}"
            runs = tmp_path / f"runs-{trial}"
            status = worker.run(run_args(runs, registry), hold=line, on_hold=send(sig))
            log = "\n".join(worker.log[-15:])
            assert status == 130, f"{where}: status {status}\n{log}"
            assert worker.alive, where
            journal = the_journal(runs)
            types = journal_types(journal)  # refuses a repeated or a missing seq
            if line < lines["run_finished"]:
                # stopped right after the chosen line: torn down, run_finished aborted
                assert types[-1] == "run_finished", where
                assert len(types) > line + 1 and "record_stored" not in types, where
            else:  # at run_finished: the record stage stops before the outbox
                assert types[-1] == "run_finished" and len(types) == line + 1, where

            run_id = journal.parent.name
            status = worker.run([*run_args(runs, registry), "--resume", run_id])
            log = "\n".join(worker.log[-15:])
            assert status == 0, f"{where}: resume gave status {status}\n{log}"
            types = journal_types(journal)
            assert types[-2:] == ["run_finished", "record_stored"], where
            records = records_of(run_id, home / "outbox.db", registry)
            assert records.exactly_one and records.registry == records.outbox, \
                f"{where}: {records}"
    finally:
        worker.close()
