"""Bearer tokens of the registry service, by role.

A token is ``lct_`` + 43 characters of ``secrets.token_urlsafe(32)`` (256 random bits).
It is shown once, when made; the registry keeps only its SHA-256 (a token has enough
entropy that a plain hash is as good as a slow one) and a short id to name it by.

Roles: ``bench`` pushes records and reads; ``reviewer`` reads, reviews and approves (as
the one person of the personnel list the token was made for, ``--person ID``);
``reader`` reads. Nothing changes or deletes a record.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select, update

from labctl.registry.errors import RegistryError
from labctl.registry.tables import tokens

ROLES: tuple[str, ...] = ("bench", "reviewer", "reader")
#: What each role may do.
PERMISSIONS: dict[str, frozenset[str]] = {
    "bench": frozenset({"push", "read"}),
    "reviewer": frozenset({"review", "read"}),
    "reader": frozenset({"read"}),
}
PREFIX = "lct_"


@dataclass(frozen=True)
class TokenInfo:
    token_id: str
    role: str
    label: str
    person: str | None = None      # the personnel-list id a reviewer token acts as


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(registry: object, role: str, label: str = "",
                 person: str | None = None) -> tuple[str, TokenInfo]:
    """Make a token of ``role`` in ``registry`` (a ``Registry``); returns (token, info).
    ``person``: the personnel-list id a reviewer token acts as (needed to review). The
    token itself is not kept: show it once."""
    if role not in ROLES:
        raise RegistryError(f"unknown role {role!r}", hint=f"one of {', '.join(ROLES)}")
    if person is not None and role != "reviewer":
        raise RegistryError("only a reviewer token acts as a person",
                            hint="leave out --person, or use --role reviewer")
    token = PREFIX + secrets.token_urlsafe(32)
    info = TokenInfo(secrets.token_hex(8), role, " ".join(label.split())[:200], person)
    with registry._write() as conn:  # type: ignore[attr-defined]
        conn.execute(insert(tokens).values(
            token_id=info.token_id, token_hash=token_hash(token), role=role, label=info.label,
            created=datetime.now(UTC).isoformat().replace("+00:00", "Z"), person=person))
    return token, info


def revoke_token(registry: object, token_id: str) -> bool:
    """Revoke the token ``token_id``; False when there is no such live token."""
    with registry._write() as conn:  # type: ignore[attr-defined]
        done = conn.execute(
            update(tokens).where(tokens.c.token_id == token_id, tokens.c.revoked.is_(None))
            .values(revoked=datetime.now(UTC).isoformat().replace("+00:00", "Z")))
    return bool(done.rowcount)


def list_tokens(registry: object) -> list[dict[str, str | None]]:
    with registry._read() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(select(tokens.c.token_id, tokens.c.role, tokens.c.label,
                                   tokens.c.created, tokens.c.revoked, tokens.c.person)
                            .order_by(tokens.c.created))
        return [dict(row._mapping) for row in rows]


def check_token(registry: object, token: str) -> TokenInfo | None:
    """The live token ``token`` stands for, or None."""
    if not token.startswith(PREFIX) or len(token) > 100:
        return None
    digest = token_hash(token)
    with registry._read() as conn:  # type: ignore[attr-defined]
        row = conn.execute(
            select(tokens.c.token_id, tokens.c.role, tokens.c.label, tokens.c.token_hash,
                   tokens.c.person)
            .where(tokens.c.token_hash == digest, tokens.c.revoked.is_(None))
        ).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return TokenInfo(row.token_id, row.role, row.label, row.person)
