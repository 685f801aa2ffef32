"""The plan: expansion (up_down, repeat, point ids, variables) and plan-time refusals."""

from __future__ import annotations

import json

import pytest
from procedure_fakes import MINI, FakeEnvironment, FakeLoader, location, make_bench

from labctl.errors import RunError
from labctl.procedures.loading import load_procedure
from labctl.procedures.plan_context import PlanContext
from labctl.procedures.planner import make_plan
from labctl.units import Q_


def context(bench, parameters=None) -> PlanContext:
    return PlanContext(bench.roles, parameters, bench)


def test_up_down_repeat_ids_and_variables(mini) -> None:
    bench, _ = make_bench()
    plan = make_plan(mini, context(bench))
    weighing, eccentricity, repeatability = plan.steps
    assert [p.point for p in weighing.points] == [f"weighing/0{i}" for i in range(1, 6)]
    loads = [p.variables["load"] for p in weighing.points]
    assert loads == [Q_(100, "g"), Q_(2500, "g"), Q_(7.5, "kg"), Q_(2500, "g"), Q_(100, "g")]
    assert [p.direction for p in weighing.points] == ["up", "up", "up", "down", "down"]
    assert [p.definition for p in weighing.points] == [0, 1, 2, 1, 0]
    assert [p.index for p in weighing.points] == [0, 1, 2, 3, 4]
    assert [p.point for p in repeatability.points] == [
        "repeatability/01", "repeatability/02", "repeatability/03"]
    assert [p.repetition for p in repeatability.points] == [1, 2, 3]
    assert [p.variables["position"] for p in eccentricity.points] == ["centre", "front"]
    assert plan.variables["half"] == Q_(7.5, "kg")
    assert plan.info["max_load"] == Q_(15, "kg") + 9 * Q_(5, "g")

    unload, load, wait, read = weighing.points[2].actions
    assert unload.kind == "unload"
    assert load.args["weights"] == ("5kg", "2kg", "500g") and load.args["position"] == "centre"
    assert wait.args["duration"] == 5.0
    assert (read.args["count"], read.args["interval"], read.args["mode"]) == (2, 10.0, "stable")
    assert eccentricity.points[1].actions[0].args["position"] == "front"
    assert plan.readings_expected("repeatability/02") == {"indication": 1, "zero": 1}
    assert [a.kind for a in weighing.before] == ["unload", "zero"]


def test_parameters_change_the_plan(mini) -> None:
    bench, _ = make_bench()
    plan = make_plan(mini, context(bench, {"repeats": "3", "settle": "1 min"}))
    _, _, wait, read = plan.steps[0].points[0].actions
    assert read.args["count"] == 3 and wait.args["duration"] == 60.0
    assert plan.parameters["repeats"] == 3


def test_the_plan_is_data(mini) -> None:
    bench, _ = make_bench()
    plan = make_plan(mini, context(bench))
    event = json.loads(json.dumps(plan.to_event()))
    first = event["points"][0]
    assert first == {"point": "weighing/01", "step": "weighing", "index": 0, "definition": 0,
                     "direction": "up", "repetition": 1,
                     "variables": {"load": {"value": 100.0, "unit": "g"}}}
    assert event["points"][5]["variables"] == {"position": {"value": "centre", "unit": None}}
    text = plan.describe()
    assert "weighing/04 [down] load=2500 g" in text
    assert "load 7.5 kg with loader at centre: 5kg, 2kg, 500g" in text


def test_point_ids_widen_past_99(variant) -> None:
    path = variant(("repeat: 3", "repeat: 120"))
    bench, _ = make_bench()
    plan = make_plan(load_procedure(path), context(bench))
    ids = [p.point for p in plan.steps[2].points]
    assert ids[0] == "repeatability/001" and ids[-1] == "repeatability/120"


@pytest.mark.parametrize("replacement, snippet, words", [
    (("mass: Max / 3", "mass: Max * 2"), "load: {role: loader, mass: Max * 2",
     "30.0 kg on the receptor is above the most the procedure allows, 15.045 kg"),
    (("mass: Max / 3", "mass: Max / 3 + 0.01 * e"), "load: {role: loader, mass: Max / 3 +",
     "cannot make a load of"),
    (("mass: Max / 3", "mass: 3"), "mass: 3", "expected a mass"),
    (("duration: settle", "duration: Max"), "duration: Max", "does not fit"),
    (("count: repeats", "count: half"), "count: half", "must be a plain number"),
    (("      - unload: {role: loader}\n      - load: {role: loader, mass: load}",
      "      - load: {role: loader, mass: load}"), "load: {role: loader, mass: load}",
     "load at weighing/02: the receptor of loader already holds 100g"),
    (("mass: Max / 3", "mass: 0 * Max"), "load: {role: loader, mass: 0", "puts nothing on"),
])
def test_plan_time_refusals_name_the_place(variant, replacement, snippet, words) -> None:
    path = variant(replacement)
    bench, _ = make_bench()
    with pytest.raises(RunError) as err:
        make_plan(load_procedure(path), context(bench))
    at = location(path, snippet)
    assert str(err.value).startswith(at), str(err.value)
    assert words in str(err.value)


def test_a_load_in_ug_per_m3_does_not_fit(variant) -> None:
    path = variant(("  repeats: {default: 2}", "  repeats: {default: 2}\n"
                    "  dose: {default: 35 ug/m^3}"),
                   ("mass: Max / 3", "mass: dose"))
    bench, _ = make_bench()
    with pytest.raises(RunError, match=r"does not fit: expected a unit of \[mass\]") as err:
        make_plan(load_procedure(path), context(bench))
    assert str(err.value).startswith(location(path, "mass: dose"))


