"""Canonical JSON (RFC 8785, the JSON Canonicalization Scheme) and the record hash.

A record's hash is the SHA-256 of the canonical JSON of the record's JSON document
without its ``hash`` and ``signature`` members. Everything else, ``previous`` and
``key_id`` included, is covered. Canonical JSON sorts object members by their UTF-16
code units, writes numbers the ECMAScript way (``1.0`` -> ``1``, ``1e21`` -> ``1e+21``),
writes strings as UTF-8 with minimal escapes, and has no whitespace. NaN and the
infinities have no JSON form and are refused; integers beyond 2**53 are refused too.
Infinite degrees of freedom are stored as ``null`` (see ``labctl.registry.record``).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

import rfc8785

from labctl.registry.errors import RecordError

#: Members of a record document that its hash does not cover.
UNHASHED_FIELDS: tuple[str, ...] = ("hash", "signature")

_MAX_SAFE_INT = 2**53 - 1


def canonical_json(obj: Any, *, what: str = "value") -> bytes:
    """The RFC 8785 canonical JSON bytes of ``obj`` (dicts, lists, str, int, float, bool, None).

    ``what`` names the object in the error raised for a value JSON cannot hold.
    """
    try:
        return rfc8785.dumps(obj)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as err:
        path, problem = _find_problem(obj, "")
        where = f"{what}{path}" if path else what
        raise RecordError(
            problem or f"cannot be written as canonical JSON: {err}",
            where=where,
            hint="store finite numbers only; an infinite degrees of freedom is written as null",
        ) from err


def load_json(text: str | bytes) -> Any:
    """Parse JSON written by ``canonical_json`` so that writing it again gives the same bytes.

    Canonical JSON writes an integral float such as ``2.0**60`` as digits; read back as a
    Python int it would be beyond 2**53 and refused, so such integers are read as floats.
    """
    return json.loads(text, parse_int=_parse_int)


def _parse_int(text: str) -> int | float:
    value = int(text)
    return value if abs(value) <= _MAX_SAFE_INT else float(text)


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of ``data`` as 64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


def record_document(record: Any) -> dict[str, Any]:
    """The JSON document of a record: a ``Record`` model, or a mapping already in JSON form."""
    if hasattr(record, "model_dump"):
        return record.model_dump(mode="json")
    if isinstance(record, Mapping):
        return dict(record)
    raise TypeError(f"expected a Record or a mapping, got {type(record).__name__}")


def hashed_document(record: Any) -> dict[str, Any]:
    """The part of a record document its hash covers (all but ``hash`` and ``signature``)."""
    return {k: v for k, v in record_document(record).items() if k not in UNHASHED_FIELDS}


def record_hash(record: Any) -> str:
    """SHA-256 hex of the canonical JSON of ``record`` without ``hash`` and ``signature``."""
    doc = hashed_document(record)
    return sha256_hex(canonical_json(doc, what=f"record {doc.get('id', '?')}"))


class CanonicalDocument:
    """A JSON object canonicalised member by member, so that the canonical JSON of the
    whole object and of the object without some members (the hashed part of a record)
    come from one serialisation. RFC 8785 writes an object as ``{`` + its members, sorted
    by the UTF-16 code units of their names, each as ``name:value``, joined by ``,`` +
    ``}``: joining the canonical members gives exactly the canonical JSON of the object.
    """

    def __init__(self, doc: Mapping[str, Any], *, what: str = "value"):
        names = sorted(doc, key=lambda name: name.encode("utf-16-be"))
        self._members = {
            name: canonical_json(name) + b":" + canonical_json(doc[name], what=f"{what}.{name}")
            for name in names
        }

    def json(self, *, without: tuple[str, ...] = ()) -> bytes:
        """The canonical JSON of the object, leaving out the members named in ``without``."""
        kept = (m for name, m in self._members.items() if name not in without)
        return b"{" + b",".join(kept) + b"}"

    def hash(self) -> str:
        """The record hash: SHA-256 of the canonical JSON without hash and signature."""
        return sha256_hex(self.json(without=UNHASHED_FIELDS))


def _find_problem(obj: Any, path: str) -> tuple[str, str | None]:
    """The JSON path and description of the first value canonical JSON cannot hold."""
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return path, None
    if isinstance(obj, float):
        if math.isnan(obj):
            return path, "NaN has no JSON form"
        if math.isinf(obj):
            return path, "an infinite number has no JSON form"
        return path, None
    if isinstance(obj, int):
        if abs(obj) > _MAX_SAFE_INT:
            return path, f"integer {obj} is beyond 2**53 and cannot be represented exactly"
        return path, None
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            if not isinstance(key, str):
                return f"{path}.{key!r}", "object keys must be strings"
            found = _find_problem(value, f"{path}.{key}")
            if found[1]:
                return found
        return path, None
    if isinstance(obj, list | tuple):
        for i, value in enumerate(obj):
            found = _find_problem(value, f"{path}[{i}]")
            if found[1]:
                return found
        return path, None
    return path, f"a {type(obj).__name__} has no JSON form"
