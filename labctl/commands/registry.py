"""``labctl registry``: list, show and verify the records in a registry."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from labctl.report.tables import decision_text as _decision
from labctl.report.tables import points_table
from labctl.report.tables import quantity_text as _q

if TYPE_CHECKING:
    from rich.console import Console

    from labctl.registry.record import Record
    from labctl.registry.store import Registry

F = TypeVar("F", bound=Callable[..., Any])



def registry_option(func: F) -> F:
    """The ``--registry URL`` option, shared with ``labctl run``."""
    return click.option(
        "--registry",
        "registry_url",
        metavar="URL",
        envvar="LABCTL_REGISTRY",
        default=None,
        help="Registry URL: sqlite:///path.db or postgresql+psycopg://user@host/db "
        "(default: the embedded registry in the labctl home; env LABCTL_REGISTRY).",
    )(func)


@click.group()
def registry() -> None:
    """Look at records in a registry."""


@registry.command("list")
@registry_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True,
              help="Show at most N records, newest first.")
@click.option("--lab", default=None, help="Only this lab's records.")
@click.option("--serial", default=None, help="Only records of the DUT with this serial number.")
@click.option("--decision", default=None,
              type=click.Choice(["pass", "fail", "conditional_pass", "conditional_fail"]),
              help="Only records with this overall decision.")
def list_records(registry_url: str | None, as_json: bool, limit: int, lab: str | None,
                 serial: str | None, decision: str | None) -> None:
    """List records, newest first."""
    from rich.markup import escape
    from rich.table import Table

    with _open(registry_url) as reg:
        rows = reg.list(limit=limit, lab=lab, dut_serial=serial, decision=decision)
        if as_json:
            click.echo(json.dumps([row.to_dict() for row in rows], indent=2))
            return
        console = _console()
        if not rows:
            console.print(f"No records in {escape(reg.url)}.")
            return
        table = Table(title=f"Records in {escape(reg.url)}", title_justify="left")
        table.add_column("id", no_wrap=True)
        table.add_column("finished (UTC)", no_wrap=True)
        table.add_column("lab", overflow="fold")
        table.add_column("DUT", overflow="fold")
        table.add_column("procedure", overflow="fold")
        table.add_column("decision", no_wrap=True)
        for row in rows:
            dut = f"{row.dut_maker} {row.dut_model} #{row.dut_serial}"
            table.add_row(
                row.id[:8],
                row.finished.replace("T", " ").removesuffix("Z")[:19],
                escape(row.lab),
                escape(dut),
                escape(f"{row.procedure_id}@{row.procedure_version}"),
                _decision(row.decision),
            )
        console.print(table)


@registry.command("show")
@click.argument("record_id", metavar="ID")
@registry_option
@click.option("--json", "as_json", is_flag=True, help="Print the record's JSON as stored.")
def show(record_id: str, registry_url: str | None, as_json: bool) -> None:
    """Show one record (ID or a unique prefix of it) and check its hash and signature."""
    with _open(registry_url) as reg:
        if as_json:
            doc = reg.document(record_id)
            click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
            for problem in reg.verify(record_id):
                click.echo(f"labctl: warning: {problem}", err=True)
            return
        record = reg.get(record_id)
        problems = reg.verify(record.id)
        _print_record(_console(), record, problems)


@registry.command("verify")
@registry_option
def verify(registry_url: str | None) -> None:
    """Check every lab's chain, hashes and signatures; exit 1 on any problem."""
    from rich.markup import escape

    from labctl.registry.errors import VerificationFailed

    console = _console()
    with _open(registry_url) as reg:
        labs = reg.labs()
        if not labs:
            console.print(f"No records in {escape(reg.url)}: nothing to verify.")
            return
        total = 0
        for lab in labs:
            problems = reg.verify_chain(lab)
            count = reg.count(lab)
            if problems:
                console.print(f"[bold red]lab {escape(lab)}: {count} records, "
                              f"{len(problems)} problems[/]")
                for problem in problems:
                    console.print(f"  - {escape(problem)}")
            else:
                console.print(f"[green]lab {escape(lab)}: {count} records; chain, hashes "
                              "and signatures good[/]")
            total += len(problems)
        if total:
            raise VerificationFailed(f"{total} problems found", where=f"registry {reg.url}",
                                     hint="see the list above")


@registry.command("deliver")
@registry_option
@click.option("--attempts", type=click.IntRange(min=1), default=5, show_default=True,
              help="Give up after N failed attempts in a row (waits 1, 2, 4... s between).")
