"""Issue 8 items 3 and 4: what a fault leaves in a result and in the record.

- An attempt that ended in an error never contributes to a result, in every analysis of
  every family: a journal with an abandoned attempt (readings wildly off) before each
  point's finished one analyses exactly like the clean journal; each point then says
  how many attempts were abandoned and why, and the record lists them.
- A stuck indication (a scale, a concentration monitor) is a gross error that fails the
  point naming the instrument, not a repeatability of 0.
- A one-shot simulator fault that acted before an interruption does not act again on
  ``--resume``.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_support import ROOT, journal_events, only_run, registry_url

from labctl.analysis import analyse
from labctl.analysis.gross_errors import gross_errors
from labctl.calibration import CalibrationRequest, calibrate
from labctl.cli import main
from labctl.commands.run import run_fault_lines
from labctl.errors import LabctlError
from labctl.history import KILLED, fold
from labctl.procedures.loading import load_procedure

SHIPPED = [("scale-jjg539", "sim-scale"), ("pm25-jjf1659", "sim-pm25"),
           ("fume-monitor", "sim-fume"), ("gas-co-jjg915", "sim-gas-co"),
           ("gas-combustible-jjg693", "sim-gas-combustible")]


def procedure_path(name: str) -> Path:
    return ROOT / "procedures" / f"{name}.yaml"


def bench_with_faults(folder: Path, bench: str, faults: dict[str, list[dict[str, Any]]]
                      ) -> Path:
    """The shipped bench with fault plans on some of its instruments (by name)."""
    data = yaml.safe_load((ROOT / "benches" / f"{bench}.yaml").read_text(encoding="utf-8"))
    for name, plan in faults.items():
        data["instruments"][name].setdefault("sim", {})["faults"] = plan
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "benches" / "register.yaml", folder / "register.yaml")
    path = folder / f"{bench}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def request(procedure: str, bench: Path, folder: Path, **kw: Any) -> CalibrationRequest:
    return CalibrationRequest(procedure_path(procedure), bench, runs_dir=folder / "runs",
                              registry=registry_url(folder), **kw)


# -- abandoned attempts never count ----------------------------------------------------
def with_abandoned_attempts(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events of a clean run with, before every point's only attempt, an abandoned
    attempt 1 whose readings are a thousand times off (and whose replies differ), ended
    by an instrument error, the run failing, and a resume; the real attempt becomes 2."""
    out: list[dict[str, Any]] = []
    by_point: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for e in events:
        if e.get("point") is not None:
            by_point.setdefault((e["step"], e["point"]), []).append(e)
    for e in events:
        key = (e.get("step"), e.get("point"))
        if e["type"] == "point_started" and key in by_point:
            for ev in by_point[key]:
                if ev["type"] in ("point_finished", "load"):
                    continue  # never finished; the loads of a retry are put back anew
                bad = copy.deepcopy(ev)
                bad["attempt"] = 1
                if bad["type"] == "reading":
                    if bad.get("value") is not None:
                        bad["value"] = bad["value"] * 1000.0 + 7.0
                    bad["raw"] = f"garbled {bad.get('raw', '')}"
                    for v in (bad.get("values") or {}).values():
                        if isinstance(v, dict) and v.get("value") is not None:
                            v["value"] = v["value"] * 1000.0 + 7.0
                out.append(bad)
            out.append({"type": "error", "message": "instrument 'x', command 'Q?': timeout",
                        "during": "run", "instrument": "x", "command": "Q?"})
            out.append({"type": "run_finished", "state": "failed", "reason": "timeout"})
            out.append({"type": "resumed_run", "attempt": 2})
        if e.get("point") is not None:
            e = {**e, "attempt": 2}
        out.append(e)
    for seq, e in enumerate(out):
        e.setdefault("t", 0.0)
        e.setdefault("wall", "2026-01-01T00:00:00Z")
        e["seq"] = seq
    return out


def _without_seqs(data: Any) -> Any:
    """``data`` without journal positions (``*_seq``: the spoiled journal has more lines)."""
    if isinstance(data, dict):
        return {k: _without_seqs(v) for k, v in data.items()
                if not (k == "seq" or k.endswith("_seq"))}
    if isinstance(data, list):
        return [_without_seqs(v) for v in data]
    return data


