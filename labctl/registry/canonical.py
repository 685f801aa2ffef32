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
import re
from collections.abc import Mapping
from typing import Any

import orjson
import rfc8785

from labctl.registry.errors import RecordError

#: Members of a record document that its hash does not cover.
UNHASHED_FIELDS: tuple[str, ...] = ("hash", "signature")

_MAX_SAFE_INT = 2**53 - 1
_PLACEHOLDER = re.compile(rb'"\\u0000(\d+)\\u0000"')


def canonical_json(obj: Any, *, what: str = "value") -> bytes:
    """The RFC 8785 canonical JSON bytes of ``obj`` (dicts, lists, str, int, float, bool, None).

    ``what`` names the object in the error raised for a value JSON cannot hold.

    Records go through a fast path: orjson with sorted keys writes RFC 8785 exactly
    (no whitespace, UTF-8, the same escapes), once every float is written the way
    ECMAScript writes it (``_prepare``). Anything the fast path is not sure of (a key
    beyond the Basic Multilingual Plane, where UTF-16 order differs from code-point
    order; a NUL in a string; a lone surrogate; a value canonical JSON refuses) goes to
    the ``rfc8785`` package, which gives the answer or the error. The two are tested
    equal on generated documents (tests/registry/test_canonical_fast.py).
    """
    try:
        small: list[str] = []
        return _encode(_prepare(obj, small), small)
    except (_NotFast, UnicodeEncodeError, ValueError, TypeError, RecursionError):
        pass
    return _slow(obj, what)


# What in orjson's output may differ from RFC 8785, for a value read by ``load_json``
# (which reads an integer beyond 2**53 as a float): a float written with an exponent
# (``1e+16``, where ECMAScript writes ``10000000000000000``) or as an integral ``.0``
# (``2.0``, ``-0.0``, ECMAScript ``2``, ``0``); a character beyond the BMP (orjson sorts
# keys by code point, RFC 8785 by UTF-16 code unit, which differ there). The marks are
# found by substring search at C speed (a regular expression without a literal prefix
# would walk the text in Python's regex engine, ~12-50 instructions a byte, as much as
# orjson takes to write the record); a mark inside a string (a UUID holds ``0e-4``
# often) is told apart by counting the quotes before it, and a number is rewritten only
# where ECMAScript writes it otherwise.
_BEYOND_BMP = re.compile(rb"[\xf0-\xf4]")
_DIGITS = frozenset(b"0123456789")
_E = ord("e")
_NUMBER_CHARS = frozenset(b"0123456789.-+eE")
#: a ``.0`` ending a value (a literal prefix: the regex engine searches for it at C speed)
_INTEGRAL_FLOAT = re.compile(rb"\.0(?=[,\]}]|$)")


def _number_marks(data: bytes) -> list[int]:
    """Where ``data`` (orjson's JSON) may hold a number ECMAScript writes otherwise: the
    ``e`` of a digit-``e``-sign-digit run, the ``.`` of a ``.0`` ending a value."""
    marks = []
    at = data.find(b"e-")
    while at > 0:
        if data[at - 1] in _DIGITS and at + 2 < len(data) and data[at + 2] in _DIGITS:
            marks.append(at)
        at = data.find(b"e-", at + 2)
    at = data.find(b"+")  # a single byte is found by memchr, "e+" by a slower search
    while at > 1:
        if data[at - 1] == _E and data[at - 2] in _DIGITS and at + 1 < len(data) and \
                data[at + 1] in _DIGITS:
            marks.append(at - 1)
        at = data.find(b"+", at + 1)
    marks += [m.start() for m in _INTEGRAL_FLOAT.finditer(data)]
    return sorted(marks)


def _ecmascript_numbers(data: bytes) -> bytes | None:
    """``data`` (orjson's JSON) with each number outside strings that ECMAScript writes
    otherwise rewritten the ECMAScript way; None when that cannot be decided at C speed
    (an escaped backslash, after which a quote count no longer tells strings apart)."""
    marks = _number_marks(data)
    if not marks:
        return data
    if b"\\\\" in data:
        return None
    parts, last, counted, quotes = [], 0, 0, 0
    for at in marks:
        # outside a string when an even number of unescaped quotes comes before the mark
        # (with no escaped backslash, every backslash-quote is an escaped quote)
        quotes += data.count(b'"', counted, at) - data.count(b'\\"', counted, at)
        counted = at
        if quotes % 2 or at < last:
            continue
        start = at
        while start > 0 and data[start - 1] in _NUMBER_CHARS:
            start -= 1
        end = at + 1
        while end < len(data) and data[end] in _NUMBER_CHARS:
            end += 1
        token = data[start:end]
        text = ecmascript_number(float(token)).encode("ascii")
        if text != token:
            parts += [data[last:start], text]
            last = end
    return data if not parts else b"".join(parts) + data[last:]


