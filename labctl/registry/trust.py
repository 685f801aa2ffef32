"""The lab's trust anchor: the public keys whose signatures make a record the lab's.

Keys stored in a registry prove only that a record was not changed after signing; anyone
who can write to the database can add a key of their own. Authorship comes from a list
kept outside the database, added to by an authorised person: the trusted-keys file
(``labctl.paths.trusted_keys_path()``, or ``--trusted-keys FILE``; the service takes one
with ``labctl registry serve --trusted-keys FILE``).

The file is text, one key per line: the base64 of the 32 raw bytes of an Ed25519 public
key, then optionally whitespace and a comment (who added it, when, why). Blank lines and
lines starting with ``#`` are ignored. ``labctl registry trust PUBKEY.pem --note ...``
appends a key.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from labctl.errors import ConfigError
from labctl.registry.errors import SigningError
from labctl.registry.signing import key_id, load_public_key, public_key_text


def load_trusted_keys(path: Path) -> dict[str, Ed25519PublicKey]:
    """The keys of the trusted-keys file ``path`` by key id; a bad line is refused with
    its file and line number."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text ({err.reason})",
                          hint="one base64 public key per line") from err
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the trusted-keys file: {err.strerror}") from err
    found: dict[str, Ed25519PublicKey] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            key = load_public_key(line.split()[0])
        except SigningError as err:
            raise ConfigError(f"{path}, line {number}: {err.message}",
                              hint="each line: base64 of the 32-byte public key, then a "
                              "comment") from err
        found[key_id(key)] = key
    return found


def trusted_keys(path: Path | None = None) -> tuple[dict[str, Ed25519PublicKey] | None, str]:
    """The trust anchor and a sentence saying where it came from. ``path`` None: the
    default file if it exists; else None (no anchor: only integrity can be checked)."""
    if path is None:
        from labctl.paths import trusted_keys_path

        path = trusted_keys_path()
        if not path.exists():
            return None, (f"no trusted-keys file ({path}): signatures are checked against the "
                          "keys stored in the registry, which proves integrity, not authorship")
    keys = load_trusted_keys(path)
    return keys, f"{len(keys)} trusted keys from {path}"


def add_trusted_key(path: Path, public_key: Ed25519PublicKey, note: str) -> str:
    """Append ``public_key`` to the trusted-keys file (made with mode 0644 if missing);
    returns its key id. Adding a key already there changes nothing."""
    kid = key_id(public_key)
    if path.exists() and kid in load_trusted_keys(path):
        return kid
    path.parent.mkdir(parents=True, exist_ok=True)
    note = " ".join(note.split())
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    line = f"{public_key_text(public_key)}  # {kid} added {stamp}: {note}\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())
    return kid
