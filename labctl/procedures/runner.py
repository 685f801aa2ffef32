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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from labctl.errors import LabctlError, RunError
from labctl.procedures.actions import Execution, console_prompt, execute
from labctl.procedures.environment import ConditionsWatch
from labctl.procedures.journal import Journal, journal_sha256, unit_text
from labctl.procedures.plan import (
    Plan,
    PlanContext,
    PlannedAction,
    PlannedPoint,
    PlannedStep,
    bind_roles,
    make_plan,
)
from labctl.procedures.resume import (
    Progress,
    check_plan,
    load_progress,
    new_run_id,
    run_journal_path,
)
from labctl.procedures.schema import Procedure
from labctl.procedures.state import RunControl, RunState, StateMachine
from labctl.sim.clock import Clock

OnEvent = Callable[[dict[str, Any]], None]


class BenchLike(Protocol):
    """What the runner needs of a bench (``labctl.bench.Bench``; tests use fakes).

    Required: ``roles`` (role -> instrument, or role names for ``role(name)``) and
    ``role(name)``. Used when present: ``choose_weights(mass, *, exclude)`` (loads),
    ``identify_all()`` (else each role's ``identify()``), ``safe_state_all()`` (else each
    role's ``safe_state()``), and for ``run_started``: ``path``, ``sha256``, ``name``,
    ``lab``, ``operator``, ``seed``, ``standards`` (register ids).
    """

    @property
    def roles(self) -> Mapping[str, Any] | Iterable[str]: ...

    def role(self, name: str) -> Any: ...

MAX_PAUSE = 8 * 3600.0   # seconds a run may stay paused before it fails
PAUSE_POLL = 1.0         # seconds between looks at the control while paused


class RunAborted(RunError):
    """A run that ended aborted or failed; ``outcome`` says where its journal is."""

    def __init__(self, message: str, outcome: RunOutcome, *, hint: str | None = None):
        self.outcome = outcome
        super().__init__(message, hint=hint)


class AbortRequested(RunError):
    """An abort asked through ``RunControl``."""


@dataclass
class RunOutcome:
    run_id: str
    journal_path: Path
    state: str                                   # done / aborted / failed
    events: list[dict[str, Any]]                 # the whole journal, earlier sessions too
    sha256: str = ""                             # of the journal file at the end
    teardown_errors: list[str] = field(default_factory=list)


def run_procedure(procedure: Procedure, bench: BenchLike, *, clock: Clock,
                  journal_path: str | Path | None = None,
                  parameters: Mapping[str, Any] | None = None,
                  on_event: OnEvent | Sequence[OnEvent] | None = None,
                  prompt: Callable[[str], str] | None = None, run_id: str | None = None,
                  resume: bool = False, operator: str | None = None, seed: int | None = None,
                  allow_expired: str | None = None,
                  extra_run_info: Mapping[str, Any] | None = None,
                  control: RunControl | None = None,
                  max_pause: float = MAX_PAUSE) -> RunOutcome:
    """Run ``procedure`` on ``bench`` (see ``BenchLike``) and return its outcome.

    A new run journals to ``journal_path`` (default ``<runs dir>/<run_id>/journal.jsonl``).
    With ``resume=True`` the run in ``journal_path`` (or of ``run_id``) is continued: its
    parameters are the journal's, finished points are skipped. Bad input and impossible
    plans raise before anything moves; failures during the run raise ``RunAborted``
    after the teardown.
    """
    progress: Progress | None = None
    if resume:
        if journal_path is None:
            if run_id is None:
                raise RunError("resuming needs the run id or its journal")
            journal_path = run_journal_path(run_id)
        progress = load_progress(journal_path, procedure)
        if parameters is not None and dict(parameters) != dict(progress.parameters):
            from labctl.procedures.schema import resolve_parameters

            given = resolve_parameters(procedure, parameters)
            if given != resolve_parameters(procedure, progress.parameters):
                raise RunError(f"run {progress.run_id} started with other parameters "
                               f"({_params_text(progress.parameters)})",
                               hint="a resumed run keeps its parameters; drop --param")
        parameters, run_id = progress.parameters, progress.run_id
    else:
        run_id = run_id or new_run_id()
        if journal_path is None:
            journal_path = run_journal_path(run_id)

    plan = plan_run(procedure, bench, parameters)
    roles = bind_roles(procedure, _bench_roles(bench))
    if progress is not None:
        check_plan(progress, plan)
        journal, events, _ = Journal.reopen(journal_path, clock)
        if len(events) != len(progress.events):
            journal.close()
            raise RunError("the journal changed while the resume was being prepared",
                           where=str(journal_path), hint="is another run writing it?")
    else:
        journal = Journal.create(journal_path, clock)

    info = {
        "run_id": run_id,
        "procedure": {"id": procedure.id, "version": procedure.version,
                      "sha256": procedure.sha256, "path": procedure.file},
        "bench": {"path": _str(getattr(bench, "path", None)),
                  "sha256": getattr(bench, "sha256", None),
                  "name": getattr(bench, "name", None)},
        "parameters": {k: _parameter_json(v) for k, v in plan.parameters.items()},
        "seed": seed if seed is not None else getattr(bench, "seed", None),
        "operator": operator if operator is not None else getattr(bench, "operator", ""),
        "lab": getattr(bench, "lab", None),
        "standards": list(getattr(bench, "standards", ()) or ()),
        "allow_expired": allow_expired,
        "labctl_version": _version(),
        "virtual_clock": bool(getattr(clock, "virtual", False)),
        **dict(extra_run_info or {}),
    }
    callbacks = [] if on_event is None else (
        [on_event] if callable(on_event) else list(on_event))
    runner = Runner(procedure, plan, bench, roles, clock=clock, journal=journal,
                    run_info=info, on_event=callbacks, prompt=prompt or console_prompt,
                    control=control, progress=progress, max_pause=max_pause)
    return runner.run()