def deliver(registry_url: str | None, attempts: int) -> None:
    """Push the records waiting in the local outbox to the registry."""
    from rich.markup import escape

    from labctl.registry.errors import RegistryError
    from labctl.registry.outbox import Outbox
    from labctl.registry.store import registry_name

    console = _console()
    outbox = Outbox()
    target = registry_name(registry_url)
    report = outbox.deliver(registry_url, max_attempts=attempts)
    console.print(f"{len(report.delivered)} records delivered to {escape(target)}.")
    for record_id, reason in report.rejected:
        console.print(f"[red]rejected {record_id}: {escape(reason)}[/]")
    for other, count in outbox.waiting().items():
        if other != target:
            console.print(f"{count} records wait for {escape(other)}: "
                          f"labctl registry deliver --registry {escape(other)}")
    if report.pending:
        raise RegistryError(f"{len(report.pending)} records still wait: {report.last_error}",
                            hint="run 'labctl registry deliver' again later")
    if report.rejected:
        raise RegistryError(f"{len(report.rejected)} records were rejected",
                            where=f"registry {target}", hint="see the reasons above")


# -- helpers ------------------------------------------------------------------------------


def _open(url: str | None) -> Registry:
    from labctl.registry.store import open_registry

    return open_registry(url)


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False)








def _print_record(console: Console, record: Record, problems: list[str]) -> None:
    from rich.markup import escape
    from rich.table import Table

    e = escape
    dut, proc = record.dut, record.procedure
    header = Table.grid(padding=(0, 2))
    header.add_column(style="bold")
    header.add_column()
    header.add_row("record", record.id)
    if record.supersedes:
        header.add_row("supersedes", record.supersedes)
    header.add_row("lab", e(record.lab))
    header.add_row("decision", _decision(record.decision))
    header.add_row("procedure", e(f"{proc.id}@{proc.version}  {proc.title} ({proc.document}, "
                                  f"{proc.kind}{', ' + proc.category if proc.category else ''})"))
    header.add_row("DUT", e(f"{dut.maker} {dut.model}, serial {dut.serial}"
                            f"{', firmware ' + dut.firmware if dut.firmware else ''}"
                            f" (role {dut.role}, driver {dut.driver})"))
    if dut.data_plate:
        plate = ", ".join(f"{k} = {v if isinstance(v, str) else _q(v)}"
                          for k, v in dut.data_plate.items())
        header.add_row("data plate", e(plate))
    header.add_row("operator", e(", ".join(record.operators or [record.operator])))
    for change in record.accepted_changes or ():
        header.add_row("accepted change", e(f"{change.file} {change.path} changed during "
                                            f"the run: {change.reason}"))
    header.add_row("started", record.started.isoformat().replace("+00:00", "Z"))
    header.add_row("finished", record.finished.isoformat().replace("+00:00", "Z"))
    env = record.environment
    for name, rng in (("temperature", env.temperature), ("humidity", env.humidity)):
        if rng is not None:
            header.add_row(name, e(f"{rng.mean:.4g} {rng.unit} ({rng.min:.4g} to "
                                   f"{rng.max:.4g}, {env.source})"))
    if record.allow_expired:
        header.add_row("allow expired", e(record.allow_expired))
    header.add_row("run", e(f"{record.run_id}, seed {record.seed}, "
                            f"{'virtual' if record.virtual_clock else 'real'} clock, "
                            f"labctl {record.labctl_version}"))
    console.print(header)

    if record.standards:
        standards = Table(title="Standards", title_justify="left")
        for column in ("register id", "description", "class", "certificate", "calibrated",
                       "due", "U (k)", "expired allowed"):
            standards.add_column(column, overflow="fold")
        for s in record.standards:
            u = "-" if s.expanded_uncertainty is None else (
                f"{_q(s.expanded_uncertainty)} ({s.coverage_factor:g})"
                if s.coverage_factor else _q(s.expanded_uncertainty))
            standards.add_row(e(s.register_id), e(s.description), e(s.accuracy_class or "-"),
                              e(s.certificate), s.calibration_date.isoformat(),
                              s.due_date.isoformat(), e(u), e(s.expired_allowed or "-"))
        console.print(standards)

    console.print(points_table(list(record.points)))

    if problems:
        console.print("[bold red]verification FAILED:[/]")
        for problem in problems:
            console.print(f"  - {escape(problem)}")
    else:
        console.print(f"[green]hash ok, signature ok[/] (key {record.key_id}, "
                      f"hash {record.hash})")
