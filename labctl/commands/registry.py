"""``labctl registry``: list, show and verify the records in a registry; serve one over
HTTP; make its tokens; keep the lab's trusted keys."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from labctl.numbers import counted
from labctl.report.tables import decision_text as _decision
from labctl.report.tables import points_table

if TYPE_CHECKING:
    from rich.console import Console

    from labctl.registry.record import Record

F = TypeVar("F", bound=Callable[..., Any])



def registry_option(func: F) -> F:
    """The ``--registry URL`` option, shared with ``labctl run``."""
    return click.option(
        "--registry",
        "registry_url",
        metavar="URL",
        envvar="LABCTL_REGISTRY",
        default=None,
        help="Registry URL: sqlite:///path.db, postgresql+psycopg://user@host/db, or a "
        "registry service http://host:8700 (default: the embedded registry in the labctl "
        "home; env LABCTL_REGISTRY).",
    )(func)


def trusted_keys_option(func: F) -> F:
    """The ``--trusted-keys FILE`` option: the lab's trust anchor."""
    return click.option(
        "--trusted-keys", "trusted_file", metavar="FILE", default=None,
        type=click.Path(dir_okay=False, path_type=Path),
        help="The lab's trusted public keys (default: <labctl home>/keys/trusted-keys.txt, "
        "env LABCTL_TRUSTED_KEYS); records signed by other keys are named.",
    )(func)


@click.group()
def registry() -> None:
    """Look at records in a registry, serve one, manage its tokens and trusted keys."""


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
@click.option("--status", default=None,
              type=click.Choice(["unreviewed", "reviewed", "rejected", "approved"]),
              help="Only records with this review status.")
def list_records(registry_url: str | None, as_json: bool, limit: int, lab: str | None,
                 serial: str | None, decision: str | None, status: str | None) -> None:
    """List records, newest first, with their review status; records of simulated runs
    are marked SIM."""
    from rich.markup import escape
    from rich.padding import Padding
    from rich.text import Text

    with _open(registry_url) as reg:
        rows = reg.list(limit=limit, lab=lab, dut_serial=serial, decision=decision,
                        **({"status": status} if status else {}))
        statuses = reg.review_statuses([row.id for row in rows])
        simulated = {row.id: _simulated(reg.document(row.id)) for row in rows}
        if as_json:
            click.echo(json.dumps([{**row.to_dict(), "status": statuses.get(row.id),
                                    "simulated": simulated[row.id]}
                                   for row in rows], indent=2))
            return
        console = _console()
        if not rows:
            console.print(f"No records in {escape(reg.url)}.")
            return
        # two lines a record, so that 80 columns hold it: the record, then what it is of
        labs = {row.lab for row in rows}
        one_lab = labs.pop() if len(labs) == 1 else None
        console.print(f"[bold]Records{' of ' + escape(one_lab) if one_lab else ''} in "
                      f"{escape(reg.url)}[/], newest first")
        procedure_width = max(len(f"{r.procedure_id}@{r.procedure_version}") for r in rows)
        console.print(f"[bold]{'id':<12}  {'finished (UTC)':<19}  "
                      f"{'procedure':<{procedure_width}}  decision[/]")
        for row in rows:
            what = f"{row.dut_maker} {row.dut_model} #{row.dut_serial}"
            if not one_lab:
                what += f" ({row.lab})"
            mark = " [bold yellow]SIM[/]" if simulated[row.id] else "    "
            procedure = f"{row.procedure_id}@{row.procedure_version}"
            console.print(f"{row.id[:8]}{mark}  "
                          f"{row.finished.replace('T', ' ').removesuffix('Z')[:19]:<19}  "
                          f"{escape(procedure):<{procedure_width}}  "
                          f"{_decision(row.decision)}")
            what += f"; review: {statuses.get(row.id, '-')}"
            console.print(Padding(Text(what), (0, 0, 0, 14)))
        if any(simulated.values()):
            console.print("[bold yellow]SIM[/]: a simulated run (its instruments were "
                          "simulators), not a calibration of a real instrument")