def test_max_load_can_be_raised_by_the_procedure(variant) -> None:
    path = variant(("mass: Max / 3", "mass: Max + 20 * e"),
                   ("category: initial\n", "category: initial\nsettings: {max_load: Max * 1.1}\n"))
    bench, _ = make_bench()
    plan = make_plan(load_procedure(path), context(bench))
    assert plan.info["max_load"] == Q_(16.5, "kg")
    assert plan.steps[1].points[0].actions[0].args["mass"] == Q_(15100, "g")


def test_roles_the_bench_lacks_or_cannot_serve(mini) -> None:
    bench, _ = make_bench()
    roles = dict(bench.roles)
    del roles["loader"]
    with pytest.raises(RunError, match="no instrument for role 'loader'") as err:
        make_plan(mini, PlanContext(roles))
    assert str(err.value).startswith(location(MINI, "loader: {capability"))
    roles["loader"] = FakeEnvironment(bench.world)
    with pytest.raises(RunError, match="needs capability 'weight_handler'"):
        make_plan(mini, PlanContext(roles))


def test_a_read_on_a_role_whose_instrument_cannot_read(variant) -> None:
    path = variant(("  environment: {capability: environment, optional: true}",
                    "  environment: {capability: environment, optional: true}\n"
                    "  spare: {capability: scale, optional: true}"),
                   ("category: initial\n",
                    "category: initial\nsettings: {max_load: Max + 9 * e}\n"),
                   ("read: {role: dut, as: zero}", "read: {role: spare, as: zero}"))
    bench, _ = make_bench()
    with pytest.raises(RunError, match="no instrument for role 'spare'") as err:
        make_plan(load_procedure(path), context(bench))
    assert str(err.value).startswith(location(path, "read: {role: spare"))
    roles = {**bench.roles, "spare": FakeLoader(bench.world, "spare")}
    with pytest.raises(RunError, match="needs capability 'scale'"):
        make_plan(load_procedure(path), PlanContext(roles, None, bench))


def test_a_variable_the_instrument_does_not_give(mini) -> None:
    bench, _ = make_bench(min_load=None)
    with pytest.raises(RunError, match="does not give 'min_load'") as err:
        make_plan(mini, context(bench))
    assert str(err.value).startswith(location(MINI, "Min: dut.min_load"))


def test_when_drops_actions_and_change_point_plans_its_additions(variant) -> None:
    path = variant(("  repeats: {default: 2}", "  repeats: {default: 2}\n"
                    "  change_point: {default: false}"),
                   ("      - read: {role: dut, as: indication, mode: immediate}\n",
                    "      - read: {role: dut, as: indication, mode: immediate}\n"
                    "      - change_point: {role: dut, loader: loader, step: 0.1 * e, "
                    "max_steps: 10, when: change_point}\n"))
    procedure = load_procedure(path)
    bench, _ = make_bench()
    plan = make_plan(procedure, context(bench))
    assert "change_point" not in [a.kind for a in plan.steps[2].points[0].actions]
    plan = make_plan(procedure, context(bench, {"change_point": "true"}))
    action = plan.steps[2].points[0].actions[2]
    assert action.kind == "change_point" and action.args["threshold"] == Q_(5, "g")
    increments = action.args["increments"]
    assert len(increments) == 10
    on = set()
    for k, inc in enumerate(increments, start=1):
        if inc["add"]:
            assert not on & set(inc["weights"])
            on |= set(inc["weights"])
        else:
            on = set(inc["weights"]) - {"5kg", "2kg", "500g"}
        grams = sum({"500mg": .5, "500mg*": .5, "500mg**": .5, "1g": 1, "2g": 2, "2g*": 2,
                     "5g": 5}[w] for w in on)
        assert grams == pytest.approx(0.5 * k)


DISCRIMINATION = ("      - read: {role: dut, as: indication, mode: immediate}\n",
                  "      - read: {role: dut, as: indication, mode: immediate}\n"
                  "      - discrimination: {role: dut, loader: loader, step: 0.1 * d, "
                  "extra: 1.4 * d, pieces: PIECES}\n")


def _discrimination(variant, pieces: int):
    old, new = DISCRIMINATION
    return variant((old, new.replace("PIECES", str(pieces))))


def test_discrimination_plans_its_pieces_apart_from_the_load(variant) -> None:
    bench, _ = make_bench()
    plan = make_plan(load_procedure(_discrimination(variant, 3)), context(bench))
    action = plan.steps[2].points[0].actions[2]
    assert action.kind == "discrimination" and action.args["threshold"] == Q_(5, "g")
    pieces = action.args["pieces"]
    assert sorted(pieces) == [("500mg",), ("500mg*",), ("500mg**",)]
    assert action.args["extra_weights"] == ("5g", "2g")
    assert action.args["load"] == ("5kg", "2kg", "500g")
    assert not set(action.args["load"]) & {w for p in pieces for w in p}
    assert "R 76-1 A.4.8.2" in action.describe()


def test_discrimination_is_refused_when_the_set_lacks_the_pieces(variant) -> None:
    path = _discrimination(variant, 4)   # the fakes' set has three 0.5 g pieces
    bench, _ = make_bench()
    with pytest.raises(RunError) as err:
        make_plan(load_procedure(path), context(bench))
    text = str(err.value)
    assert text.startswith(location(path, "discrimination: {role"))
    assert "piece 4 of the 4 pieces of 0.5 g" in text
