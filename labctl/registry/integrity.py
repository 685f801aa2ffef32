"""Integrity of a stored record: its row's columns, its JSON, its hash and its signature,
and whose key signed it; and of a lab's chain of records, whose signatures are checked
in worker threads (``row_findings``) while the rows are read."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from labctl.registry.canonical import UNHASHED_FIELDS, CanonicalDocument, load_stored_json
from labctl.registry.errors import RecordError
from labctl.registry.row_findings import (
    KeyFacts,
    RowFindings,
    SignatureCheck,
    chain_findings,
    signer_key,
    worker_checkable,
)
from labctl.registry.signing import verify_record

#: The row's columns copied out of the document, with where each comes from in it.
DERIVED_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("id", ("id",)),
    ("lab", ("lab",)),
    ("hash", ("hash",)),
    ("key_id", ("key_id",)),
    ("supersedes", ("supersedes",)),
    ("finished", ("finished",)),
    ("dut_maker", ("dut", "maker")),
    ("dut_model", ("dut", "model")),
    ("dut_serial", ("dut", "serial")),
    ("procedure_id", ("procedure", "id")),
    ("procedure_version", ("procedure", "version")),
    ("decision", ("decision",)),
)


def derived_columns(doc: dict[str, Any]) -> dict[str, Any]:
    """The columns ``DERIVED_COLUMNS`` names, read from ``doc`` (``member`` of each)."""
    return {column: member(doc, path) for column, path in DERIVED_COLUMNS}


def member(doc: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The member of ``doc`` at ``path`` (None where it is missing)."""
    value: Any = doc
    for name in path:
        if value.__class__ is not dict and not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value


def row_problems(
    row: Any,
    doc: dict[str, Any],
    known: Mapping[str, Ed25519PublicKey],
    trusted: Mapping[str, Ed25519PublicKey] | None = None,
    *,
    from_json: bool = False,
) -> list[str]:
    """What is wrong with one stored record: every column derived from its document
    against the document, the canonical form of its JSON, its hash, and its signature.
    ``from_json``: ``doc`` holds finite numbers only, as read from JSON by orjson or
    ``load_json`` (the canonical encoder's fast path may take it).

    ``known``: the keys stored in the registry. ``trusted``: the keys of the trust anchor
    (a trusted-keys file, outside the database); when given, a record signed by a key
    not in it is named, and signatures are checked under the trusted key only.
    """
    findings = RowFindings("")
    _check_row(findings, row, doc, known, trusted, KeyFacts(), from_json=from_json)
    checked = findings.signature.problems(None) if findings.signature is not None else []
    return [*findings.before, *checked]


def _check_row(
    findings: RowFindings,
    row: Any,
    doc: dict[str, Any],
    known: Mapping[str, Ed25519PublicKey],
    trusted: Mapping[str, Ed25519PublicKey] | None,
    keys: KeyFacts,
    *,
    from_json: bool,
) -> None:
    """Put what ``row_problems`` finds in ``findings.before``, and its hash and signature
    check, when it is one for the workers, in ``findings.signature``."""
    problems = findings.before
    for column, path in DERIVED_COLUMNS:
        stored, derived = getattr(row, column), member(doc, path)
        if stored != derived:
            problems.append(f"column {column} ({stored}) differs from the record's "
                            f"{'.'.join(path)} ({derived}): the row was edited")
    if row.link != (doc.get("previous") or ""):
        problems.append("column link differs from the record's previous")
    try:
        canonical = CanonicalDocument(doc, from_json=from_json)
    except RecordError as err:  # NaN or the like written into the row
        problems.append(err.render())
        return
    if canonical.json().decode("utf-8") != row.document:
        problems.append("stored JSON is not in canonical form (edited outside labctl?)")
    kid = str(doc.get("key_id"))
    key = signer_key(doc, known, trusted)
    if key is None:
        problems.append(f"signed by key {kid}, which is not a trusted key of the lab "
                        "(not in the trusted-keys file)" if trusted is not None
                        else f"key {kid} is not in this registry")
        if doc.get("hash") != canonical.hash():
            problems.append("hash mismatch: the content changed after signing")
        return
    raw, key_kid = keys.of(key)
    if worker_checkable(doc, key_kid):
        findings.signature = SignatureCheck(doc, key, canonical.json(without=UNHASHED_FIELDS),
                                            raw, _record_problems)
    else:
        problems += _record_problems(doc, key, canonical.hash())


def _record_problems(doc: Mapping[str, Any], key: Ed25519PublicKey, computed: str) -> list[str]:
    """``verify_record``'s problems of a stored record, without its "record <id>: "."""
    return [p.split(": ", 1)[1] for p in verify_record(doc, key, computed_hash=computed)]


def chain_problems(
    lab: str,
    rows: Iterable[Any],
    known: Mapping[str, Ed25519PublicKey],
    trusted: Mapping[str, Ed25519PublicKey] | None = None,
) -> list[str]:
    """Problems with a lab's chain, from its rows in push order (each with ``seq``,
    ``link``, ``document`` and the derived columns): broken links, edited rows, bad
    hashes and signatures, untrusted keys (see ``row_problems``), named in chain order.

    The signatures are checked by worker threads a piece at a time
    (``signature_batch.CheckStream``, ``row_findings``) while this thread reads,
    canonicalises and hashes the next rows."""
    return chain_findings(_record_rows(lab, rows, known, trusted))


def _record_rows(lab: str, rows: Iterable[Any], known: Mapping[str, Ed25519PublicKey],
                 trusted: Mapping[str, Ed25519PublicKey] | None) -> Iterator[RowFindings]:
    """Each row's findings, as the chain is read."""
    keys = KeyFacts()
    expected_previous: str | None = None
    for row in rows:
        findings = RowFindings(f"lab {lab!r}, record {str(row.id)[:8]} (#{row.seq})")
        doc, finite = _stored_document(row.document)
        if isinstance(doc, json.JSONDecodeError):
            findings.before.append(f"stored JSON is unreadable: {doc}")
            doc = None
        if not isinstance(doc, dict):
            if doc is not None:
                findings.before.append("stored JSON is not an object")
            expected_previous = row.hash
        else:
            _check_row(findings, row, doc, known, trusted, keys, from_json=finite)
            previous = doc.get("previous")
            if previous != expected_previous:
                findings.after.append(
                    f"broken link: previous is {_short(previous)} but the record "
                    f"before it in the chain has hash {_short(expected_previous)}")
            expected_previous = doc.get("hash") or row.hash
        yield findings


def _stored_document(text: str) -> tuple[Any, bool]:
    """A stored record's document and whether it holds plain, finite values
    (``canonical.load_stored_json``: the canonical encoder's fast path may take it); a
    ``JSONDecodeError`` in place of the document when it cannot be read, so that the
    check names what is wrong."""
    try:
        return load_stored_json(text)
    except json.JSONDecodeError as err:
        return err, False


def _short(value: str | None) -> str:
    return "none (first record)" if value is None else value[:12]
