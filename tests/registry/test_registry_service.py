"""The registry service over HTTP, on SQLite and on PostgreSQL: pushes through the outbox
and the httpx client, idempotence and conflicts, reads with filters and pages, standards
due, keys, key figures, and the commands pointed at the service's URL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from service_support import Service, make_tokens

from labctl.cli import main
from labctl.registry.outbox import Outbox
from labctl.registry.signing import public_key_text, sign_record
from labctl.registry.store import open_registry

pytestmark = pytest.mark.realtime


@pytest.fixture
def service(registry_url):
    svc = Service(registry_url)
    svc.tokens = make_tokens(registry_url)
    svc.start()
    yield svc
    svc.stop()


@pytest.fixture
def bench_env(service, monkeypatch):
    monkeypatch.setenv("LABCTL_REGISTRY_TOKEN", service.tokens["bench"])
    return service


def _push_through_outbox(tmp_path, key, records, url):
    outbox = Outbox(tmp_path / "outbox.db", key=key, sleep=lambda s: None)
    for record in records:
        outbox.put(record, url)
    return outbox, outbox.deliver(url, max_attempts=3, base_delay=0)


def test_push_read_filter_and_page(bench_env, tmp_path, lab_key, make_record, point):
    service = bench_env
    started = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)
    records = [make_record(dut={**make_record().dut.model_dump(mode="json"),
                                "serial": f"SN-{i % 3}"},
                           points=[point(0, "fail" if i % 4 == 0 else "pass")],
                           started=(started + timedelta(days=i)).isoformat(),
                           finished=(started + timedelta(days=i, hours=1)).isoformat())
               for i in range(12)]
    outbox, report = _push_through_outbox(tmp_path, lab_key, records, service.url)
    assert report.ok and len(report.delivered) == 12

    with service.client(service.tokens["reader"]) as http:
        one = http.get(f"/v1/records/{records[5].id}").json()
        assert one["record"] == outbox.get(records[5].id).document()
        assert one["superseded_by"] == []
        assert http.get(f"/v1/records/{records[5].id[:8]}").json()["record"]["id"] == \
            records[5].id

        history = http.get("/v1/instruments/SN-1/history").json()["records"]
        assert [r["id"] for r in history] == [r.id for r in reversed(records) if
                                              r.dut.serial == "SN-1"]
        with open_registry(service.db_url) as reg:  # the same rows as the store's query
            assert history == reg.query(dut_serial="SN-1")
        first = http.get("/v1/instruments/SN-1/history", params={"limit": 3}).json()
        assert first["records"] == history[:3]
        assert first["next_before"] == history[2]["seq"]
        rest = http.get("/v1/instruments/SN-1/history",
                        params={"limit": 3, "before": first["next_before"]}).json()
        assert rest == {"records": history[3:], "next_before": None}
        fails = http.get("/v1/records", params={"decision": "fail"}).json()["records"]
        assert {r["id"] for r in fails} == {records[i].id for i in (0, 4, 8)}
        by_family = http.get("/v1/records", params={"family": "weighing"}).json()["records"]
        assert len(by_family) == 12
        assert http.get("/v1/records", params={"family": "gas"}).json()["records"] == []
        assert len(http.get("/v1/records", params={"procedure": "scale-jjg539"})
                   .json()["records"]) == 12
        period = http.get("/v1/records", params={
            "from": (started + timedelta(days=3)).isoformat(),
            "to": (started + timedelta(days=6)).isoformat()}).json()["records"]
        assert [r["id"] for r in period] == [records[i].id for i in (5, 4, 3)]

        # pages of 5, newest first, following next_before
        seen, before = [], None
        while True:
            page = http.get("/v1/records", params={"limit": 5, **(
                {"before": before} if before else {})}).json()
            seen += [r["id"] for r in page["records"]]
            before = page["next_before"]
            if before is None:
                break
        assert seen == [r.id for r in reversed(records)]

        keys = http.get("/v1/keys").json()
        assert keys["stored"] == {records[0].key_id or outbox.get(records[0].id).key_id:
                                  public_key_text(lab_key.public_key())}
        due = http.get("/v1/standards/due", params={"before": "2025-07-01"}).json()
        assert [s["register_id"] for s in due["standards"]] == ["W-M1-SET-01"]
        assert http.get("/v1/standards/due", params={"before": "2025-05-01"}) \
            .json()["standards"] == []

        stats = http.get("/v1/stats").json()
        assert stats["records"] == 12
        assert stats["records_by_family"] == {"weighing": 12}
        assert stats["records_by_decision"] == {"fail": 3, "pass": 9}
        kinds = stats["mandatory_verification"]
        assert kinds["source"]["checked"] is False and "SAMR" in kinds["source"]["document"]
        assert kinds["kinds"] >= 10
        assert http.get("/docs").status_code == 200
        assert "/v1/records" in http.get("/openapi.json").json()["paths"]


def test_push_is_idempotent_and_a_changed_record_is_a_conflict(bench_env, lab_key,
                                                               make_record):
    service = bench_env
    signed = sign_record(make_record(), lab_key)
    body = {"record": signed.document(), "public_key": public_key_text(lab_key.public_key())}
    with service.client(service.tokens["bench"]) as http:
        first = http.post("/v1/records", json=body)
        again = http.post("/v1/records", json=body)
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["receipts"][0] | {"created": False} == again.json()["receipts"][0]

        changed = sign_record(make_record(id=signed.id, operator="B. Other"), lab_key)
        refused = http.post("/v1/records", json={"record": changed.document()})
        assert refused.status_code == 409 and refused.json()["kind"] == "conflict"
        assert "already stored with other content" in refused.json()["error"]
        got = http.get(f"/v1/records/{signed.id}").json()["record"]
        assert got["operator"] == signed.operator


def test_commands_take_the_service_url(bench_env, tmp_path, lab_key, make_record, capsys,
                                       monkeypatch):
    service = bench_env
    records = [make_record() for _ in range(3)]
    outbox, report = _push_through_outbox(tmp_path, lab_key, records, service.url)
    assert report.ok
    correction = make_record(supersedes=records[1].id)
    outbox.put(correction, service.url)
    assert outbox.deliver(service.url, base_delay=0).ok

    assert main(["registry", "list", "--registry", service.url, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in listed] == [correction.id] + [r.id for r in reversed(records)]

    monkeypatch.setenv("COLUMNS", "160")
    assert main(["registry", "show", records[1].id[:8], "--registry", service.url]) == 0
    shown = capsys.readouterr().out
    assert f"superseded by  {correction.id}" in shown and "SUPERSEDED" in shown

    assert main(["registry", "verify", "--registry", service.url]) == 0
    assert "4 records; chain, hashes and signatures good" in capsys.readouterr().out

    # a second correction of the same record is refused for good
    second = make_record(supersedes=records[1].id)
    outbox.put(second, service.url)
    report = outbox.deliver(service.url, base_delay=0)
    assert report.rejected and "already superseded by" in report.rejected[0][1]


def test_deliver_with_the_service_down_keeps_the_records_queued(tmp_path, lab_key,
                                                                 make_record, capsys,
                                                                 monkeypatch, registry_url):
    service = Service(registry_url)
    tokens = make_tokens(registry_url)
    monkeypatch.setenv("LABCTL_REGISTRY_TOKEN", tokens["bench"])
    record = make_record()
    outbox = Outbox(key=lab_key, sleep=lambda s: None)
    outbox.put(record, service.url)
    assert main(["registry", "deliver", "--registry", service.url, "--attempts", "1"]) == 2
    captured = capsys.readouterr()
    assert "1 record queued in the outbox" in captured.out
    assert "cannot reach the registry service" in captured.err
    assert outbox.state(record.id) == "pending"
    service.start()
    try:
        assert main(["registry", "deliver", "--registry", service.url]) == 0
        assert "1 record delivered" in capsys.readouterr().out
        assert outbox.state(record.id) == "delivered"
    finally:
        service.stop()


def test_token_create_prints_it_once_and_keeps_a_hash(sqlite_url, capsys):
    assert main(["registry", "token", "create", "--role", "reader", "--db", sqlite_url]) == 0
    captured = capsys.readouterr()
    token = captured.out.strip()
    assert token.startswith("lct_") and len(token) > 40
    assert token not in captured.err
    from sqlalchemy import create_engine, text

    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        stored = [row for row in conn.execute(text("SELECT * FROM labctl_tokens"))]
    engine.dispose()
    assert len(stored) == 1 and token not in json.dumps([list(map(str, r)) for r in stored])
    assert main(["registry", "token", "list", "--db", sqlite_url]) == 0
    assert "reader" in capsys.readouterr().out