def _without_attempt_details(points: list[Any]) -> list[dict[str, Any]]:
    out = []
    for p in points:
        d = p.model_dump()
        d["details"].pop("abandoned_attempts", None)
        d["details"].pop("attempt", None)
        out.append(_without_seqs(d))
    return out


@pytest.mark.parametrize(("procedure", "bench"), SHIPPED, ids=[p for p, _ in SHIPPED])
def test_abandoned_attempts_never_count_in_any_analysis(procedure: str, bench: str,
                                                        tmp_path: Path) -> None:
    path = tmp_path / f"{bench}.yaml"
    shutil.copy(ROOT / "benches" / f"{bench}.yaml", path)
    shutil.copy(ROOT / "benches" / "register.yaml", tmp_path / "register.yaml")
    result = calibrate(request(procedure, path, tmp_path))
    events = journal_events(result.journal_path)
    events = [e for e in events if e["type"] != "record_stored"]
    proc = load_procedure(procedure_path(procedure))
    clean = analyse(proc, events)
    assert gross_errors(fold(events)) == []           # a good run has no gross error
    assert not any("abandoned_attempts" in p.details for p in clean)

    spoiled = with_abandoned_attempts(events)
    history = fold(spoiled)
    measured = {(e["step"], e["point"]) for e in events if e["type"] == "point_started"}
    assert len(history.abandoned_attempts()) == len(measured)
    again = analyse(proc, spoiled)
    assert _without_attempt_details(again) == _without_attempt_details(clean)
    for p in again:
        if (p.step, p.point) not in measured:
            continue  # a result of the run as a whole (the test conditions)
        lost = p.details["abandoned_attempts"]
        assert lost and all(a["attempt"] == 1 and a["instrument"] == "x"
                            and "timeout" in a["reason"] for a in lost)
        assert {a["point"] for a in lost} >= {p.point}


def test_an_attempt_killed_without_a_word_says_so() -> None:
    events = [{"seq": 0, "type": "run_started", "run_id": "r"},
              {"seq": 1, "type": "point_started", "step": "s", "point": "s/01", "attempt": 1},
              {"seq": 2, "type": "resumed_run", "attempt": 2},
              {"seq": 3, "type": "point_started", "step": "s", "point": "s/01", "attempt": 2},
              {"seq": 4, "type": "point_finished", "step": "s", "point": "s/01", "attempt": 2}]
    [lost] = fold(events).abandoned_attempts()
    assert (lost.point, lost.attempt, lost.reason) == ("s/01", 1, KILLED)


# -- one-shot faults stay spent; the record says what was abandoned ----------------------
@pytest.mark.parametrize("plan", [
    [{"kind": "disconnect", "after": 40}],
    [{"kind": "timeout", "commands": ["MEAS:PM25?"], "after": 30, "count": 3}],
], ids=["disconnect", "timeouts beyond the retries"])
def test_a_one_shot_fault_does_not_fire_again_on_resume(plan: list[dict[str, Any]],
                                                        tmp_path: Path) -> None:
    bench = bench_with_faults(tmp_path, "sim-pm25", {"reference": plan})
    with pytest.raises(LabctlError, match="reference"):
        calibrate(request("pm25-jjf1659", bench, tmp_path))
    journal = only_run(tmp_path / "runs")
    first = [e for e in journal_events(journal) if e["type"] == "sim_fault"]
    assert first and {e["instrument"] for e in first} == {"reference"}

    result = calibrate(request("pm25-jjf1659", bench, tmp_path, resume=journal.parent.name))
    events = journal_events(journal)
    assert [e for e in events if e["type"] == "sim_fault"] == first  # none after resume
    assert result.record.decision == "pass"

    abandoned = result.record.abandoned_attempts
    assert abandoned is not None and len(abandoned) == 1
    [lost] = abandoned
    assert lost.attempt == 1 and lost.instrument == "reference"
    assert lost.command == "MEAS:PM25?" or plan[0]["kind"] == "disconnect"
    point = next(p for p in result.record.points if p.point == lost.point)
    assert point.details["abandoned_attempts"][0]["reason"] == lost.reason
    lines = run_fault_lines(result.record)
    assert lines[0].startswith("1 attempt(s) abandoned") and lost.point in lines[1]


