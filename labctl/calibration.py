"""One calibration from end to end: procedure + bench -> journal -> analysis -> record.

This is the Python API behind ``labctl run`` (the command only adds the display)::

    from labctl.calibration import CalibrationRequest, calibrate
    result = calibrate(CalibrationRequest("procedures/scale-jjg539.yaml",
                                          "benches/sim-scale.yaml"))
    print(result.record.decision, result.record.id)

The order follows DESIGN.md: every input is checked before an instrument moves; the
journal is written first; the analysis is a pure function of the journal (the data
plate of the instrument under test and the certificate data of the standards are
journalled at run start, so ``reanalyse`` needs nothing else); the signed record goes
to the outbox, then to the registry.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from labctl.errors import RunError

OnEvent = Callable[[dict[str, Any]], None]


@dataclass
class CalibrationRequest:
    """What ``labctl run`` was asked to do."""

    procedure: str | Path
    bench: str | Path
    registry: str | None = None              # registry URL; None: the embedded default
    parameters: Mapping[str, Any] = field(default_factory=dict)
    seed: int | None = None                  # overrides the bench's seed
    allow_expired: str | None = None         # reason to accept an expired standard
    resume: str | None = None                # run id (or run directory) to continue
    realtime: bool = False                   # a real clock even on an all-simulated bench
    runs_dir: str | Path | None = None
    operator: str | None = None
    today: date | None = None                # for due-date checks (tests)
    # for the certificate: the customer (overrides the bench's ``customer``) and the
    # deviations from the method the operator declares
    customer: Mapping[str, Any] | None = None
    deviations: Sequence[str] = ()
    accept_changed: str | None = None        # reason to resume with changed input files


@dataclass
class CalibrationResult:
    run_id: str
    journal_path: Path
    record: Any                              # labctl.registry.record.Record, signed
    points: list[Any]
    delivery: Any                            # labctl.registry.outbox.DeliveryReport
    virtual_clock: bool
    clock_seconds: float                     # clock time the run took (virtual or real)
    unsafe: list[str] = field(default_factory=list)  # instruments left unsafe, what to check
    record_stage_only: bool = False          # a resume that only stored the record

    @property
    def delivered(self) -> bool:
        """True when the registry has this run's record."""
        return self.record.id in self.delivery.delivered


def required_roles(procedure: Any) -> tuple[dict[str, str], set[str]]:
    """(role -> capability for every role, the optional role names) of a procedure."""
    required = {name: spec.capability for name, spec in procedure.roles.items()}
    optional = {name for name, spec in procedure.roles.items() if spec.optional}
    return required, optional


def prepare(request: CalibrationRequest) -> tuple[Any, Any]:
    """Load and cross-check the procedure and the bench; nothing is opened."""
    from labctl.bench import load_bench
    from labctl.procedures.loading import load_procedure
    from labctl.procedures.parameters import resolve_parameters

    procedure = load_procedure(request.procedure)
    config = load_bench(request.bench)
    required, optional = required_roles(procedure)
    config.check_roles(required, optional)
    if not request.resume:
        resolve_parameters(procedure, request.parameters)
    authorised_operator(request, procedure, config)
    return procedure, config


def authorised_operator(request: CalibrationRequest, procedure: Any, config: Any) -> str | None:
    """The operator's name as the record carries it. With a personnel list (named by
    the bench, else ``LABCTL_PERSONNEL``, else ``<labctl home>/personnel.yaml``), the
    operator (``--operator``, else the bench's; on ``--resume`` only a new ``--operator``
    is checked) must be a person of the list authorised as operator for the procedure
    today (ISO/IEC 17025 6.2): else ``NotAuthorised``, before anything is opened.
    Without a list the name is taken as given."""
    from labctl.personnel import personnel_from

    name = request.operator if request.resume else (request.operator or config.operator)
    personnel = config.personnel if config.personnel is not None else personnel_from(None)
    if personnel is None or name is None:
        return request.operator
    person = personnel.authorise(name, "operator", procedure.id, request.today or date.today())
    return person.name


def make_clock(config: Any, realtime: bool) -> Any:
    """A virtual clock for an all-simulated bench (unless ``realtime``), else a real one."""
    from labctl.clock import RealClock, VirtualClock

    simulated = all(i.simulated or not i.needs_transport for i in config.instruments.values())
    return VirtualClock() if simulated and not realtime else RealClock()


