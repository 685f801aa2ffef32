"""The registry's schema by Alembic migrations: a new database gets every revision; a
database made before migrations (by ``create_all``, revision 0001's schema without a
version table) is migrated in place with nothing lost; the migrations agree with the
table definitions the queries use."""

from __future__ import annotations

import pytest
from migration_support import upgrade_to
from sqlalchemy import create_engine, inspect, text

from labctl.registry import migrate
from labctl.registry.database import make_engine, parse_url
from labctl.registry.signing import sign_record
from labctl.registry.store import open_registry
from labctl.registry.tables import metadata


def test_a_new_registry_is_at_head_and_matches_the_tables(registry_url):
    with open_registry(registry_url) as reg, reg._read() as conn:
        assert migrate.current_revision(conn) == migrate.HEAD
        found = inspect(conn)
        for table in metadata.sorted_tables:
            columns = {c["name"] for c in found.get_columns(table.name)}
            assert columns == {c.name for c in table.columns}, table.name


def test_a_registry_from_before_migrations_is_migrated_in_place(registry_url, make_record,
                                                                lab_key, point):
    upgrade_to(registry_url, "0001", unversioned=True)  # made before migrations
    records, previous = [], None
    for i in range(5):
        record = sign_record(make_record(points=[point(i)])
                             .linked_to(previous), lab_key)
        previous = record.hash
        records.append(record)
    # rows written as the old labctl wrote them: no family column, no standards table
    from labctl.registry.signing import public_key_text
    from labctl.registry.store import Registry

    engine = make_engine(parse_url(registry_url), "test")
    helper = Registry(engine, "test")
    helper._known_keys[records[0].key_id] = lab_key.public_key()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO labctl_keys (key_id, public_key, added) VALUES "
                          "(:k, :p, '2024-01-01T00:00:00Z')"),
                     {"k": records[0].key_id, "p": public_key_text(lab_key.public_key())})
        for record in records:
            row = helper._row(record, None)
            row = {k: v for k, v in row.items() if k != "family" and not k.startswith("_")}
            names = ", ".join(row)
            conn.execute(text(f"INSERT INTO labctl_records ({names}) VALUES "
                              f"({', '.join(':' + k for k in row)})"), row)
        before = [tuple(r) for r in conn.execute(text(
            "SELECT seq, id, hash, document FROM labctl_records ORDER BY seq"))]
    engine.dispose()

    with open_registry(registry_url) as reg:  # migrates
        with reg._read() as conn:
            assert migrate.current_revision(conn) == migrate.HEAD
            after = [tuple(r) for r in conn.execute(text(
                "SELECT seq, id, hash, document FROM labctl_records ORDER BY seq"))]
        assert after == before  # nothing lost, nothing changed
        assert reg.counts("family") == {"weighing": 5}
        assert reg.verify_chain(records[0].lab) == []
        from datetime import date

        from labctl.registry.reports import standards_due

        assert [s["register_id"] for s in standards_due(reg, date(2030, 1, 1))] == \
            ["W-M1-SET-01"]
        # still immutable after the migration lifted the trigger for its own update
        engine = create_engine(registry_url)
        with pytest.raises(Exception, match="immutable"), engine.begin() as conn:
            conn.execute(text("UPDATE labctl_records SET decision = 'fail'"))
        engine.dispose()
        # and the migrated registry takes new records on its chain
        reg.push(sign_record(make_record().linked_to(previous), lab_key))
        assert reg.count() == 6 and reg.verify_chain(records[0].lab) == []


def test_history_by_serial_is_served_by_one_index(registry_url):
    """Revision 0003_history_index: on PostgreSQL one covering index holds every column
    of a history row (an index-only scan); the single-column serial index is gone."""
    with open_registry(registry_url) as reg, reg._read() as conn:
        indexes = {i["name"]: i for i in inspect(conn).get_indexes("labctl_records")}
        assert "ix_labctl_records_dut_serial" not in indexes
        if conn.dialect.name != "postgresql":
            assert indexes["ix_labctl_records_serial_seq"]["column_names"] == ["dut_serial",
                                                                                 "seq"]
            return
        history = indexes["ix_labctl_records_history"]
        assert history["column_names"][:2] == ["dut_serial", "seq"]
        from labctl.registry.store import _SUMMARY_NAMES

        included = history.get("include_columns") or \
            history.get("dialect_options", {}).get("postgresql_include", [])
        assert set(_SUMMARY_NAMES) <= {"dut_serial", "seq", *included}
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = " ".join(str(r[0]) for r in conn.execute(text(
            "EXPLAIN SELECT seq, id FROM labctl_records WHERE dut_serial = 'SN-1' "
            "ORDER BY seq DESC LIMIT 50")))
        assert "ix_labctl_records_history" in plan, plan
