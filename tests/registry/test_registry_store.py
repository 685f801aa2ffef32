"""The registry on SQLite and PostgreSQL: push, get, idempotency, chain, tampering."""

from __future__ import annotations

import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.exc import DBAPIError

from labctl.errors import LabctlError
from labctl.registry.errors import (
    ChainMoved,
    RecordNotFound,
    RegistryConflict,
    RegistryError,
    RegistryUnavailable,
)
from labctl.registry.signing import sign_record
from labctl.registry.store import open_registry


@pytest.fixture
def reg(registry_url):
    registry = open_registry(registry_url)
    yield registry
    registry.close()


@pytest.fixture
def push_chain(reg, make_record, lab_key):
    """push_chain(n, **overrides): push n linked records of one lab; returns them."""

    def push(n: int, **overrides):
        pushed = []
        for _ in range(n):
            record = make_record(**overrides).linked_to(reg.last_hash(overrides.get(
                "lab", make_record().lab)))
            signed = sign_record(record, lab_key)
            assert reg.push(signed, lab_key.public_key()).created
            pushed.append(signed)
        return pushed

    return push


def test_push_and_get_round_trip(reg, make_record, lab_key):
    signed = sign_record(make_record(), lab_key)
    result = reg.push(signed, lab_key.public_key())
    assert result.created and result.id == signed.id and result.hash == signed.hash
    assert reg.get(signed.id) == signed
    assert reg.get(signed.id).canonical_json() == signed.canonical_json()
    assert reg.last_hash(signed.lab) == signed.hash
    assert reg.verify(signed.id) == []


def test_push_is_idempotent_on_the_id(reg, make_record, lab_key):
    signed = sign_record(make_record(), lab_key)
    assert reg.push(signed, lab_key.public_key()).created
    again = reg.push(signed)
    assert not again.created and again.hash == signed.hash
    assert reg.count() == 1


def test_same_id_with_other_content_is_a_conflict(reg, make_record, lab_key):
    first = sign_record(make_record(), lab_key)
    reg.push(first, lab_key.public_key())
    changed = sign_record(make_record(id=first.id, operator="Someone Else"), lab_key)
    with pytest.raises(RegistryConflict, match="already stored with other content"):
        reg.push(changed)
    assert reg.get(first.id).operator == first.operator


def test_a_push_that_does_not_link_to_the_lab_head_is_refused(reg, push_chain, make_record,
                                                              lab_key):
    push_chain(1)
    stale = sign_record(make_record(), lab_key)  # previous None, but the lab has a record
    with pytest.raises(ChainMoved, match="chain ends at"):
        reg.push(stale)


def test_labs_have_separate_chains(reg, push_chain):
    a = push_chain(2, lab="Lab A")
    b = push_chain(1, lab="Lab B")
    assert b[0].previous is None and a[1].previous == a[0].hash
    assert reg.labs() == ["Lab A", "Lab B"]
    assert reg.verify_chain("Lab A") == [] and reg.verify_chain("Lab B") == []


def test_unsigned_or_badly_signed_records_are_refused(reg, make_record, lab_key):
    with pytest.raises(RegistryError, match="not signed"):
        reg.push(make_record(), lab_key.public_key())
    signed = sign_record(make_record(), lab_key)
    forged = signed.model_copy(update={"operator": "Mallory"})
    with pytest.raises(RegistryError, match="hash mismatch"):
        reg.push(forged, lab_key.public_key())
    stranger = sign_record(make_record(), Ed25519PrivateKey.generate())
    with pytest.raises(RegistryError, match="unknown here"):
        reg.push(stranger)  # its key was never given


def test_supersedes_must_name_a_record_of_the_same_lab(reg, push_chain, make_record, lab_key):
    (original,) = push_chain(1)
    lab = original.lab
    orphan = sign_record(make_record(supersedes=str(uuid.uuid4())).linked_to(
        reg.last_hash(lab)), lab_key)
    with pytest.raises(RegistryError, match="not in this registry"):
        reg.push(orphan)
    correction = sign_record(make_record(supersedes=original.id).linked_to(
        reg.last_hash(lab)), lab_key)
    assert reg.push(correction).created
    assert reg.get(correction.id).supersedes == original.id


def test_get_accepts_a_unique_prefix(reg, make_record, lab_key):
    ids = ["abcd1234-0000-4000-8000-000000000001", "abcd9999-0000-4000-8000-000000000002"]
    previous = None
    for rid in ids:
        signed = sign_record(make_record(id=rid).linked_to(previous), lab_key)
        reg.push(signed, lab_key.public_key())
        previous = signed.hash
    assert reg.get("abcd1").id == ids[0]
    assert reg.get("ABCD9").id == ids[1]
    with pytest.raises(RecordNotFound, match="matches several records"):
        reg.get("abcd")
    with pytest.raises(RecordNotFound, match="no record"):
        reg.get("ffff")
    with pytest.raises(RecordNotFound, match="at least 4 characters"):
        reg.get("ab")
    with pytest.raises(RecordNotFound, match="not a record id"):
        reg.get("ab%d")


def test_list_is_newest_first_with_filters(reg, push_chain, point):
    push_chain(2)
    failed = push_chain(1, points=[point(0, "fail")], dut={
        "role": "dut", "driver": "and-line", "maker": "A&D", "model": "SJ-15K",
        "serial": "X-77"})[0]
    rows = reg.list()
    assert len(rows) == 3 and rows[0].id == failed.id
    assert rows[0].dut_serial == "X-77" and rows[0].decision == "fail"
    assert [r.id for r in reg.list(decision="fail")] == [failed.id]
    assert [r.id for r in reg.list(dut_serial="X-77")] == [failed.id]
    assert len(reg.list(limit=2)) == 2
    assert reg.list(lab="nobody") == []


