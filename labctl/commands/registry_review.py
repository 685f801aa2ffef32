"""``labctl registry review`` and ``approve``: the reviewer's and the approver's acts, each
an immutable signed entry (``labctl.registry.reviews``), signed also with the person's own
key when their labctl home holds one (``labctl registry key person``); and the review
lines that ``registry show`` prints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from labctl.commands.registry import registry_option

_PERSONNEL = click.option(
    "--personnel", "personnel_file", metavar="FILE", default=None,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The lab's personnel list (default: env LABCTL_PERSONNEL, else <labctl home>/"
    "personnel.yaml). With a service URL the service checks against its own list; a "
    "local one then only maps a name given to --as to the id whose personal key signs.")
_AS = click.option("--as", "person", required=True, metavar="PERSON",
                   help="Who acts: an id or name from the personnel list (with a service "
                   "URL, the person the reviewer token was made for). When this labctl "
                   "home holds their own key (labctl registry key person ID), the act is "
                   "signed with it too.")


def _act(registry_url: str | None, personnel_file: Path | None, act: str, record_id: str,
         decision: str, reason: str, person: str, do: Any) -> dict[str, Any]:
    from labctl.personnel import personnel_from
    from labctl.registry.store import open_registry

    service = registry_url is not None and registry_url.partition("://")[0].lower() in (
        "http", "https")
    # with a service URL the service checks against its own list; a local one (if any)
    # only maps a name given to --as to the id whose personal key signs
    personnel = personnel_from(personnel_file)
    with open_registry(registry_url) as reg:
        signature = _person_signature(reg, act, record_id, decision, reason, person,
                                      personnel)
        if service:
            entry = do(reg, None, None, signature)
        else:
            from labctl.registry.signing import load_or_create_key

            entry = do(reg, personnel, load_or_create_key(), signature)
        status = reg.review_status(entry["record_id"])
    _keep_checkpoint(registry_url, entry)
    verb = {"review": entry["decision"], "approval": "approved (certificate authorised)"}
    click.echo(f"{entry['act']} entry {entry['id'][:8]}: record {entry['record_id']} "
               f"{verb[entry['act']]} by {entry['person']['name']} ({entry['role']}) at "
               f"{entry['time']}; entry hash {entry['hash'][:16]}")
    if entry.get("person_signature"):
        click.echo(f"signed personally by {entry['person']['name']} with key "
                   f"{entry['person_signature']['key_id']}, beside key {entry['key_id']}")
    click.echo(f"status: {status.status}: {status.describe()}")
    return entry


def _keep_checkpoint(registry_url: str | None, entry: dict[str, Any]) -> None:
    """Keep the entry's checkpoint in this machine's outbox (so ``verify`` here sees the
    chain's end cut off). The entry is written already: a checkpoint that cannot be kept
    is said on stderr, and the act still succeeds."""
    import sqlite3

    from labctl.errors import LabctlError
    from labctl.registry.outbox import Outbox

    try:
        Outbox().checkpoint_entry(registry_url, entry)
    except (LabctlError, sqlite3.Error, OSError) as err:
        click.echo(f"warning: the {entry['act']} entry {entry['id'][:8]} is written, but its "
                   f"checkpoint could not be kept in this machine's outbox ({err}): verify "
                   "here will not see this entry cut off the chain's end", err=True)


def _person_signature(reg: Any, act: str, record_id: str, decision: str, reason: str,
                      person: str, personnel: Any) -> dict[str, str] | None:
    """The person's own signature of the act, when their key is in this labctl home
    (``labctl registry key person ID``); None when it is not (the registry then refuses
    the act if the personnel list gives them a key), or when the local personnel list
    gives them no key yet (a note says so)."""
    import re

    from labctl.paths import person_key_path
    from labctl.registry.review_entry import act_statement, sign_act
    from labctl.registry.signing import load_or_create_key

    found = personnel.find(person) if personnel is not None else None
    person_id = found.id if found is not None else " ".join(person.split()).casefold()
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", person_id):
        return None  # a name without a list to find its id: no key file to look for
    path = person_key_path(person_id)
    if not path.exists():
        return None
    key = load_or_create_key(path)  # refused when others can read it
    if found is not None and not found.public_key:
        # the list does not know the key yet: a signature could not be checked, and the
        # registry would refuse the act; act as a person without a key, and say so
        from labctl.registry.signing import key_id

        click.echo(f"note: {found.name}'s key {key_id(key.public_key())} is not in the "
                   "personnel list yet: acting without a personal signature (add their "
                   "public_key line, which labctl registry key person prints)", err=True)
        return None
    doc = reg.document(record_id)
    statement = act_statement(str(doc["lab"]), act, str(doc["id"]), str(doc["hash"]),
                              decision, reason, person_id)
    return sign_act(statement, key)


@click.command("review")
@click.argument("record_id", metavar="ID")
@click.option("--approve", "decision", flag_value="approve", help="The record is right.")
@click.option("--reject", "decision", flag_value="reject", help="The record is not right.")
@click.option("--reason", default="", metavar="TEXT",
              help="What was checked, or why it is rejected (needed with --reject).")
@_AS
@registry_option
@_PERSONNEL
def review(record_id: str, decision: str | None, reason: str, person: str,
           registry_url: str | None, personnel_file: Path | None) -> None:
    """Review a record: a reviewer authorised for its procedure, not its operator, approves
    or rejects it. The act is kept as an immutable signed entry chained with the lab's
    other entries."""
    if decision is None:
        raise click.UsageError("give --approve or --reject")

    def do(reg: Any, personnel: Any, key: Any, signature: Any) -> dict[str, Any]:
        return reg.review(record_id, approve=decision == "approve", reason=reason,
                          person=person, personnel=personnel, key=key,
                          person_signature=signature)

    _act(registry_url, personnel_file, "review", record_id,
         "approved" if decision == "approve" else "rejected", reason, person, do)


@click.command("approve")
@click.argument("record_id", metavar="ID")
@_AS
@click.option("--reason", default="", metavar="TEXT", help="A note kept with the approval.")
@registry_option
@_PERSONNEL
def approve(record_id: str, person: str, reason: str, registry_url: str | None,
            personnel_file: Path | None) -> None:
    """Approve a positively reviewed record, authorising its certificate: an approver
    authorised for its procedure, not its operator. Kept as a signed entry."""

    def do(reg: Any, personnel: Any, key: Any, signature: Any) -> dict[str, Any]:
        return reg.approve(record_id, person=person, personnel=personnel, key=key,
                           reason=reason, person_signature=signature)

    _act(registry_url, personnel_file, "approval", record_id, "approved", reason, person, do)


def print_reviews(console: Any, reg: Any, record_id: str) -> None:
    """The record's review status and entries, for ``registry show``."""
    from rich.markup import escape

    status = reg.review_status(record_id)
    style = {"approved": "green", "rejected": "red"}.get(status.status, "yellow")
    console.print(f"review status: [{style}]{status.status}[/]: {escape(status.describe())}")
    for e in status.entries:
        reason = f": {e['reason']}" if e.get("reason") else ""
        console.print(escape(f"  {e['time']}  {e['act']} {e['decision']} by "
                             f"{e['person']['name']} ({e['person']['id']}, {e['role']})"
                             f"{reason}  [entry {e['id'][:8]}, hash {e['hash'][:12]}, key "
                             f"{e['key_id']}{_personal(e)}]"))


def _personal(entry: dict[str, Any]) -> str:
    signature = entry.get("person_signature")
    return f", personal key {signature.get('key_id')}" if isinstance(signature, dict) else ""