def _simulated(document: dict[str, Any]) -> bool:
    """A record document of a simulated run (``Record.is_simulated``)."""
    return bool(document.get("simulated")) or bool(document.get("virtual_clock"))


@registry.command("show")
@click.argument("record_id", metavar="ID")
@registry_option
@trusted_keys_option
@click.option("--json", "as_json", is_flag=True, help="Print the record's JSON as stored.")
def show(record_id: str, registry_url: str | None, trusted_file: Path | None,
         as_json: bool) -> None:
    """Show one record (ID or a unique prefix of it) and check its hash, its signature and
    whether its key is trusted; say whether a later record supersedes it."""
    from labctl.registry.trust import trusted_keys

    trusted, _source = trusted_keys(trusted_file)
    with _open(registry_url) as reg:
        if as_json:
            doc = reg.document(record_id)
            click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
            for problem in reg.verify(record_id, trusted):
                click.echo(f"labctl: warning: {problem}", err=True)
            for later in reg.superseded_by(str(doc["id"])):
                click.echo(f"labctl: warning: superseded by record {later}", err=True)
            return
        record = reg.get(record_id)
        problems = reg.verify(record.id, trusted)
        console = _console()
        _print_record(console, record, problems, reg.superseded_by(record.id),
                      trusted is not None)
        from labctl.commands.registry_review import print_reviews

        print_reviews(console, reg, record.id)


@registry.command("verify")
@registry_option
@trusted_keys_option
@click.option("--personnel", "personnel_file", metavar="FILE", default=None,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The lab's personnel list: review entries' personal signatures are "
              "checked against the keys it gives (default: env LABCTL_PERSONNEL, else "
              "<labctl home>/personnel.yaml if it exists).")
@click.option("--reset-verified", is_flag=True,
              help="Forget the chain heads this machine noted for this registry at earlier "
              "verifications, and note the current ones: only after the registry was "
              "replaced on purpose (restored from a backup), since the heads noted are "
              "what shows records cut off a chain's end.")
