"""The README's run command into a PostgreSQL registry, then ``labctl registry show`` and
``labctl registry verify`` on it, all through ``labctl.cli.main``.

The registry lives in a schema of its own, created for this test and dropped after it
(``postgres_url`` of tests/registry/conftest.py: the URL carries
``?options=-csearch_path%3D<schema>``). The test skips when PostgreSQL at 127.0.0.1:5432
(or ``LABCTL_TEST_PG_URL``) is unreachable, and fails instead when ``CI`` is true.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from e2e_support import ROOT

from labctl.cli import main


def _registry_conftest():  # noqa: ANN202 - a module
    """tests/registry/conftest.py, loaded by path under a name of its own (a conftest is
    not importable by name: every test folder's is called ``conftest``)."""
    path = Path(__file__).resolve().parents[1] / "registry" / "conftest.py"
    spec = importlib.util.spec_from_file_location("labctl_tests_registry_conftest", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The registry tests' fixture, reused as it is: skip (or fail under CI=true) when the
# server does not answer; else a URL whose tables go into a fresh schema, dropped after.
postgres_url = _registry_conftest().postgres_url

pytestmark = pytest.mark.postgres


def schema_of(url: str) -> str:
    """The schema the URL's ``options=-csearch_path=<schema>`` puts the tables in."""
    options = parse_qs(urlsplit(url).query)["options"][0]
    assert options.startswith("-csearch_path="), options
    return options.removeprefix("-csearch_path=")


def table_ids(url: str, schema: str) -> list[str]:
    """Record ids in ``schema``'s records table, read behind labctl's back."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url.split("?", 1)[0])
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(
                text(f'SELECT id FROM "{schema}".labctl_records ORDER BY seq'))]
    finally:
        engine.dispose()


def test_run_show_verify_on_postgresql(postgres_url: str, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.delenv("LABCTL_REGISTRY", raising=False)
    registry = ["--registry", postgres_url]
    out = tmp_path / "record.json"

    assert main(["run", "procedures/scale-jjg539.yaml", "--bench", "benches/sim-scale.yaml",
                 *registry, "--json", str(out), "-q"]) == 0
    printed = capsys.readouterr().out
    record = json.loads(out.read_text(encoding="utf-8"))
    assert f"record {record['id']} stored in the registry" in printed
    assert record["decision"] in {"pass", "fail", "conditional_pass", "conditional_fail"}

    # stored in this test's schema on PostgreSQL, not in the embedded registry
    assert table_ids(postgres_url, schema_of(postgres_url)) == [record["id"]]
    assert main(["registry", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []

    # show: the same document, by full id and by prefix
    assert main(["registry", "show", record["id"], *registry, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == record
    assert main(["registry", "show", record["id"][:8], *registry]) == 0
    shown = capsys.readouterr().out
    assert record["id"] in shown and "weighing/05" in shown

    # verify: hashes, chain and signature good
    assert main(["registry", "verify", *registry]) == 0
    verified = capsys.readouterr().out
    assert "1 record; chain, hashes and signatures good" in verified
    assert record["lab"] in verified


def test_verify_on_postgresql_finds_an_edited_record(postgres_url: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    """A record edited in the database behind labctl's back (its immutability trigger
    switched off first) fails ``labctl registry verify`` with exit status 1."""
    from sqlalchemy import create_engine, text

    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("LABCTL_REGISTRY", raising=False)
    registry = ["--registry", postgres_url]
    assert main(["run", "procedures/scale-jjg539.yaml", "--bench", "benches/sim-scale.yaml",
                 *registry, "-q"]) == 0
    capsys.readouterr()

    engine = create_engine(postgres_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE labctl_records DISABLE TRIGGER USER"))
            conn.execute(text("UPDATE labctl_records SET document = "
                              "replace(document, '\"decision\":\"', '\"decision\":\"x')"))
    finally:
        engine.dispose()
    assert main(["registry", "verify", *registry]) == 1
    captured = capsys.readouterr()
    assert "problems" in captured.out + captured.err
