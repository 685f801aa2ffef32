"""SIGTERM (a service stop, a CI time-out) during a run ends it like Ctrl-C: every
instrument in its safe state, the journal closed with the reason, the run resumable.

The signal is sent by the run itself right after its 5th reading (e2e_killed_run.py
--signal TERM), so where it lands is the same on every run of the test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _events(journal: Path) -> list[dict]:
    lines = journal.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.endswith("}")]


def test_sigterm_mid_run_tears_down_and_the_run_resumes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "runs"
    registry = f"sqlite:///{tmp_path / 'registry.db'}"
    common = ["procedures/scale-jjg539.yaml", "--bench", "benches/sim-scale.yaml",
              "--runs-dir", str(runs), "--registry", registry, "-q"]
    env = {**os.environ, "LABCTL_HOME": str(tmp_path / "home")}
    proc = subprocess.run(
        [sys.executable, str(HERE / "e2e_killed_run.py"), "5", "--signal", "TERM",
         "run", *common], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 130, proc.stderr
    assert "stopped by signal SIGTERM" in proc.stderr
    (journal,) = runs.glob("*/journal.jsonl")
    events = _events(journal)
    assert [e["type"] for e in events].count("reading") == 5
    finished = [e for e in events if e["type"] == "run_finished"]
    assert finished and finished[-1]["state"] == "aborted"
    assert "SIGTERM" in finished[-1]["reason"]
    # every instrument reached its safe state: no teardown error was journalled
    assert not [e for e in events if e["type"] == "error" and e.get("during") == "teardown"]

    from labctl.cli import main

    os.environ["LABCTL_HOME"] = str(tmp_path / "home")
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        status = main(["run", *common, "--resume", journal.parent.name])
        assert status == 0, capsys.readouterr().err
    finally:
        os.chdir(cwd)
    events = _events(journal)
    assert events[-2]["type"] == "run_finished" and events[-2]["state"] == "done"
    assert events[-1]["type"] == "record_stored"