def verify(registry_url: str | None, trusted_file: Path | None,
           personnel_file: Path | None, reset_verified: bool) -> None:
    """Check every lab's chain, every row against its record, hashes, signatures, that
    each record's key is trusted, that the chains still reach the heads this machine's
    outbox checkpointed and the heads earlier verifications from here found good, and
    the review entries (with their personal signatures against the personnel list);
    exit 1 on any problem. The head of each chain found good is noted (signed, in the
    outbox of this labctl home) for the next verification."""
    from rich.markup import escape

    from labctl.personnel import personnel_from
    from labctl.registry.errors import VerificationFailed
    from labctl.registry.trust import trusted_keys

    console = _console()
    trusted, source = trusted_keys(trusted_file)
    console.print(escape(f"trust: {source}"),
                  style="yellow" if trusted is None else None)
    personnel = personnel_from(personnel_file)
    console.print(escape(f"personnel: {personnel.path}" if personnel is not None else
                         "personnel: no list: personal signatures are checked under the "
                         "keys they carry, not against the people's keys"),
                  style="yellow" if personnel is None else None)
    notes = _HeadNotes(console, registry_url)  # where the verified heads are noted
    with _open(registry_url) as reg:
        if reset_verified and notes.outbox is not None:
            dropped = notes.outbox.forget_verified_heads(registry_url)
            console.print(f"forgot the chain heads noted for {escape(reg.url)} "
                          f"({counted(dropped, 'note')})", style="yellow")
        labs = reg.labs()
        total = 0
        problems, cut, cut_entries = _checkpoint_problems(reg, notes.outbox, registry_url,
                                                          trusted)
        for problem in problems:
            console.print(f"[bold red]{escape(problem)}[/]")
            total += 1
        if not labs and not total:
            console.print(f"No records in {escape(reg.url)}: nothing to verify.")
            return
        from labctl.registry.trust import revoked_record_problems

        for lab in labs:
            head = reg.chain_head(lab)  # before the walk: the walk covers it
            problems = reg.verify_chain(lab, trusted) + revoked_record_problems(reg, lab,
                                                                                trusted)
            if not problems and head is not None and lab not in cut:
                # a lab whose noted head is gone keeps that note until --reset-verified
                notes.keep(lab, head)
            count = head[2] if head is not None else reg.count(lab)
            if problems:
                console.print(f"[bold red]lab {escape(lab)}: {_records(count)}, "
                              f"{counted(len(problems), 'problem')}[/]")
                for problem in problems:
                    console.print(f"  - {escape(problem)}")
            else:
                keys = "trusted keys" if trusted is not None else "keys (not checked: no trust " \
                    "anchor)"
                console.print(f"[green]lab {escape(lab)}: {_records(count)}; chain, hashes "
                              f"and signatures good; columns match; {keys}[/]")
            total += len(problems)
        for lab in reg.review_labs():
            entry_head = reg.entry_chain_head(lab)  # before the walk: the walk covers it
            problems = reg.verify_reviews(lab, trusted, personnel)
            if not problems and entry_head is not None and lab not in cut_entries:
                notes.keep(lab, entry_head, entries=True)
            if problems:
                console.print(f"[bold red]lab {escape(lab)}: review entries: "
                              f"{counted(len(problems), 'problem')}[/]")
                for problem in problems:
                    console.print(f"  - {escape(problem)}")
            else:
                console.print(f"[green]lab {escape(lab)}: review and approval entries: "
                              "chain, hashes and signatures good[/]")
            total += len(problems)
        notes.say()
        if total:
            raise VerificationFailed(f"{counted(total, 'problem')} found",
                                     where=f"registry {reg.url}", hint="see the list above")


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
    console.print(f"{_records(len(report.delivered))} delivered to {escape(target)}.")
    if report.pending:
        console.print(f"{_records(len(report.pending))} queued in the outbox for "
                      f"{escape(target)}: {escape(str(report.last_error))}")
    for record_id, reason in report.rejected:
        console.print(f"[red]rejected {record_id}: {escape(reason)}[/]")
    for other, count in outbox.waiting().items():
        if other != target:
            console.print(f"{_records(count, ('waits', 'wait'))} for {escape(other)}: "
                          f"labctl registry deliver --registry {escape(other)}")
    if report.pending:
        still = _records(len(report.pending), ("still waits", "still wait"))
        raise RegistryError(f"{still}: {report.last_error}",
                            hint="run 'labctl registry deliver' again later")
    if report.rejected:
        raise RegistryError(f"{_records(len(report.rejected), ('was', 'were'))} rejected",
                            where=f"registry {target}", hint="see the reasons above")


def _records(count: int, verbs: tuple[str, str] = ("", "")) -> str:
    """``1 record``, ``2 records``; with ``verbs`` (singular, plural), ``1 record was``,
    ``2 records were``."""
    verb = verbs[0] if count == 1 else verbs[1]
    return f"{counted(count, 'record')} {verb}" if verb else counted(count, "record")


@registry.command("serve")
@click.option("--db", "db_url", required=True, metavar="URL",
              help="The database: postgresql+psycopg://user@host/db or sqlite:///path.db.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8700, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Service processes (PostgreSQL; SQLite serialises writers anyway).")