def test_records_cannot_be_updated_or_deleted(reg, registry_url, push_chain, raw_sql):
    (record,) = push_chain(1)
    for statement in ("UPDATE labctl_records SET decision = 'fail'",
                      "DELETE FROM labctl_records"):
        with pytest.raises(DBAPIError, match="immutable"):
            raw_sql(registry_url, [statement])
    assert reg.get(record.id) == record


def _disable_immutability(url: str) -> list[str]:
    if url.startswith("sqlite"):
        return ["DROP TRIGGER labctl_records_no_update", "DROP TRIGGER labctl_records_no_delete"]
    return ["ALTER TABLE labctl_records DISABLE TRIGGER USER"]


def test_verify_chain_finds_a_record_edited_in_the_database(reg, registry_url, push_chain,
                                                           raw_sql):
    records = push_chain(3)
    target = records[1]
    stored = reg.document(target.id)
    edited = (
        f"UPDATE labctl_records SET document = replace(document, "
        f"'\"operator\":\"{stored['operator']}\"', '\"operator\":\"Mallory\"') "
        f"WHERE id = '{target.id}'"
    )
    raw_sql(registry_url, [*_disable_immutability(registry_url), edited])
    assert reg.document(target.id)["operator"] == "Mallory"
    problems = reg.verify_chain(target.lab)
    assert any("hash mismatch" in p and target.id[:8] in p for p in problems), problems
    assert reg.verify(target.id) != []


def test_verify_chain_finds_a_deleted_record(reg, registry_url, push_chain, raw_sql):
    records = push_chain(3)
    raw_sql(registry_url, [*_disable_immutability(registry_url),
                               f"DELETE FROM labctl_records WHERE id = '{records[1].id}'"])
    problems = reg.verify_chain(records[0].lab)
    assert len(problems) == 1 and "broken link" in problems[0], problems


def test_keys_are_kept_in_the_registry_for_verification_elsewhere(registry_url, push_chain,
                                                                  reg):
    records = push_chain(2)
    with open_registry(registry_url) as elsewhere:  # no key given to this one
        assert elsewhere.verify_chain(records[0].lab) == []
        assert elsewhere.verify(records[1].id) == []


def test_reopening_keeps_everything(registry_url, push_chain, reg):
    records = push_chain(2)
    reg.close()
    with open_registry(registry_url) as again:
        assert again.count() == 2 and again.last_hash(records[0].lab) == records[1].hash


# -- URLs ---------------------------------------------------------------------------------


def test_default_registry_is_sqlite_in_the_labctl_home(labctl_home):
    from labctl.paths import default_registry_url

    with open_registry() as reg:
        assert reg.url == default_registry_url()
        assert (labctl_home / "registry.db").exists()


@pytest.mark.parametrize(("url", "message"), [
    ("not a url", "is not a registry URL"),
    ("mysql://u@h/db", "'mysql' databases are not supported"),
    ("postgresql+psycopg2://u@h/db", "driver 'psycopg2' is not supported"),
])
def test_bad_urls_are_clear_errors(url, message):
    with pytest.raises(RegistryError, match=message) as err:
        open_registry(url)
    assert "\n" not in str(err.value)


def test_a_sqlite_file_in_a_missing_directory_is_unavailable(tmp_path):
    with pytest.raises(RegistryUnavailable, match="does not exist"):
        open_registry(f"sqlite:///{tmp_path}/nowhere/registry.db")


def test_an_unreachable_server_is_a_clear_error_naming_the_url():
    url = "postgresql+psycopg://labctl:secret@127.0.0.1:1/registry"
    with pytest.raises(RegistryUnavailable) as err:
        open_registry(url)
    text = str(err.value)
    assert "127.0.0.1:1/registry" in text and "secret" not in text
    assert "check that the server is running" in text and "\n" not in text
    assert isinstance(err.value, LabctlError)


def test_in_memory_sqlite_works(make_record, lab_key):
    with open_registry("sqlite://") as reg:
        signed = sign_record(make_record(), lab_key)
        reg.push(signed, lab_key.public_key())
        assert reg.get(signed.id[:8]) == signed
        assert reg.verify_chain(signed.lab) == [] and reg.verify(signed.id) == []


def test_verify_chain_reports_json_that_has_no_canonical_form(reg, registry_url, push_chain,
                                                              raw_sql):
    (record,) = push_chain(1)
    edit = (f"UPDATE labctl_records SET document = replace(document, '\"seed\"\\:7', "
            f"'\"seed\"\\:NaN') WHERE id = '{record.id}'")  # \: is a colon, not a parameter
    raw_sql(registry_url, [*_disable_immutability(registry_url), edit])
    problems = reg.verify_chain(record.lab)
    assert len(problems) == 1 and "NaN has no JSON form" in problems[0], problems


def test_numbers_where_json_readers_differ_verify_clean(reg, push_chain):
    """Integral floats beyond 2**53 (stored as plain digits, which orjson reads as ints),
    small floats ECMAScript writes in full, and a tie at 2**53 + 2: verify reads the
    stored text with orjson and must canonicalise it back to the same bytes."""
    values = {"big": 1e17, "bigger": 1.2345678901234567e19, "beyond_u64": 3e20,
              "tiny": 2.5e-6, "tinier": 1e-7, "edge": 9007199254740994.0, "half": 0.5}
    (record,) = push_chain(1, parameters=values)
    assert reg.verify_chain(record.lab) == []
    assert reg.get(record.id).parameters == values
