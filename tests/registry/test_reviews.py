"""Review and approval entries in the registry (SQLite and PostgreSQL): the rules (who,
in which order), the signed chain of entries, and verify naming every entry altered,
removed or inserted directly in the database."""

from __future__ import annotations

import pytest
from reviews_support import personnel_file, push_signed

from labctl.errors import ConfigError
from labctl.personnel import load_personnel
from labctl.registry.reviews import ReviewRefused
from labctl.registry.store import open_registry


@pytest.fixture
def people(tmp_path):
    return load_personnel(personnel_file(tmp_path))


@pytest.fixture
def reg(registry_url):
    with open_registry(registry_url) as registry:
        yield registry


def _approve(reg, record_id, people, key, now="2026-12-03T10:00:00Z"):
    reg.review(record_id, approve=True, reason="readings and budget checked", person="hzhou",
               personnel=people, key=key, now=now)
    return reg.approve(record_id, person="mchen", personnel=people, key=key,
                       now="2026-12-03T11:00:00Z")


def test_review_then_approve_gives_the_signatories(reg, make_record, lab_key, people):
    record = push_signed(reg, make_record, lab_key)
    assert reg.review_status(record.id).status == "unreviewed"
    assert reg.approval(record.id) is None
    review = reg.review(record.id[:8], approve=True, reason="checked", person="H. Zhou",
                        personnel=people, key=lab_key, now="2026-12-03T10:00:00Z")
    assert review["person"] == {"id": "hzhou", "name": "H. Zhou", "title": "Senior engineer"}
    assert review["record_hash"] == record.hash and review["previous"] is None
    assert review["personnel_sha256"] == people.sha256
    assert reg.review_status(record.id).status == "reviewed"
    approval = reg.approve(record.id, person="mchen", personnel=people, key=lab_key,
                           now="2026-12-03T11:00:00Z")
    assert approval["previous"] == review["hash"]  # chained
    status = reg.review_status(record.id)
    assert status.status == "approved"
    assert "approved by M. Chen on 2026-12-03" in status.describe()
    answer = reg.approval(record.id)
    assert [(s["name"], s["role"], s["title"]) for s in answer["signatories"]] == [
        ("H. Zhou", "reviewer", "Senior engineer"), ("M. Chen", "approver", "Technical manager")]
    assert reg.verify_reviews(record.lab) == []


def test_the_rules_of_review_and_approval(reg, make_record, lab_key, people):
    record = push_signed(reg, make_record, lab_key)  # operator: A. Engineer (aeng)
    with pytest.raises(ReviewRefused, match="A. Engineer .aeng. is the operator of this "
                                            "record and cannot review it"):
        reg.review(record.id, approve=True, reason="", person="aeng", personnel=people,
                   key=lab_key)
    with pytest.raises(ConfigError, match="may not act as reviewer for procedure "
                                          "'scale-jjg539', who is not authorised for it"):
        reg.review(record.id, approve=True, reason="", person="gasonly", personnel=people,
                   key=lab_key)
    with pytest.raises(ConfigError, match="'nobody' is not on the personnel list"):
        reg.review(record.id, approve=True, reason="", person="nobody", personnel=people,
                   key=lab_key)
    with pytest.raises(ConfigError, match="authorisation for it is not valid on 2019-05-01"):
        reg.review(record.id, approve=True, reason="", person="hzhou", personnel=people,
                   key=lab_key, now="2019-05-01T08:00:00Z")
    with pytest.raises(ReviewRefused, match="cannot be approved: not reviewed"):
        reg.approve(record.id, person="mchen", personnel=people, key=lab_key)
    with pytest.raises(ReviewRefused, match="a rejection needs a reason"):
        reg.review(record.id, approve=False, reason=" ", person="hzhou", personnel=people,
                   key=lab_key)
    with pytest.raises(ReviewRefused, match="no personnel list"):
        reg.review(record.id, approve=True, reason="", person="hzhou", personnel=None,
                   key=lab_key)
    reg.review(record.id, approve=False, reason="environment outside 15-25 degC",
               person="hzhou", personnel=people, key=lab_key)
    assert reg.review_status(record.id).status == "rejected"
    with pytest.raises(ReviewRefused, match="is already reviewed: rejected by H. Zhou"):
        reg.review(record.id, approve=True, reason="", person="mchen", personnel=people,
                   key=lab_key)
    with pytest.raises(ReviewRefused, match="cannot be approved: rejected by H. Zhou"):
        reg.approve(record.id, person="mchen", personnel=people, key=lab_key)
    other = push_signed(reg, make_record, lab_key)
    _approve(reg, other.id, people, lab_key)
    with pytest.raises(ReviewRefused, match="is already approved"):
        reg.approve(other.id, person="mchen", personnel=people, key=lab_key)
    assert {s.id: reg.review_statuses([record.id, other.id])[s.id]
            for s in (record, other)} == {record.id: "rejected", other.id: "approved"}
    assert reg.verify_reviews(record.lab) == []


