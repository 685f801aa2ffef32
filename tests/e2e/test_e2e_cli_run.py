"""The README's run command, from the repository root: the simulated scale verification
runs, prints the result table and the record id, writes the record with ``--json`` and
stores it in the registry, where ``labctl registry list`` and ``labctl registry show``
find it (the embedded registry by default, or the one ``--registry`` names)."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_support import ROOT, journal_events, only_run, registry_url

from labctl.cli import main

DECISIONS = {"pass", "fail", "conditional_pass", "conditional_fail"}
QUANTITIES = ("nominal", "error", "expanded_uncertainty", "mpe")


def is_quantity(value: object) -> bool:
    return (isinstance(value, dict) and set(value) == {"value", "unit"}
            and isinstance(value["value"], float) and math.isfinite(value["value"])
            and isinstance(value["unit"], str) and value["unit"] != "")


@pytest.mark.parametrize("explicit_registry", [False, True], ids=["embedded", "sqlite-url"])
def test_readme_run_command(explicit_registry: bool, tmp_path: Path, labctl_home: Path,
                            monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", "160")  # a wide terminal: table rows stay whole
    monkeypatch.delenv("LABCTL_REGISTRY", raising=False)
    registry = ["--registry", registry_url(tmp_path)] if explicit_registry else []
    out = tmp_path / "record.json"
    assert main(["run", "procedures/scale-jjg539.yaml", "--bench", "benches/sim-scale.yaml",
                 *registry, "--json", str(out)]) == 0
    printed = capsys.readouterr()
    assert "error" not in printed.err.lower()

    record = json.loads(out.read_text(encoding="utf-8"))
    assert isinstance(record["id"], str) and record["decision"] in DECISIONS
    points = record["points"]
    assert len(points) >= 20
    for p in points:
        assert {"test", "nominal", "error", "expanded_uncertainty", "mpe",
                "coverage_factor", "decision"} <= set(p), p["point"]
        assert p["decision"] in DECISIONS
        if p["test"] in ("discrimination", "test_conditions"):  # checks: no error or U
            continue
        assert all(is_quantity(p[key]) for key in QUANTITIES), p["point"]
        assert isinstance(p["coverage_factor"], float) and p["coverage_factor"] >= 1
    tests = {p["test"] for p in points}
    assert tests >= {"zero_setting", "weighing_error", "eccentricity", "repeatability",
                     "discrimination", "tare"}
    weighing = [p for p in points if p["test"] == "weighing_error"]
    assert len(weighing) == 9 and all(is_quantity(p["nominal"]) for p in weighing)

    # the result table (every point, its columns) and the record id
    text = printed.out
    for header in ("load", "indication", "error", "MPE", "decision"):
        assert header in text, header
    for p in points:
        assert p["point"] in text, p["point"]
    assert f"decision: {record['decision']}" in text
    assert f"record {record['id']} stored in the registry" in text
    journal = only_run(labctl_home / "runs")  # the default runs folder in the labctl home
    assert f"journal {journal}" in text
    assert journal_events(journal)[-2]["state"] == "done"
    assert journal_events(journal)[-1]["record_id"] == record["id"]

    # the registry has it
    assert main(["registry", "list", *registry, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["decision"]) for r in listed] == [(record["id"], record["decision"])]
    assert main(["registry", "list", *registry]) == 0
    assert record["id"][:8] in capsys.readouterr().out
    assert main(["registry", "show", record["id"], *registry, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == record
    assert main(["registry", "show", record["id"][:8], *registry]) == 0
    shown = capsys.readouterr().out
    assert record["id"] in shown and "weighing/05" in shown


def test_readme_command_through_the_console_script(tmp_path: Path, labctl_home: Path) -> None:
    """The README's command as a user types it: the installed ``labctl`` script, from the
    repository root, into the embedded registry of the labctl home."""
    script = shutil.which("labctl", path=str(Path(sys.executable).parent)) \
        or shutil.which("labctl")
    if script is None:
        pytest.skip("the labctl console script is not installed (pip install -e .)")
    env = {**os.environ, "COLUMNS": "160"}
    env.pop("LABCTL_REGISTRY", None)
    done = subprocess.run([script, "run", "procedures/scale-jjg539.yaml", "--bench",
                           "benches/sim-scale.yaml"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    stored = re.search(r"record ([0-9a-f-]{36}) stored in the registry", done.stdout)
    assert stored, done.stdout
    assert "weighing/05" in done.stdout and "decision" in done.stdout
    listed = subprocess.run([script, "registry", "list", "--json"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert [r["id"] for r in json.loads(listed.stdout)] == [stored[1]]
    assert (labctl_home / "runs").is_dir()
