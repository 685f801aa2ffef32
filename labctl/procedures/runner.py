"""The runner: executes a plan on a bench with a clock, journaling every event first.

``run_procedure`` checks and plans everything before anything moves, opens the journal,
and hands over to ``Runner``, which walks the plan through the state machine of
``labctl.procedures.state``. Each event is written to the journal (fsync'd) before the
``on_event`` callbacks (the progress display) see it.

Teardown is guaranteed on every way out. The normal end puts every instrument in its
safe state and journals ``run_finished`` (done). Ctrl-C, an instrument error or any
other exception: state ``aborting``, ``safe_state()`` of every instrument (each in its
own try, the errors collected without hiding the cause), an ``error`` event, then
``run_finished`` (aborted or failed), the journal closed, and a ``RunAborted`` raised
(``KeyboardInterrupt`` is re-raised as it is). The run can then be resumed.

The names live in smaller modules and are re-exported here, the import path the rest of
labctl and the tests use:

* ``labctl.procedures.launch``: ``run_procedure``, ``plan_run``;
* ``labctl.procedures.run_loop``: ``Runner``, ``OnEvent``, ``MAX_PAUSE``, ``PAUSE_POLL``;
* ``labctl.procedures.teardown``: the runner's safe states and last events;
* ``labctl.procedures.run_outcome``: ``RunOutcome``, ``RunAborted``, ``AbortRequested``;
* ``labctl.procedures.bench_access``: ``BenchLike``, what the runner needs of a bench.
"""

from __future__ import annotations

from labctl.procedures.bench_access import BenchLike
from labctl.procedures.launch import plan_run, run_procedure
from labctl.procedures.run_loop import MAX_PAUSE, PAUSE_POLL, OnEvent, Runner
from labctl.procedures.run_outcome import AbortRequested, RunAborted, RunOutcome

__all__ = [
    "MAX_PAUSE", "PAUSE_POLL", "AbortRequested", "BenchLike", "OnEvent", "RunAborted",
    "RunOutcome", "Runner", "plan_run", "run_procedure",
]
