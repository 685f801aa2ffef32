"""The fast canonical JSON (the C encoder with ECMAScript numbers) against the rfc8785
package, on generated documents and on the numbers where Python and ECMAScript differ."""

from __future__ import annotations

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from labctl.registry.canonical import _prepare, canonical_json

_leaf = (st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1)
         | st.floats(allow_nan=False, allow_infinity=False) | st.text())
_json = st.recursive(_leaf, lambda inner: st.lists(inner, max_size=5)
                     | st.dictionaries(st.text(), inner, max_size=5), max_leaves=30)


@settings(max_examples=400, deadline=None)
@given(_json)
def test_fast_canonical_json_is_rfc8785(value):
    try:
        expected = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError:
        return  # refused by both: test_canonical_json covers the errors
    assert canonical_json(value) == expected


@given(st.floats(min_value=-1e-4, max_value=1e-4, allow_nan=False, exclude_min=True,
                 exclude_max=True))
def test_small_floats_written_as_ecmascript(value):
    assert canonical_json([value]) == rfc8785.dumps([value])


def test_numbers_where_python_and_ecmascript_differ():
    values = [1e-7, 1.5e-5, 1e-6, 2.5e-6, -3.25e-9, 1e16, 1e20, 1e21, -0.0, 5e-324,
              1.7976931348623157e308, 123.0, 0.1 + 0.2, 9007199254740991,
              7.198074914355217e16, float(2**60), 9007199254740994.0]
    assert canonical_json(values) == rfc8785.dumps(values)
    assert canonical_json(values) == (
        b"[1e-7,0.000015,0.000001,0.0000025,-3.25e-9,10000000000000000,"
        b"100000000000000000000,1e+21,0,5e-324,1.7976931348623157e+308,123,"
        b"0.30000000000000004,9007199254740991,71980749143552170,1152921504606847000,"
        b"9007199254740994]")


def test_keys_beyond_the_bmp_sorted_by_utf16_code_units():
    # U+1F600 sorts before U+FF61 in UTF-16 (a surrogate, 0xD83D < 0xFF61), after it by
    # code point: the slow path gives the RFC 8785 order
    doc = {"\U0001f600": 1, "\uff61": 2}
    assert canonical_json(doc) == rfc8785.dumps(doc)
    assert canonical_json(doc).startswith('{"\U0001f600"'.encode())


def test_a_nul_in_a_string_takes_the_slow_path_and_stays_exact():
    doc = {"a": "x\x00y", "b": 1e-7}
    assert canonical_json(doc) == rfc8785.dumps(doc)


def test_prepare_leaves_ordinary_values_alone():
    small: list[str] = []
    assert _prepare({"a": [1, "x", 2.5, None, True]}, small) == {"a": [1, "x", 2.5, None, True]}
    assert small == []


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(), _json, max_size=6))
def test_canonical_document_is_rfc8785_with_and_without_members(doc):
    from labctl.registry.canonical import CanonicalDocument

    try:
        expected = rfc8785.dumps(doc)
    except rfc8785.CanonicalizationError:
        return
    canonical = CanonicalDocument(doc)
    assert canonical.json() == expected
    for name in list(doc)[:2]:
        rest = {k: v for k, v in doc.items() if k != name}
        assert canonical.json(without=(name,)) == rfc8785.dumps(rest)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(), _json, max_size=6))
def test_documents_read_from_json_take_the_encoder_path_exactly(doc):
    """A document read back from canonical JSON (as the service and the outbox hand them
    over) gives the same bytes and hash through the C encoder's path."""
    from labctl.registry.canonical import CanonicalDocument, load_json

    doc = {**doc, "hash": "ab" * 32, "signature": "c2ln"}
    try:
        text = rfc8785.dumps(doc)
    except rfc8785.CanonicalizationError:
        return
    read = load_json(text)
    fast = CanonicalDocument(read, from_json=True)
    assert fast.json() == text
    rest = {k: v for k, v in doc.items() if k not in ("hash", "signature")}
    assert fast.json(without=("hash", "signature")) == rfc8785.dumps(rest)


_NUMBERS = [1e-7, 1.5e-5, 1e-6, 2.5e-6, -3.25e-9, 1e16, 1e20, 1e21, -0.0, 5e-324,
            1.7976931348623157e308, 123.0, 0.1 + 0.2, 9007199254740991, 7.198074914355217e16,
            float(2**60), 9007199254740994.0, 0.000015, 1e-4, 123456.789, -2.5]


