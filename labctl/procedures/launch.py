"""Starting a run: ``run_procedure`` checks and plans everything before anything moves,
opens the journal (new, or reopened to resume) and hands over to the ``Runner``;
``plan_run`` gives the plan of a procedure on a bench (``labctl run --dry-run``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from labctl.clock import Clock
from labctl.errors import LabctlError, RunError
from labctl.events import SCHEMA_VERSION
from labctl.procedures.bench_access import BenchLike, _bench_roles
from labctl.procedures.execution import console_prompt
from labctl.procedures.journal import Journal, unit_text
from labctl.procedures.plan_context import PlanContext, bind_roles
from labctl.procedures.plan_data import Plan
from labctl.procedures.planner import make_plan
from labctl.procedures.procedure_model import Procedure
from labctl.procedures.resume import (
    Progress,
    check_plan,
    load_progress,
    new_run_id,
    run_journal_path,
)
from labctl.procedures.run_loop import MAX_PAUSE, OnEvent, Runner
from labctl.procedures.run_outcome import RunOutcome
from labctl.procedures.state import RunControl


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
        accepted = (extra_run_info or {}).get("accepted_changes") or ()
        progress = load_progress(journal_path, procedure, procedure_changed_ok=any(
            c.get("file") == "procedure" for c in accepted))
        if parameters is not None and dict(parameters) != dict(progress.parameters):
            from labctl.procedures.parameters import resolve_parameters

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
        "schema": SCHEMA_VERSION,
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
    """The plan of ``procedure`` on ``bench`` (roles bound; the families' actions ask the
    bench what they need, e.g. its ``choose_weights``), checked; what ``labctl run
    --dry-run`` prints."""
    plan = make_plan(procedure, PlanContext(roles=_bench_roles(bench), parameters=parameters,
                                            bench=bench))
    check_analyses(procedure, plan, bench)
    return plan


def check_analyses(procedure: Procedure, plan: Plan, bench: BenchLike) -> None:
    """Each analysis of the procedure that has a ``check_plan`` checks the plan (with
    the register entries of the bench's roles) before anything moves."""
    from labctl.analysis.registry import ANALYSES, PlanCheck

    entry_of = getattr(bench, "role_entry", None) or (lambda role: None)
    plate = _declared_plate(bench)
    data = procedure.data if isinstance(procedure.data, Mapping) else {}
    for i, spec in enumerate(procedure.analyses):
        analysis = ANALYSES.get(spec.analysis, where=procedure.where("analyses", i))
        if analysis.check_plan is None:
            continue
        options = analysis.options(spec.options,
                                   where=procedure.where("analyses", i, "options"))
        analysis.check_plan(PlanCheck(plan, tuple(spec.steps), options, entry_of,
                                      procedure.where("analyses", i), data_plate=plate,
                                      data_plate_where=_plate_where(bench),
                                      data=data, data_where=_data_where(procedure)))


def _declared_plate(bench: BenchLike) -> Mapping[str, Any]:
    """The instrument under test's data plate as its driver states it before anything
    is sent (from the bench file's options); empty when there is none to be had."""
    roles = getattr(bench, "roles", None) or {}
    stated = getattr(roles.get("dut"), "data_plate", None)
    if not callable(stated):
        return {}
    try:
        plate = stated()
    except LabctlError:   # a plate the driver must ask the instrument for
        return {}
    return plate if isinstance(plate, Mapping) else {}


def _plate_where(bench: BenchLike) -> str | None:
    """Where the bench file gives the instrument under test's options."""
    config = getattr(bench, "config", None)
    for inst in getattr(config, "instruments", {}).values():
        if inst.role == "dut":
            return inst.place("options")
    return None


def _data_where(procedure: Procedure) -> str | None:
    try:
        return str(procedure.where("data"))
    except (KeyError, IndexError, TypeError):
        return None


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