def calibrate(request: CalibrationRequest, *, on_event: OnEvent | Sequence[OnEvent] | None = None,
              prompt: Callable[[str], str] | None = None) -> CalibrationResult:
    """Run (or resume) a calibration and store its signed record. See the module doc.

    Resuming a run that finished but whose record was never stored (the process died,
    or was stopped, between ``run_finished`` and the outbox) only finishes the record
    stage, under the record id the run journalled at its start."""
    from labctl.procedures.launch import run_procedure
    from labctl.procedures.resume import run_journal_path
    from labctl.registry.record import new_record_id

    procedure, config = prepare(request)
    clock = make_clock(config, request.realtime)
    start = clock.now()
    journal_path: Path | None = None
    run_id: str | None = None
    seed, operator = request.seed, authorised_operator(request, procedure, config)
    extra: dict[str, Any] | None = None
    if request.resume:
        resume = check_resume(request, procedure, config)
        journal_path = resume.journal_path
        if resume.record_only:
            record, report, points = store_run_record(
                procedure, journal_path, resume.events, request.registry, clock)
            return CalibrationResult(resume.run_id, journal_path, record, points, report,
                                     bool(getattr(clock, "virtual", False)),
                                     clock.now() - start, record_stage_only=True)
        seed, operator = resume.seed, resume.operator
        extra = {"accepted_changes": resume.accepted} if resume.accepted else None
    elif request.runs_dir is not None:
        from labctl.procedures.resume import new_run_id

        run_id = new_run_id()
        journal_path = run_journal_path(run_id, request.runs_dir)

    with config.open(clock, seed=seed, allow_expired=request.allow_expired,
                     today=request.today) as bench:
        if not request.resume:
            dut = bench.role("dut") if "dut" in bench.roles else None
            extra = {"record_id": new_record_id(),
                     "register": {"path": str(config.register.path),
                                  "sha256": config.register.sha256},
                     "dut": instrument_info(config, "dut", dut),
                     "standards_data": _standards_data(bench),
                     "instrument_standards": [i.register_id for i in
                                              config.instruments.values() if i.register_id],
                     "simulated": sorted(i.name for i in config.instruments.values()
                                         if i.simulated),
                     "environment_stated": _stated(bench.environment_stated),
                     "expired_standards": list(getattr(bench, "expired", ())),
                     **certificate_info(config, request)}
        outcome = run_procedure(
            procedure, bench, clock=clock, journal_path=journal_path,
            parameters=None if request.resume else dict(request.parameters),
            on_event=on_event, prompt=prompt, run_id=run_id, resume=bool(request.resume),
            operator=operator, seed=seed, allow_expired=request.allow_expired,
            extra_run_info=extra)
    record, report, points = store_run_record(procedure, Path(outcome.journal_path),
                                              outcome.events, request.registry, clock)
    return CalibrationResult(outcome.run_id, Path(outcome.journal_path), record, points,
                             report, bool(getattr(clock, "virtual", False)),
                             clock.now() - start, unsafe=list(outcome.unsafe))


@dataclass
class ResumeCheck:
    """What ``check_resume`` found: the journal, and how the run goes on."""

    journal_path: Path
    run_id: str
    events: list[dict[str, Any]]
    record_only: bool                 # finished: only the record stage is left
    seed: int | None = None
    operator: str | None = None
    accepted: list[dict[str, str]] = field(default_factory=list)


def check_resume(request: CalibrationRequest, procedure: Any, config: Any) -> ResumeCheck:
    """Read the journal of ``request.resume`` and check, before anything is opened, that
    the run can go on as asked: a run whose record is stored is refused; changed files
    are refused unless ``accept_changed``; ``--param``/``--seed`` other than the run's
    are refused; the operator is the one given, else the run's latest."""
    from labctl.procedures import resume_checks as rc
    from labctl.procedures.journal import read_journal
    from labctl.procedures.resume import find_journal, progress_of

    path = find_journal(str(request.resume), request.runs_dir)
    events, problems = read_journal(path)
    progress = progress_of(events, path, problems)
    started = progress.run_started
    current = {"procedure": (str(procedure.file), procedure.sha256),
               "bench": (str(config.path), config.sha256),
               "register": (str(config.register.path), config.register.sha256)}
    if progress.last_state == "done":
        if progress.record_stored is not None:
            raise RunError(f"run {progress.run_id} is finished and its record "
                           f"{progress.record_stored} is stored; there is nothing to resume",
                           where=str(path), hint="`labctl registry deliver` sends a record "
                           "still waiting in the outbox; start a new run to measure again")
        changed = rc.file_changes(started, {"procedure": current["procedure"]})
        if changed:
            raise RunError(f"cannot finish the record of run {progress.run_id}: "
                           f"{changed[0].describe()}",
                           hint="give the procedure file the run was made with")
        return ResumeCheck(path, progress.run_id, events, record_only=True)
    rc.check_parameters(procedure, started, request.parameters)
    seed = rc.check_seed(started, request.seed)
    accepted = rc.check_files(progress.run_id, rc.file_changes(started, current),
                              request.accept_changed)
    operator = authorised_operator(request, procedure, config) or rc.last_operator(events)
    return ResumeCheck(path, progress.run_id, events, record_only=False, seed=seed,
                       operator=operator, accepted=accepted)


