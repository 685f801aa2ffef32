"""An instrument that cannot be put in its safe state is named, with what to check by
hand, and ``labctl run`` exits with status 3 (docs/procedures.md, "Exit statuses"),
never saying the instruments were made safe.

The weight loader's link dies (a ``disconnect`` fault of its simulator), so its
``UNLOAD`` fails in the teardown: after a run that measured everything (the record is
stored, the warning and the status remain), and after a run that failed because of it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from e2e_interrupts import CHAOS_PROCEDURE
from e2e_support import ROOT, bench_copy, journal_events, only_run

LOADER_SIM = ("      serial: WL20-0042          # the weights' true masses come from the "
              "register (seeded)")


def _run(tmp_path: Path, fault: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from labctl.cli import main

    bench = bench_copy(tmp_path / "bench", replace={
        LOADER_SIM: f"      serial: WL20-0042\n      faults: [{fault}]"})
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        status = main(["run", str(CHAOS_PROCEDURE), "--bench", str(bench), "--runs-dir",
                       str(tmp_path / "runs"), "--registry",
                       f"sqlite:///{tmp_path / 'registry.db'}", "-q",
                       "--json", str(tmp_path / "record.json")])
    finally:
        os.chdir(cwd)
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_a_safe_state_that_fails_after_a_finished_run_is_named_with_status_3(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # eight UNLOADs in the plan; the ninth, the safe state, finds the link dead
    status, text = _run(tmp_path, "{kind: disconnect, commands: [UNLOAD], after: 8}", capsys)
    assert status == 3, text
    flat = " ".join(text.split())
    assert "NOT every instrument is in its safe state: instrument 'loader' could not be " \
           "put in its safe state" in flat
    assert "check by hand: take the weights off the receptor" in flat
    record = json.loads((tmp_path / "record.json").read_text(encoding="utf-8"))
    assert f"record {record['id']} stored in the registry" in flat  # measured: kept
    events = journal_events(only_run(tmp_path / "runs"))
    (error,) = [e for e in events if e["type"] == "error"]
    assert error["during"] == "teardown" and error["instrument"] == "loader"
    assert error["check_by_hand"].startswith("check by hand: take the weights off")


def test_a_run_that_failed_and_left_an_instrument_unsafe_does_not_say_it_is_safe(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, text = _run(tmp_path, "{kind: disconnect, at: 20 s}", capsys)
    assert status == 3, text
    flat = " ".join(text.split())
    assert "failed" in flat and "NOT every instrument is in its safe state" in flat
    assert "instruments were put in their safe state" not in flat
    assert "check by hand: take the weights off the receptor" in flat