def test_list_and_query_filter_by_review_status(reg, make_record, lab_key, people):
    records = [push_signed(reg, make_record, lab_key) for _ in range(4)]
    reg.review(records[0].id, approve=False, reason="bad", person="hzhou", personnel=people,
               key=lab_key)
    reg.review(records[1].id, approve=True, reason="", person="hzhou", personnel=people,
               key=lab_key)
    _approve(reg, records[2].id, people, lab_key)
    expected = {"rejected": records[0].id, "reviewed": records[1].id,
                "approved": records[2].id, "unreviewed": records[3].id}
    for status, record_id in expected.items():
        assert [r.id for r in reg.list(status=status)] == [record_id]
        assert [r["id"] for r in reg.query(status=status)] == [record_id]


def test_a_superseded_record_is_not_reviewed(reg, make_record, lab_key, people):
    first = push_signed(reg, make_record, lab_key)
    push_signed(reg, make_record, lab_key, supersedes=first.id)
    with pytest.raises(ReviewRefused, match="is superseded by record"):
        reg.review(first.id, approve=True, reason="", person="hzhou", personnel=people,
                   key=lab_key)


def _unlock(url):
    if url.startswith("sqlite"):
        return ["DROP TRIGGER labctl_reviews_no_update", "DROP TRIGGER labctl_reviews_no_delete"]
    return ["ALTER TABLE labctl_reviews DISABLE TRIGGER USER"]


def test_entries_cannot_be_updated_or_deleted(reg, registry_url, make_record, lab_key, people,
                                              raw_sql):
    record = push_signed(reg, make_record, lab_key)
    _approve(reg, record.id, people, lab_key)
    for statement in ("UPDATE labctl_reviews SET decision = 'rejected'",
                      "DELETE FROM labctl_reviews"):
        with pytest.raises(Exception, match="immutable"):
            raw_sql(registry_url, [statement])


@pytest.fixture
def approved_three(reg, make_record, lab_key, people):
    records = [push_signed(reg, make_record, lab_key) for _ in range(3)]
    for r in records:
        _approve(reg, r.id, people, lab_key)
    return records


def test_verify_names_an_entry_edited_in_the_database(reg, registry_url, approved_three,
                                                      raw_sql):
    lab = approved_three[0].lab
    target = reg.review_entries(approved_three[1].id)[0]
    raw_sql(registry_url, [*_unlock(registry_url),
                           "UPDATE labctl_reviews SET document = replace(document, "
                           "'\"reason\":\"readings and budget checked\"', "
                           "'\"reason\":\"looked fine\"') "
                           f"WHERE id = '{target['id']}'"])
    problems = reg.verify_reviews(lab)
    assert problems and all(f"review entry {target['id'][:8]}" in p for p in problems)
    assert any("hash mismatch: the entry changed after signing" in p for p in problems)
    with pytest.raises(Exception, match=f"review entry {target['id'][:8]} of record "
                                        f"{approved_three[1].id} does not verify: hash"):
        reg.approval(approved_three[1].id)


def test_verify_names_a_decision_column_edited(reg, registry_url, approved_three, raw_sql):
    target = reg.review_entries(approved_three[0].id)[0]
    raw_sql(registry_url, [*_unlock(registry_url),
                           "UPDATE labctl_reviews SET decision = 'rejected' "
                           f"WHERE id = '{target['id']}'"])
    problems = reg.verify_reviews(approved_three[0].lab)
    assert problems == [f"lab 'Municipal Metrology Institute', review entry "
                        f"{target['id'][:8]} (#1, review of record {approved_three[0].id[:8]}):"
                        " column decision (rejected) differs from the entry's decision "
                        "(approved): the row was edited"]


