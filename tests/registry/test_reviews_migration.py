"""Migration 0003_reviews on a registry at revision 0002 (what the service made before
review entries): migrated in place, records, keys and tokens kept, tokens still valid,
and the records can then be reviewed."""

from __future__ import annotations

from migration_support import upgrade_to
from reviews_support import personnel_file
from sqlalchemy import text

from labctl.personnel import load_personnel
from labctl.registry import migrate
from labctl.registry.database import make_engine, parse_url
from labctl.registry.signing import public_key_text, sign_record
from labctl.registry.store import open_registry
from labctl.registry.tokens import check_token, token_hash


def test_a_0002_registry_is_migrated_in_place(registry_url, make_record, lab_key, tmp_path):
    upgrade_to(registry_url, "0002")
    engine = make_engine(parse_url(registry_url), "test")
    from labctl.registry.store import Registry

    helper = Registry(engine, "test")
    previous, records = None, []
    for _ in range(3):
        record = sign_record(make_record().linked_to(previous), lab_key)
        previous = record.hash
        records.append(record)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO labctl_keys (key_id, public_key, added) VALUES "
                          "(:k, :p, '2024-01-01T00:00:00Z')"),
                     {"k": records[0].key_id, "p": public_key_text(lab_key.public_key())})
        helper._known_keys[records[0].key_id] = lab_key.public_key()
        for record in records:
            row = {k: v for k, v in helper._row(record, None).items() if not k.startswith("_")}
            conn.execute(text(f"INSERT INTO labctl_records ({', '.join(row)}) VALUES "
                              f"({', '.join(':' + k for k in row)})"), row)
        conn.execute(text("INSERT INTO labctl_tokens (token_id, token_hash, role, label, "
                          "created) VALUES ('t1', :h, 'reader', 'old', '2024-01-01T00:00:00Z')"),
                     {"h": token_hash("lct_old-reader-token")})
        before = [tuple(r) for r in conn.execute(text(
            "SELECT seq, id, hash, document FROM labctl_records ORDER BY seq"))]
    engine.dispose()

    with open_registry(registry_url) as reg:  # migrates 0002 -> head
        with reg._read() as conn:
            assert migrate.current_revision(conn) == migrate.HEAD  # 0003_reviews and after
            after = [tuple(r) for r in conn.execute(text(
                "SELECT seq, id, hash, document FROM labctl_records ORDER BY seq"))]
        assert after == before
        assert reg.verify_chain(records[0].lab) == []
        info = check_token(reg, "lct_old-reader-token")
        assert info is not None and info.role == "reader" and info.person is None
        people = load_personnel(personnel_file(tmp_path))
        reg.review(records[1].id, approve=True, reason="", person="hzhou", personnel=people,
                   key=lab_key)
        assert reg.review_status(records[1].id).status == "reviewed"
        assert reg.verify_reviews(records[0].lab) == []