def store_run_record(procedure: Any, journal_path: Path, events: Sequence[Mapping[str, Any]],
                     registry: str | None, clock: Any) -> tuple[Any, Any, list[Any]]:
    """The record stage of a finished run: analyse the journal up to ``run_finished``,
    build the record under the id journalled at the start, put it in the outbox
    (idempotent on that id), journal ``record_stored``, then deliver it. A stop signal
    noted before the put stops here; ``--resume`` finishes the stage."""
    from labctl.procedures.journal import Journal, finished_journal_sha256
    from labctl.procedures.stop_signals import raise_if_stopped
    from labctl.registry.outbox import Outbox

    raise_if_stopped()
    ends = [i for i, e in enumerate(events) if e.get("type") == "run_finished"]
    run_events = list(events[:ends[-1] + 1]) if ends else list(events)
    points = analyse_events(procedure, run_events)
    record = build_record(procedure, run_events, points,
                          journal_sha256=finished_journal_sha256(journal_path))
    raise_if_stopped()
    outbox = Outbox()
    stored = outbox.put(record, registry)
    journal, _, _ = Journal.reopen(journal_path, clock)
    with journal:
        journal.append("record_stored", record_id=stored.id, hash=stored.hash,
                       outbox=str(outbox.path))
    report = outbox.deliver(registry, max_attempts=3, base_delay=0.5)
    return outbox.get(record.id), report, points


def instrument_info(config: Any, role: str, driver: Any) -> dict[str, Any]:
    """Driver name and data plate of the instrument in ``role``, as JSON for the journal
    (quantities as ``{"value", "unit"}``, in the unit the instrument states them)."""
    from labctl.events import quantity_json

    inst = next((i for i in config.instruments.values() if i.role == role), None)
    plate_of = getattr(driver, "data_plate", None)
    plate = {key: quantity_json(v) if hasattr(v, "units") else v
             for key, v in (plate_of() if callable(plate_of) else {}).items()
             if v is not None}
    return {"instrument": inst.name if inst else None, "driver": inst.driver if inst else None,
            "data_plate": plate}


def _standards_data(bench: Any) -> list[dict[str, Any]]:
    """The certificate data of the standards used; a certificate that names no issuing
    laboratory is refused here, before anything is measured (the record needs it)."""
    data = [s.as_record() for s in bench.standards_used()]
    missing = [str(d.get("id")) for d in data if d.get("certificate") and not d.get("issued_by")]
    if missing:
        raise RunError(f"the certificate of {', '.join(missing)} names no issuing laboratory",
                       where="register", hint="give issued_by in the register entry; the "
                                             "record and its certificate state it")
    return data


def certificate_info(config: Any, request: CalibrationRequest) -> dict[str, Any]:
    """What the certificate needs of the run, journalled at its start: the issuing lab's
    details, the customer, the place and the declared deviations."""
    customer = dict(request.customer) if request.customer else config.customer
    return {"issuer": dict(config.issuer), "customer": customer, "place": dict(config.place),
            "deviations": [str(d) for d in request.deviations]}


def _stated(reading: Any) -> dict[str, Any] | None:
    if reading is None:
        return None
    from labctl.events import quantity_json

    return {name: quantity_json(q) for name, q in reading.quantities().items()}


