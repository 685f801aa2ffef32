"""Fixtures of the records layer's tests: records, keys, and registries on SQLite and on
PostgreSQL (each PostgreSQL test in its own schema). The private labctl home of every
test (``LABCTL_HOME``) comes from the autouse ``labctl_home`` fixture of tests/conftest.py."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from labctl.registry.record import Record

PG_URL = os.environ.get(
    "LABCTL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def lab_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def point(index: int, decision: str = "pass", error: float = 0.002) -> dict[str, Any]:
    """A weighing-error point as the analysis writes it (a plain dict)."""
    load = [0.1, 2.5, 10.0, 7.5, 15.0][index % 5]
    return {
        "test": "weighing_error",
        "step": "weighing",
        "point": f"weighing/{index:02d}",
        "nominal": {"value": load, "unit": "kg"},
        "indication": {"value": load + error, "unit": "kg"},
        "error": {"value": error, "unit": "kg"},
        "expanded_uncertainty": {"value": 0.0012, "unit": "kg"},
        "coverage_factor": 2.0,
        "mpe": {"value": 0.005 if load < 2.5 else 0.01, "unit": "kg"},
        "decision": decision,
        "rule": "simple acceptance (JJG 539-2016)",
        "budget": {
            "components": [
                {"name": "reference weight", "u": 0.0003, "dof": float("inf")},
                {"name": "rounding", "u": 0.00144, "dof": float("inf")},
            ],
            "u_c": 0.0006,
            "nu_eff": float("inf"),
        },
        "notes": "",
    }


def record_data(**overrides: Any) -> dict[str, Any]:
    """The data of a plausible scale verification record, as plain JSON values."""
    started = datetime(2024, 5, 6, 8, 30, tzinfo=UTC)
    data: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "lab": "Municipal Metrology Institute",
        "run_id": "20240506-083000-scale",
        "dut": {
            "role": "dut", "driver": "mtsics", "maker": "Mettler", "model": "ICS425",
            "serial": "B123456789", "firmware": "1.2.3",
            "data_plate": {"Max": {"value": 15, "unit": "kg"}, "e": {"value": 5, "unit": "g"},
                           "class": "III"},
        },
        "standards": [{
            "register_id": "W-M1-SET-01", "description": "M1 weight set 1 mg - 10 kg",
            "accuracy_class": "M1", "certificate": "CAL-2023-0815",
            "calibration_date": "2023-06-01", "due_date": "2025-06-01",
            "expanded_uncertainty": {"value": 0.5, "unit": "g"}, "coverage_factor": 2.0,
            "expired_allowed": None,
        }],
        "environment": {
            "source": "measured",
            "temperature": {"min": 20.1, "max": 21.3, "mean": 20.7, "unit": "degC"},
            "humidity": {"min": 40.0, "max": 45.0, "mean": 42.0, "unit": "%"},
        },
        "procedure": {
            "id": "scale-jjg539", "version": "1.0.0",
            "title": "Digital indicating scales, verification", "document": "JJG 539-2016",
            "kind": "verification", "category": "initial", "sha256": "a" * 64,
        },
        "journal_sha256": "b" * 64,
        "points": [point(i) for i in range(5)],
        "parameters": {"category": "initial", "change_point": False},
        "seed": 7,
        "virtual_clock": True,
        "labctl_version": "0.1.0",
        "operator": "A. Engineer",
        "started": started.isoformat(),
        "finished": (started + timedelta(hours=2)).isoformat(),
    }
    data.update(overrides)
    return data


@pytest.fixture(name="point")
def point_fixture() -> Callable[..., dict[str, Any]]:
    """``point(index, decision="pass", error=0.002)``: a point as a plain dict."""
    return point


@pytest.fixture(name="record_data")
def record_data_fixture() -> Callable[..., dict[str, Any]]:
    """``record_data(**overrides)``: the data of a record as plain JSON values."""
    return record_data


@pytest.fixture
def make_record() -> Callable[..., Record]:
    def make(**overrides: Any) -> Record:
        return Record.model_validate(record_data(**overrides))

    return make


# -- registries ---------------------------------------------------------------------------


@pytest.fixture
def signed_chain(make_record, lab_key) -> Callable[[int], list[Record]]:
    """``signed_chain(n)``: n records of the lab, each signed by ``lab_key`` and linked to
    the one before (the first to no previous record)."""
    from labctl.registry.signing import sign_record

    def chain(n: int) -> list[Record]:
        out, previous = [], None
        for _ in range(n):
            record = sign_record(make_record().linked_to(previous), lab_key)
            out.append(record)
            previous = record.hash
        return out

    return chain


def _postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        import psycopg
        from sqlalchemy.engine import make_url
    except ImportError as err:  # pragma: no cover - psycopg is a test dependency
        return f"psycopg is not installed: {err}"
    url = make_url(PG_URL)
    try:
        with psycopg.connect(host=url.host, port=url.port or 5432, user=url.username,
                             password=url.password, dbname=url.database, connect_timeout=2):
            return None
    except psycopg.Error as err:
        reason = " ".join(str(err).split())
        return f"PostgreSQL at {url.host}:{url.port or 5432} is unreachable: {reason}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A registry URL on PostgreSQL whose tables live in a fresh schema dropped afterwards.

    Skips when the server is unreachable, but fails when CI=true (CI must test it).
    """
    problem = _postgres_reachable()
    if problem:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI=true but {problem}")
        pytest.skip(problem)
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL)
    schema = f"labctl_test_{uuid.uuid4().hex[:12]}"
    params = {"host": url.host, "port": url.port or 5432, "user": url.username,
              "password": url.password, "dbname": url.database}
    with psycopg.connect(**params, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield url.set(query={"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with psycopg.connect(**params, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{(tmp_path / 'registry.db').as_posix()}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def registry_url(request) -> str:
    """The same tests on both backends."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")



