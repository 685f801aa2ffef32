"""analyse(): the procedure's analyses list over a whole journal, with the shipped
procedure; and the shipped procedure run on the simulated bench."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from weighing_journal import PLATE, STANDARDS, Journal

from labctl.analysis import ANALYSES, analyse, analysis_names, overall_decision
from labctl.errors import ConfigError
from labctl.procedures.loading import load_procedure, loads_procedure

ROOT = Path(__file__).resolve().parents[2]
PROCEDURE = ROOT / "procedures" / "scale-jjg539.yaml"
HALF = ("S/5kg", "S/2kg", "S/500g")
FULL = ("S/10kg", "S/5kg")


@pytest.fixture(scope="module")
def procedure():
    return load_procedure(PROCEDURE)


def _whole_run(parameters: dict | None = None) -> Journal:
    """A journal of every step of scale-jjg539 for a scale with no error."""
    j = Journal(parameters)
    j.weigh("zero_setting", "zero_setting/01", ("S/50g",), 0.050)
    loads = [("S/100g",), ("S/2kg", "S/500g"), HALF, ("S/10kg",), FULL]
    for i, w in enumerate(loads + loads[-2::-1], start=1):
        nominal = sum(STANDARDS[x]["nominal"]["value"] for x in w) / 1000
        j.weigh("weighing", f"weighing/{i:02d}", w, nominal)
    for i, pos in enumerate(["centre", "front", "back", "left", "right"], start=1):
        j.weigh("eccentricity", f"eccentricity/{i:02d}", ("S/5kg",), 5.0, position=pos)
    for i, (w, v) in enumerate([(HALF, 7.5)] * 3 + [(FULL, 15.0)] * 3, start=1):
        j.weigh("repeatability", f"repeatability/{i:02d}", w, v)
    for i, (w, v) in enumerate([(("S/100g",), 0.1), (HALF, 7.5), (FULL, 15.0)], start=1):
        j.start("discrimination", f"discrimination/{i:02d}").load(*w).read("before", v)
        j.load("S/5g", "S/2g", add=True).read("after", v + 0.005).unload().finish()
    for i, (w, v) in enumerate([(("S/2kg", "S/500g"), 2.5), (("S/10kg",), 10.0)], start=1):
        j.start("tare", f"tare/{i:02d}").load("S/5kg").read("tare", 0.0)
        j.load(*w, add=True).read("indication", v).unload().finish()
    return j


def test_the_registry_lists_the_weighing_analyses():
    # (other installed families add their own: the weighing ones are among them)
    assert {"zero_setting", "weighing_error", "eccentricity", "repeatability",
            "discrimination", "tare"} <= set(analysis_names())
    assert analysis_names() == sorted(analysis_names())
    assert set(analysis_names()) == set(ANALYSES.names())


def test_the_shipped_procedure_loads_and_names_known_analyses(procedure):
    assert procedure.document == "JJG 539-2016"
    assert procedure.data == {"mpe": "jjg539-2016"}
    assert [a.analysis for a in procedure.analyses] == [
        "zero_setting", "weighing_error", "eccentricity", "repeatability", "discrimination",
        "tare"]
    assert procedure.parameters["change_point"].default is True
    weighing = procedure.step("weighing")
    assert weighing.sequence == "up_down" and len(weighing.points) == 5


def test_analyse_runs_every_analysis_of_the_procedure(procedure):
    results = analyse(procedure, _whole_run().events, STANDARDS, PLATE)
    counts: dict[str, int] = {}
    for p in results:
        counts[p.test] = counts.get(p.test, 0) + 1
    assert counts == {"zero_setting": 1, "weighing_error": 9, "eccentricity": 5,
                      "repeatability": 2, "discrimination": 3, "tare": 2}
    assert all(p.conforms for p in results)
    assert overall_decision(results) == "conditional_pass"   # rounding at the small loads
    # the weighing budgets borrow s from the repeatability step and the eccentricity
    weighing = [p for p in results if p.test == "weighing_error"]
    names = [c["name"] for c in weighing[0].budget["components"]]
    assert names == ["I", "I0", "L", "dR", "dEcc"]
    # every result is JSON for the record
    for p in results:
        assert p.model_dump(mode="json")["decision"] == p.decision


def test_the_category_comes_from_the_run_unless_given(procedure):
    events = _whole_run({"category": "in_service"}).events
    by_run = analyse(procedure, events, STANDARDS, PLATE)
    given = analyse(procedure, events, STANDARDS, PLATE, category="initial")
    w_run = next(p for p in by_run if p.test == "weighing_error")
    w_given = next(p for p in given if p.test == "weighing_error")
    assert w_run.mpe.value == pytest.approx(2 * w_given.mpe.value)


def test_steps_that_were_not_measured_give_no_points(procedure):
    j = Journal()
    j.weigh("weighing", "weighing/01", HALF, 7.5)
    results = analyse(procedure, j.events, STANDARDS, PLATE)
    assert [p.test for p in results] == ["weighing_error"]


def test_standards_may_be_a_list_of_register_weights(procedure):
    from labctl.register import load_register

    register = load_register(ROOT / "benches" / "register.yaml")
    weights = register.parts("M1-A")
    j = Journal()
    j.weigh("weighing", "weighing/01", ("M1-A/5kg", "M1-A/2kg", "M1-A/500g"), 7.5)
    (point,) = analyse(procedure, j.events, list(weights), PLATE)
    # conventional mass 7.5 kg - 60 + 22 + 5 mg
    assert point.error.value == pytest.approx(0.000033)
    (again,) = analyse(procedure, j.events, [w.as_record() for w in weights], PLATE)
    assert again.error.value == pytest.approx(point.error.value)


def test_a_bad_option_names_its_place():
    text = PROCEDURE.read_text(encoding="utf-8").replace(
        "options: {rule: simple}\n  - analysis: discrimination",
        "options: {rule: simple, bogus: 1}\n  - analysis: discrimination")
    # refused when the procedure is loaded, at the analysis's options
    with pytest.raises(ConfigError, match=r"scale.yaml:\d+:\d+: analysis 'repeatability' "
                                          "has no option 'bogus'"):
        loads_procedure(text, "scale.yaml")
    with pytest.raises(ConfigError, match="the category is the run's"):
        loads_procedure(text.replace("bogus: 1", "category: in_service"), "scale.yaml")


def _run_on_sim(tmp_path: Path, gain: float | None = None) -> list:
    from labctl.bench.config import load_bench
    from labctl.clock import VirtualClock
    from labctl.procedures.launch import run_procedure

    bench_dir = tmp_path / "bench"
    bench_dir.mkdir()
    shutil.copy(ROOT / "benches" / "register.yaml", bench_dir / "register.yaml")
    text = (ROOT / "benches" / "sim-scale.yaml").read_text(encoding="utf-8")
    if gain is not None:
        text = text.replace("gain: 2.0e-4", f"gain: {gain}")
    (bench_dir / "sim-scale.yaml").write_text(text, encoding="utf-8")
    procedure = load_procedure(PROCEDURE)
    clock = VirtualClock()
    with load_bench(bench_dir / "sim-scale.yaml").open(clock) as bench:
        outcome = run_procedure(procedure, bench, clock=clock,
                                journal_path=tmp_path / "journal.jsonl",
                                prompt=lambda message: "")
        assert outcome.state == "done"
        scale = bench.role("dut")
        dut = {k: getattr(scale, k) for k in ("capacity", "e", "d", "min_load",
                                              "accuracy_class")}
        return analyse(procedure, outcome.events, bench.standards_used(), dut)


def test_the_shipped_procedure_on_the_simulated_bench(tmp_path: Path):
    results = _run_on_sim(tmp_path)
    assert {p.test for p in results} == {"zero_setting", "weighing_error", "eccentricity",
                                         "repeatability", "discrimination", "tare"}
    assert all(p.conforms for p in results), [(p.point, p.decision) for p in results
                                             if not p.conforms]


def test_a_scale_far_outside_its_class_fails_on_the_simulated_bench(tmp_path: Path):
    results = _run_on_sim(tmp_path, gain=0.01)    # 1 % span error
    weighing = [p for p in results if p.test == "weighing_error"]
    assert weighing[3].nominal.value == pytest.approx(10.0)
    assert weighing[3].error.value == pytest.approx(0.1, abs=0.005)
    assert weighing[3].decision == "fail"
    # 15.15 kg is beyond Max + 9 e: the scale shows overload, and the point fails
    assert weighing[4].error is None and weighing[4].decision == "fail"
    assert overall_decision(results) == "fail"


def test_another_family_can_register_an_analysis():
    from labctl.analysis import Analysis

    def drift(history, context, options):
        return []

    ANALYSES.register("test_drift", Analysis("test_drift", drift, {"window": 3}))
    try:
        assert "test_drift" in analysis_names()
        assert ANALYSES.get("test_drift").options({}).get("window") == 3
        with pytest.raises(ValueError, match="already registered"):
            ANALYSES.register("test_drift", Analysis("test_drift", drift))
    finally:
        ANALYSES.unregister("test_drift")
    assert "test_drift" not in analysis_names()
