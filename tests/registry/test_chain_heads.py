"""Migration 0004: chain heads instead of the unique hash and unique (lab, link) indexes
of the records. A registry at 0003 is migrated in place (nothing changed, each lab's head
filled in, the records still immutable, the push order going on); a push that read an
old head (what a concurrent push of the same lab would see without the chain lock) is
refused as ``ChainMoved`` and stores nothing."""

from __future__ import annotations

import pytest
from migration_support import upgrade_to
from sqlalchemy import create_engine, inspect, select, text

from labctl.registry import migrate
from labctl.registry.database import make_engine, parse_url
from labctl.registry.errors import ChainMoved
from labctl.registry.signing import public_key_text, sign_record
from labctl.registry.store import Registry, open_registry
from labctl.registry.tables import chain_heads


def _chain(make_record, lab_key, lab: str, n: int) -> list:
    records, previous = [], None
    for _ in range(n):
        record = sign_record(make_record(lab=lab).linked_to(previous), lab_key)
        previous = record.hash
        records.append(record)
    return records


def _heads(reg: Registry) -> dict[str, str]:
    with reg._read() as conn:
        return dict(conn.execute(select(chain_heads.c.lab, chain_heads.c.hash)).all())


def test_a_0003_registry_is_migrated_in_place(registry_url, make_record, lab_key):
    upgrade_to(registry_url, "0003_history_index")
    first = _chain(make_record, lab_key, "Lab A", 3)
    second = _chain(make_record, lab_key, "Lab B", 2)
    engine = make_engine(parse_url(registry_url), "test")
    helper = Registry(engine, "test")
    helper._known_keys[first[0].key_id] = lab_key.public_key()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO labctl_keys (key_id, public_key, added) VALUES "
                          "(:k, :p, '2024-01-01T00:00:00Z')"),
                     {"k": first[0].key_id, "p": public_key_text(lab_key.public_key())})
        for record in [first[0], second[0], first[1], first[2], second[1]]:
            row = {k: v for k, v in helper._row(record, None).items() if not k.startswith("_")}
            conn.execute(text(f"INSERT INTO labctl_records ({', '.join(row)}) VALUES "
                              f"({', '.join(':' + k for k in row)})"), row)
        before = [tuple(r) for r in conn.execute(text(
            "SELECT seq, id, lab, link, hash, document FROM labctl_records ORDER BY seq"))]
    engine.dispose()

    with open_registry(registry_url) as reg:  # migrates 0003 -> head
        with reg._read() as conn:
            assert migrate.current_revision(conn) == migrate.HEAD
            after = [tuple(r) for r in conn.execute(text(
                "SELECT seq, id, lab, link, hash, document FROM labctl_records ORDER BY seq"))]
            found = inspect(conn)
            uniques = [u["column_names"] for u in found.get_unique_constraints("labctl_records")]
            uniques += [i["column_names"] for i in found.get_indexes("labctl_records")
                        if i["unique"]]
            indexes = {i["name"] for i in found.get_indexes("labctl_records")}
        assert after == before  # nothing lost, nothing changed, the push order kept
        assert _heads(reg) == {"Lab A": first[-1].hash, "Lab B": second[-1].hash}
        assert ["hash"] not in uniques and ["lab", "link"] not in uniques
        assert ["id"] in uniques
        assert {"ix_labctl_records_lab_seq", "ix_labctl_records_family",
                "ix_labctl_records_procedure", "ix_labctl_records_decision",
                "ix_labctl_records_supersedes", "ix_labctl_records_finished"} <= indexes
        # still immutable: the rebuilt table on SQLite has its triggers again
        plain = create_engine(registry_url)
        for change in ("UPDATE labctl_records SET decision = 'fail'",
                       "DELETE FROM labctl_records"):
            with pytest.raises(Exception, match="immutable"), plain.begin() as conn:
                conn.execute(text(change))
        plain.dispose()
        # both chains go on, after the old push order
        more = sign_record(make_record(lab="Lab A").linked_to(first[-1].hash), lab_key)
        reg.push(more)
        assert reg.query(limit=1)[0]["seq"] > before[-1][0]
        assert _heads(reg)["Lab A"] == more.hash
        assert reg.verify_chain("Lab A") == [] and reg.verify_chain("Lab B") == []
        # a fork of the migrated chain is refused
        fork = sign_record(make_record(lab="Lab B").linked_to(second[0].hash), lab_key)
        with pytest.raises(ChainMoved):
            reg.push(fork)
        assert reg.count() == 6


def test_a_push_that_read_an_old_head_stores_nothing(registry_url, make_record, lab_key,
                                                      monkeypatch):
    """Two pushes linked to one head: the second, made to read the head as it was before
    the first committed (as without the chain lock), fails at the chain-head row."""
    with open_registry(registry_url) as reg:
        reg.register_key(lab_key.public_key())
        (start,) = _chain(make_record, lab_key, "Lab A", 1)
        reg.push(start)
        one = sign_record(make_record(lab="Lab A").linked_to(start.hash), lab_key)
        other = sign_record(make_record(lab="Lab A").linked_to(start.hash), lab_key)
        reg.push(one)
        monkeypatch.setattr(Registry, "_last_hash", staticmethod(lambda conn, lab: start.hash))
        with pytest.raises(ChainMoved, match="took its place in the chain"):
            reg.push(other)
        monkeypatch.undo()
        assert reg.count() == 2 and _heads(reg) == {"Lab A": one.hash}
        assert reg.verify_chain("Lab A") == []


def test_a_second_first_record_of_a_lab_stores_nothing(registry_url, make_record, lab_key,
                                                       monkeypatch):
    """Two first records of one lab, the second made to read the lab as still empty."""
    with open_registry(registry_url) as reg:
        reg.register_key(lab_key.public_key())
        (one,) = _chain(make_record, lab_key, "Lab A", 1)
        (other,) = _chain(make_record, lab_key, "Lab A", 1)
        reg.push(one)
        monkeypatch.setattr(Registry, "_last_hash", staticmethod(lambda conn, lab: None))
        with pytest.raises(ChainMoved):
            reg.push(other)
        monkeypatch.undo()
        assert reg.count() == 1 and _heads(reg) == {"Lab A": one.hash}