def test_numbers_read_from_json_are_written_exactly():
    """What orjson writes otherwise than ECMAScript (exponents, integral floats) is caught
    and written by the exact path; the rest comes straight from orjson."""
    from labctl.registry.canonical import CanonicalDocument, load_json, plain_json

    for value in _NUMBERS:
        text = rfc8785.dumps({"v": [value], "hash": "ab" * 32})
        doc = load_json(text)
        assert CanonicalDocument(doc, from_json=True).json() == text, value
        fast = plain_json(doc)
        assert fast is None or fast == text, value


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_float_read_from_json_is_written_exactly(value):
    from labctl.registry.canonical import CanonicalDocument, load_json

    text = rfc8785.dumps({"a": value, "hash": "0" * 64, "signature": "c2ln"})
    assert CanonicalDocument(load_json(text), from_json=True).json() == text


def test_strings_with_escapes_and_characters_beyond_ascii():
    from labctl.registry.canonical import CanonicalDocument, load_json

    for value in ["\x7f", "\x1f\x08\t\n\r\x0c", "\u2028\u2029", "é 中文 😀", 'quote " and \\',
                  "C:\\users\\e-1", "scale-jjg539 e+1", "\x00"]:
        doc = {"s": value, "\uff61": 1, "\U0001f600": 2, "hash": "ab" * 32}
        text = rfc8785.dumps(doc)
        assert CanonicalDocument(load_json(text), from_json=True).json() == text, value
        assert canonical_json(doc) == text, value


def test_a_nested_member_like_the_hash_takes_the_member_by_member_path():
    """The hashed part is the whole text with the top-level hash and signature cut out;
    when the same text occurs again deeper in the document, the cut is not attempted."""
    from labctl.registry.canonical import CanonicalDocument, load_json

    h = "ab" * 32
    doc = {"a": {"hash": h}, "hash": h, "signature": "c2ln", "z": [{"signature": "c2ln"}]}
    text = rfc8785.dumps(doc)
    for read in (load_json(text), doc):
        canonical = CanonicalDocument(read, from_json=read is not doc)
        assert canonical.json() == text
        rest = {k: v for k, v in doc.items() if k not in ("hash", "signature")}
        assert canonical.json(without=("hash", "signature")) == rfc8785.dumps(rest)
        assert canonical.json(without=("a",)) == rfc8785.dumps(
            {k: v for k, v in doc.items() if k != "a"})


def test_strict_reading_refuses_what_has_no_finite_number():
    import pytest

    from labctl.registry.canonical import load_json, load_strict_json

    for text in ("[NaN]", "[Infinity]", "[-Infinity]", "[1e999]", "[-1E400]",
                 "[1" + "0" * 400 + "]"):
        with pytest.raises(ValueError):
            load_strict_json(text)
    assert load_strict_json("[1e308, 9007199254740993, 2.5]") == \
        load_json("[1e308, 9007199254740993, 2.5]") == [1e308, 9007199254740992.0, 2.5]


def test_fast_reading_refuses_what_the_strict_reader_refuses():
    import pytest

    from labctl.registry.canonical import load_fast_json

    for text in (b"[NaN]", b"[Infinity]", b"[-Infinity]", b"[1e999]", b"[-1E400]",
                 b"[1" + b"0" * 400 + b"]", b"[1,]", b"\xff[1]", b'{"a":1'):
        with pytest.raises(ValueError):
            load_fast_json(text)
    # orjson refuses a lone surrogate the standard library reads: the strict reader decides
    assert load_fast_json(b'["\\ud800"]') == ["\ud800"]


@settings(max_examples=300, deadline=None)
@given(_json | st.lists(st.integers(-(2**70), 2**70) | st.floats(allow_nan=False,
                                                                 allow_infinity=False)))
def test_what_the_fast_reader_reads_is_written_as_the_strict_reader_reads_it(value):
    """orjson reads integers up to 2**64 as ints; written canonically they are the floats
    the strict reader reads (12345678901234567891 -> 12345678901234567000)."""
    import json

    from labctl.registry.canonical import load_fast_json, load_strict_json, plain_json

    text = json.dumps(value).encode("utf-8")
    fast, strict = plain_json(load_fast_json(text)), plain_json(load_strict_json(text.decode()))
    assert fast is None or strict is None or fast == strict
    if fast is not None:
        assert fast == rfc8785.dumps(load_strict_json(text.decode()))
