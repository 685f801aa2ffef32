"""``labctl registry key``: the lab key (show, rotate), the trusted keys (list, revoke) and
a person's own key (person)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from labctl.commands.registry import trusted_keys_option


@click.group("key")
def key() -> None:
    """The lab's signing key, the trusted keys and people's own keys: show, rotate, list,
    revoke, person."""


def _trusted_path(trusted_file: Path | None) -> Path:
    from labctl.paths import trusted_keys_path

    return trusted_file or trusted_keys_path()


@key.command("show")
def show() -> None:
    """The lab key of this labctl home: its id, public key, file and mode (made, mode
    0600, if missing)."""
    from labctl.paths import key_path
    from labctl.registry.key_rotation import key_file_mode
    from labctl.registry.signing import key_id, load_or_create_key, public_key_text

    private = load_or_create_key()
    path = key_path()
    click.echo(f"key id      {key_id(private.public_key())}")
    click.echo(f"public key  {public_key_text(private.public_key())}")
    click.echo(f"file        {path} (mode {key_file_mode(path):04o})")


@key.command("rotate")
@click.option("--note", required=True, help="Who rotates the key and why (kept in the "
              "trusted-keys file).")
@trusted_keys_option
def rotate(note: str, trusted_file: Path | None) -> None:
    """Make a new lab key; the old one is retired (keys/retired/) and stays trusted for
    what it signed. Give the new public key to the services' trusted-keys files."""
    from labctl.registry.key_rotation import rotate_lab_key

    path = _trusted_path(trusted_file)
    done = rotate_lab_key(path, note)
    click.echo(f"lab key rotated: {done.old_key_id} -> {done.new_key_id}; the old private key "
               f"is at {done.retired}; both are trusted in {path}")


@key.command("list")
@trusted_keys_option
def list_keys(trusted_file: Path | None) -> None:
    """The trusted keys, with their revocations."""
    from labctl.registry.trust import load_trusted_keys

    path = _trusted_path(trusted_file)
    keys = load_trusted_keys(path)
    revoked = getattr(keys, "revoked", {})
    for kid in keys:
        state = (f"revoked at {revoked[kid][0]}: {revoked[kid][1]}" if kid in revoked
                 else "trusted")
        click.echo(f"{kid}  {state}")


@key.command("revoke")
@click.argument("key_id")
@click.option("--reason", required=True, help="Why (compromised, person left, ...).")
@click.option("--at", "at", default=None, metavar="TIME",
              help="Revoked from this ISO time with offset (default: now), e.g. when the "
              "key was known to be compromised.")
@trusted_keys_option
def revoke(key_id: str, reason: str, at: str | None, trusted_file: Path | None) -> None:
    """Revoke a trusted key: what the registry stored before the revocation time stays
    the lab's; anything stored later signed by it is named by verify and refused by a
    service with this trusted-keys file. The lab key in use here cannot be revoked: rotate
    it first."""
    from labctl.errors import ConfigError
    from labctl.paths import key_path
    from labctl.registry.signing import key_id as kid_of
    from labctl.registry.signing import load_or_create_key
    from labctl.registry.trust import revoke_trusted_key

    if key_path().exists() and kid_of(load_or_create_key().public_key()) == key_id:
        raise ConfigError(f"key {key_id} is this labctl home's lab key, still signing",
                          hint="labctl registry key rotate --note ... first")
    when = None
    if at is not None:
        try:
            when = datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError as err:
            raise click.BadParameter(f"{at!r} is not an ISO time", param_hint="--at") from err
        if when.tzinfo is None:
            raise click.BadParameter("give the UTC offset, e.g. 2026-12-01T08:00:00Z",
                                     param_hint="--at")
    path = _trusted_path(trusted_file)
    stamp = revoke_trusted_key(path, key_id, reason, when)
    click.echo(f"key {key_id} revoked at {stamp} in {path}")


@key.command("person")
@click.argument("person_id", metavar="PERSON_ID")
def person(person_id: str) -> None:
    """Make PERSON_ID's own key pair in this labctl home (mode 0600; kept if it exists)
    and print the line to add under that person in the personnel list. From then on
    their reviews and approvals made here carry their personal signature, and the
    registry refuses their acts without it."""
    import re

    from labctl.errors import ConfigError
    from labctl.paths import person_key_path
    from labctl.registry.key_rotation import key_file_mode
    from labctl.registry.signing import key_id, load_or_create_key, public_key_text

    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", person_id):
        raise ConfigError(f"{person_id!r} is not a person id of a personnel list",
                          hint="give the id: lower-case letters, digits, '.', '_', '-'")
    path = person_key_path(person_id)
    existed = path.exists()
    private = load_or_create_key(path)
    public = private.public_key()
    state = "kept (it existed)" if existed else "made"
    click.echo(f"key {key_id(public)} of {person_id} {state}: {path} (mode "
               f"{key_file_mode(path):04o}). Add this line under person {person_id} in the "
               "personnel list:", err=True)
    click.echo(f"    public_key: {public_key_text(public)}")
