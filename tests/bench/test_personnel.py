"""The personnel list (ISO/IEC 17025 6.2): its checks with file:line, and ``labctl run``
refusing an operator who is not on it or not authorised for the procedure, before any
instrument moves; an authorised operator's name goes into the record."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from labctl.cli import main
from labctl.errors import ConfigError
from labctl.personnel import load_personnel

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "benches" / "personnel.yaml"


def test_the_shipped_list_authorises_per_procedure_and_date():
    people = load_personnel(SHIPPED)
    assert people.authorise("lwang", "operator", "scale-jjg539", date(2026, 1, 1)).name == \
        "L. Wang"
    assert people.authorise("l.  WANG", "operator", "pm25-jjf1659", date(2026, 1, 1)).id == \
        "lwang"  # names match ignoring case and spacing; globs match procedure ids
    with pytest.raises(ConfigError, match=r"personnel.yaml:\d+:\d+: L. Wang \(lwang\) may not "
                                          r"act as operator for procedure 'gas-co'"):
        people.authorise("lwang", "operator", "gas-co", date(2026, 1, 1))
    with pytest.raises(ConfigError, match="authorisation for it is not valid on 2024-12-31"):
        people.authorise("lwang", "operator", "scale-jjg539", date(2024, 12, 31))
    with pytest.raises(ConfigError, match=r"does not hold the role approver"):
        people.authorise("hzhou", "approver", "scale-jjg539", date(2026, 1, 1))


@pytest.mark.parametrize("text, message", [
    ("people:\n  - {id: a, name: A, roles: [operator]}\n  - {id: b, name: a, roles: [operator]}\n",
     r"personnel.yaml:3:5: person 'b' \(a\) is on the list twice"),
    ("people:\n  - id: a\n    name: A\n    roles: [operator]\n    authorisations:\n"
     "      - {procedure: x, roles: [approver]}\n",
     r"personnel.yaml:6:9: person 'a': an authorisation grants approver, a role the person "
     "does not hold"),
    ("people:\n  - {id: a, name: A, roles: [boss]}\n", r"personnel.yaml:2:\d+: .*roles"),
])
def test_bad_lists_are_refused_with_file_and_line(tmp_path, text, message):
    path = tmp_path / "personnel.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_personnel(path)


def _bench(folder: Path, personnel: str | None = "personnel.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "benches" / "register.yaml", folder / "register.yaml")
    shutil.copy(SHIPPED, folder / "personnel.yaml")
    text = (ROOT / "benches" / "sim-scale.yaml").read_text(encoding="utf-8")
    if personnel is not None:
        text = text.replace("register: register.yaml", f"register: register.yaml\n"
                            f"personnel: {personnel}", 1)
    bench = folder / "sim-scale.yaml"
    bench.write_text(text, encoding="utf-8")
    return bench


def test_run_refuses_an_unauthorised_operator_before_anything_moves(tmp_path, capsys):
    bench = _bench(tmp_path / "bench")
    runs = tmp_path / "runs"
    for operator, message in (("B. Nobody", "'B. Nobody' is not on the personnel list"),
                              ("mchen", "M. Chen (mchen) does not hold the role operator")):
        status = main(["run", str(ROOT / "procedures" / "scale-jjg539.yaml"), "--bench",
                       str(bench), "--operator", operator, "--runs-dir", str(runs), "-q"])
        err = capsys.readouterr().err
        assert status == 2 and message in err and err.count("\n") == 1, err
        assert not runs.exists() or not any(runs.iterdir())  # no journal: nothing ran


def test_a_missing_list_is_named_at_its_bench_line(tmp_path, capsys):
    bench = _bench(tmp_path / "bench", personnel="people.yaml")
    assert main(["run", str(ROOT / "procedures" / "scale-jjg539.yaml"), "--bench", str(bench),
                 "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "sim-scale.yaml:" in err and "personnel list" in err and "people.yaml" in err


def test_the_lab_wide_list_applies_without_a_bench_key(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LABCTL_PERSONNEL", str(SHIPPED))
    bench = _bench(tmp_path / "bench", personnel=None)
    assert main(["run", str(ROOT / "procedures" / "scale-jjg539.yaml"), "--bench", str(bench),
                 "--operator", "X. Stranger", "--dry-run"]) == 2
    assert "'X. Stranger' is not on the personnel list" in capsys.readouterr().err


def test_an_authorised_operator_runs_and_the_record_names_them(tmp_path, capsys):
    bench = _bench(tmp_path / "bench")
    out = tmp_path / "record.json"
    status = main(["run", str(ROOT / "procedures" / "scale-jjg539.yaml"), "--bench", str(bench),
                   "--operator", "lwang", "--runs-dir", str(tmp_path / "runs"), "-q",
                   "--registry", f"sqlite:///{tmp_path / 'registry.db'}", "--json", str(out)])
    assert status == 0, capsys.readouterr().err
    assert json.loads(out.read_text(encoding="utf-8"))["operator"] == "L. Wang"
