"""``labctl run PROCEDURE --bench BENCH``: run a calibration and store its record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from labctl.commands.registry import registry_option


@click.command()
@click.argument("procedure", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--bench", "bench", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The bench file: instruments, roles, standards.")
@registry_option
@click.option("--json", "json_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the signed record as JSON to FILE ('-' for standard output).")
@click.option("--resume", "resume", metavar="RUN_ID",
              help="Continue a run that died, from its journal (run id or run directory); "
                   "a finished run without its record gets its record stored.")
@click.option("--seed", type=int, default=None, help="Seed of the simulated bench.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Set a procedure parameter (repeatable), e.g. category=in_service.")
@click.option("--allow-expired", "allow_expired", metavar="REASON",
              help="Accept a standard past its due date; the reason goes in the record.")
@click.option("--realtime", is_flag=True,
              help="Run a simulated bench on the real clock (default: virtual clock).")
@click.option("--runs-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where run journals live (default: <labctl home>/runs).")
@click.option("--operator", default=None,
              help="Operator name (default: the bench's; on --resume, the run's last). "
                   "Another operator on --resume is recorded beside the first.")
@click.option("--accept-changed", "accept_changed", metavar="REASON",
              help="On --resume: accept a bench, register or procedure file changed since "
                   "the run started; the change and the reason go in the journal and record.")
@click.option("--customer", default=None, metavar="NAME",
              help="The customer (owner) of the instrument, for the certificate "
                   "(default: the bench's customer, else the lab itself, in-house).")
@click.option("--customer-address", default="", metavar="TEXT",
              help="The customer's address (with --customer).")
@click.option("--deviation", "deviations", multiple=True, metavar="TEXT",
              help="Declare a deviation from the method document (repeatable); it is "
                   "printed on the certificate.")
@click.option("--dry-run", is_flag=True,
              help="Check everything and print the plan; touch no instrument.")
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
def run(procedure: Path, bench: Path, registry_url: str | None, json_file: Path | None,
        resume: str | None, seed: int | None, params: tuple[str, ...],
        allow_expired: str | None, realtime: bool, runs_dir: Path | None,
        operator: str | None, accept_changed: str | None, customer: str | None,
        customer_address: str, deviations: tuple[str, ...], dry_run: bool,
        quiet: bool) -> None:
    """Run PROCEDURE on the bench, analyse it, and store the signed record.

    Every input is checked before an instrument moves. Each reading is journalled
    (fsync'd) before anything else sees it; a run that dies can be continued with
    --resume RUN_ID without re-measuring finished points (a run that died after its
    last reading only gets its record stored).

    Exit status: 0 done; 2 bad input or a failed run; 3 an instrument could not be put
    in its safe state (named, with what to check by hand); 130 stopped by Ctrl-C,
    SIGTERM or SIGHUP (resumable).
    """
    from rich.console import Console

    from labctl.calibration import CalibrationRequest, calibrate
    from labctl.procedures.parameters import parse_overrides
    from labctl.registry.database import check_url

    check_url(registry_url)  # a URL that can never work is refused before the run starts
    request = CalibrationRequest(
        procedure=procedure, bench=bench, registry=registry_url,
        parameters=parse_overrides(params), seed=seed, allow_expired=allow_expired,
        resume=resume, realtime=realtime, runs_dir=runs_dir, operator=operator,
        customer={"name": customer, "address": customer_address} if customer else None,
        deviations=deviations, accept_changed=accept_changed)
    if accept_changed is not None and resume is None:
        raise click.UsageError("--accept-changed goes with --resume RUN_ID")
    console = Console(stderr=json_file is not None and str(json_file) == "-")
    if not console.is_terminal:  # a log file or a pipe: room for the whole result table
        console.width = max(console.width, 100)
    if dry_run:
        _dry_run(request, console)
        return
    from labctl.commands.run_progress import RunProgress
    from labctl.procedures.stop_signals import stop_on_signals

    # Ctrl-C, SIGTERM (a service stop, a CI time-out) and SIGHUP (the terminal closed) are
    # noted and acted on between actions: safe states, the journal closed, exit 130.
    with RunProgress(console, enabled=not quiet) as progress, stop_on_signals():
        result = calibrate(request, on_event=progress.on_event)
    _summary(console, result)
    if json_file is not None:
        text = json.dumps(result.record.document(), indent=2, ensure_ascii=False)
        if str(json_file) == "-":
            click.echo(text)
        else:
            json_file.write_text(text + "\n", encoding="utf-8")
    if result.unsafe:
        from labctl.errors import RunError
        from labctl.procedures.teardown import UNSAFE_EXIT_STATUS

        error = RunError("NOT every instrument is in its safe state: "
                         + "; ".join(result.unsafe),
                         hint=f"the record {result.record.id} is stored; make the bench safe "
                              "by hand before anyone touches it")
        error.exit_code = UNSAFE_EXIT_STATUS
        raise error


def _dry_run(request: Any, console: Any) -> None:
    """The plan, made from the procedure and the bench file alone: no transport or
    simulator is opened, nothing is sent, and so no safe state is applied either."""
    from labctl.calibration import prepare
    from labctl.procedures.launch import plan_run

    procedure, config = prepare(request)
    seed, parameters = request.seed, request.parameters
    if request.resume:  # what the resume would do: the run's own parameters and seed
        from labctl.calibration import check_resume, run_info

        resume = check_resume(request, procedure, config)
        if resume.record_only:
            console.print(f"run {resume.run_id} finished without its record: --resume "
                          f"stores the record; no instrument is used", markup=False)
            return
        seed, parameters = resume.seed, dict(run_info(resume.events).get("parameters") or {})
        for change in resume.accepted:
            console.print(f"accepted change: {change['file']} {change['path']} "
                          f"({change['reason']})", markup=False)
    bench = config.declared(seed=seed, allow_expired=request.allow_expired)
    plan = plan_run(procedure, bench, parameters)
    # as plain text: "[up]" is not rich markup, and a long action stays on its line
    console.print(plan.describe() if hasattr(plan, "describe") else plan, markup=False,
                  highlight=False, soft_wrap=True)


def _summary(console: Any, result: Any) -> None:
    from rich.markup import escape

    from labctl.report.tables import decision_text, points_table, results_count

    record = result.record
    points = list(record.points)
    steps = record.method.steps if record.method is not None else None
    console.print(points_table(points, steps=steps, title=escape(
        f"{record.procedure.document}: {record.dut.maker} {record.dut.model} "
        f"serial {record.dut.serial}")))
    clock = "virtual" if result.virtual_clock else "real"
    console.print(escape(results_count(points, _measured(result.journal_path))))
    console.print(f"decision: {decision_text(record.decision)}   run {result.run_id} "
                  f"({result.clock_seconds / 60:.1f} min of {clock} time)")
    if record.allow_expired:
        expired = sorted({s.register_id.split("/")[0] for s in record.standards
                          if s.expired_allowed})
        console.print(f"[bold yellow]WARNING[/] standard(s) {escape(', '.join(expired))} used "
                      f"past the due date (--allow-expired: {escape(record.allow_expired)}); "
                      "the record and its certificate state it as a deviation")
    if record.is_simulated:
        from labctl.commands.registry import simulated_text

        console.print(f"[bold yellow]SIMULATED[/] {escape(simulated_text(record))}")
    delivery = result.delivery
    if result.record_stage_only:
        console.print(f"run {result.run_id} had finished without its record: record "
                      f"stage finished now")
    if result.delivered:
        console.print(f"record {record.id} stored in the registry")
    elif any(rid == record.id for rid, _ in delivery.rejected):
        reason = next(why for rid, why in delivery.rejected if rid == record.id)
        console.print(f"[red]record {record.id} was refused by the registry: "
                      f"{escape(reason)}[/] (kept in the outbox, rejected)")
    else:
        console.print(f"record {record.id} queued in the outbox: the registry could not "
                      f"take it now ({escape(str(delivery.last_error or 'not reached'))}); "
                      "`labctl registry deliver` retries")
    for line in result.unsafe:
        console.print(f"[bold red]WARNING[/] {escape(line)}")
    console.print(f"journal {escape(str(result.journal_path))}")


def _measured(journal_path: Any) -> list[str] | None:
    """The points the run finished, in order (what the progress bar counted)."""
    from labctl.procedures.journal import read_journal

    try:
        events, _problems = read_journal(journal_path)
    except Exception:  # noqa: BLE001 - the count is a courtesy; the record is stored
        return None
    return list(dict.fromkeys(str(e.get("point")) for e in events
                              if e.get("type") == "point_finished"))
