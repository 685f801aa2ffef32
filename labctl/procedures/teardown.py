"""The runner's teardown, guaranteed on every way out of a run.

The normal end (``_finish``) puts every instrument in its safe state and journals
``run_finished`` (done). Ctrl-C, an instrument error or any other exception
(``_teardown``): state ``aborting``, ``safe_state()`` of every instrument (each in its
own try, the errors collected without hiding the cause), an ``error`` event, then
``run_finished`` (aborted or failed). ``Teardown`` is a part of
``labctl.procedures.run_loop.Runner``, which gives the bench, the plan, the journal,
the state machine and the ``_emit_quietly`` of events.
"""

from __future__ import annotations

import inspect
from typing import Any

from labctl.errors import LabctlError
from labctl.procedures.bench_access import _bench_roles
from labctl.procedures.journal import journal_sha256
from labctl.procedures.run_outcome import RunAborted, RunOutcome
from labctl.procedures.state import RunState

#: Exit status of ``labctl run`` when an instrument could not be put in its safe state.
UNSAFE_EXIT_STATUS = 3


class Teardown:
    """The ends of a run: safe states, the last events, the outcome."""

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
        name = instrument or getattr(exc, "instrument", None)
        check = None
        if during == "teardown":
            self.teardown_errors.append(message)
            check = self._check_by_hand(name)
            self.unsafe.append(f"instrument {name or '?'!r} could not be put in its safe "
                               f"state ({message}); {check}")
        self._emit_quietly(
            "error", message=message, during=during, instrument=name,
            command=getattr(exc, "command", None),
            **({"check_by_hand": check} if check else {}))

    def _check_by_hand(self, name: str | None) -> str:
        """What the operator must check on an instrument left unsafe: the first sentence
        of its driver's ``safe_state`` description."""
        driver: Any = None
        instruments = getattr(self.bench, "instruments", None)
        if isinstance(instruments, dict) and name in instruments:
            driver = instruments[name]
        else:
            driver = next((d for role, d in _bench_roles(self.bench).items()
                           if name in (role, getattr(d, "name", None))), None)
        doc = inspect.getdoc(getattr(type(driver), "safe_state", None)) if driver else None
        what = (doc or "").split("\n\n")[0].replace("\n", " ").strip().rstrip(".")
        if not what or what.startswith("Put the instrument where it can do no harm"):
            what = "outputs off, nothing moving, nothing loaded"
        return f"check by hand: {what[:1].lower()}{what[1:]}"

    def _outcome(self) -> RunOutcome:
        state = self.machine.state.value
        try:
            digest = journal_sha256(self.journal.path)
        except OSError:
            digest = ""
        return RunOutcome(self.run_info["run_id"], self.journal.path, state,
                          list(self.events), digest, list(self.teardown_errors),
                          list(self.unsafe))

    def _aborted(self, outcome: RunOutcome, reason: str) -> RunAborted:
        if outcome.unsafe:
            error = RunAborted(
                f"run {outcome.run_id} {outcome.state}: {reason}", outcome,
                hint=f"NOT every instrument is in its safe state: {'; '.join(outcome.unsafe)}"
                     f"; journal {outcome.journal_path}; continue with --resume "
                     f"{outcome.run_id}")
            error.exit_code = UNSAFE_EXIT_STATUS
            return error
        return RunAborted(
            f"run {outcome.run_id} {outcome.state}: {reason}", outcome,
            hint=f"instruments were put in their safe state; journal {outcome.journal_path}; "
                 f"continue with --resume {outcome.run_id}")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, LabctlError):
        return str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return str(exc) or "interrupted by the operator (Ctrl-C)"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
