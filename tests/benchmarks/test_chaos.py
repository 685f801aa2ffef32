"""The short chaos run (benchmarks/chaos.py --quick): eight trials, one of each kind
(kill -9, SIGTERM, SIGINT, SIGHUP, a simulator fault, the registry down), each
recovered with --resume; nothing lost, nothing duplicated, no bad journal, no spent
one-shot fault acting again."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_short_chaos_run_loses_and_duplicates_nothing() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "chaos.py"), "--quick",
                           "--json"], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    counts = json.loads(proc.stdout.strip().splitlines()[-1])
    assert counts["runs"] == 8 and set(counts["by_kind"]) == {
        "kill9", "SIGTERM", "SIGINT", "SIGHUP", "fault", "registry_down"}
    assert counts["lost"] == counts["duplicated"] == counts["bad_journals"] == 0, counts
    assert counts["fault_repeats"] == 0, counts
    assert counts["records"] == counts["finished"] >= 6, counts
