"""SIGTERM (a service stop, a CI time-out) during a run ends it like Ctrl-C: every
instrument in its safe state, the journal closed with the reason, the run resumable."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _events(journal: Path) -> list[dict]:
    if not journal.exists():
        return []
    lines = journal.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.endswith("}")]


@pytest.mark.realtime
def test_sigterm_mid_run_tears_down_and_the_run_resumes(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    runs = tmp_path / "runs"
    registry = f"sqlite:///{tmp_path / 'registry.db'}"
    common = ["procedures/scale-jjg539.yaml", "--bench", "benches/sim-scale.yaml",
              "--runs-dir", str(runs), "--registry", registry, "-q"]
    env = {**os.environ, "LABCTL_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "labctl.cli", "run", *common, "--realtime",
         "--param", "warm_up=0 s"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        journal: Path | None = None
        while time.monotonic() < deadline:
            found = list(runs.glob("*/journal.jsonl"))
            if found and any(e["type"] == "point_started" for e in _events(found[0])):
                journal = found[0]
                break
            time.sleep(0.05)
        assert journal is not None, "the run never started a point"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "stopped by signal SIGTERM" in err
    events = _events(journal)
    finished = [e for e in events if e["type"] == "run_finished"]
    assert finished and finished[-1]["state"] == "aborted"
    assert "SIGTERM" in finished[-1]["reason"]
    # every instrument reached its safe state: no teardown error was journalled
    assert not [e for e in events if e["type"] == "error" and e.get("during") == "teardown"]
    assert "0 instrument(s) failed" not in finished[-1]["reason"]

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
    assert events[-1]["type"] == "run_finished" and events[-1]["state"] == "done"
