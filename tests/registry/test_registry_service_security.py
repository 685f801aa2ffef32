"""Requests the service must refuse cleanly: no token, a wrong or revoked token, the wrong
role, malformed and oversized bodies, control characters; SQL meta-characters are data.
Each refusal stores nothing and its message names neither the database nor any SQL."""

from __future__ import annotations

import pytest
from service_support import Service, make_tokens

from labctl.registry.signing import public_key_text, sign_record
from labctl.registry.store import open_registry

pytestmark = pytest.mark.realtime

LIMIT = 64 * 1024


@pytest.fixture
def service(registry_url):
    svc = Service(registry_url, max_body=LIMIT)
    svc.tokens = make_tokens(registry_url)
    svc.start()
    yield svc
    svc.stop()


def _count(url: str) -> int:
    with open_registry(url) as reg:
        return reg.count()


def _clean(response, db_url: str) -> None:
    """A refusal as JSON with a message about the request only."""
    body = response.json()
    assert set(body) >= {"error", "kind"}
    text = response.text.lower()
    for leak in ("sqlite", "postgres", "select ", "insert ", "traceback", "labctl_records",
                 db_url.lower()[:20]):
        assert leak not in text, (leak, response.text)


def _body(record, key) -> dict:
    return {"record": record.document(), "public_key": public_key_text(key.public_key())}


def test_tokens_and_roles(service, lab_key, make_record, registry_url):
    body = _body(sign_record(make_record(), lab_key), lab_key)
    with service.client(None) as http:
        answer = http.post("/v1/records", json=body)
        assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
        _clean(answer, registry_url)
        assert http.get("/v1/records").status_code == 401
        assert http.get("/v1/health").status_code == 200  # the one open endpoint
    for token in ("lct_" + "x" * 43, "not-a-token", "lct_" + "y" * 5000):
        with service.client(token) as http:
            answer = http.post("/v1/records", json=body)
            assert answer.status_code == 401
            _clean(answer, registry_url)
    for role in ("reader", "reviewer"):
        with service.client(service.tokens[role]) as http:
            answer = http.post("/v1/records", json=body)
            assert answer.status_code == 403 and answer.json()["kind"] == "forbidden"
            assert http.get("/v1/records").status_code == 200  # reading is allowed
    assert _count(registry_url) == 0
    with service.client(service.tokens["bench"]) as http:
        assert http.post("/v1/records", json=body).status_code == 201
    assert _count(registry_url) == 1


def test_a_revoked_token_is_refused(registry_url, lab_key, make_record, monkeypatch):
    import labctl.registry.service as service_module
    from labctl.registry.tokens import revoke_token

    monkeypatch.setattr(service_module, "TOKEN_CACHE_SECONDS", 0.0)
    svc = Service(registry_url)
    tokens = make_tokens(registry_url)
    svc.start()
    try:
        with svc.client(tokens["reader"]) as http:
            assert http.get("/v1/records").status_code == 200
            with open_registry(registry_url) as reg:
                from labctl.registry.tables import tokens as table

                with reg._read() as conn:
                    token_id = conn.execute(table.select().where(
                        table.c.role == "reader")).first().token_id
                assert revoke_token(reg, token_id)
            assert http.get("/v1/records").status_code == 401
    finally:
        svc.stop()


MALFORMED = [
    (b"{not json", 400),
    (b"\xff\xfe\x00", 400),
    (b"[]", 400),
    (b'{"record": 3}', 400),
    (b'{"records": []}', 400),
    (b'{"record": {}, "records": []}', 400),
    (b'{"record": {"id": "x"}}', 422),
    (b"[" * 100000 + b"]" * 100000, 413),
    (b"[" * 30000 + b"]" * 30000, 400),
    (b'{"record": {"seed": NaN}}', 400),
    (b'{"record": {"seed": Infinity}}', 400),
]


def test_malformed_bodies(service, registry_url):
    with service.client(service.tokens["bench"]) as http:
        for payload, status in MALFORMED:
            answer = http.post("/v1/records", content=payload,
                               headers={"content-type": "application/json"})
            assert answer.status_code == status, (payload[:20], answer.text)
            _clean(answer, registry_url)
    assert _count(registry_url) == 0