def run_info(events: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The ``run_started`` event of a journal."""
    for event in events:
        if event.get("type") == "run_started":
            return event
    raise RunError("the journal has no run_started event", hint="is it a labctl journal?")


def analyse_events(procedure: Any, events: Sequence[Mapping[str, Any]]) -> list[Any]:
    """The analysis of a journal: pure; the data plate and certificates come from it."""
    from labctl.analysis import analyse

    run_info(events)
    return analyse(procedure, events)


def reanalyse(journal: str | Path, procedure_path: str | Path) -> list[Any]:
    """Analyse a finished run again from its journal, without touching an instrument."""
    from labctl.procedures.journal import read_journal
    from labctl.procedures.loading import load_procedure

    events, _problems = read_journal(journal)
    return analyse_events(load_procedure(procedure_path), events)


def correct(journal: str | Path, procedure_path: str | Path, supersedes: str,
            registry: str | None = None) -> tuple[Any, Any]:
    """A correction: the run's journal analysed again (with the procedure file the run
    used, or a corrected one with the same id) into a NEW record that names the one it
    supersedes; records are never changed. Returns (signed record, delivery report)."""
    from labctl.procedures.journal import finished_journal_sha256, read_journal
    from labctl.procedures.loading import load_procedure
    from labctl.registry.record import new_record_id

    procedure = load_procedure(procedure_path)
    events, _problems = read_journal(journal)
    started = run_info(events).get("procedure") or {}
    if started.get("id") not in (None, procedure.id):
        raise RunError(f"the run was made with procedure {started.get('id')!r}, not "
                       f"{procedure.id!r}", where=str(procedure_path),
                       hint="give the procedure file of the run")
    points = analyse_events(procedure, events)
    record = build_record(procedure, events, points,
                          journal_sha256=finished_journal_sha256(journal),
                          record_id=new_record_id(), supersedes=supersedes)
    return store_record(record, registry)


def _wall(event: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(event["wall"]).replace("Z", "+00:00")).astimezone(UTC)


def environment_summary(events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """min/max/mean of every quantity the environment readings of a run measured, or
    the bench's stated values."""
    series: dict[str, list[float]] = {}
    units: dict[str, str] = {}
    for event in events:
        if event.get("type") != "environment":
            continue
        for name, q in event.items():
            if isinstance(q, Mapping) and set(q) == {"value", "unit"} \
                    and q.get("value") is not None:
                series.setdefault(name, []).append(float(q["value"]))
                units[name] = str(q.get("unit") or "")
    if any(series.values()):
        return {"source": "measured", **{
            name: {"min": min(v), "max": max(v), "mean": statistics.fmean(v),
                   "unit": units[name]}
            for name, v in series.items() if v}}
    stated = run_info(events).get("environment_stated") or {}
    return {"source": "stated", **{
        name: {"min": q["value"], "max": q["value"], "mean": q["value"], "unit": q["unit"]}
        for name, q in stated.items()}}


def build_record(procedure: Any, events: Sequence[Mapping[str, Any]], points: list[Any], *,
                 journal_sha256: str, record_id: str | None = None,
                 supersedes: str | None = None) -> Any:
    """The (unsigned) record of a finished run: the one chosen at its start, or with
    ``record_id`` and ``supersedes`` a correction of an earlier record. A schema-2 record:
    with what its certificate needs (``labctl.record_content``)."""
    from labctl import record_content as content
    from labctl.history import fold
    from labctl.procedures.resume_checks import accepted_changes, operators
    from labctl.registry.record import Record, overall_decision
    from labctl.results import CONFORMING

    info = run_info(events)
    history = fold(events)
    finished = history.run_finished
    if finished is None or finished.get("state") != "done":
        raise RunError("the run did not finish; no record is made",
                       hint=f"resume it: labctl run ... --resume {info.get('run_id')}")
    dut_info = info.get("dut") or {}
    identity = history.identified.get("dut", {})
    expired = set(info.get("expired_standards") or ())
    applied = applied_corrections(points)
    standards = [_standard_used(s, info.get("allow_expired")
                                if expired & {s.get("id"), s.get("set")} else None,
                                applied.get(str(s.get("id"))))
                 for s in standards_used(info, events) if s.get("certificate")]
    procedure_ref = {"id": procedure.id, "version": procedure.version,
                     "title": procedure.title, "document": procedure.document,
                     "kind": procedure.kind,
                     "category": (info.get("parameters") or {}).get("category",
                                                                   procedure.category),
                     "sha256": procedure.sha256}
    rid = record_id or info["record_id"]
    ended = _wall(finished)
    decision = overall_decision(points)
    kind = content.expected_document_kind(procedure.kind, decision in CONFORMING)
    prefix = (info.get("issuer") or {}).get("number_prefix") or "LC"
    everyone = operators(events)
    return Record(
        schema_version=2,
        issue={"lab": content.issuer(info), "document_kind": kind,
               "number": content.certificate_number(prefix, rid, ended),
               "item_name": content.item_name(procedure)},
        customer=content.customer(info), place=info.get("place") or {"kind": "laboratory"},
        method=content.method(procedure, info.get("deviations") or (),
                              sorted(expired), info.get("allow_expired")),
        decision_rule=content.decision_rule(points),
        uncertainty_statement=content.uncertainty_statement(points),
        conclusion=content.conclusion(procedure, points, decision, ended),
        id=rid, supersedes=supersedes,
        lab=info.get("lab") or "-", run_id=info["run_id"],
        dut={"role": "dut", "driver": dut_info.get("driver") or "-",
             "maker": identity.get("maker", ""), "model": identity.get("model", ""),
             "serial": identity.get("serial", ""), "firmware": identity.get("firmware"),
             "data_plate": dut_info.get("data_plate") or {}},
        standards=standards, environment=environment_summary(events),
        procedure=procedure_ref, journal_sha256=journal_sha256, points=points,
        allow_expired=info.get("allow_expired"), parameters=info.get("parameters") or {},
        seed=info.get("seed"), virtual_clock=bool(info.get("virtual_clock")),
        simulated=list(info.get("simulated") or ()) or None,
        labctl_version=info.get("labctl_version") or "0", operator=info.get("operator") or "-",
        operators=everyone if len(everyone) > 1 else None,
        accepted_changes=accepted_changes(events) or None,
        started=_wall(info), finished=ended)