def plan_run(procedure: Procedure, bench: BenchLike,
             parameters: Mapping[str, Any] | None = None) -> Plan:
    """The plan of ``procedure`` on ``bench`` (roles bound, weights chosen by the bench's
    ``choose_weights``), checked; what ``labctl run --dry-run`` prints."""
    choose = getattr(bench, "choose_weights", None)
    return make_plan(procedure, PlanContext(
        roles=_bench_roles(bench), parameters=parameters,
        choose_weights=(lambda mass, exclude: choose(mass, exclude=exclude)) if choose
        else None))


class Runner:
    """Executes one plan; build it through ``run_procedure``."""

    def __init__(self, procedure: Procedure, plan: Plan, bench: BenchLike,
                 instruments: Mapping[str, Any], *, clock: Clock, journal: Journal,
                 run_info: Mapping[str, Any], on_event: list[OnEvent],
                 prompt: Callable[[str], str], control: RunControl | None,
                 progress: Progress | None, max_pause: float = MAX_PAUSE) -> None:
        self.procedure = procedure
        self.plan = plan
        self.bench = bench
        self.instruments = dict(instruments)
        self.clock = clock
        self.journal = journal
        self.run_info = dict(run_info)
        self.callbacks = on_event
        self.prompt = prompt
        self.control = control or RunControl()
        self.progress = progress
        self.max_pause = max_pause
        self.machine = StateMachine()
        self.events: list[dict[str, Any]] = list(progress.events) if progress else []
        self.teardown_errors: list[str] = []
        env_roles = [r for r in procedure.roles_with("environment") if r in self.instruments]
        env_role = env_roles[0] if env_roles else None
        self.watch = ConditionsWatch(procedure.conditions, self.instruments.get(env_role),
                                     env_role, clock, self._emit, self.machine,
                                     interrupt=self._check_abort)

    # -- events -------------------------------------------------------------------------
    def _emit(self, type: str, **fields: Any) -> dict[str, Any]:
        event = self.journal.append(type, **fields)
        self.events.append(event)
        for callback in self.callbacks:
            callback(event)
        return event

    def _emit_quietly(self, type: str, *, journal_errors: bool = False,
                      **fields: Any) -> None:
        """Journal an event whose callbacks may not stop what follows (teardown, the last
        event); a journal failure is collected, or raised with ``journal_errors``."""
        try:
            event = self.journal.append(type, **fields)
        except Exception as exc:
            if journal_errors:
                raise
            self.teardown_errors.append(f"journal: {exc}")
            return
        self.events.append(event)
        for callback in self.callbacks:
            try:
                callback(event)
            except Exception:  # noqa: BLE001, S112 - a display failing at the end
                continue

    # -- the run --------------------------------------------------------------------------
    def run(self) -> RunOutcome:
        try:
            self._start()
            self.machine.to(RunState.RUNNING)
            self.watch.check(force=True)
            for step in self.plan.steps:
                self._step(step, redo=self._redo(step))
            self._finish()
        except KeyboardInterrupt as exc:
            self._teardown(RunState.ABORTED, _describe(exc), exc)
            raise
        except AbortRequested as exc:
            outcome = self._teardown(RunState.ABORTED, exc.message, exc)
            raise self._aborted(outcome, exc.message) from exc
        except Exception as exc:
            reason = _describe(exc)
            outcome = self._teardown(RunState.FAILED, reason, exc)
            raise self._aborted(outcome, reason) from exc
        except BaseException as exc:  # SystemExit and the like: tear down, pass it on
            self._teardown(RunState.ABORTED, f"stopped ({type(exc).__name__})", exc)
            raise
        finally:
            self.journal.close()
        return self._outcome()

    def _start(self) -> None:
        if self.progress is None:
            self._emit("run_started", **self.run_info)
        else:
            self._emit("resumed_run", attempt=self.progress.sessions + 1,
                       from_seq=self.progress.last_seq, problems=self.progress.problems,
                       operator=self.run_info["operator"])
        self._identify()
        if self.progress is None or self.progress.plan_points is None:
            self._emit("plan", **self.plan.to_event())

    def _identify(self) -> None:
        identify_all = getattr(self.bench, "identify_all", None)
        if identify_all is not None:
            identities = identify_all()
        else:
            identities = {role: inst.identify() for role, inst in self.instruments.items()}
        roles = _bench_roles(self.bench)
        for key, identity in identities.items():
            instrument = roles.get(key)
            role = key if instrument is not None else None
            name = getattr(instrument, "name", None) if instrument is not None else key
            if self.progress is not None and role in self.progress.serials \
                    and self.progress.serials[role] != identity.serial:
                raise RunError(
                    f"the instrument in role {role!r} reports serial {identity.serial!r}; "
                    f"run {self.run_info['run_id']} was started with serial "
                    f"{self.progress.serials[role]!r}",
                    hint="resume with the instruments the run started with")
            self._emit("identified", role=role, instrument=name, maker=identity.maker,
                       model=identity.model, serial=identity.serial,
                       firmware=identity.firmware)

    def _redo(self, step: PlannedStep) -> bool:
        """On resume, whether ``step`` (``on_resume: redo``) is measured again whole:
        some of its points were measured before, and a point at or after it is left to
        measure (on a bench opened anew, the state it set up is gone)."""
        progress = self.progress
        if progress is None or step.on_resume != "redo":
            return False
        if not any(p.point in progress.finished_points for p in step.points):
            return False
        points = self.plan.points
        first = points.index(step.points[0]) if step.points else len(points)
        return any(p.point not in progress.finished_points for p in points[first:])

    def _step(self, step: PlannedStep, *, redo: bool = False) -> None:
        progress = self.progress
        if progress is not None and step.id in progress.finished_steps and not redo:
            return
        attempt = (progress.step_attempts.get(step.id, 0) if progress else 0) + 1
        self._emit("step_started", step=step.id, attempt=attempt)
        tags = {"step": step.id, "point": None, "attempt": attempt}
        for action in step.before:
            self._do(action, tags)
        skipped = False
        for point in step.points:
            if progress is not None and point.point in progress.finished_points \
                    and not redo:
                skipped = True
                continue
            self._point(step, point, restore=skipped)
            skipped = False
        for action in step.after:
            self._do(action, tags)
        self._emit("step_finished", step=step.id)

    def _point(self, step: PlannedStep, point: PlannedPoint, *, restore: bool) -> None:
        attempt = (self.progress.attempts.get(point.point, 0) if self.progress else 0) + 1
        tags = {"step": step.id, "point": point.point, "attempt": attempt}
        self._checkpoint()
        self._emit("point_started", **tags)
        if restore:
            self._restore_loads(step, point, tags)
        for action in point.actions:
            self._do(action, tags)
        self._emit("point_finished", **tags)

    def _restore_loads(self, step: PlannedStep, point: PlannedPoint,
                       tags: Mapping[str, Any]) -> None:
        """After skipping finished points, put on each receptor what the earlier points
        would have left there, so the point is measured as planned."""
        have, want = step.loads_after_before, point.start_loads
        if have is None or want is None:
            return
        for role in sorted(set(have) | set(want)):
            groups = want.get(role, ())
            if groups == have.get(role, ()):
                continue
            self._do(PlannedAction("unload", point.where, role), tags)
            for i, group in enumerate(groups):
                self._do(PlannedAction("load", point.where, role, {
                    "mass": group.mass, "weights": group.weights, "position": group.position,
                    "add": bool(i)}), tags)

    def _do(self, action: PlannedAction, tags: Mapping[str, Any]) -> None:
        self._checkpoint()
        self.watch.check()
        execute(action, Execution(
            instruments=self.instruments, emit=self._emit, sleep=self.watch.sleep,
            before_reading=lambda: self.watch.check(force=True), prompt=self.prompt,
            tags=tags))

    # -- control --------------------------------------------------------------------------
    def _check_abort(self) -> None:
        reason = self.control.abort_requested
        if reason:
            raise AbortRequested(reason)

    def _checkpoint(self) -> None:
        """Between actions: honour an abort, or wait while paused (within ``max_pause``)."""
        self._check_abort()
        if not self.control.pause_requested:
            return
        started = self.clock.now()
        self.machine.to(RunState.PAUSED, "pause requested")
        self._emit("paused", reason="paused by the operator")
        while self.control.pause_requested:
            self._check_abort()
            waited = self.clock.now() - started
            if waited >= self.max_pause:
                raise RunError(f"the run stayed paused for {waited:.0f} s, the most is "
                               f"{self.max_pause:.0f} s", hint="resume the run")
            self.clock.sleep(min(PAUSE_POLL, self.max_pause - waited))
        self._emit("continued", reason="continued by the operator",
                   paused_for=self.clock.now() - started)
        self.machine.to(RunState.RUNNING, "continue requested")

    # -- the ends -------------------------------------------------------------------------
    def _safe_states(self) -> list[tuple[str | None, Exception]]:
        """``safe_state()`` of every instrument, each in its own try; errors returned."""
        errors: list[tuple[str | None, Exception]] = []
        safe_state_all = getattr(self.bench, "safe_state_all", None)
        if safe_state_all is not None:
            try:
                errors += [(getattr(e, "instrument", None), e) for e in safe_state_all() or ()]
            except Exception as exc:  # noqa: BLE001 - collected, reported below
                errors.append((None, exc))
            return errors
        seen: set[int] = set()
        for role, instrument in _bench_roles(self.bench).items():
            if id(instrument) in seen:
                continue
            seen.add(id(instrument))
            try:
                instrument.safe_state()
            except Exception as exc:  # noqa: BLE001 - each instrument gets its turn
                errors.append((getattr(instrument, "name", role), exc))
        return errors

    def _finish(self) -> None:
        errors = self._safe_states()
        for name, exc in errors:
            self._emit_error(exc, during="teardown", instrument=name)
        reason = f"{len(self.plan.points)} points measured"
        if errors:
            reason += f"; {len(errors)} instrument(s) failed to reach their safe state"
        self._emit_quietly("run_finished", journal_errors=True, state=RunState.DONE.value,
                           reason=reason)
        self.machine.to(RunState.DONE, reason)

    def _teardown(self, state: RunState, reason: str, cause: BaseException) -> RunOutcome:
        if not self.machine.final:
            if self.machine.state is not RunState.ABORTING:
                self.machine.to(RunState.ABORTING, reason)
            errors = self._safe_states()
            self._emit_error(cause, during="run")
            for name, exc in errors:
                self._emit_error(exc, during="teardown", instrument=name)
            self._emit_quietly("run_finished", state=state.value, reason=reason)
            self.machine.to(state, reason)
        return self._outcome()

    def _emit_error(self, exc: BaseException, *, during: str,
                    instrument: str | None = None) -> None:
        message = _describe(exc)
        if during == "teardown":
            self.teardown_errors.append(message)
        self._emit_quietly(
            "error", message=message, during=during,
            instrument=instrument or getattr(exc, "instrument", None),
            command=getattr(exc, "command", None))

    def _outcome(self) -> RunOutcome:
        state = self.machine.state.value
        try:
            digest = journal_sha256(self.journal.path)
        except OSError:
            digest = ""
        return RunOutcome(self.run_info["run_id"], self.journal.path, state,
                          list(self.events), digest, list(self.teardown_errors))

    def _aborted(self, outcome: RunOutcome, reason: str) -> RunAborted:
        return RunAborted(
            f"run {outcome.run_id} {outcome.state}: {reason}", outcome,
            hint=f"instruments were put in their safe state; journal {outcome.journal_path}; "
                 f"continue with --resume {outcome.run_id}")


# --------------------------------------------------------------------------- helpers


def _bench_roles(bench: Any) -> dict[str, Any]:
    """role -> instrument, from ``bench.roles`` (a mapping, or names for ``role()``)."""
    roles = bench.roles
    if isinstance(roles, Mapping):
        return dict(roles)
    return {name: bench.role(name) for name in roles}


def _describe(exc: BaseException) -> str:
    if isinstance(exc, LabctlError):
        return str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return str(exc) or "interrupted by the operator (Ctrl-C)"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _parameter_json(value: Any) -> Any:
    """Parameters as the journal keeps them: quantities as text (``"30.0 s"``), so a
    resume reads them back like ``--param`` values."""
    if hasattr(value, "magnitude") and hasattr(value, "units"):
        return f"{float(value.magnitude)!r} {unit_text(value.units)}"
    return value


def _params_text(parameters: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in parameters.items()) or "none"


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _version() -> str:
    from labctl import __version__

    return __version__