def ecmascript_number(value: float) -> str:
    """A finite float written as ECMAScript's Number::toString writes it (RFC 8785 3.2.2.3):
    the shortest digits that read back as it (Python's ``repr`` finds the same), in plain
    notation from 1e-6 to below 1e21, else with an exponent (``1e-7``, ``1.5e+21``)."""
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction.rstrip("0")).lstrip("0") if fraction != "0" else whole
    # value = 0.digits x 10**n
    n = len(whole) + int(exponent or 0) if whole != "0" else \
        int(exponent or 0) - (len(fraction) - len(fraction.lstrip("0")))
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return f"{sign}{digits[:n]}.{digits[n:]}"
    if -6 < n <= 0:
        return f"{sign}0.{'0' * -n}{digits}"
    e = n - 1
    rest = f".{digits[1:]}" if k > 1 else ""
    return f"{sign}{digits[0]}{rest}e{'+' if e >= 0 else '-'}{abs(e)}"


def plain_json(obj: Any) -> bytes | None:
    """The canonical JSON of ``obj`` from orjson (keys sorted, no whitespace, UTF-8, the
    escapes of RFC 8785, shortest round-trip digits), each number ECMAScript writes
    otherwise rewritten, or None when something in it may differ from RFC 8785. Only for
    values read with ``load_json`` or ``load_fast_json`` (string keys; an integer beyond
    2**53 is written as the float it denotes, as ``load_json`` reads it): a document read
    from canonical JSON holds its integral numbers as ints, so orjson writes it back
    exactly, about ten times faster than the standard library's encoder. Anything orjson
    refuses (a lone surrogate, a key that is not a string) gives None. ``obj`` must hold
    finite numbers only (orjson writes NaN and the infinities as ``null``): what
    ``load_strict_json`` or ``load_fast_json`` reads, or what ``load_json`` reads from
    canonical JSON (which has none)."""
    try:
        data = orjson.dumps(obj, option=_SORTED_SAFE_INTS)
    except orjson.JSONEncodeError:
        # an integer beyond 2**53 (from ``load_fast_json``): read it as ``load_json``
        # does, as the float it denotes, and write that
        try:
            data = orjson.dumps(load_json(orjson.dumps(obj)), option=_SORTED_SAFE_INTS)
        except (TypeError, ValueError, RecursionError):
            return None
    except (TypeError, ValueError, RecursionError):
        return None
    if not data.isascii() and _BEYOND_BMP.search(data):
        return None
    return _ecmascript_numbers(data)


_SORTED_SAFE_INTS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER


def _slow(obj: Any, what: str) -> bytes:
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


def _encode(prepared: Any, small: list[str]) -> bytes:
    data = orjson.dumps(prepared, option=orjson.OPT_SORT_KEYS)
    # A NUL in a string or key would look like a placeholder's mark: every \u0000 in the
    # text must be one of ours, else the slow path writes it.
    if data.count(b"\\u0000") != 2 * len(small):
        raise _NotFast
    if small:
        data = _PLACEHOLDER.sub(lambda m: small[int(m.group(1))].encode("ascii"), data)
    return data


class _NotFast(Exception):
    """The fast path cannot be sure of this value: use the rfc8785 package."""


def _prepare(obj: Any, small: list[str]) -> Any:
    """``obj`` with every float made ready for the C encoder: an integral float up to
    2**53 becomes an int (ECMAScript writes ``1.0`` as ``1``); an integral float from
    there to 1e21, or a float below 1e-4 (where Python and ECMAScript write them
    differently) becomes a placeholder string, replaced by its ECMAScript text after
    encoding (``small``). A string with a NUL (which a placeholder could be taken for)
    goes to the slow path; a lone surrogate fails the UTF-8 encoding and goes there too."""
    t = obj.__class__
    if t is str:
        if "\x00" in obj:
            raise _NotFast
        return obj
    if obj is None or t is bool:
        return obj
    if t is dict:
        return _prepare_dict(obj, small)
    if t is float:
        return _prepare_float(obj, small)
    if t is list or t is tuple:
        return [_prepare(v, small) for v in obj]
    if t is int:
        if -_MAX_SAFE_INT <= obj <= _MAX_SAFE_INT:
            return obj
        raise _NotFast
    raise _NotFast  # subclasses, other types: the slow path decides


