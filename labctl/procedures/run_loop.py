"""The ``Runner``: walks a plan's steps, points and actions on a bench through the state
machine of ``labctl.procedures.state``, journaling every event (fsync'd) before the
``on_event`` callbacks (the progress display) see it, honouring pause and abort between
actions; its teardown is ``labctl.procedures.teardown``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from labctl.clock import Clock
from labctl.errors import RunError
from labctl.procedures.action_models import action_class
from labctl.procedures.bench_access import BenchLike, _bench_roles
from labctl.procedures.environment import ConditionsWatch
from labctl.procedures.execution import Execution
from labctl.procedures.journal import Journal
from labctl.procedures.plan_data import Plan, PlannedAction, PlannedPoint, PlannedStep
from labctl.procedures.procedure_model import Procedure
from labctl.procedures.resume import Progress
from labctl.procedures.run_outcome import AbortRequested, RunOutcome
from labctl.procedures.state import RunControl, RunState, StateMachine
from labctl.procedures.stop_signals import raise_if_stopped
from labctl.procedures.teardown import Teardown, _describe

OnEvent = Callable[[dict[str, Any]], None]

MAX_PAUSE = 8 * 3600.0   # seconds a run may stay paused before it fails
PAUSE_POLL = 1.0         # seconds between looks at the control while paused


class Runner(Teardown):
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
        self.unsafe: list[str] = []
        for driver in self.instruments.values():  # every retry of a query is journalled
            if hasattr(driver, "retry_listener"):
                driver.retry_listener = self._journal_retry
        watch_faults = getattr(bench, "watch_faults", None)
        if callable(watch_faults):  # a simulator's injected faults, so resume keeps them spent
            watch_faults(self._journal_fault)
        env_roles = [r for r in procedure.roles_with("environment") if r in self.instruments]
        env_role = env_roles[0] if env_roles else None
        self.watch = ConditionsWatch(procedure.conditions, self.instruments.get(env_role),
                                     env_role, clock, self._emit, self.machine,
                                     interrupt=self._check_abort)

    # -- events -------------------------------------------------------------------------
    def _journal_retry(self, info: Any) -> None:
        # inside a driver's query, maybe in the teardown's safe states: never a stop point
        self._emit("retry", stop_point=False, **info.journal_fields())

    def _journal_fault(self, instrument: str, fault: Any) -> None:
        # inside a simulator's reply, maybe after the journal closed: never a stop point,
        # never an error of the run (the fault itself is what the driver meets)
        if self.journal.closed:
            return
        try:
            self._emit("sim_fault", stop_point=False, instrument=instrument,
                       **fault.journal_fields())
        except Exception as exc:  # noqa: BLE001 - collected like a teardown journal error
            self.teardown_errors.append(f"journal: {exc}")

    def _emit(self, type: str, *, stop_point: bool = True, **fields: Any) -> dict[str, Any]:
        event = self.journal.append(type, **fields)
        self.events.append(event)
        for callback in self.callbacks:
            callback(event)
        if stop_point:  # a stop signal takes effect right after the event it followed
            raise_if_stopped()
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
            outcome = self._teardown(RunState.ABORTED, _describe(exc), exc)
            if outcome.unsafe:  # the distinct status of an unsafe stop wins over 130
                raise self._aborted(outcome, _describe(exc)) from exc
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
            accepted = self.run_info.get("accepted_changes")
            self._emit("resumed_run", attempt=self.progress.sessions + 1,
                       from_seq=self.progress.last_seq, problems=self.progress.problems,
                       operator=self.run_info["operator"],
                       **({"accepted_changes": accepted} if accepted else {}))
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
            self._restore_state(step, point, tags)
        for action in point.actions:
            self._do(action, tags)
        self._emit("point_finished", **tags)

    def _restore_state(self, step: PlannedStep, point: PlannedPoint,
                       tags: Mapping[str, Any]) -> None:
        """After skipping finished points, bring the bench to the state the earlier points
        would have left (each family's ``PlanState.restore``: the weighing family puts
        the loads back on the receptors), so the point is measured as planned."""
        for key, cls in self.plan.states.items():
            have = step.state_after_before.get(key, cls.initial)
            want = point.start_state.get(key, cls.initial)
            if have is None or want is None or have == want:
                continue
            for action in cls.restore(have, want, point.where):
                self._do(action, tags)

    def _do(self, action: PlannedAction, tags: Mapping[str, Any]) -> None:
        self._checkpoint()
        self.watch.check()
        action_class(action.kind).execute(action, Execution(
            instruments=self.instruments, emit=self._emit, sleep=self.watch.sleep,
            before_reading=lambda: self.watch.check(force=True), prompt=self.prompt,
            tags=tags, now=self.clock.now))

    # -- control --------------------------------------------------------------------------
    def _check_abort(self) -> None:
        raise_if_stopped()  # Ctrl-C, SIGTERM, SIGHUP: noted by the handler, acted on here
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
