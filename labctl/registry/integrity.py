"""Integrity of a stored record: its row's columns, its JSON, its hash and its signature."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from labctl.registry.canonical import CanonicalDocument
from labctl.registry.errors import RecordError
from labctl.registry.signing import verify_record


def row_problems(row: Any, doc: dict[str, Any], known: dict[str, Ed25519PublicKey]) -> list[str]:
    """What is wrong with one stored record: its columns against its document, the
    canonical form of its JSON, its hash and its signature under the stored keys."""
    problems = []
    for column in ("id", "lab", "hash", "key_id"):
        if getattr(row, column) != doc.get(column):
            problems.append(f"column {column} ({getattr(row, column)}) differs from the "
                            f"record's {column} ({doc.get(column)})")
    if row.link != (doc.get("previous") or ""):
        problems.append("column link differs from the record's previous")
    try:
        canonical = CanonicalDocument(doc)
    except RecordError as err:  # NaN or the like written into the row
        return [*problems, err.render()]
    if canonical.json().decode("utf-8") != row.document:
        problems.append("stored JSON is not in canonical form (edited outside labctl?)")
    computed = canonical.hash()
    key = known.get(str(doc.get("key_id")))
    if key is None:
        problems.append(f"key {doc.get('key_id')} is not in this registry")
        if doc.get("hash") != computed:
            problems.append("hash mismatch: the content changed after signing")
    else:
        problems.extend(p.split(": ", 1)[1]
                        for p in verify_record(doc, key, computed_hash=computed))
    return problems
