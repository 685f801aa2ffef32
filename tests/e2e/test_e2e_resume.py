"""kill -9 during ``labctl run``, then ``labctl run --resume RUN_ID``: the run completes,
its record is in the registry, and no reading is lost or repeated.

The first session is the real command in a subprocess that SIGKILLs itself right after
its N-th reading reached the journal (``e2e_killed_run.py``), so where it dies is
deterministic. The resume is the real command too, in process. An uninterrupted run of
the same procedure on the same bench says which readings each point must have.
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from e2e_support import (
    HERE,
    PROCEDURE,
    SHIPPED_BENCH,
    journal_events,
    only_run,
    registry_url,
)

from labctl.calibration import CalibrationRequest, calibrate, reanalyse
from labctl.cli import main

SCRIPT = HERE / "e2e_killed_run.py"


def redo_steps() -> set[str]:
    """The steps measured again on resume (``on_resume: redo``: the zero setting)."""
    from labctl.procedures.loading import load_procedure

    return {s.id for s in load_procedure(PROCEDURE).steps if s.on_resume == "redo"}


def finished_attempts(events: list[dict[str, Any]]) -> dict[str, list[int]]:
    """point -> its finished attempts; each point must finish exactly once, but for the
    points of an ``on_resume: redo`` step, which finish once more in each session that
    measured them again."""
    redo = redo_steps()
    out: dict[str, list[int]] = {}
    for e in events:
        if e["type"] == "point_finished":
            out.setdefault(e["point"], []).append(e["attempt"])
    sessions = 1 + sum(e["type"] == "resumed_run" for e in events)
    for point, attempts in out.items():
        most = sessions if point.split("/")[0] in redo else 1
        assert len(attempts) == len(set(attempts)) <= most, (point, attempts)
    return out


def used_readings(events: list[dict[str, Any]]) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """(point, attempt) -> the readings of each finished attempt (the analysis reports
    every finished attempt; only a redo step's points have more than one)."""
    out: dict[tuple[str, int], list[dict[str, Any]]] = {
        (p, a): [] for p, attempts in finished_attempts(events).items() for a in attempts}
    for e in events:
        key = (e.get("point"), e.get("attempt"))
        if e["type"] == "reading" and key in out:
            out[key].append({**e, **e.get("extras", {})})  # type: ignore[index]
    return out


def profile(readings: list[dict[str, Any]]) -> Counter[str]:
    """What one point attempt read: the names of its readings, where a change-point
    search (readings with ``change_step``) counts once, and only when it is whole: steps
    0, 1, ..., n without a gap or a repeat, the last saying whether it found the change.
    So does a discrimination test (readings with ``discrimination_pieces``): a start with
    N pieces, steps N-1, N-2, ... down to the one flagged ``discrimination_found``, then
    the extra with one piece back."""
    names: Counter[str] = Counter()
    searches: dict[str, list[list[dict[str, Any]]]] = {}
    discrimination = [r for r in readings if r.get("discrimination_pieces") is not None]
    if discrimination:
        start, *steps, extra = discrimination
        assert start["name"].endswith("_start") and extra["name"].endswith("_extra")
        pieces = [r["discrimination_pieces"] for r in steps]
        assert pieces == list(range(start["discrimination_pieces"] - 1, pieces[-1] - 1, -1))
        assert steps[-1]["discrimination_found"] is True
        assert all(r.get("discrimination_found") is None for r in steps[:-1])
        assert extra["discrimination_pieces"] == pieces[-1] + 1
        names["discrimination (test)"] += 1
    for r in readings:
        if r.get("discrimination_pieces") is not None:
            continue
        if r.get("change_step") is None:
            names[r["name"]] += 1
        elif r["change_step"] == 0:
            searches.setdefault(r["name"], []).append([r])
        else:
            searches[r["name"]][-1].append(r)
    for name, runs in searches.items():
        for search in runs:
            assert [r["change_step"] for r in search] == list(range(len(search)))
            assert search[-1]["change_found"] is not None
            assert all(r.get("change_found") is None for r in search[:-1])
            names[f"{name} (search)"] += 1
    return names


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The events of an uninterrupted run of the same procedure on the same bench (the
    same seed: on the virtual clock it reads what the killed run reads, in order)."""
    folder = tmp_path_factory.mktemp("reference")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LABCTL_HOME", str(folder / "home"))
        result = calibrate(CalibrationRequest(
            PROCEDURE, SHIPPED_BENCH, registry=registry_url(folder), runs_dir=folder / "runs"))
    return journal_events(result.journal_path)


# Where the first session dies: right after this reading (point, name, change_step).
KILLS = {
    # in the middle of weighing/05's change-point search, 0.1 e weights on the receptor
    "change point": ("weighing/05", "change_point", 3),
    # tare/01 has just set its tare, the tare weights on the receptor
    "after a tare": ("tare/01", "tare", None),
}


@pytest.mark.parametrize("where", list(KILLS))
def test_kill_9_then_resume(where: str, tmp_path: Path, reference: list[dict[str, Any]],
                            capsys: pytest.CaptureFixture[str]) -> None:
    readings = [(e["point"], e["name"], e.get("extras", {}).get("change_step"))
                for e in reference if e["type"] == "reading"]
    assert KILLS[where] in readings, f"the procedure no longer reads {KILLS[where]}"
    kill_after = readings.index(KILLS[where]) + 1
    runs, url, out = tmp_path / "runs", registry_url(tmp_path), tmp_path / "record.json"
    common = [str(PROCEDURE), "--bench", str(SHIPPED_BENCH), "--runs-dir", str(runs),
              "--registry", url, "-q"]
    killed = subprocess.run([sys.executable, str(SCRIPT), str(kill_after), "run", *common],
                            capture_output=True, text=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    journal = only_run(runs)
    run_id = journal.parent.name
    before = journal_events(journal)
    assert [e["type"] for e in before].count("reading") == kill_after
    last = before[-1]  # died right after this reading was journalled
    assert (last["type"], last["point"], last["name"],
            last.get("extras", {}).get("change_step")) == (
        "reading", *KILLS[where])
    assert "run_finished" not in {e["type"] for e in before}
    done_before = finished_attempts(before)
    interrupted = before[-1]["point"]
    assert interrupted not in done_before

    assert main(["run", *common, "--resume", run_id, "--json", str(out)]) == 0
    capsys.readouterr()
    events = journal_events(journal)

    # the journal goes on from where it stopped: nothing before the kill is lost
    assert events[:len(before)] == before
    assert [e["seq"] for e in events] == list(range(len(events)))
    resumed = events[len(before)]
    assert resumed["type"] == "resumed_run" and resumed["attempt"] == 2
    assert resumed["from_seq"] == before[-1]["seq"]
    assert events[-2]["type"] == "run_finished" and events[-2]["state"] == "done"
    assert events[-1]["type"] == "record_stored"

    # every planned point finished exactly once, but the zero setting (on_resume: redo),
    # measured again first on resume; the other points finished before the kill were not
    # measured again, the interrupted one was (attempt 2)
    plan = next(e for e in events if e["type"] == "plan")
    attempts = finished_attempts(events)
    assert list(attempts) == [p["point"] for p in plan["points"]]
    redone = {p for p in done_before if p.split("/")[0] in redo_steps()}
    assert redone == {"zero_setting/01"}
    started_again = [e for e in events[len(before):] if e["type"] == "point_started"]
    assert (started_again[0]["point"], started_again[0]["attempt"]) == ("zero_setting/01", 2)
    assert {e["point"] for e in started_again} & set(done_before) == redone
    assert attempts[interrupted] == [2]
    assert all(attempts[p] == ([1, 2] if p in redone else [1]) for p in done_before)

    # no reading lost or repeated: each finished attempt holds exactly the readings an
    # uninterrupted run takes at that point, and the points' attempts finished before
    # the kill hold the very ones journalled then
    used = used_readings(events)
    expected = {p: profile(rs) for (p, _), rs in used_readings(reference).items()}
    assert {key: profile(rs) for key, rs in used.items()} == {
        (p, a): expected[p] for p, attempts_ in attempts.items() for a in attempts_}
    kept = {e["seq"] for e in before if e["type"] == "reading"}
    for point in done_before:
        if expected[point]:  # the warm-up's point reads nothing
            first = used[(point, 1)]
            assert first and all(r["seq"] in kept for r in first), point
    for point in redone:
        assert not any(r["seq"] in kept for r in used[(point, 2)]), point
    used_seqs = {r["seq"] for rs in used.values() for r in rs}
    dropped = [e for e in events if e["type"] == "reading" and e["seq"] not in used_seqs]
    assert dropped and {e["point"] for e in dropped} == {interrupted}
    assert all(e["attempt"] == 1 for e in dropped)  # the torn attempt, kept but not used

    # the record: stored, of this run and journal, its points a fresh analysis of the
    # journal; the analysis used the readings of the finished attempts only
    record = json.loads(out.read_text(encoding="utf-8"))
    started = events[0]
    assert record["run_id"] == run_id and record["id"] == started["record_id"]
    # the record covers the journal up to run_finished (record_stored comes after it)
    through_finished = journal.read_bytes().rsplit(b"\n", 2)[0] + b"\n"
    assert b'"type":"run_finished"' in through_finished.splitlines()[-1]
    assert record["journal_sha256"] == hashlib.sha256(through_finished).hexdigest()
    fresh = [p.model_dump(mode="json") for p in reanalyse(journal, PROCEDURE)]
    assert record["points"] == json.loads(json.dumps(fresh))
    for p in record["points"]:
        seq = p["details"].get("reading_seq")
        if seq is not None:
            assert seq in used_seqs, p["point"]
    from labctl.registry.store import open_registry

    with open_registry(url) as registry:
        stored = registry.document(record["id"])
    assert stored["points"] == record["points"] and stored["run_id"] == run_id


def test_points_resumed_mid_step_keep_the_zero_their_correction_belongs_to(
        tmp_path: Path) -> None:
    """Noise-free scale with a 2 g offset: 7.5 kg up (weighing/03, before the stop) and
    down (weighing/07, after the resume) must give the same error, as they do in an
    uninterrupted run."""
    from e2e_support import bench_with

    def edit(data: dict[str, Any]) -> None:
        data["instruments"]["scale"]["sim"].update(offset="2 g", noise="0 g")

    bench = bench_with(tmp_path, edit)
    request = CalibrationRequest(PROCEDURE, bench, registry=registry_url(tmp_path),
                                 runs_dir=tmp_path / "runs")

    def stop(event: dict[str, Any]) -> None:
        if event["type"] == "point_finished" and event["point"] == "weighing/04":
            raise KeyboardInterrupt  # the run is torn down, then resumed like a killed one

    with pytest.raises(KeyboardInterrupt):
        calibrate(request, on_event=stop)
    request.resume = only_run(tmp_path / "runs").parent.name
    record = calibrate(request).points
    points = {p.point: p for p in record}
    up, down = points["weighing/03"], points["weighing/07"]
    assert up.details["attempt"] == down.details["attempt"] == 1
    assert down.error.value == pytest.approx(up.error.value, abs=0.5e-3)  # one 0.1 e step
    # the zero setting was measured again on resume; both attempts are reported, and each
    # weighing point is corrected by the E0 measured before it
    zeros = [p for p in record if p.point == "zero_setting/01"]
    assert [z.details["attempt"] for z in zeros] == [1, 2]
    assert "measured again when the run was resumed" in zeros[1].notes
    assert "from zero_setting/01 subtracted" in up.notes
    assert "from zero_setting/01 attempt 2 subtracted" in down.notes
