"""The runner on fake instruments: events, the journal, teardown on every way out."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from procedure_fakes import make_bench

from labctl.errors import InstrumentError, RunError
from labctl.procedures.journal import read_journal
from labctl.procedures.launch import run_procedure
from labctl.procedures.loading import load_procedure
from labctl.procedures.run_outcome import RunAborted
from labctl.procedures.state import RunControl


def run(procedure, bench, clock, tmp_path: Path, **options):
    return run_procedure(procedure, bench, clock=clock,
                         journal_path=tmp_path / "run" / "journal.jsonl",
                         run_id="20261127T131500Z-test", **options)


def types(events) -> list[str]:
    return [e["type"] for e in events]


def test_a_whole_run(mini, tmp_path: Path) -> None:
    bench, clock = make_bench(environment=lambda t: 20.0, gain=2e-4)
    seen: list[dict] = []

    def on_event(event: dict) -> None:
        # The journal has the event before the display sees it.
        last = (tmp_path / "run" / "journal.jsonl").read_bytes().splitlines()[-1]
        assert json.loads(last) == event
        seen.append(event)

    outcome = run(mini, bench, clock, tmp_path, on_event=on_event, operator="A. Tester",
                  seed=7, extra_run_info={"note": "test"})
    assert outcome.state == "done"
    events, problems = read_journal(outcome.journal_path)
    assert events == outcome.events == seen and problems == []
    assert [e["seq"] for e in events] == list(range(len(events)))
    assert types(events)[:5] == ["run_started", "identified", "identified", "identified", "plan"]
    assert types(events)[-1] == "run_finished" and events[-1]["state"] == "done"
    started = events[0]
    assert started["procedure"]["sha256"] == mini.sha256
    assert (started["operator"], started["seed"], started["note"]) == ("A. Tester", 7, "test")
    assert started["parameters"] == {"category": "initial", "settle": "5.0 s", "repeats": 2}
    assert started["virtual_clock"] is True and started["standards"] == ["FAKE-SET"]
    count = Counter(types(events))
    assert count["point_started"] == count["point_finished"] == 10
    assert count["reading"] == 18 and count["step_started"] == count["step_finished"] == 3
    times = [e["t"] for e in events]
    assert times == sorted(times) and times[-1] == clock.now() > 200
    # Every reading is tagged and carries what the scale said.
    readings = [e for e in events if e["type"] == "reading"]
    top = next(r for r in readings if r["point"] == "weighing/03")
    assert top["value"] == 7500.0 + 0.0 and top["unit"] == "g" and top["stable"] is True
    assert {r["attempt"] for r in readings} == {1}
    assert [r["name"] for r in readings if r["point"] == "repeatability/02"] == [
        "indication", "zero"]
    loads = [e for e in events if e["type"] == "load" and e["point"] == "eccentricity/02"]
    assert loads[0]["position"] == "front" and loads[0]["weights"] == ["5kg"]
    assert loads[0]["nominal"] == {"value": 5.0, "unit": "kg"}
    # The normal end also puts every instrument in its safe state.
    assert [i.safe_calls for i in bench.instruments] == [1, 1, 1]


def test_the_order_of_a_point(mini, tmp_path: Path) -> None:
    bench, clock = make_bench()
    outcome = run(mini, bench, clock, tmp_path)
    point = [e["type"] for e in outcome.events if e.get("point") == "weighing/02"]
    assert point == ["point_started", "load", "load", "reading", "reading", "point_finished"]
    scale_calls = bench.role("dut").calls
    assert scale_calls[:3] == ["identify", "zero", "read_stable"]
    assert types(outcome.events).count("environment") == 0  # no environment role


def fail_scale(exc_factory, on_call=3):
    bench, clock = make_bench()
    bench.role("dut").fail("read_stable", on_call, exc_factory)
    return bench, clock


def assert_torn_down(bench, outcome_events, state: str, unfinished: str = "weighing/02"
                     ) -> None:
    assert [i.safe_calls for i in bench.instruments] == [1, 1]
    assert types(outcome_events)[-2:] == ["error", "run_finished"]
    assert outcome_events[-1]["state"] == state
    assert not any(e["type"] == "point_finished" and e["point"] == unfinished
                   for e in outcome_events)


def test_an_instrument_error_fails_the_run_cleanly(mini, tmp_path: Path) -> None:
    bench, clock = fail_scale(lambda: InstrumentError("no reply", instrument="scale",
                                                      command="S"))
    with pytest.raises(RunAborted, match="failed: .*no reply") as err:
        run(mini, bench, clock, tmp_path)
    outcome = err.value.outcome
    assert outcome.state == "failed"
    events, _ = read_journal(outcome.journal_path)
    assert events == outcome.events
    assert_torn_down(bench, events, "failed")
    error = events[-2]
    assert (error["instrument"], error["command"], error["during"]) == ("scale", "S", "run")
    assert "--resume 20261127T131500Z-test" in str(err.value)


def test_ctrl_c_aborts_and_is_raised_again(mini, tmp_path: Path) -> None:
    bench, clock = fail_scale(KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        run(mini, bench, clock, tmp_path)
    events, problems = read_journal(tmp_path / "run" / "journal.jsonl")
    assert problems == []
    assert_torn_down(bench, events, "aborted")
    assert "Ctrl-C" in events[-1]["reason"]


def test_any_exception_fails_the_run_cleanly(mini, tmp_path: Path) -> None:
    bench, clock = make_bench()
    bench.role("loader").fail("place", 2, lambda: ValueError("gripper jammed"))
    with pytest.raises(RunAborted, match="ValueError: gripper jammed") as err:
        run(mini, bench, clock, tmp_path)
    assert_torn_down(bench, err.value.outcome.events, "failed")


def test_a_failing_safe_state_does_not_spare_the_others_nor_hide_the_cause(
        mini, tmp_path: Path) -> None:
    bench, clock = fail_scale(lambda: InstrumentError("no reply", instrument="scale"))
    bench.role("dut").fail("safe_state", 1, lambda: InstrumentError("port closed",
                                                                    instrument="scale"))
    with pytest.raises(RunAborted, match="no reply") as err:
        run(mini, bench, clock, tmp_path)
    outcome = err.value.outcome
    assert bench.role("loader").safe_calls == 1 and bench.role("dut").safe_calls == 1
    errors = [e for e in outcome.events if e["type"] == "error"]
    assert [e["during"] for e in errors] == ["run", "teardown"]
    assert "no reply" in errors[0]["message"] and "port closed" in errors[1]["message"]
    assert outcome.teardown_errors and outcome.events[-1]["state"] == "failed"


def test_a_bench_with_safe_state_all_is_asked_once(mini, tmp_path: Path) -> None:
    bench, clock = fail_scale(lambda: InstrumentError("no reply"))
    asked: list[int] = []

    def safe_state_all() -> list[Exception]:
        asked.append(1)
        return [InstrumentError("stuck", instrument="loader")]

    bench.safe_state_all = safe_state_all
    with pytest.raises(RunAborted):
        run(mini, bench, clock, tmp_path)
    errors = [e for e in read_journal(tmp_path / "run" / "journal.jsonl")[0]
              if e["type"] == "error"]
    assert asked == [1] and errors[1]["instrument"] == "loader"


def test_refused_before_anything_moves(variant, tmp_path: Path) -> None:
    procedure = load_procedure(variant(("mass: Max / 3", "mass: Max * 2")))
    bench, clock = make_bench()
    with pytest.raises(RunError, match="above the most"):
        run(procedure, bench, clock, tmp_path)
    assert not (tmp_path / "run").exists()
    assert all(i.calls == [] for i in bench.instruments) and clock.now() == 0


def test_abort_requested_from_outside(mini, tmp_path: Path) -> None:
    bench, clock = make_bench()
    control = RunControl()

    def on_event(event: dict) -> None:
        if event["type"] == "point_finished" and event["point"] == "weighing/02":
            control.request_abort("operator pressed stop")

    with pytest.raises(RunAborted, match="aborted: operator pressed stop") as err:
        run(mini, bench, clock, tmp_path, on_event=on_event, control=control)
    assert err.value.outcome.state == "aborted"
    assert_torn_down(bench, err.value.outcome.events, "aborted", unfinished="weighing/03")
    assert "weighing/03" not in [e.get("point") for e in err.value.outcome.events]


class ReleasingClock:
    """Wraps a VirtualClock: after ``polls`` sleeps while paused, the operator continues."""

    def __init__(self, clock, control: RunControl, polls: int) -> None:
        self.clock, self.control, self.polls = clock, control, polls
        self.virtual = True

    def now(self) -> float:
        return self.clock.now()

    def sleep(self, seconds: float) -> None:
        self.clock.sleep(seconds)
        if self.control.pause_requested:
            self.polls -= 1
            if self.polls == 0:
                self.control.request_continue()


def test_pause_and_continue(mini, tmp_path: Path) -> None:
    bench, clock = make_bench()
    control = RunControl()
    paused_clock = ReleasingClock(clock, control, polls=30)

    def on_event(event: dict) -> None:
        if event["type"] == "point_started" and event["point"] == "weighing/01":
            control.request_pause()

    outcome = run(mini, bench, paused_clock, tmp_path, on_event=on_event, control=control)
    assert outcome.state == "done"
    kinds = types(outcome.events)
    i = kinds.index("paused")
    assert kinds[i + 1] == "continued" and outcome.events[i + 1]["paused_for"] == 30.0


def test_a_pause_too_long_fails(mini, tmp_path: Path) -> None:
    bench, clock = make_bench()
    control = RunControl()
    control.request_pause()
    with pytest.raises(RunAborted, match="stayed paused for 60 s"):
        run(mini, bench, clock, tmp_path, control=control, max_pause=60)


def test_prompt_answers_are_journaled(variant, tmp_path: Path) -> None:
    procedure = load_procedure(variant(
        ("    before:\n      - unload: {role: loader}\n",
         "    before:\n      - prompt: {message: Level the scale}\n"
         "      - unload: {role: loader}\n")))
    bench, clock = make_bench()
    asked: list[str] = []

    def prompt(message: str) -> str:
        asked.append(message)
        return "levelled"

    outcome = run(procedure, bench, clock, tmp_path, prompt=prompt)
    prompts = [e for e in outcome.events if e["type"] == "prompt"]
    assert asked == ["Level the scale"]
    assert prompts[0]["answer"] == "levelled" and prompts[0]["point"] is None


def test_change_point_adds_until_the_indication_rises(variant, tmp_path: Path) -> None:
    procedure = load_procedure(variant(
        ("  repeats: {default: 2}", "  repeats: {default: 2}\n  change_point: {default: true}"),
        ("      - read: {role: dut, as: indication, mode: immediate}\n",
         "      - read: {role: dut, as: indication, mode: immediate}\n"
         "      - change_point: {role: dut, loader: loader, step: 0.1 * e, when: change_point}\n"
         )))
    # gain 1.4e-4 on 7.5 kg: 7501.05 g shows 7500 g, and 7502.5 g (+1.45 g) shows 7505 g.
    bench, clock = make_bench(gain=1.4e-4)
    outcome = run(procedure, bench, clock, tmp_path)
    point = [e for e in outcome.events if e.get("point") == "repeatability/01"]
    steps = [{**e, **e.get("extras", {})} for e in point
             if e["type"] == "reading" and e["name"] == "change_point"]
    assert [s["change_step"] for s in steps] == [0, 1, 2, 3]
    assert [s["value"] for s in steps] == [7500.0, 7500.0, 7500.0, 7505.0]
    assert steps[-1]["change_found"] is True and "change_found" not in steps[1]
    added = [e for e in point if e["type"] == "load" and e["add"]]
    assert [a["nominal"] for a in added][:1] == [{"value": 0.5, "unit": "g"}]


def test_discrimination_takes_pieces_off_then_adds_1_4_d(variant, tmp_path: Path) -> None:
    procedure = load_procedure(variant(
        ("      - read: {role: dut, as: indication, mode: immediate}\n",
         "      - read: {role: dut, as: indication, mode: immediate}\n"
         "      - discrimination: {role: dut, loader: loader, step: 0.1 * d, extra: 1.4 * d,"
         " pieces: 3}\n")))
    # gain 1.4e-4 on 7.5 kg: with 3 x 0.5 g on, 7502.55 g shows 7505 g (I); with 2 on,
    # 7502.05 g shows 7500 g (I - d); one back and 7 g: 7509.55 g shows 7510 g (I + d).
    bench, clock = make_bench(gain=1.4e-4)
    outcome = run(procedure, bench, clock, tmp_path)
    assert outcome.state == "done"
    point = [e for e in outcome.events if e.get("point") == "repeatability/01"]
    readings = [{**e, **e.get("extras", {})} for e in point if e["type"] == "reading"
                and e["name"].startswith("discrimination")]
    assert [(r["name"], r["discrimination_pieces"], r["value"]) for r in readings] == [
        ("discrimination_start", 3, 7505.0), ("discrimination_step", 2, 7500.0),
        ("discrimination_extra", 3, 7510.0)]
    assert readings[1]["discrimination_found"] is True
    assert "discrimination_found" not in readings[0] and "discrimination_found" not in \
        readings[2]
    loads = [e for e in point if e["type"] == "load"
             and readings[0]["seq"] - 2 < e["seq"] < readings[-1]["seq"]]
    # the pieces added; one taken off with remove, the rest staying on (never through
    # zero: R 76-1 A.4.8.2, issue 7 item 5); one put back; the 1.4 d added
    assert [(e["add"], len(e["weights"]), len(e.get("removed", ()))) for e in loads] == [
        (True, 3, 0), (True, 0, 1), (True, 1, 0), (True, 2, 0)]
    assert not [e for e in loads if not e["add"]]  # no unload in between
    assert loads[1]["removed"] == loads[2]["weights"]  # the piece taken off goes back
    assert loads[-1]["weights"] == ["5g", "2g"]


@pytest.mark.parametrize("parameters", [None, {"change_point": "true"}])
def test_the_shipped_procedure_on_the_simulated_bench(repo_root: Path, tmp_path: Path,
                                                      parameters) -> None:
    """Integration with the real drivers and simulators, when they are there."""
    procedure_path = repo_root / "procedures" / "scale-jjg539.yaml"
    bench_path = repo_root / "benches" / "sim-scale.yaml"
    if not procedure_path.exists() or not bench_path.exists():
        pytest.skip("procedures/scale-jjg539.yaml or benches/sim-scale.yaml is not written yet")
    bench_module = pytest.importorskip("labctl.bench")
    from labctl.clock import VirtualClock

    clock = VirtualClock()
    procedure = load_procedure(procedure_path)
    bench = bench_module.load_bench(bench_path).open(clock)
    try:
        outcome = run_procedure(procedure, bench, clock=clock, parameters=parameters,
                                journal_path=tmp_path / "journal.jsonl")
    finally:
        bench.close()
    assert outcome.state == "done"
    events, problems = read_journal(outcome.journal_path)
    assert events == outcome.events and problems == []
    count = Counter(types(events))
    assert count["point_started"] == count["point_finished"] == 30  # with the warm-up
    assert count["identified"] == len(bench.instruments)
    top = [e for e in events if e["type"] == "reading" and e["point"] == "weighing/05"
           and e["name"] == "indication"]
    assert top and abs(top[0]["value"] - 15.0) < 0.05 and top[0]["unit"] == "kg"
    if parameters:  # zero setting 1, weighing 9, eccentricity 5, repeatability 6, tare 5
        # (five net loads: R 76-1 A.4.6.1)
        extras = [(e["point"], e.get("extras", {})) for e in events if e["type"] == "reading"]
        looking = {point for point, x in extras if "change_step" in x}
        found = {point for point, x in extras if x.get("change_found")}
        assert len(looking) == 26 and found == looking
