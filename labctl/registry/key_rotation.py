"""Rotating the lab key: a new key signs from now on; the old one stays trusted for what
it signed.

``rotate_lab_key`` moves the private key (and its public key) to ``keys/retired/`` under
its key id (mode 0600 kept), makes a new key in its place (mode 0600), and appends both
public keys to the trusted-keys file (the old one only if it was not there), so records
and review entries signed before the rotation still verify as the lab's. Records waiting
in the outbox keep the public key that signed them and are delivered as they are; one
that must be re-linked is re-signed with the new key.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from labctl.registry.errors import SigningError
from labctl.registry.signing import key_id, load_or_create_key, public_key_path
from labctl.registry.trust import add_trusted_key, load_trusted_keys


@dataclass(frozen=True)
class Rotation:
    old_key_id: str
    new_key_id: str
    retired: Path


def key_file_mode(path: Path) -> int:
    """The permission bits of the key file (0o600 expected)."""
    return stat.S_IMODE(path.stat().st_mode)


def rotate_lab_key(trusted_file: Path, note: str, path: Path | None = None) -> Rotation:
    """Replace the lab key at ``path`` (default ``key_path()``) with a new one; see the
    module doc."""
    if path is None:
        from labctl.paths import key_path

        path = key_path()
    if not path.exists():
        raise SigningError("there is no lab key to rotate", where=str(path),
                           hint="the first run or 'labctl registry key show' makes one")
    old = load_or_create_key(path)  # refuses a key readable by others
    old_kid = key_id(old.public_key())
    if not trusted_file.exists() or old_kid not in load_trusted_keys(trusted_file):
        add_trusted_key(trusted_file, old.public_key(),
                        f"the lab key before rotation (kept for what it signed): {note}")
    retired = path.parent / "retired"
    retired.mkdir(mode=0o700, exist_ok=True)
    target = retired / f"{path.stem}-{old_kid}.pem"
    if target.exists():
        raise SigningError(f"a retired key {target.name} already exists", where=str(retired))
    os.replace(path, target)
    pub = public_key_path(path)
    if pub.exists():
        os.replace(pub, public_key_path(target))
    new = load_or_create_key(path)
    new_kid = key_id(new.public_key())
    add_trusted_key(trusted_file, new.public_key(), f"rotated from {old_kid}: {note}")
    return Rotation(old_kid, new_kid, target)
