"""``labctl registry list / show / verify`` through labctl.cli.main."""

from __future__ import annotations

import json

import pytest

from labctl.cli import main
from labctl.registry.outbox import Outbox


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture
def delivered(make_record, lab_key, point):
    """Two records of one lab in the embedded (default) registry; the second fails."""
    outbox = Outbox(key=lab_key)
    passed = outbox.put(make_record())
    failed = outbox.put(make_record(points=[point(0), point(1, "fail", error=0.02)]))
    assert outbox.deliver().ok
    return passed, failed


def test_list_shows_a_table_newest_first(delivered, capsys):
    passed, failed = delivered
    assert main(["registry", "list"]) == 0
    out = capsys.readouterr().out
    assert out.index(failed.id[:8]) < out.index(passed.id[:8])
    for text in ("Mettler ICS425 #B123456789", "scale-jjg539@1.0.0", "2024-05-06 10:30:00",
                 "Municipal Metrology Institute", "pass", "fail"):
        assert text in out


def test_list_json_and_limit(delivered, capsys):
    assert main(["registry", "list", "--json", "--limit", "1"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1 and rows[0]["id"] == delivered[1].id
    assert rows[0]["decision"] == "fail" and rows[0]["procedure_version"] == "1.0.0"


def test_list_of_an_empty_registry(capsys):
    assert main(["registry", "list"]) == 0
    assert "No records" in capsys.readouterr().out


def test_show_prints_header_standards_points_and_verification(delivered, capsys):
    _, failed = delivered
    assert main(["registry", "show", failed.id[:8]]) == 0
    out = capsys.readouterr().out
    for text in (failed.id, "JJG 539-2016", "W-M1-SET-01", "CAL-2023-0815", "2025-06-01",
                 "weighing/01", "1.2", "fail",
                 "hash ok, signature ok", failed.key_id, "serial B123456789", "20.7 °C"):
        assert text in out, text
    # the points' table heads carry their units (the errors in g), one table a test
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.split()[:1] == ["point"])
    assert lines[head].split()[-1] == "decision" and "g" in lines[head].split()


def test_show_json_is_the_stored_record(delivered, capsys):
    passed, _ = delivered
    assert main(["registry", "show", passed.id, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == passed.document()


def test_show_unknown_id_is_one_line_on_stderr_and_exit_2(delivered, capsys):
    assert main(["registry", "show", "ffffffff"]) == 2
    err = capsys.readouterr().err.strip()
    assert "no record 'ffffffff'" in err and "labctl registry list" in err
    assert "\n" not in err


def test_verify_passes_then_fails_on_tampering(delivered, capsys, raw_sql):
    from labctl.paths import default_registry_url

    assert main(["registry", "verify"]) == 0
    assert "2 records; chain, hashes and signatures good" in capsys.readouterr().out
    passed, _ = delivered
    raw_sql(default_registry_url(), [
        "DROP TRIGGER labctl_records_no_update",
        f"UPDATE labctl_records SET document = replace(document, '\"decision\":\"pass\"', "
        f"'\"decision\":\"fail\"') WHERE id = '{passed.id}'",
    ])
    assert main(["registry", "verify"]) == 1
    captured = capsys.readouterr()
    assert "hash mismatch" in captured.out and passed.id[:8] in captured.out
    assert "problems found" in captured.err
    assert main(["registry", "show", passed.id]) == 0
    assert "verification FAILED" in capsys.readouterr().out


def test_registry_option_takes_a_url(make_record, lab_key, sqlite_url, capsys):
    outbox = Outbox(key=lab_key)
    record = outbox.put(make_record(), sqlite_url)
    assert outbox.deliver(sqlite_url).ok
    assert main(["registry", "list", "--registry", sqlite_url]) == 0
    assert record.id[:8] in capsys.readouterr().out
    assert main(["registry", "list"]) == 0  # the embedded registry is another one
    assert "No records" in capsys.readouterr().out


def test_a_bad_registry_url_is_one_line_exit_2(capsys):
    assert main(["registry", "list", "--registry", "mysql://x@y/z"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not supported" in err


def test_verify_an_empty_registry(capsys):
    assert main(["registry", "verify"]) == 0
    assert "nothing to verify" in capsys.readouterr().out


def test_deliver_pushes_what_waits_in_the_outbox(make_record, lab_key, tmp_path, capsys,
                                                 monkeypatch):
    import labctl.registry.outbox as outbox_module

    monkeypatch.setattr(outbox_module.time, "sleep", lambda s: None)
    where = tmp_path / "share"
    url = f"sqlite:///{where.as_posix()}/registry.db"
    record = Outbox(key=lab_key).put(make_record(), url)
    assert main(["registry", "deliver", "--registry", url, "--attempts", "2"]) == 2
    assert "1 record still waits" in capsys.readouterr().err
    assert main(["registry", "deliver"]) == 0  # the embedded registry: nothing for it
    assert f"1 record waits for sqlite:///{where.as_posix()}" in capsys.readouterr().out
    where.mkdir()
    assert main(["registry", "deliver", "--registry", url]) == 0
    assert "1 record delivered" in capsys.readouterr().out
    assert main(["registry", "show", record.id, "--registry", url]) == 0
