"""Resume: kill -9 then resume with no reading lost or repeated; what resume refuses."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from procedure_fakes import HERE, MINI, make_bench

from labctl.errors import InstrumentError, RunError
from labctl.procedures.journal import read_journal
from labctl.procedures.launch import run_procedure
from labctl.procedures.loading import load_procedure
from labctl.procedures.plan_context import PlanContext
from labctl.procedures.planner import make_plan
from labctl.procedures.resume import find_journal, new_run_id, resume_run, run_journal_path
from labctl.procedures.run_outcome import RunAborted

SCRIPT = HERE / "procedure_killed_run.py"


def plan_of(procedure, bench):
    return make_plan(procedure, PlanContext(bench.roles, None, bench))


def check_measured_once(procedure, events) -> dict[str, int]:
    """Every point finished once; its finished attempt holds exactly the planned
    readings. Returns point -> finished attempt."""
    bench, _ = make_bench()
    plan = plan_of(procedure, bench)
    finished = [(e["point"], e["attempt"]) for e in events if e["type"] == "point_finished"]
    attempts = dict(finished)
    assert len(finished) == len(attempts) == len(plan.points)
    assert list(attempts) == [p.point for p in plan.points]
    for point in plan.points:
        names = Counter(e["name"] for e in events if e["type"] == "reading"
                        and e["point"] == point.point and e["attempt"] == attempts[point.point])
        assert names == plan.readings_expected(point.point), point.point
    assert [e["seq"] for e in events] == list(range(len(events)))
    return attempts


@pytest.mark.parametrize("mode", ["after", "torn"])
def test_kill_9_then_resume(mode: str, mini, tmp_path: Path) -> None:
    journal = tmp_path / "runs" / "killed-run" / "journal.jsonl"
    kill_after = 7  # weighing/01..03 read twice each, killed in weighing/04
    done = subprocess.run([sys.executable, str(SCRIPT), str(MINI), str(journal),
                           str(kill_after), mode], capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    before, problems = read_journal(journal)
    assert [e["type"] for e in before].count("reading") == kill_after
    assert "run_finished" not in [e["type"] for e in before]
    assert bool(problems) == (mode == "torn")

    bench, clock = make_bench(environment=lambda t: 20.0)  # the bench after the crash
    outcome = resume_run(journal.parent, mini, bench, clock=clock)
    assert outcome.state == "done" and outcome.run_id == "killed-run"
    events, problems = read_journal(journal)
    assert problems == [] and events == outcome.events
    assert events[:len(before)] == before  # nothing journaled before the kill is lost
    resumed = events[len(before)]
    assert resumed["type"] == "resumed_run" and resumed["attempt"] == 2
    assert resumed["from_seq"] == before[-1]["seq"]
    assert bool(resumed["problems"]) == (mode == "torn")
    assert (journal.parent / "journal.jsonl.torn").exists() == (mode == "torn")

    attempts = check_measured_once(mini, events)
    finished_first = {e["point"] for e in before if e["type"] == "point_finished"}
    started_again = {e["point"] for e in events[len(before):] if e["type"] == "point_started"}
    assert finished_first == {"weighing/01", "weighing/02", "weighing/03"}
    assert not finished_first & started_again  # finished points are not measured again
    assert attempts["weighing/04"] == 2 and attempts["weighing/01"] == 1
    assert events[-1]["type"] == "run_finished" and events[-1]["state"] == "done"


def test_resume_after_ctrl_c_and_twice_over(mini, tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    bench, clock = make_bench()
    bench.role("dut").fail("read_stable", 3, KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        run_procedure(mini, bench, clock=clock, journal_path=journal, run_id="r")
    bench, clock = make_bench()
    bench.role("dut").fail("read_stable", 1, lambda: InstrumentError("no reply"))
    with pytest.raises(RunAborted, match="failed"):
        resume_run(journal, mini, bench, clock=clock)
    bench, clock = make_bench()
    outcome = resume_run(journal, mini, bench, clock=clock)
    events = outcome.events
    assert [e["attempt"] for e in events if e["type"] == "resumed_run"] == [2, 3]
    assert [e["state"] for e in events if e["type"] == "run_finished"] == [
        "aborted", "failed", "done"]
    attempts = check_measured_once(mini, events)
    assert attempts["weighing/02"] == 3 and attempts["weighing/03"] == 1
    assert [e["attempt"] for e in events if e["type"] == "step_started"
            and e["step"] == "weighing"] == [1, 2, 3]


def test_a_resumed_point_finds_the_load_the_earlier_points_left(variant, tmp_path: Path
                                                                ) -> None:
    ladder = ("  - id: repeatability\n"
              "    points: [{load: half}]\n    repeat: 3\n",
              "  - id: ladder\n    points: [{add: 1 kg}, {add: 2 kg}, {add: 500 g}]\n"
              "    before:\n      - unload: {role: loader}\n"
              "    actions:\n      - load: {role: loader, mass: add, add: true}\n"
              "      - read: {role: dut, as: indication}\n"
              "    after:\n      - unload: {role: loader}\n  - id: repeatability\n"
              "    points: [{load: half}]\n    repeat: 3\n")
    procedure = load_procedure(variant(ladder))
    journal = tmp_path / "journal.jsonl"
    bench, clock = make_bench()
    bench.role("dut").fail("read_stable", 14, lambda: InstrumentError("no reply"))
    with pytest.raises(RunAborted):  # the 14th stable reading is the ladder's second
        run_procedure(procedure, bench, clock=clock, journal_path=journal, run_id="r")
    bench, clock = make_bench()
    outcome = resume_run(journal, procedure, bench, clock=clock)
    check_measured_once(procedure, outcome.events)
    final = {e["point"]: e["value"] for e in outcome.events if e["type"] == "reading"
             and e.get("point", "").startswith("ladder/")}
    assert final == {"ladder/01": 1000.0, "ladder/02": 3000.0, "ladder/03": 3500.0}
    resumed = [e for e in outcome.events if e.get("point") == "ladder/02"
               and e["type"] == "load" and e["attempt"] == 2]
    assert [(r["weights"], r["add"]) for r in resumed] == [
        ([], False), (["1kg"], False), (["2kg"], True)]


def aborted_run(procedure, tmp_path: Path) -> Path:
    journal = tmp_path / "journal.jsonl"
    bench, clock = make_bench()
    bench.role("dut").fail("read_stable", 3, lambda: InstrumentError("no reply"))
    with pytest.raises(RunAborted):
        run_procedure(procedure, bench, clock=clock, journal_path=journal, run_id="r")
    return journal


def test_resume_refuses_a_changed_procedure(tmp_path: Path) -> None:
    path = tmp_path / "procedure.yaml"
    shutil.copy(MINI, path)
    journal = aborted_run(load_procedure(path), tmp_path)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("# edited after the run started\n")
    bench, clock = make_bench()
    with pytest.raises(RunError, match="procedure file has changed since run r started") as err:
        resume_run(journal, load_procedure(path), bench, clock=clock)
    assert str(err.value).startswith(str(path))
    assert bench.role("dut").calls == []


def test_resume_refuses_a_finished_run(mini, tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    bench, clock = make_bench()
    run_procedure(mini, bench, clock=clock, journal_path=journal, run_id="r")
    with pytest.raises(RunError, match="run r is already finished"):
        resume_run(journal, mini, bench, clock=clock)


def test_resume_refuses_other_instruments_or_parameters(mini, tmp_path: Path) -> None:
    journal = aborted_run(mini, tmp_path)
    bench, clock = make_bench()
    bench.role("dut").name = "other-scale"  # reports serial SN-other-scale
    with pytest.raises(RunAborted, match="reports serial 'SN-other-scale'"):
        resume_run(journal, mini, bench, clock=clock)
    bench, clock = make_bench()
    with pytest.raises(RunError, match="started with other parameters"):
        resume_run(journal, mini, bench, clock=clock, parameters={"repeats": "3"})
    bench, clock = make_bench()
    bench.role("dut").e = bench.role("dut").e * 2  # another data plate: another plan
    with pytest.raises(RunError, match="plan rebuilt for the resume differs at point "
                                       "weighing/02"):
        resume_run(journal, mini, bench, clock=clock)
    bench, clock = make_bench()
    outcome = resume_run(journal, mini, bench, clock=clock, parameters={"repeats": 2})
    assert outcome.state == "done"


def test_run_ids_and_where_runs_live(mini, labctl_home: Path) -> None:
    run_id = new_run_id()
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{4}", run_id)
    assert run_journal_path(run_id) == labctl_home / "runs" / run_id / "journal.jsonl"
    with pytest.raises(RunError, match="not a run id"):
        run_journal_path("../etc")
    with pytest.raises(RunError, match="no run 'nope'"):
        find_journal("nope")
    bench, clock = make_bench()
    bench.role("dut").fail("read_stable", 3, lambda: InstrumentError("no reply"))
    with pytest.raises(RunAborted):
        run_procedure(mini, bench, clock=clock, run_id=run_id)
    assert find_journal(run_id).exists()
    bench, clock = make_bench()
    outcome = run_procedure(mini, bench, clock=clock, run_id=run_id, resume=True)
    assert outcome.state == "done" and outcome.journal_path == run_journal_path(run_id)


def test_a_redo_step_is_measured_again_first_on_resume(variant, tmp_path: Path) -> None:
    """``on_resume: redo``: a finished step is measured again (new attempts, the earlier
    kept) before the resume goes on; a run without an interruption measures it once."""
    zeroing = ("  - id: weighing\n",
               "  - id: zeroing\n    on_resume: redo\n    before:\n"
               "      - unload: {role: loader}\n      - zero: {role: dut}\n"
               "    actions:\n      - read: {role: dut, as: zero}\n  - id: weighing\n")
    procedure = load_procedure(variant(zeroing))
    assert procedure.steps[0].on_resume == "redo" and procedure.steps[1].on_resume == "continue"
    journal = tmp_path / "journal.jsonl"
    bench, clock = make_bench()
    bench.role("dut").fail("read_stable", 4, lambda: InstrumentError("no reply"))
    with pytest.raises(RunAborted):  # zeroing/01, then weighing/01 twice, then fails
        run_procedure(procedure, bench, clock=clock, journal_path=journal, run_id="r")
    bench, clock = make_bench()
    events = resume_run(journal, procedure, bench, clock=clock).events
    resumed = next(i for i, e in enumerate(events) if e["type"] == "resumed_run")
    later = [(e["type"], e.get("step"), e.get("point"), e.get("attempt"))
             for e in events[resumed:] if e["type"] in ("step_started", "point_started")]
    assert later[:3] == [("step_started", "zeroing", None, 2),
                         ("point_started", "zeroing", "zeroing/01", 2),
                         ("step_started", "weighing", None, 2)]
    finished = [(e["point"], e["attempt"]) for e in events if e["type"] == "point_finished"]
    assert [a for p, a in finished if p == "zeroing/01"] == [1, 2]
    assert [p for p, _ in finished if p != "zeroing/01"] == [
        p.point for p in plan_of(procedure, bench).points if p.step != "zeroing"]