# -- a stuck indication is a gross error -------------------------------------------------
def test_a_stuck_scale_fails_its_points_as_gross_errors(tmp_path: Path) -> None:
    bench = bench_with_faults(tmp_path, "sim-scale",
                              {"scale": [{"kind": "stuck", "commands": ["S"], "after": 30}]})
    record = calibrate(request("scale-jjg539", bench, tmp_path)).record
    assert record.decision == "fail"
    assert record.gross_errors
    assert all(g.instrument == "scale" and g.role == "dut" for g in record.gross_errors)
    flagged = {g.point for g in record.gross_errors}
    # the 15 kg repeatability series read the 10 kg indication: not a repeatability of 0
    series = next(p for p in record.points
                  if p.test == "repeatability" and "repeatability/04" in p.details["points"])
    assert "repeatability/04" in flagged
    assert series.decision == "fail"
    assert series.notes.startswith("gross error: instrument 'scale' (role dut)")
    assert "did not follow the change (stuck)" in series.notes
    weighing = {p.point: p for p in record.points if p.test == "weighing_error"}
    assert weighing["weighing/05"].decision == "fail"            # 15 kg read as 10 kg
    assert "weighing/06" not in flagged       # 10 kg again on the way down: no change
    assert all(p.point not in flagged for p in record.points
               if p.point.startswith("weighing/0") and int(p.point[-1]) < 5)
    assert any(line.startswith("GROSS ERROR weighing/05: instrument 'scale' (role dut)")
               for line in run_fault_lines(record))


def test_a_stuck_concentration_monitor_fails_the_point_naming_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bench = bench_with_faults(tmp_path, "sim-pm25", {"reference": [
        {"kind": "stuck", "commands": ["MEAS:PM25?"], "after": 60}]})
    record = calibrate(request("pm25-jjf1659", bench, tmp_path)).record
    assert record.decision == "fail"
    assert [(g.point, g.instrument, g.role) for g in record.gross_errors or ()] == [
        ("levels/03", "reference", "reference")]
    point = next(p for p in record.points if p.point == "levels/03")
    assert point.decision == "fail"
    assert point.notes.startswith("gross error: instrument 'reference' (role reference)")
    assert "at level 400 µg/m³, exactly as at level 150 µg/m³ (levels/02)" in point.notes
    others = [p for p in record.points if p.point != "levels/03"]
    assert all("gross_error" not in p.details for p in others)
    assert main(["registry", "show", record.id, "--registry", registry_url(tmp_path)]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "GROSS ERROR levels/03: instrument 'reference' (role reference)" in shown


# -- state-changing commands: read the state back, then decide ---------------------------
@pytest.mark.parametrize(("procedure", "bench", "instrument", "plan", "outcome"), [
    ("scale-jjg539", "sim-scale", "loader",
     [{"kind": "garbage", "commands": ["LOAD"], "after": 3, "count": 1}],
     "confirmed by its state"),
    ("pm25-jjf1659", "sim-pm25", "generator",
     [{"kind": "timeout", "commands": ["SOUR:CONC"], "after": 1, "count": 1}],
     "sent again: read back '50'"),
], ids=["a garbled load", "a lost set point"])
def test_a_lost_state_change_is_settled_by_reading_the_state(
        procedure: str, bench: str, instrument: str, plan: list[dict[str, Any]],
        outcome: str, tmp_path: Path) -> None:
    path = bench_with_faults(tmp_path, bench, {instrument: plan})
    result = calibrate(request(procedure, path, tmp_path))
    assert result.record.decision == "pass"
    events = journal_events(result.journal_path)
    retries = [e for e in events if e["type"] == "retry" and e["instrument"] == instrument]
    assert [e["outcome"] for e in retries] == [outcome]
    faults = [e for e in events if e["type"] == "sim_fault"]
    assert len(faults) == 1 and faults[0]["seq"] < retries[0]["seq"]
    if instrument == "generator":   # the level measured is the one the journal states
        sets = [e for e in events if e["type"] == "set" and e.get("role") == "generator"
                and e["setting"] == "concentration"]
        assert sets[1]["value"]["value"] == 150.0
        level = [e["value"] for e in events if e["type"] == "reading"
                 and e.get("point") == "levels/02" and e["role"] == "reference"
                 and e["name"] == "pm25"]
        assert level and 140 < sum(level) / len(level) < 160   # not the 50 it stayed at
        assert result.record.abandoned_attempts is None
