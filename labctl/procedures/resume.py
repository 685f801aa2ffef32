"""Resuming a run from its journal, and where runs live.

Runs live in ``<runs dir>/<run_id>/journal.jsonl``; run ids are sortable and readable:
the UTC start time and four random hex digits (``20261127T131500Z-3f9c``).

``load_progress`` reads a journal and says what is left: finished points (a
``point_finished`` after its ``point_started`` with the same attempt) are skipped, an
unfinished point is measured again with attempt + 1, a finished step (``step_finished``)
is skipped whole. It refuses a journal whose procedure file has changed (SHA-256) and a
run that is already done. A run that ended ``aborted`` or ``failed`` (Ctrl-C, an
instrument error, an environment that stayed out of range) can be resumed like one that
died. ``resume_run`` is the entry point; the runner does the work.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labctl.errors import RunError
from labctl.procedures.journal import read_journal, to_json
from labctl.procedures.procedure_model import Procedure

if TYPE_CHECKING:
    from labctl.procedures.plan_data import Plan
    from labctl.procedures.run_outcome import RunOutcome

JOURNAL_NAME = "journal.jsonl"


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, readable run id: ``20261127T131500Z-3f9c``."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(2)}"


def run_journal_path(run_id: str, runs_dir: str | Path | None = None) -> Path:
    """``<runs dir>/<run_id>/journal.jsonl`` (runs dir: ``labctl.paths.runs_dir()``)."""
    if not run_id or "/" in run_id or "\\" in run_id or run_id in (".", ".."):
        raise RunError(f"{run_id!r} is not a run id", hint="run ids look like "
                       "20261127T131500Z-3f9c")
    if runs_dir is None:
        from labctl.paths import runs_dir as default_runs_dir

        runs_dir = default_runs_dir()
    return Path(runs_dir) / run_id / JOURNAL_NAME


def find_journal(run: str | Path, runs_dir: str | Path | None = None) -> Path:
    """The journal of ``run``: a journal file, a run directory, or a run id."""
    p = Path(run)
    if p.is_file():
        return p
    if p.is_dir():
        return p / JOURNAL_NAME
    path = run_journal_path(str(run), runs_dir)
    if not path.exists():
        raise RunError(f"no run {str(run)!r}: {path} does not exist",
                       hint="give a run id from the runs directory, a run directory or a "
                            "journal file")
    return path


@dataclass(frozen=True)
class Progress:
    """What a journal says about its run, for resuming it."""

    journal_path: Path
    run_id: str
    events: list[dict[str, Any]]
    problems: list[str]
    run_started: Mapping[str, Any]
    parameters: Mapping[str, Any]
    finished_points: frozenset[str]
    attempts: Mapping[str, int]          # point -> highest attempt started
    finished_steps: frozenset[str]
    step_attempts: Mapping[str, int]     # step -> times started
    sessions: int                        # 1 + resumed_run events so far
    serials: Mapping[str, str]           # role -> serial at the first identification
    plan_points: list[dict[str, Any]] | None
    last_state: str | None               # state of the last run_finished, if any

    @property
    def last_seq(self) -> int:
        return int(self.events[-1]["seq"])


def progress_of(events: list[dict[str, Any]], journal_path: Path,
                problems: list[str] | None = None) -> Progress:
    """What a journal says of a run's progress (pure), read through the one fold."""
    from labctl.history import fold

    if not events or events[0].get("type") != "run_started":
        raise RunError("the journal does not begin with run_started: nothing to resume",
                       where=str(journal_path), hint="start a new run")
    h = fold(events)
    plan_points = None if h.plan is None else list(h.plan.get("points") or [])
    return Progress(
        journal_path=journal_path, run_id=h.run_id, events=events,
        problems=list(problems or []), run_started=events[0],
        parameters=dict(h.parameters), finished_points=h.finished_points(),
        attempts=h.attempts_started(), finished_steps=frozenset(h.finished_steps),
        step_attempts=dict(h.step_attempts), sessions=h.sessions, serials=h.serials,
        plan_points=plan_points, last_state=h.last_state)


def load_progress(journal_path: str | Path, procedure: Procedure) -> Progress:
    """Read the journal and check it can be resumed with ``procedure``."""
    path = Path(journal_path)
    events, problems = read_journal(path)
    progress = progress_of(events, path, problems)
    recorded = (progress.run_started.get("procedure") or {}).get("sha256")
    if recorded != procedure.sha256:
        raise RunError(
            f"the procedure file has changed since run {progress.run_id} started "
            f"(SHA-256 {str(recorded)[:12]}... then, {procedure.sha256[:12]}... now)",
            where=procedure.file,
            hint="resume with the procedure file as it was, or start a new run")
    if progress.last_state == "done":
        raise RunError(f"run {progress.run_id} is already finished (done); there is "
                       f"nothing to resume", where=str(path), hint="start a new run")
    return progress


def check_plan(progress: Progress, plan: Plan) -> None:
    """The plan rebuilt for the resume must be the journaled one (same points, same
    values): a changed bench (another capacity, another weight set) cannot continue."""
    if progress.plan_points is None:
        return
    rebuilt = to_json(plan.to_event()["points"])
    for old, new in zip(progress.plan_points, rebuilt, strict=False):
        if old != new:
            raise RunError(
                f"the plan rebuilt for the resume differs at point {old.get('point')}: "
                f"{_diff(old, new)}", where=str(progress.journal_path),
                hint="resume on the same bench and instruments, or start a new run")
    if len(progress.plan_points) != len(rebuilt):
        raise RunError(f"the plan rebuilt for the resume has {len(rebuilt)} points, the "
                       f"journal's {len(progress.plan_points)}",
                       where=str(progress.journal_path),
                       hint="resume on the same bench and instruments, or start a new run")


def _diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            return f"{key} was {old.get(key)!r}, now {new.get(key)!r}"
    return "no difference"


def resume_run(run: str | Path, procedure: Procedure, bench: Any, *,
               runs_dir: str | Path | None = None, **options: Any) -> RunOutcome:
    """Continue the run ``run`` (a run id, a run directory or a journal file) on ``bench``
    in the same journal. ``options`` are ``run_procedure``'s (clock, on_event, prompt...);
    the parameters are the journal's."""
    from labctl.procedures.launch import run_procedure

    journal_path = find_journal(run, runs_dir)
    return run_procedure(procedure, bench, journal_path=journal_path, resume=True, **options)
