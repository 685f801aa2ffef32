"""Run a procedure on the fake bench and SIGKILL this process after N readings.

Used by the kill -9 test: ``python procedure_killed_run.py PROCEDURE JOURNAL N MODE``.
MODE ``after``: killed right after the N-th reading is journaled (fsync'd).
MODE ``torn``: the next journal write after the N-th reading is cut in half, then killed
(what a crash in the middle of a write leaves behind).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from procedure_fakes import make_bench  # noqa: E402

from labctl.procedures.launch import run_procedure  # noqa: E402
from labctl.procedures.loading import load_procedure  # noqa: E402


def main(procedure: str, journal: str, kill_after: int, mode: str) -> int:
    bench, clock = make_bench(environment=lambda t: 20.0)
    readings = 0
    real_write = os.write
    cut = False

    def write(fd: int, data: bytes) -> int:
        if cut:
            real_write(fd, bytes(data)[: len(data) // 2])
            os.kill(os.getpid(), signal.SIGKILL)
        return real_write(fd, data)

    def on_event(event: dict) -> None:
        nonlocal readings, cut
        if event["type"] == "reading":
            readings += 1
            if readings == kill_after:
                if mode == "after":
                    os.kill(os.getpid(), signal.SIGKILL)
                cut = True

    os.write = write  # the journal writes through os.write
    run_procedure(load_procedure(procedure), bench, clock=clock, journal_path=journal,
                  run_id="killed-run", on_event=on_event)
    return 3  # the run was not killed: the caller's test fails on this status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]))