def test_verify_names_a_removed_entry(reg, registry_url, approved_three, raw_sql):
    removed = reg.review_entries(approved_three[1].id)[0]  # a review: its approval stays
    raw_sql(registry_url, [*_unlock(registry_url),
                           f"DELETE FROM labctl_reviews WHERE id = '{removed['id']}'"])
    problems = reg.verify_reviews(approved_three[0].lab)
    assert any("broken link" in p and f"previous is {removed['hash'][:12]}" in p
               for p in problems), problems
    assert any("approval without a positive review before it" in p for p in problems)


def test_verify_names_an_entry_inserted_out_of_chain(reg, registry_url, approved_three,
                                                     raw_sql, lab_key, people, make_record):
    """A forged entry signed with another key, inserted with a link to an earlier entry
    (its link column altered so that SQLite's unique (lab, link) lets it in)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from labctl.registry.canonical import canonical_json
    from labctl.registry.review_entry import sign_entry

    victim = push_signed(reg, make_record, lab_key)
    first = reg.review_entries(approved_three[0].id)[0]
    forger = Ed25519PrivateKey.generate()
    reg.register_key(forger.public_key())
    forged = sign_entry({**first, "id": "00000000-0000-4000-8000-000000000001",
                         "record_id": victim.id, "record_hash": victim.hash,
                         "previous": first["hash"]}, forger)
    text = canonical_json(forged).decode().replace("'", "''")
    raw_sql(registry_url, [
        "ALTER TABLE labctl_reviews DROP CONSTRAINT uq_labctl_reviews_chain"
        if not registry_url.startswith("sqlite") else "SELECT 1",
        "INSERT INTO labctl_reviews (id, lab, link, hash, key_id, record_id, act, decision, "
        f"person_id, time, document) VALUES ('{forged['id']}', '{forged['lab']}', "
        f"'{first['hash'][:63]}x', '{forged['hash']}', '{forged['key_id']}', '{victim.id}', "
        f"'review', 'approved', 'hzhou', '{forged['time']}', '{text}')"])
    problems = reg.verify_reviews(victim.lab)
    named = [p for p in problems if "review entry 00000000" in p]
    assert any("broken link" in p for p in named), problems
    assert any("column link differs" in p for p in named)
    trusted = {approved_three[0].key_id: lab_key.public_key()}
    untrusted = reg.verify_reviews(victim.lab, trusted)
    assert any("review entry 00000000" in p and "not a trusted key of the lab" in p
               for p in untrusted)


def test_verify_names_an_entry_whose_record_changed(reg, registry_url, approved_three,
                                                    raw_sql):
    """The record row is replaced by another content: the entries name the hash change."""
    record = approved_three[2]
    unlock = (["DROP TRIGGER labctl_records_no_update"] if registry_url.startswith("sqlite")
              else ["ALTER TABLE labctl_records DISABLE TRIGGER USER"])
    raw_sql(registry_url, [*unlock, f"UPDATE labctl_records SET document = replace(document, "
                                    f"'{record.hash}', '{'0' * 64}') WHERE id = '{record.id}'"])
    problems = reg.verify_reviews(record.lab)
    assert any(f"of record {record.id[:8]}" in p and "but the stored record has hash "
               "000000000000" in p for p in problems), problems


def test_concurrent_reviews_keep_one_chain_and_one_review_per_record(registry_url, make_record,
                                                                      lab_key, people):
    """Eight reviewers at once (two on each record): every record reviewed once, the
    others refused, the entries' chain unbroken."""
    from concurrent.futures import ThreadPoolExecutor

    with open_registry(registry_url) as reg:
        records = [push_signed(reg, make_record, lab_key) for _ in range(4)]

    def review(record_id: str) -> str:
        with open_registry(registry_url) as mine:
            try:
                mine.review(record_id, approve=True, reason="", person="hzhou",
                            personnel=people, key=lab_key)
                return "done"
            except ReviewRefused as err:
                assert "is already reviewed" in err.message
                return "refused"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(review, [r.id for r in records] * 2))
    assert sorted(outcomes) == ["done"] * 4 + ["refused"] * 4
    with open_registry(registry_url) as reg:
        assert set(reg.review_statuses([r.id for r in records]).values()) == {"reviewed"}
        assert len(reg.review_chain_rows(records[0].lab)) == 4
        assert reg.verify_reviews(records[0].lab) == []
