"""A correction: a finished run analysed again from its journal, touching no instrument,
stored as a NEW record that names the one it supersedes (records are never changed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from e2e_support import PROCEDURE, ROOT, registry_url

from labctl.calibration import CalibrationRequest, calibrate
from labctl.cli import main
from labctl.registry.store import open_registry


@pytest.fixture
def finished(tmp_path: Path):
    url = registry_url(tmp_path)
    result = calibrate(CalibrationRequest(PROCEDURE, ROOT / "benches" / "sim-scale.yaml",
                                          runs_dir=tmp_path / "runs", registry=url))
    return result, url, tmp_path / "runs"


def test_reanalysing_prints_and_stores_nothing(finished, capsys) -> None:
    result, url, runs = finished
    assert main(["reanalyse", result.run_id, "--procedure", str(PROCEDURE),
                 "--runs-dir", str(runs), "--registry", url]) == 0
    out = capsys.readouterr().out
    assert "analysed again (not stored)" in out and "weighing/05" in out
    with open_registry(url) as registry:
        assert registry.count() == 1


def test_a_correction_is_a_new_record_that_supersedes(finished, tmp_path: Path) -> None:
    result, url, runs = finished
    first = result.record
    out = tmp_path / "correction.json"
    assert main(["reanalyse", result.run_id, "--procedure", str(PROCEDURE),
                 "--runs-dir", str(runs), "--registry", url,
                 "--supersedes", first.id[:8], "--json", str(out)]) == 0
    correction = json.loads(out.read_text(encoding="utf-8"))
    assert correction["id"] != first.id and correction["supersedes"] == first.id
    assert correction["run_id"] == first.run_id
    assert correction["journal_sha256"] == first.journal_sha256
    assert correction["points"] == first.document()["points"]  # same journal, same answer
    with open_registry(url) as registry:
        assert registry.count() == 2
        assert registry.get(first.id).supersedes is None  # the first is unchanged
        assert registry.verify_chain(first.lab) == []


def test_a_correction_with_another_procedure_is_refused(finished, tmp_path: Path,
                                                        capsys) -> None:
    result, url, runs = finished
    other = tmp_path / "other.yaml"
    other.write_text(PROCEDURE.read_text(encoding="utf-8").replace(
        "id: scale-jjg539", "id: another-procedure"), encoding="utf-8")
    assert main(["reanalyse", result.run_id, "--procedure", str(other),
                 "--runs-dir", str(runs), "--registry", url,
                 "--supersedes", result.record.id]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "another-procedure" in err[0] and str(other) in err[0]


def test_a_correction_of_another_runs_record_is_refused(finished, tmp_path: Path,
                                                       capsys) -> None:
    result, url, runs = finished
    other = calibrate(CalibrationRequest(PROCEDURE, ROOT / "benches" / "sim-scale.yaml",
                                         runs_dir=runs, registry=url, seed=11))
    assert main(["reanalyse", result.run_id, "--procedure", str(PROCEDURE),
                 "--runs-dir", str(runs), "--registry", url,
                 "--supersedes", other.record.id]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"is of run {other.run_id}, not of run {result.run_id}" in err[0]
    with open_registry(url) as registry:
        assert registry.count() == 2


def test_a_record_is_superseded_once_and_show_says_so(finished, capsys, monkeypatch) -> None:
    result, url, runs = finished
    first = result.record
    args = ["reanalyse", result.run_id, "--procedure", str(PROCEDURE), "--runs-dir",
            str(runs), "--registry", url]
    assert main([*args, "--supersedes", first.id]) == 0
    capsys.readouterr()
    with open_registry(url) as registry:
        (correction,) = registry.superseded_by(first.id)
    assert main([*args, "--supersedes", first.id]) == 2
    err = capsys.readouterr().err
    assert f"already superseded by {correction}" in err and f"--supersedes {correction}" in err
    # chaining the corrections explicitly is allowed
    assert main([*args, "--supersedes", correction]) == 0
    capsys.readouterr()
    monkeypatch.setenv("COLUMNS", "160")
    assert main(["registry", "show", first.id, "--registry", url]) == 0
    shown = capsys.readouterr().out
    assert f"superseded by  {correction} (this record is superseded)" in shown
    with open_registry(url) as registry:
        assert registry.count() == 3
        assert registry.verify_chain(first.lab) == []
