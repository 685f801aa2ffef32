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

Rotation (``labctl registry key rotate``) makes a new lab key and appends it; the old key
stays in the file, so what it signed stays the lab's. Revocation (``labctl registry key
revoke KID --reason ...``) appends a line ``revoke KID TIME  # reason``: the key stays
trusted for what the registry stored before TIME (a record's ``pushed_at``, a review
entry's ``time``) and nothing after; the service refuses pushes signed by it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from labctl.errors import ConfigError
from labctl.registry.errors import SigningError
from labctl.registry.signing import key_id, load_public_key, public_key_text


class TrustAnchor(dict):  # type: ignore[type-arg]
    """Key id -> trusted public key, and ``revoked``: key id -> (time, reason) of the keys
    revoked (still trusted for what was stored before that time)."""

    def __init__(self) -> None:
        super().__init__()
        self.revoked: dict[str, tuple[str, str]] = {}

    def revoked_for(self, kid: str, stored_at: str | None) -> str | None:
        """Why a signature by ``kid`` on something stored at ``stored_at`` (ISO time) is no
        longer good, or None when it is."""
        if kid not in self.revoked:
            return None
        when, reason = self.revoked[kid]
        if stored_at is not None and _instant(stored_at) < _instant(when):
            return None
        return (f"signed by key {kid}, revoked at {when} ({reason}), and stored "
                f"{'at ' + stored_at if stored_at else 'at an unknown time'}, after its "
                "revocation")


def _instant(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def load_trusted_keys(path: Path) -> dict[str, Ed25519PublicKey]:
    """The keys of the trusted-keys file ``path`` by key id (a ``TrustAnchor``, with the
    revocations); a bad line is refused with its file and line number."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text ({err.reason})",
                          hint="one base64 public key per line") from err
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the trusted-keys file: {err.strerror}") from err
    found = TrustAnchor()
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("revoke "):
            parts = line.split("#", 1)
            words = parts[0].split()
            try:
                if len(words) != 3:
                    raise ValueError("expected: revoke KEY_ID TIME  # reason")
                _instant(words[2])
            except ValueError as err:
                raise ConfigError(f"{path}, line {number}: {err}",
                                  hint="revoke KEY_ID 2026-12-03T10:00:00Z  # reason") from err
            found.revoked[words[1]] = (words[2], parts[1].strip() if len(parts) > 1 else "")
            continue
        try:
            key = load_public_key(line.split()[0])
        except SigningError as err:
            raise ConfigError(f"{path}, line {number}: {err.message}",
                              hint="each line: base64 of the 32-byte public key, then a "
                              "comment") from err
        found[key_id(key)] = key
    unknown = sorted(set(found.revoked) - set(found))
    if unknown:
        raise ConfigError(f"{path}: revokes key {unknown[0]}, which the file does not list",
                          hint="a revocation names a key id listed above it")
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


def revoke_trusted_key(path: Path, kid: str, reason: str, at: datetime | None = None) -> str:
    """Append the revocation of key ``kid`` (listed in ``path``) from ``at`` (default now);
    returns the time written."""
    keys = load_trusted_keys(path)
    if kid not in keys:
        raise ConfigError(f"{path}: key {kid} is not a trusted key",
                          hint="labctl registry key list shows the trusted keys")
    if kid in keys.revoked:  # type: ignore[attr-defined]
        raise ConfigError(f"{path}: key {kid} is already revoked at "
                          f"{keys.revoked[kid][0]}")  # type: ignore[attr-defined]
    stamp = (at or datetime.now(UTC)).astimezone(UTC).isoformat(
        timespec="microseconds").replace("+00:00", "Z")
    note = " ".join(reason.split())
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write(f"revoke {kid} {stamp}  # {note}\n")
        f.flush()
        os.fsync(f.fileno())
    return stamp


def revoked_record_problems(registry: Any, lab: str, trusted: Any) -> list[str]:
    """The lab's records signed by a revoked key and stored (``pushed_at``) after its
    revocation (``registry``: a ``Registry`` or an ``HttpRegistry``)."""
    revoked = getattr(trusted, "revoked", None)
    if not revoked:
        return []
    problems = []
    after = 0
    while True:
        rows = registry.chain_rows(lab, after, 1000)
        for row in rows:
            why = trusted.revoked_for(row["key_id"], row.get("pushed_at"))
            if why:
                problems.append(f"lab {lab!r}, record {str(row['id'])[:8]} (#{row['seq']}): "
                                f"{why}")
        if len(rows) < 1000:
            return problems
        after = rows[-1]["seq"]
