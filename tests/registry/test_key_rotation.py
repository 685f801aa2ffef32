"""The lab key: made with mode 0600, rotated (the old key stays trusted for what it
signed), revoked (what was stored before the revocation stays good, later is named by
verify and refused by the service), and published by the service."""

from __future__ import annotations

import stat
from datetime import UTC, datetime

import pytest
from service_support import Service, make_tokens

from labctl.cli import main
from labctl.errors import ConfigError
from labctl.paths import key_path, trusted_keys_path
from labctl.registry.signing import key_id, load_or_create_key, public_key_text, sign_record
from labctl.registry.store import open_registry
from labctl.registry.trust import load_trusted_keys


def _push(reg, make_record, key):
    signed = sign_record(make_record().linked_to(reg.last_hash("Municipal Metrology "
                                                               "Institute")), key)
    reg.push(signed, key.public_key())
    return signed


def test_rotation_keeps_the_old_key_trusted_for_what_it_signed(sqlite_url, make_record,
                                                               capsys):
    old = load_or_create_key()
    assert stat.S_IMODE(key_path().stat().st_mode) == 0o600
    with open_registry(sqlite_url) as reg:
        first = _push(reg, make_record, old)
    assert main(["registry", "key", "rotate", "--note", "yearly rotation by M. Chen"]) == 0
    out = capsys.readouterr().out
    new = load_or_create_key()
    assert key_id(new.public_key()) != key_id(old.public_key())
    assert f"lab key rotated: {key_id(old.public_key())} -> {key_id(new.public_key())}" in out
    assert stat.S_IMODE(key_path().stat().st_mode) == 0o600
    retired = key_path().parent / "retired" / f"lab-ed25519-{key_id(old.public_key())}.pem"
    assert stat.S_IMODE(retired.stat().st_mode) == 0o600
    trusted = load_trusted_keys(trusted_keys_path())
    assert set(trusted) == {key_id(old.public_key()), key_id(new.public_key())}
    with open_registry(sqlite_url) as reg:
        second = _push(reg, make_record, new)
        assert reg.verify_chain(first.lab, trusted) == []
        assert reg.verify(first.id, trusted) == [] and reg.verify(second.id, trusted) == []
    assert main(["registry", "verify", "--registry", sqlite_url]) == 0


def test_revocation_names_what_was_stored_after_it(sqlite_url, make_record, capsys):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from labctl.registry.trust import add_trusted_key

    bench_key = Ed25519PrivateKey.generate()  # another bench's key, trusted, then revoked
    add_trusted_key(trusted_keys_path(), bench_key.public_key(), "bench 2")
    kid = key_id(bench_key.public_key())
    with open_registry(sqlite_url) as reg:
        before = _push(reg, make_record, bench_key)
        assert main(["registry", "key", "revoke", kid, "--reason", "bench 2 stolen"]) == 0
        after = _push(reg, make_record, bench_key)  # e.g. a stolen key pushing directly
    assert f"key {kid} revoked at " in capsys.readouterr().out
    assert main(["registry", "verify", "--registry", sqlite_url]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert f"record {after.id[:8]} (#2): signed by key {kid}, revoked at " in out
    assert f"record {before.id[:8]}" not in out
    assert main(["registry", "key", "list"]) == 0
    assert f"{kid}  revoked at " in capsys.readouterr().out
    lab = load_or_create_key()
    assert main(["registry", "key", "revoke", key_id(lab.public_key()), "--reason", "x"]) == 2
    assert "rotate --note ... first" in capsys.readouterr().err


def test_a_bad_revocation_line_is_named(tmp_path):
    path = tmp_path / "trusted.txt"
    key = load_or_create_key()
    path.write_text(f"{public_key_text(key.public_key())}  # lab\nrevoke abc yesterday\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=r"trusted.txt, line 2: "):
        load_trusted_keys(path)
    path.write_text(f"{public_key_text(key.public_key())}  # lab\n"
                    "revoke 0123456789abcdef 2026-01-01T00:00:00Z  # ?\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="revokes key 0123456789abcdef, which the file "
                                          "does not list"):
        load_trusted_keys(path)


@pytest.mark.realtime
def test_the_service_publishes_its_keys_and_refuses_a_revoked_one(sqlite_url, tmp_path,
                                                                  make_record):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from labctl.registry.trust import add_trusted_key, revoke_trusted_key

    trusted = tmp_path / "trusted.txt"
    good, bad = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    add_trusted_key(trusted, good.public_key(), "bench 1")
    add_trusted_key(trusted, bad.public_key(), "bench 2")
    revoke_trusted_key(trusted, key_id(bad.public_key()), "lost", datetime.now(UTC))
    service = Service(sqlite_url, trusted_keys=trusted, signing_key=tmp_path / "svc.pem")
    tokens = make_tokens(sqlite_url)
    service.start()
    try:
        with service.client(tokens["bench"]) as client:
            record = sign_record(make_record().linked_to(None), bad)
            answer = client.post("/v1/records", json={
                "record": record.document(), "public_key": public_key_text(bad.public_key())})
            assert answer.status_code == 403 and answer.json()["kind"] == "revoked_key"
            keys = client.get("/v1/keys").json()
        assert set(keys["trusted"]) == {key_id(good.public_key()), key_id(bad.public_key())}
        service_key = load_or_create_key(tmp_path / "svc.pem")
        assert keys["service"] == {key_id(service_key.public_key()):
                                   public_key_text(service_key.public_key())}
        assert stat.S_IMODE((tmp_path / "svc.pem").stat().st_mode) == 0o600
    finally:
        service.stop()


def test_review_entries_signed_after_a_revocation_are_named(sqlite_url, make_record, tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from reviews_support import personnel_file

    from labctl.personnel import load_personnel
    from labctl.registry.trust import add_trusted_key, revoke_trusted_key

    people = load_personnel(personnel_file(tmp_path))
    bench, reviewer = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    trusted_file = tmp_path / "trusted.txt"
    add_trusted_key(trusted_file, bench.public_key(), "bench")
    add_trusted_key(trusted_file, reviewer.public_key(), "reviewer's workstation")
    revoke_trusted_key(trusted_file, key_id(reviewer.public_key()), "laptop lost",
                       datetime(2026, 6, 1, tzinfo=UTC))
    trusted = load_trusted_keys(trusted_file)
    with open_registry(sqlite_url) as reg:
        early, late = _push(reg, make_record, bench), _push(reg, make_record, bench)
        reg.review(early.id, approve=True, reason="", person="hzhou", personnel=people,
                   key=reviewer, now="2026-05-31T09:00:00Z")
        entry = reg.review(late.id, approve=True, reason="", person="hzhou",
                           personnel=people, key=reviewer, now="2026-06-02T09:00:00Z")
        problems = reg.verify_reviews(early.lab, trusted)
    assert len(problems) == 1 and f"review entry {entry['id'][:8]}" in problems[0]
    assert f"signed by key {key_id(reviewer.public_key())}, revoked at 2026-06-01" in \
        problems[0]