def _prepare_dict(obj: dict[Any, Any], small: list[str]) -> dict[str, Any]:
    out = {}
    for key, value in obj.items():
        if key.__class__ is not str or "\x00" in key or not (
                key.isascii() or max(key) <= "\uffff"):
            raise _NotFast
        t = value.__class__
        if t is str:
            if "\x00" in value:
                raise _NotFast
            out[key] = value
        elif t is float:
            out[key] = _prepare_float(value, small)
        elif t is dict:
            out[key] = _prepare_dict(value, small)
        else:
            out[key] = _prepare(value, small)
    return out


def _prepare_float(obj: float, small: list[str]) -> Any:
    if obj != obj or obj in (math.inf, -math.inf):
        raise _NotFast
    if obj.is_integer():
        if -_MAX_SAFE_INT <= obj <= _MAX_SAFE_INT:
            return int(obj)
        if abs(obj) < 1e21:  # written in digits: the shortest round-trip ones, then zeros
            small.append(ecmascript_number(obj))
            return f"\x00{len(small) - 1}\x00"
        return obj
    if -1e-4 < obj < 1e-4:
        small.append(ecmascript_number(obj))
        return f"\x00{len(small) - 1}\x00"
    return obj


def load_json(text: str | bytes) -> Any:
    """Parse JSON written by ``canonical_json`` so that writing it again gives the same bytes.

    Canonical JSON writes an integral float such as ``2.0**60`` as digits; read back as a
    Python int it would be beyond 2**53 and refused, so such integers are read as floats.
    """
    return json.loads(text, parse_int=_parse_int)


def load_stored_json(text: str | bytes) -> tuple[Any, bool]:
    """What ``load_json`` reads from ``text``, and whether it holds finite numbers only
    (no NaN, no infinity, no number too large for a float) and no integer beyond 2**53.

    Read by orjson (several times faster than the standard library's parser), which
    refuses NaN, the infinities, numbers that overflow a float and lone surrogates, and
    reads the rest to the same values as ``load_json`` but integers beyond 2**53, which
    it reads as ints where ``load_json`` reads floats (orjson refuses to write them back
    under its 53-bit option, at C speed); whatever orjson refuses or reads otherwise is
    read by ``load_json`` (the flag is False then)."""
    try:
        value = orjson.loads(text)
        orjson.dumps(value, option=orjson.OPT_STRICT_INTEGER)
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        return load_json(text), False
    return value, True


def load_strict_json(text: str | bytes) -> Any:
    """``load_json`` that also refuses ``NaN`` and ``Infinity``, and numbers too large for
    a float (``1e999``, which Python's parser reads as infinity) (``ValueError``): for
    JSON from outside. What it reads holds finite numbers only, as ``plain_json`` needs."""
    return json.loads(text, parse_int=_parse_strict_int, parse_float=_parse_finite,
                      parse_constant=_no_constant)


