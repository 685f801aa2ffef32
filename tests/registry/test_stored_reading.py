"""Reading a stored record fast (``canonical.load_stored_json``, ``Registry.get``) gives
what the standard reader and the full validation give: the same values, the same
record, and the same refusals of a row edited to hold what records cannot."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labctl.registry.canonical import load_json, load_stored_json
from labctl.registry.errors import RegistryError
from labctl.registry.record import Record
from labctl.registry.signing import sign_record
from labctl.registry.store import open_registry

_leaf = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
         | st.floats(allow_nan=True, allow_infinity=True) | st.text())
_json = st.recursive(_leaf, lambda inner: st.lists(inner, max_size=5)
                     | st.dictionaries(st.text(), inner, max_size=5), max_leaves=30)


def _typed(value) -> str:
    """``value`` as text that tells ints from floats (1 from 1.0) and keeps NaN."""
    return json.dumps(value)


def _finite(value, *, safe_ints: bool = False) -> bool:
    """Finite numbers only (and, with ``safe_ints``, no integer beyond 2**53)."""
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if safe_ints and isinstance(value, int) and not isinstance(value, bool):
        return abs(value) <= 2**53 - 1
    if isinstance(value, list):
        return all(_finite(v, safe_ints=safe_ints) for v in value)
    if isinstance(value, dict):
        return all(_finite(v, safe_ints=safe_ints) for v in value.values())
    return True


@settings(max_examples=400, deadline=None)
@given(_json)
def test_stored_json_is_read_as_load_json_reads_it(value):
    text = json.dumps(value)
    read, plain = load_stored_json(text)
    assert _typed(read) == _typed(load_json(text))
    if plain:  # what the flag promises
        assert _finite(load_json(text))
    if _finite(value, safe_ints=True):  # what labctl stores: always plain
        assert plain


@pytest.mark.parametrize("text", ['{"a":1e999}', '{"a":-1e400}', '{"a":NaN}', '[Infinity]',
                                  "[" + "1" * 400 + "]", '["\\ud800"]', "[9007199254740993]",
                                  "[18446744073709551615]", "[100000000000000000000]"])
def test_what_orjson_refuses_or_reads_otherwise_is_read_by_load_json(text):
    read, plain = load_stored_json(text)
    assert _typed(read) == _typed(load_json(text))
    assert plain is (text == "[100000000000000000000]")  # a float beyond 2**64: plain


def test_bad_json_is_refused_as_load_json_refuses_it():
    with pytest.raises(json.JSONDecodeError):
        load_stored_json('{"a": }')


@pytest.fixture
def stored(sqlite_url, make_record, lab_key):
    """A registry with one record; the record."""
    record = sign_record(make_record(), lab_key)
    with open_registry(sqlite_url) as reg:
        reg.push(record, lab_key.public_key())
        yield reg, record


def _edit(url: str, raw_sql, record_id: str, old: str, new: str) -> None:
    old, new = old.replace(":", "\\:"), new.replace(":", "\\:")  # \: is not a parameter
    raw_sql(url, ["DROP TRIGGER labctl_records_no_update",
                  f"UPDATE labctl_records SET document = replace(document, '{old}', '{new}') "
                  f"WHERE id = '{record_id}'"])


def test_get_gives_the_record_the_full_validation_gives(stored):
    reg, record = stored
    got = reg.get(record.id)
    assert got == record == Record.model_validate(reg.document(record.id))
    assert got.canonical_json() == record.canonical_json()


def test_a_budget_edited_to_hold_nan_is_refused_as_before(stored, sqlite_url, raw_sql):
    reg, record = stored
    _edit(sqlite_url, raw_sql, record.id, '"u_c":0.0006', '"u_c":NaN')
    with pytest.raises(RegistryError, match=f"record {record.id} cannot be read by this "
                                            "labctl: points: .*NaN is not a number"):
        reg.get(record.id)


def test_a_budget_edited_to_hold_infinity_reads_as_null_as_before(stored, sqlite_url, raw_sql):
    reg, record = stored
    _edit(sqlite_url, raw_sql, record.id, '"u_c":0.0006', '"u_c":Infinity')
    assert [p.budget["u_c"] for p in reg.get(record.id).points] == [None] * len(record.points)


def test_parameters_edited_to_hold_infinity_are_refused_as_before(stored, sqlite_url, raw_sql):
    reg, record = stored
    _edit(sqlite_url, raw_sql, record.id, '"change_point":false', '"change_point":1e999')
    with pytest.raises(RegistryError, match="parameters: .*an infinite number cannot be "
                                            "stored in a record"):
        reg.get(record.id)