def standards_used(info: Mapping[str, Any], events: Sequence[Mapping[str, Any]]
                   ) -> list[Mapping[str, Any]]:
    """The journalled standards (``run_started``'s ``standards_data``) the run used.

    A family's action that puts a standard to use names it in its journal event's
    ``standards`` member (the weighing family's ``load`` event names the weights it
    places). Once a journal names any, a standard is listed only if an event names it or
    it is the register entry of one of the bench's instruments (a thermo-hygrometer, a
    reference monitor: used by being read); the weights of a set that no load put on
    are left out. A journal that names none (a family that does not say, a journal from
    before) lists every standard of the bench, as it always did."""
    named: set[str] = set()
    for event in events:
        listed = event.get("standards") if event.get("type") != "run_started" else None
        if isinstance(listed, list):
            named.update(str(x) for x in listed)
    data = list(info.get("standards_data") or [])
    if not named:
        return data
    instruments = set(info.get("instrument_standards") or ())
    return [s for s in data if s.get("id") in named or s.get("id") in instruments]


def applied_corrections(points: Sequence[Any]) -> dict[str, list[dict[str, Any]]]:
    """Standard id -> the corrections the analyses applied at each point (the points'
    ``details["corrections_applied"]``: a certificate table interpolated at a value),
    as a record's ``AppliedCorrection`` items."""
    out: dict[str, list[dict[str, Any]]] = {}
    for p in points:
        details = getattr(p, "details", None) or {}
        for a in details.get("corrections_applied") or ():
            out.setdefault(str(a.get("standard")), []).append({
                "point": p.point, "quantity": a.get("quantity"), "at": a["at"],
                "correction": a["correction"], "expanded_uncertainty": a["U"],
                "coverage_factor": a["k"],
                "interpolation_half_width": a["interpolation_half_width"],
                "between": a["between"]})
    return out


def _standard_used(s: Mapping[str, Any], allow_expired: str | None,
                   applied: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A register entry's certificate data (journalled at run start, by the entry's own
    ``as_record()``) as a record's ``standards`` item, with the corrections applied at
    each point where the run interpolated its certificate."""
    from labctl.record_content import standard_corrections

    description = s.get("description") or " ".join(
        str(s[k]) for k in ("kind", "id") if s.get(k))  # journals from before descriptions
    corrections = standard_corrections(s)
    if applied:
        corrections += "; applied: " + ", ".join(
            f"{a['point']} {a['correction']['value']:+.3g} {a['correction']['unit']} at "
            f"{a['at']['value']:.4g} {a['at']['unit']}" for a in applied)
    return {"register_id": s["id"], "description": description,
            "accuracy_class": s.get("class"), "certificate": s["certificate"],
            "calibration_date": s.get("calibrated") or s["due"], "due_date": s["due"],
            "expanded_uncertainty": s.get("U"), "coverage_factor": s.get("k"),
            "expired_allowed": allow_expired, "issued_by": s.get("issued_by"),
            "corrections": corrections, "applied_corrections": applied or None}


def store_record(record: Any, registry: str | None) -> tuple[Any, Any]:
    """Sign and chain the record into the outbox, then deliver it to the registry."""
    from labctl.registry.outbox import Outbox

    outbox = Outbox()
    outbox.put(record, registry)
    report = outbox.deliver(registry, max_attempts=3, base_delay=0.5)
    return outbox.get(record.id), report