@click.option("--trusted-keys", "trusted_file", default=None,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Refuse records signed by keys not in this trusted-keys file.")
@click.option("--max-body", type=click.IntRange(1024, 64 << 20), default=1 << 20,
              show_default=True, help="Largest request body, in bytes.")
@click.option("--personnel", "personnel_file", default=None,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The lab's personnel list: reviews and approvals are checked against it "
              "(without it they are refused).")
@click.option("--key", "key_file", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="The key that signs review and approval entries (default: the lab key "
              "of this labctl home; made, mode 0600, if missing).")
def serve(db_url: str, host: str, port: int, workers: int, trusted_file: Path | None,
          max_body: int, personnel_file: Path | None, key_file: Path | None) -> None:
    """Serve the registry at --db over HTTP (API under /v1, OpenAPI at /docs); the schema
    is created or migrated first."""
    import os

    import uvicorn

    from labctl.registry.migrate import upgrade
    from labctl.registry.store import open_registry

    with open_registry(db_url) as reg:  # migrates once, before the workers start
        upgrade(reg._engine, reg.url)
        shown = reg.url
    os.environ["LABCTL_SERVICE_DB"] = db_url
    os.environ["LABCTL_SERVICE_MAX_BODY"] = str(max_body)
    if trusted_file is not None:
        os.environ["LABCTL_SERVICE_TRUSTED_KEYS"] = str(trusted_file.resolve())
    if personnel_file is not None:
        from labctl.personnel import load_personnel

        load_personnel(personnel_file)  # a bad list is refused here, in one line
        os.environ["LABCTL_SERVICE_PERSONNEL"] = str(personnel_file.resolve())
    if key_file is not None:
        from labctl.registry.signing import load_or_create_key

        load_or_create_key(key_file)
        os.environ["LABCTL_SERVICE_KEY"] = str(key_file.resolve())
    click.echo(f"labctl registry: serving {shown} on http://{host}:{port} "
               f"(API /v1, docs /docs)", err=True)
    uvicorn.run("labctl.registry.service:app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level="info")


@registry.group("token")
def token() -> None:
    """Bearer tokens of the registry service."""


@token.command("create")
@click.option("--role", type=click.Choice(["bench", "reviewer", "reader"]), required=True,
              help="bench: push and read; reviewer: review and read; reader: read.")
@click.option("--db", "db_url", required=True, metavar="URL", help="The service's database.")
@click.option("--label", default="", help="Who or what the token is for (shown in lists).")
@click.option("--person", default=None, metavar="ID",
              help="Reviewer tokens: the person of the personnel list who acts with it "
              "(needed to review and approve through the service).")
def token_create(role: str, db_url: str, label: str, person: str | None) -> None:
    """Make a token; it is printed once (on stdout) and only its hash is kept."""
    from labctl.registry.store import open_registry
    from labctl.registry.tokens import create_token

    with open_registry(db_url) as reg:
        secret, info = create_token(reg, role, label, person)
    click.echo(f"token {info.token_id} ({role}) created; it is shown this once. Give it to "
               "the client as LABCTL_REGISTRY_TOKEN or in its token file:", err=True)
    click.echo(secret)


@token.command("list")
@click.option("--db", "db_url", required=True, metavar="URL", help="The service's database.")
def token_list(db_url: str) -> None:
    """The tokens (ids, roles, labels; never the tokens themselves)."""
    from labctl.registry.store import open_registry
    from labctl.registry.tokens import list_tokens

    with open_registry(db_url) as reg:
        for row in list_tokens(reg):
            state = f"revoked {row['revoked']}" if row["revoked"] else "live"
            who = f"  as {row['person']}" if row.get("person") else ""
            click.echo(f"{row['token_id']}  {row['role']:<8}  {row['created']}  {state}  "
                       f"{row['label']}{who}")


@token.command("revoke")
@click.argument("token_id")
@click.option("--db", "db_url", required=True, metavar="URL", help="The service's database.")
def token_revoke(token_id: str, db_url: str) -> None:
    """Revoke a token by its id (services notice within 30 s)."""
    from labctl.registry.errors import RegistryError
    from labctl.registry.store import open_registry
    from labctl.registry.tokens import revoke_token

    with open_registry(db_url) as reg:
        if not revoke_token(reg, token_id):
            raise RegistryError(f"no live token {token_id!r}",
                                hint="'labctl registry token list' shows them")
    click.echo(f"token {token_id} revoked")


@registry.command("trust")
@click.argument("public_key_file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--note", required=True,
              help="Who adds the key and why (kept beside it in the file).")
@trusted_keys_option
def trust(public_key_file: Path, note: str, trusted_file: Path | None) -> None:
    """Add a lab public key (PEM or base64) to the trusted-keys file: records signed by it
    count as the lab's. Only an authorised person should do this."""
    from labctl.paths import trusted_keys_path
    from labctl.registry.signing import load_public_key
    from labctl.registry.trust import add_trusted_key

    path = trusted_file or trusted_keys_path()
    key = load_public_key(public_key_file.read_text(encoding="ascii").strip())
    kid = add_trusted_key(path, key, note)
    click.echo(f"key {kid} is trusted ({path})")


# -- helpers ------------------------------------------------------------------------------


def _open(url: str | None) -> Any:
    from labctl.registry.store import open_registry

    return open_registry(url)


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False)








def _checkpoint_problems(reg: Any, outbox: Any, registry_url: str | None,
                         trusted: Any) -> tuple[list[str], set[str], set[str]]:
    """The chain heads this machine's outbox checkpointed for this registry that the
    registry no longer holds: the last records it delivered (the end of a record chain
    was cut off), the heads earlier verifications from here found good, and the last
    review or approval entries written from here (the end of an entry chain was cut
    off); and every checkpoint that is itself not good. Also the labs whose verified
    record-chain head, and those whose verified entry-chain head, is missing or its note
    not good (their notes are not moved on). ``outbox``: this labctl home's, where the
    checkpoints are kept (None: it cannot be opened, nothing is checked)."""
    if outbox is None:
        return [], set(), set()
    problems = []
    own = _own_key_id()
    reset = ("or the chain was rewritten (if the registry was restored from a backup on "
             "purpose: registry verify --reset-verified)")
    cut = _noted_heads(
        outbox.verified_heads(registry_url), "verified-head note", trusted, own, problems,
        lambda h: reg.has_record(h.lab, h.record_id, h.hash),
        lambda h: f"lab {h.lab!r}: record {h.record_id[:8]} (hash {h.hash[:12]}), the last "
                  f"of the lab's {h.count} records when this machine last found the chain "
                  f"good ({h.at}), is missing: records were cut off the chain's end {reset}")
    cut_entries = _noted_heads(
        outbox.verified_entry_heads(registry_url), "verified entry-head note", trusted, own,
        problems, lambda h: reg.has_entry(h.lab, h.record_id, h.hash),
        lambda h: f"lab {h.lab!r}: review entry {h.entry_id[:8]} (record "
                  f"{h.record_id[:8]}, hash {h.hash[:12]}), the last of the lab's {h.count} "
                  f"review and approval entries when this machine last found their chain "
                  f"good ({h.at}), is missing: entries were cut off the chain's end {reset}")
    for checkpoint in outbox.checkpoints(registry_url):
        bad = _checkpoint_itself(checkpoint, "outbox checkpoint", trusted, own)
        if bad:
            problems.append(bad)
        elif not reg.has_record(checkpoint.lab, checkpoint.record_id, checkpoint.hash):
            problems.append(
                f"lab {checkpoint.lab!r}: record {checkpoint.record_id[:8]} (hash "
                f"{checkpoint.hash[:12]}), delivered from this bench on {checkpoint.at} and "
                "checkpointed in its outbox, is missing: the chain was cut or rewritten")
    for point in outbox.entry_checkpoints(registry_url):
        bad = _checkpoint_itself(point, "review-entry checkpoint", trusted, own)
        if bad:
            problems.append(bad)
        elif not reg.has_entry(point.lab, point.record_id, point.hash):
            problems.append(
                f"lab {point.lab!r}: {point.act} entry {point.entry_id} (record "
                f"{point.record_id}, {point.person_name} ({point.person_id}) as {point.role}, "
                f"hash {point.hash[:12]}), written from this machine and checkpointed in its "
                f"outbox on {point.at}, is missing from the lab's entry chain: entries were "
                "cut off its end or the chain was rewritten, so the record's review status "
                "no longer shows this act")
    return problems, cut, cut_entries


def _noted_heads(heads: list[Any], what: str, trusted: Any, own: str | None,
                 problems: list[str], present: Any, missing: Any) -> set[str]:
    """Check the chain heads earlier verifications noted (``heads``): a note that is
    not good itself, or whose head the registry no longer holds (``present``), adds its
    problem to ``problems`` (``missing`` says it); the labs of those notes."""
    cut = set()
    for head in heads:
        bad = _checkpoint_itself(head, what, trusted, own)
        if bad is None and present(head):
            continue
        cut.add(head.lab)
        problems.append(bad or missing(head))
    return cut


class _HeadNotes:
    """The notes ``verify`` keeps of the chain heads it found good, in the outbox of this
    labctl home (made if it does not exist yet). A home where the outbox cannot be
    opened or written (read-only, full) does not stop the verification: it is said once,
    and nothing is noted or checked against earlier notes."""

    def __init__(self, console: Console, registry_url: str | None):
        from labctl.registry.errors import OutboxError
        from labctl.registry.outbox import Outbox

        self._console, self._url, self._said = console, registry_url, False
        self.kept = 0
        self.outbox: Any = None
        try:
            self.outbox = Outbox()
        except OutboxError as err:
            self._cannot(err)

    def keep(self, lab: str, head: tuple[Any, ...], *, entries: bool = False) -> None:
        """Note ``head`` of ``lab``'s record chain (``entries``: of its entry chain);
        nothing when the outbox could not be opened."""
        from labctl.registry.errors import OutboxError, SigningError

        if self.outbox is None:
            return
        keeper = self.outbox.keep_verified_entry_head if entries else \
            self.outbox.keep_verified_head
        try:
            keeper(self._url, lab, *head)
        except (OutboxError, SigningError, OSError) as err:
            self._cannot(err)
        else:
            self.kept += 1

    def say(self) -> None:
        """Say where the heads found good were noted, if any were."""
        from rich.markup import escape

        if self.kept:
            self._console.print(escape(
                f"noted the {counted(self.kept, 'chain head')} found good in "
                f"{self.outbox.path}: a later verify from this labctl home names any of "
                "them that is gone"))

    def _cannot(self, err: Exception) -> None:
        from rich.markup import escape

        if not self._said:
            self._said = True
            self._console.print(
                f"[yellow]cannot keep notes of the chain heads in this labctl home "
                f"({escape(' '.join(str(err).split()))}): records or entries cut off a "
                "chain's end since an earlier verification from here are not looked for[/]")


def _checkpoint_itself(point: Any, what: str, trusted: Any, own: str | None) -> str | None:
    """What is wrong with a checkpoint itself (its signature, its key), or None. A
    checkpoint is a note this machine kept for itself: its key must be this labctl
    home's own key (``own``; a reviewer's machine signs with its own, which the lab's
    trust anchor need not list) or, with a trust anchor, a trusted key."""
    if not point.signature_ok:
        return (f"{what} of lab {point.lab!r} in {_outbox_name()} has a bad signature: it "
                "was edited after it was signed, so it cannot vouch for the chain's end")
    if trusted is not None and point.key_id not in trusted and point.key_id != own:
        return (f"{what} of lab {point.lab!r} is signed by key {point.key_id}, which is "
                "neither trusted nor this machine's own key")
    return None


def _own_key_id() -> str | None:
    """The key id of this labctl home's key, which signs its checkpoints (None if it has
    none yet; nothing is created)."""
    from labctl.paths import key_path
    from labctl.registry.errors import SigningError
    from labctl.registry.signing import key_id, load_public_key, public_key_path

    pub = public_key_path(key_path())
    try:
        return key_id(load_public_key(pub.read_bytes())) if pub.exists() else None
    except (OSError, SigningError):
        return None


def _outbox_name() -> str:
    from labctl.paths import outbox_path

    return str(outbox_path())


def _print_record(console: Console, record: Record, problems: list[str],
                  superseded_by: list[str] | None = None, trusted: bool = False) -> None:
    from rich.markup import escape

    from labctl.numbers import number_text, quantity_text, unit_text

    e = escape
    dut, proc = record.dut, record.procedure
    header = _grid()
    header.add_row("record", record.id)
    if record.is_simulated:
        header.add_row("[bold yellow]SIMULATED[/]", e(simulated_text(record)))
    if record.supersedes:
        header.add_row("supersedes", record.supersedes)
    for later in superseded_by or []:
        header.add_row("superseded by", f"{later} (this record is superseded)")
    header.add_row("lab", e(record.lab))
    header.add_row("decision", _decision(record.decision))
    header.add_row("procedure", e(f"{proc.id}@{proc.version}  {proc.title} ({proc.document}, "
                                  f"{proc.kind}{', ' + proc.category if proc.category else ''})"))
    header.add_row("DUT", e(f"{dut.maker} {dut.model}, serial {dut.serial}"
                            f"{', firmware ' + dut.firmware if dut.firmware else ''}"
                            f" (role {dut.role}, driver {dut.driver})"))
    if dut.data_plate:
        plate = ", ".join(f"{k} = {v if isinstance(v, str) else quantity_text(v, compact=True)}"
                          for k, v in dut.data_plate.items())
        header.add_row("data plate", e(plate))
    header.add_row("operator", e(", ".join(record.operators or [record.operator])))
    for change in record.accepted_changes or ():
        header.add_row("accepted change", e(f"{change.file} {change.path} changed during "
                                            f"the run: {change.reason}"))
    for g in record.gross_errors or ():
        header.add_row("GROSS ERROR", e(f"{g.point}: {g.message.removeprefix('gross error: ')}"))
    for a in record.abandoned_attempts or ():
        header.add_row("abandoned", e(f"{a.point} attempt {a.attempt}: {a.reason}"))
    header.add_row("started", record.started.isoformat().replace("+00:00", "Z"))
    header.add_row("finished", record.finished.isoformat().replace("+00:00", "Z"))
    env = record.environment
    quantities = {"temperature": env.temperature, "humidity": env.humidity,
                  **(env.model_extra or {})}
    for name, rng in quantities.items():
        if rng is not None:
            unit = unit_text(rng.unit)
            header.add_row(name, e(f"{number_text(rng.mean, digits=4)} {unit} "
                                   f"({number_text(rng.min, digits=4)} to "
                                   f"{number_text(rng.max, digits=4)}, {env.source})"))
    if record.allow_expired:
        header.add_row("[bold yellow]expired standard[/]",
                       e(f"used past its due date: {record.allow_expired}"))
    header.add_row("run", e(f"{record.run_id}, seed {record.seed}, "
                            f"{'virtual' if record.virtual_clock else 'real'} clock, "
                            f"labctl {record.labctl_version}"))
    console.print(header)

    if record.standards:
        console.print()
        console.print(standards_table(record.standards))
        applied = [(s, a) for s in record.standards for a in s.applied_corrections or ()]
        if applied:  # a certificate table interpolated at each point
            from rich import box
            from rich.table import Table

            table = Table(title="Corrections applied", title_justify="left",
                          box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
            for column in ("standard", "point", "at", "correction", "U (k)",
                           "interp. ±", "between"):
                table.add_column(column, overflow="fold", no_wrap=column != "between")
            for s, a in applied:
                ends = [quantity_text(b, digits=4) for b in a.between]
                table.add_row(e(s.register_id), e(a.point), e(quantity_text(a.at, digits=4)),
                              e(quantity_text(a.correction, digits=3, sign=True)),
                              e(f"{quantity_text(a.expanded_uncertainty, digits=2)} "
                                f"({a.coverage_factor:g})"),
                              e(quantity_text(a.interpolation_half_width, digits=2)),
                              e(" to ".join(x.split(" ")[0] for x in ends[:-1])
                                + (" to " if len(ends) > 1 else "") + ends[-1]))
            console.print(table)

    console.print()
    steps = record.method.steps if record.method is not None else None
    console.print(points_table(list(record.points), steps=steps))

    for later in superseded_by or []:
        console.print(f"[bold yellow]SUPERSEDED by record {later}[/]: this record was "
                      "corrected; use the later one")
    if record.is_simulated:
        console.print("[bold yellow]SIMULATED[/]: " + e(simulated_text(record)))
    if problems:
        console.print("[bold red]verification FAILED:[/]")
        for problem in problems:
            console.print(f"  - {escape(problem)}")
    else:
        key = "trusted key" if trusted else "key (no trust anchor: authorship not checked)"
        console.print(f"[green]hash ok, signature ok[/], {key} {record.key_id}, "
                      f"hash {record.hash}")


def simulated_text(record: Any) -> str:
    """What a simulated record's readers must know, in one sentence."""
    names = ", ".join(record.simulated or ())
    what = f"instruments {names} were simulators" if names else \
        "the run was on the virtual clock of an all-simulated bench"
    return f"{what}: not a calibration of a real instrument"


def _grid() -> Any:
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    return grid


#: A correction's value in a standard's ``corrections`` text.
_CORRECTION = re.compile(r" ?\(correction ([^)]*)\)")


def standards_table(standards: list[Any]) -> Any:
    """The standards used, grouped by certificate: the certificate, its issuing
    laboratory and dates once, then each standard with its U and the correction the run
    applied. Narrow enough for 80 columns."""
    from rich import box
    from rich.console import Group
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    from labctl.numbers import number_text, readable_units
    from labctl.numbers import quantity_text as qtext

    groups: dict[tuple[Any, ...], list[Any]] = {}
    for s in standards:  # by certificate, then by the kind of correction applied
        key = (s.certificate, s.issued_by, s.calibration_date, s.due_date, s.expired_allowed,
               _CORRECTION.sub("", s.corrections or "-"))
        groups.setdefault(key, []).append(s)
    parts: list[Any] = [Text(f"Standards used ({len(standards)})", style="bold underline")]
    for (certificate, issued_by, calibrated, due, expired, _), items in groups.items():
        line = (f"certificate {certificate}, {issued_by or 'issuer not recorded'}, "
                f"calibrated {calibrated.isoformat()}, due {due.isoformat()}")
        if expired:
            line += f" (USED PAST ITS DUE DATE: {expired})"
        # one correction text for the whole group, its value apart (weights of a set:
        # "conventional mass ... applied (correction +120 mg)")
        kinds = {_CORRECTION.sub("", s.corrections or "-") for s in items}
        shared = kinds.pop() if len(kinds) == 1 else None
        if shared is not None:
            line += f"; correction applied: {readable_units(shared)}"
        table = Table(title=escape(line), title_justify="left", box=box.SIMPLE_HEAD,
                      pad_edge=False, collapse_padding=True, show_edge=False,
                      title_style="bold yellow" if expired else "")
        table.add_column("standard", no_wrap=True)
        table.add_column("description", overflow="fold", ratio=3)
        table.add_column("U (k)", no_wrap=True)
        values = [_CORRECTION.search(s.corrections or "") for s in items]
        with_values = shared is None or any(values)
        if with_values:
            table.add_column("correction", overflow="fold", ratio=2 if shared is None else 1)
        for s, value in zip(items, values, strict=True):
            u = "-" if s.expanded_uncertainty is None else qtext(s.expanded_uncertainty)
            if s.expanded_uncertainty is not None and s.coverage_factor:
                u += f" ({number_text(s.coverage_factor, digits=3)})"
            description = s.description + (f", class {s.accuracy_class}"
                                            if s.accuracy_class else "")
            correction = (value.group(1) if value else "-") if shared is not None \
                else (s.corrections or "-")
            row = [escape(s.register_id), escape(readable_units(description)), escape(u)]
            table.add_row(*row, *([escape(readable_units(correction))] if with_values else []))
        parts += [Text(""), table]
    return Group(*parts)


def _add_review_commands() -> None:
    from labctl.commands.registry_keys import key
    from labctl.commands.registry_review import approve, review

    registry.add_command(review)
    registry.add_command(approve)
    registry.add_command(key)


_add_review_commands()
