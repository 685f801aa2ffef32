"""Canonical JSON (RFC 8785) and the record hash."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labctl.registry.canonical import canonical_json, load_json, record_hash, sha256_hex
from labctl.registry.errors import RecordError


def test_keys_are_sorted_by_utf16_code_units():
    # RFC 8785 section 3.2.3: sorting is by UTF-16 code units, not code points, so the
    # emoji (a surrogate pair, 0xD83D...) sorts before U+FB33.
    obj = {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet",
           "1": "One", "\U0001f600": "Emoji", "\u0080": "Control", "\u00f6": "Latin Small"}
    keys = list(json.loads(canonical_json(obj)))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_nested_keys_sorted_and_no_whitespace():
    assert canonical_json({"b": [1, {"z": 1, "a": 2}], "a": None}) == \
        b'{"a":null,"b":[1,{"a":2,"z":1}]}'


@pytest.mark.parametrize(("number", "text"), [
    (0.0, "0"),
    (-0.0, "0"),
    (1.0, "1"),
    (1e21, "1e+21"),
    (1e20, "100000000000000000000"),
    (1e-7, "1e-7"),
    (0.000001, "0.000001"),
    (333333333.3333333, "333333333.3333333"),
    (5e-324, "5e-324"),
    (1.7976931348623157e308, "1.7976931348623157e+308"),
    (-1.5e-10, "-1.5e-10"),
    (9007199254740991, "9007199254740991"),
    (0.1 + 0.2, "0.30000000000000004"),
])
def test_numbers_are_written_the_ecmascript_way(number, text):
    assert canonical_json(number).decode() == text


def test_strings_use_minimal_escapes_and_utf8():
    assert canonical_json("é\n\"\\\u000f/") == '"é\\n\\"\\\\\\u000f/"'.encode()


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_refused_with_their_place(bad):
    with pytest.raises(RecordError) as err:
        canonical_json({"points": [{"budget": {"nu_eff": bad}}]}, what="record x")
    assert "record x.points[0].budget.nu_eff" in str(err.value)
    assert "null" in str(err.value)  # says what to do with infinite dof


def test_integers_beyond_2_53_are_refused():
    with pytest.raises(RecordError, match="2\\*\\*53"):
        canonical_json({"n": 2**60})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_canonical_json_is_a_fixed_point(value):
    once = canonical_json(value)
    assert canonical_json(load_json(once)) == once


@pytest.mark.parametrize("big", [2.0**53, 2.0**60, 1e20, -1e20])
def test_big_integral_floats_read_back_to_the_same_bytes(big):
    text = canonical_json({"v": big})
    assert b"e" not in text  # written as plain digits...
    assert canonical_json(load_json(text)) == text  # ...and read back as a float


@given(st.dictionaries(st.text(max_size=6), st.integers(0, 100), max_size=8))
def test_member_order_does_not_matter(mapping):
    reversed_mapping = dict(reversed(list(mapping.items())))
    assert canonical_json(mapping) == canonical_json(reversed_mapping)


def test_sha256_hex():
    assert sha256_hex(b"abc") == \
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_record_hash_ignores_hash_and_signature_but_covers_the_rest(make_record):
    record = make_record()
    base = record_hash(record)
    assert record_hash(record.model_copy(update={"hash": "c" * 64, "signature": "x"})) == base
    assert record_hash(record.model_copy(update={"previous": "d" * 64})) != base
    assert record_hash(record.model_copy(update={"key_id": "0" * 16})) != base
    assert record_hash(record.document()) == base  # a stored document hashes the same