def test_oversized_body_refused_by_its_stated_limit(service, lab_key, make_record,
                                                    registry_url):
    big = make_record(parameters={"padding": "x" * (LIMIT + 1)})
    with service.client(service.tokens["bench"]) as http:
        answer = http.post("/v1/records", json=_body(sign_record(big, lab_key), lab_key))
        assert answer.status_code == 413
        assert f"limit of {LIMIT} bytes" in answer.json()["error"]

        def chunks():  # no content-length: counted as it arrives
            for _ in range(LIMIT // 1024 + 2):
                yield b" " * 1024

        answer = http.post("/v1/records", content=chunks(),
                           headers={"content-type": "application/json"})
        assert answer.status_code == 413
    assert _count(registry_url) == 0


FIELDS = ["operator", "lab", "run_id", "dut.serial", "dut.maker", "procedure.id",
          "standards.0.certificate", "points.0.notes", "parameters.category"]
CONTROLS = ["\x00", "\x1b[31m", "a\rb", "\x7f", "\x85", "\ud800"]


def test_control_characters_refused_in_every_string_field(service, lab_key, record_data,
                                                          registry_url):
    from labctl.registry.record import Record

    with service.client(service.tokens["bench"]) as http:
        for field in FIELDS:
            for bad in CONTROLS:
                document = Record.model_validate(record_data()).document()
                *path, last = field.split(".")
                holder = document
                for name in path:
                    holder = holder[int(name)] if name.isdigit() else holder[name]
                holder[last] = f"ok{bad}ok"
                # signed or not, the record is refused before its signature is looked at
                body = {"record": document, "public_key": public_key_text(lab_key.public_key())}
                content = json_bytes(body)
                answer = http.post("/v1/records", content=content,
                                   headers={"content-type": "application/json"})
                assert answer.status_code == 422, (field, bad, answer.text)
                assert "control characters" in answer.json()["error"]
                assert field.split(".")[0] in answer.json()["error"]
                _clean(answer, registry_url)
    assert _count(registry_url) == 0


def json_bytes(body: dict) -> bytes:
    """JSON with lone surrogates written as escapes (as any JSON client may send them)."""
    import json

    return json.dumps(body, ensure_ascii=True).encode("ascii")


SQL_META = ["'; DROP TABLE labctl_records; --", "\" OR 1=1 --", "%_\\", "Robert'); --"]


def test_sql_meta_characters_are_data(service, lab_key, make_record, record_data,
                                      registry_url):
    """Stored and returned exactly as signed, matched only literally by filters; the
    tables are all still there."""
    from labctl.registry.record import Record

    with service.client(service.tokens["bench"]) as http:
        previous = None
        for text in SQL_META:
            data = record_data(operator=text)
            data["dut"]["serial"] = text
            record = sign_record(Record.model_validate(data).linked_to(previous), lab_key)
            previous = record.hash
            assert http.post("/v1/records", json=_body(record, lab_key)).status_code == 201
        for text in SQL_META:
            found = http.get("/v1/records", params={"serial": text}).json()["records"]
            assert len(found) == 1 and found[0]["dut_serial"] == text
            got = http.get(f"/v1/instruments/{text.replace('/', '%2F')}/history")
            assert got.status_code in (200, 404)
        for probe in ("%", "' OR '1'='1", "*"):
            assert http.get("/v1/records", params={"serial": probe}).json()["records"] == []
            assert http.get("/v1/records", params={"lab": probe}).json()["records"] == []
        answer = http.get("/v1/records/' OR 1=1 --")
        assert answer.status_code in (404, 422)
        _clean(answer, registry_url)
    with open_registry(registry_url) as reg:
        assert reg.count() == len(SQL_META)
        assert reg.verify_chain(reg.labs()[0]) == []


def test_bad_query_parameters(service, registry_url):
    with service.client(service.tokens["reader"]) as http:
        for params in ({"limit": 0}, {"limit": 10**9}, {"before": -1}, {"from": "yesterday"},
                       {"serial": "x" * 1000}):
            answer = http.get("/v1/records", params=params)
            assert answer.status_code == 422, params
            _clean(answer, registry_url)
        answer = http.get("/v1/standards/due", params={"before": "not a date"})
        assert answer.status_code == 422