def load_fast_json(data: bytes) -> Any:
    """``load_strict_json`` of UTF-8 JSON from outside, at orjson's speed: orjson refuses
    what the strict reader refuses (NaN, the infinities, ``1e999``, bad UTF-8) and some
    it accepts (a lone surrogate), for which it falls back to the strict reader. orjson
    reads an integer up to 2**64 as an int, which ``plain_json`` writes as the float it
    denotes, as the strict reader reads it; beyond, as a float, as the strict reader."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return load_strict_json(data.decode("utf-8"))


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON: records hold finite numbers only")


def _parse_int(text: str) -> int | float:
    value = int(text)
    return value if abs(value) <= _MAX_SAFE_INT else float(text)


def _parse_strict_int(text: str) -> int | float:
    value = int(text)
    return value if abs(value) <= _MAX_SAFE_INT else _parse_finite(text)


def _parse_finite(text: str) -> float:
    value = float(text)
    if value in (math.inf, -math.inf):
        raise ValueError(f"{text[:20]} is too large for a number: records hold finite "
                         "numbers only")
    return value


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
    """A JSON object canonicalised once, giving the canonical JSON of the whole object and
    of the object without some top-level members (the hashed part of a record).

    RFC 8785 writes an object as ``{`` + its members, sorted by the UTF-16 code units of
    their names, each as ``name:value``, joined by ``,`` + ``}``: so the canonical JSON of
    the object without a member is the whole text with that member's text (and one comma
    beside it) cut out. The whole is written once; a member is cut where its exact text
    ``"name":value`` occurs, provided it occurs exactly once in the whole (the top-level
    member is certainly there, so a single occurrence is it). Otherwise, or when the
    fast encoder is not sure, the object is written member by member.
    """

    def __init__(self, doc: Mapping[str, Any], *, what: str = "value",
                 from_json: bool = False):
        """``from_json``: ``doc`` was read from JSON text (``load_json``), which allows
        the C encoder's fast path straight away for a document with nothing suspect in it."""
        self._doc, self._what, self._from_json = doc, what, from_json
        self._members: dict[str, bytes] | None = None
        self._texts: dict[tuple[str, ...], bytes] = {}
        whole = plain_json(doc) if from_json else None
        if whole is None and doc.__class__ is dict:
            try:
                small: list[str] = []
                whole = _encode(_prepare(doc, small), small)
            except (_NotFast, UnicodeEncodeError, ValueError, TypeError, RecursionError):
                whole = None
        if whole is None:
            self._texts[()] = self._join(())
        else:
            self._texts[()] = whole  # the hashed part is cut from it when asked for

    def json(self, *, without: tuple[str, ...] = ()) -> bytes:
        """The canonical JSON of the object, leaving out the members named in ``without``."""
        text = self._texts.get(without)
        if text is None:
            text = None if self._members is not None else \
                _cut_members(self._texts[()], self._doc, without)
            if text is None:
                text = self._join(without)
            self._texts[without] = text
        return text

    def _join(self, without: tuple[str, ...]) -> bytes:
        """The object written member by member, leaving out ``without``."""
        if self._members is None:
            self._members = self._write_members()
        kept = (m for name, m in self._members.items() if name not in without)
        return b"{" + b",".join(kept) + b"}"

    def _write_members(self) -> dict[str, bytes]:
        doc = self._doc
        names = sorted(doc)  # code-point order: the fast path's keys are all in the BMP
        if all(name.__class__ is str and (name.isascii() or max(name) <= "\uffff")
               for name in names):
            try:
                members = {}
                for name in names:
                    value = plain_json(doc[name]) if self._from_json else None
                    if value is None:
                        small: list[str] = []
                        value = _encode(_prepare(doc[name], small), small)
                    members[name] = _encode(name, []) + b":" + value
                return members
            except (_NotFast, UnicodeEncodeError, ValueError, TypeError, RecursionError):
                pass
        return {name: canonical_json(name) + b":"
                + canonical_json(doc[name], what=f"{self._what}.{name}")
                for name in sorted(doc, key=lambda n: n.encode("utf-16-be"))}

    def hash(self) -> str:
        """The record hash: SHA-256 of the canonical JSON without hash and signature."""
        return sha256_hex(self.json(without=UNHASHED_FIELDS))


def hashed_part(whole: bytes, doc: Mapping[str, Any]) -> bytes | None:
    """The canonical JSON of ``doc`` without ``hash`` and ``signature`` (what a hash
    covers), cut out of ``whole``, the canonical JSON of ``doc``; None when it cannot be
    cut for sure (then write it: ``canonical_json``)."""
    return _cut_members(whole, doc, UNHASHED_FIELDS)


def _cut_members(whole: bytes, doc: Mapping[str, Any], names: tuple[str, ...]) -> bytes | None:
    """The canonical JSON ``whole`` of ``doc`` without its top-level members ``names``, or
    None when a member's text is not found exactly once (then the caller writes the
    object member by member)."""
    spans = []
    for name in names:
        if name not in doc:
            continue
        value = doc[name]
        if not (value.__class__ is str and _plain_text(value) and _plain_text(name)):
            return None  # hash and signature are hex and base64; anything else: exact path
        member = f'"{name}":"{value}"'.encode("ascii")
        at = whole.find(member)
        if at < 0 or whole.find(member, at + 1) >= 0:
            return None
        end = at + len(member)
        # the member and one comma beside it (members are joined by commas)
        spans.append((at - 1, end) if whole[at - 1:at] == b"," else
                     (at, end + 1) if whole[end:end + 1] == b"," else (at, end))
    if not spans:
        return whole
    spans.sort()
    if any(a[1] > b[0] for a, b in zip(spans, spans[1:], strict=False)):
        return None  # two members side by side that both took the comma between them
    parts, last = [], 0
    for start, end in spans:
        parts.append(whole[last:start])
        last = end
    parts.append(whole[last:])
    return b"".join(parts)


def _plain_text(value: str) -> bool:
    """True for a string JSON writes as it is between quotes (printable ASCII, no quote,
    no backslash)."""
    return value.isascii() and value.isprintable() and "\\" not in value and '"' not in value


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
