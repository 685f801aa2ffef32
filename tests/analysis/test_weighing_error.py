"""weighing_error on synthetic journals with known errors: E, U and the decisions."""

from __future__ import annotations

import math

import pytest
from weighing_journal import SMALL, STANDARDS, Journal, mass, u_linear

from labctl.analysis.options import Options
from labctl.analysis.weighing.error_budget import error_budget
from labctl.analysis.weighing.indication import indication_of
from labctl.analysis.weighing.journal_view import JournalView
from labctl.analysis.weighing.plate import ScalePlate
from labctl.analysis.weighing.plugins import raw_analysis
from labctl.analysis.weighing.weighing_error import weighing_error
from labctl.analysis.weighing.weighing_mpe import load_mpe_table
from labctl.uncertainty import coverage_factor

D = 0.005                        # d = e = 5 g, in kg
S = 0.0005                       # one change-point addition, 0.1 e
U_ROUND = D / math.sqrt(12)      # rounding of one indication
K = coverage_factor(0.9545)      # infinite dof
LOAD_7_5 = ("S/5kg", "S/2kg", "S/500g")


def stated(point, *names: str) -> float:
    """The variance of the components ``names`` (buoyancy, drift, noise floor: stated in
    every budget since issue 7), to add to a hand-computed u^2."""
    comps = {c["name"]: c for c in point.budget["components"]}
    return sum(comps[n]["standard_uncertainty"] ** 2 for n in names if n in comps)


def run(j: Journal, step: str = "weighing", **options):
    options.setdefault("monte_carlo_trials", 0)  # GUM only: the k these tests pin
    opts = Options.build("weighing_error", raw_analysis("weighing_error")[1], options,
                         {"category": options.pop("category", "initial")})
    view = JournalView(j.events)
    return weighing_error(view.step(step), dict(PLATE_III), STANDARDS,
                          load_mpe_table("jjg539-2016"), opts)


PLATE_III = {"capacity": "15 kg", "e": "5 g", "d": "5 g", "min_load": "100 g",
             "accuracy_class": "III"}


def test_error_is_indication_minus_conventional_mass_with_its_budget(journal: Journal):
    journal.weigh("weighing", "weighing/01", LOAD_7_5, 7.505)
    (point,) = run(journal)
    L = mass(*LOAD_7_5)
    assert pytest.approx(7.499967) == L
    assert point.error.value == pytest.approx(7.505 - L, abs=1e-12)
    assert point.error.unit == "kg"
    assert point.nominal.value == pytest.approx(7.5)
    assert point.indication.value == pytest.approx(7.505)
    # rounding of the indication and of zero, and the weights taken fully correlated
    u = math.sqrt(2 * U_ROUND**2 + u_linear(*LOAD_7_5) ** 2 + stated(point, "dB", "dD"))
    assert u_linear(*LOAD_7_5) == pytest.approx(59e-6)
    assert point.expanded_uncertainty.value == pytest.approx(K * u, rel=1e-9)
    assert point.coverage_factor == pytest.approx(2.0, rel=1e-5)
    assert point.mpe.value == pytest.approx(0.005)      # 1500 e: 1 e
    # E = 5.033 g beyond the MPE of 5 g, but E - U reaches inside: conditional fail
    assert point.decision == "conditional_fail"
    assert point.rule == "simple"
    names = [c["name"] for c in point.budget["components"]]
    assert names == ["I", "I0", "L", "dB", "dD"]
    assert point.budget["model"] == "I - I0 - L + dB + dD"
    assert "exceeds MPE/3" in point.notes and "change_point: true" in point.notes


def test_a_good_scale_passes_and_a_far_out_of_class_scale_fails(journal: Journal):
    loads = [("S/100g",), ("S/2kg", "S/500g"), LOAD_7_5, ("S/10kg",), ("S/10kg", "S/5kg")]
    for i, w in enumerate(loads, start=1):
        nominal = sum(STANDARDS[x]["nominal"]["value"] for x in w) / 1000
        journal.weigh("weighing", f"weighing/{i:02d}", w, nominal)
    good = run(journal)
    assert [p.decision for p in good] == [
        "conditional_pass",  # Min: MPE 2.5 g < U = 4.1 g
        "conditional_pass",  # 500 e: MPE 2.5 g
        "pass", "pass", "pass",
    ]
    assert all(p.conforms for p in good)

    bad = Journal()   # a span error of 1 % (and 10 g at Min)
    bad_values = [0.110, 2.525, 7.575, 10.100, 15.150]
    for i, (w, v) in enumerate(zip(loads, bad_values, strict=True), start=1):
        bad.weigh("weighing", f"weighing/{i:02d}", w, v)
    results = run(bad)
    assert [p.decision for p in results] == ["fail"] * 5
    assert not any(p.conforms for p in results)
    assert results[-1].error.value == pytest.approx(0.15 - 0.00006, abs=1e-9)


def test_direction_follows_the_loads(journal: Journal):
    for i, (w, v) in enumerate([(("S/100g",), 0.1), (LOAD_7_5, 7.5), (("S/10kg", "S/5kg"), 15),
                                (LOAD_7_5, 7.5), (("S/100g",), 0.1)], start=1):
        journal.weigh("weighing", f"weighing/{i:02d}", w, v)
    assert [p.details["direction"] for p in run(journal)] == ["up", "up", "up", "down", "down"]


def test_in_service_doubles_the_mpe(journal: Journal):
    journal.weigh("weighing", "weighing/01", LOAD_7_5, 7.505)
    (initial,) = run(journal)
    (in_service,) = run(journal, category="in_service")
    assert in_service.mpe.value == pytest.approx(2 * initial.mpe.value)
    assert initial.decision == "conditional_fail"
    assert in_service.decision == "pass"   # 5.03 g + 4.08 g < 10 g


def test_only_the_finished_attempt_counts(journal: Journal):
    j = journal
    j.start("weighing", "weighing/01", 1).load(*LOAD_7_5).read("indication", 7.600)
    j.weigh("weighing", "weighing/01", LOAD_7_5, 7.500, attempt=2)
    (point,) = run(j)
    assert point.indication.value == pytest.approx(7.5)
    assert point.error.value == pytest.approx(7.5 - mass(*LOAD_7_5))
    assert point.details["attempt"] == 2
    assert point.decision == "pass"


def test_change_point_gives_the_indication_before_rounding(journal: Journal):
    j = journal
    j.start("weighing", "weighing/01").load(*LOAD_7_5).read("indication", 7.500)
    j.change_point(7.500, rises_after=3).finish()
    (point,) = run(j)
    # P = I + d/2 - dL + s/2, dL = 3 x 0.5 g: R 76-1's P, centred in the last step
    p = 7.500 + D / 2 - 0.0015 + S / 2
    assert point.indication.value == pytest.approx(p)
    assert ("P centred in the last step (+s/2): R 76-1's I + d/2 - dL = 7.501 kg, "
            "+ 0.00025 kg") in point.notes.split("; ")
    assert point.error.value == pytest.approx(p - mass(*LOAD_7_5), abs=1e-12)
    assert point.details["method"] == "change_point"
    assert point.details["change_point"]["additions"] == 3
    assert point.details["change_point"]["step"] == pytest.approx(0.0005)
    # no rounding of I or of zero; resolution of the search (half-width 0.25 g),
    # the small weights (class only, linear sum) and the test weights
    u_small = 3 * STANDARDS[SMALL[0]]["u"]["value"] / 1e6
    u = math.sqrt((0.00025 / math.sqrt(3)) ** 2 + u_small**2 + u_linear(*LOAD_7_5) ** 2
                  + (0.0005 / math.sqrt(12)) ** 2 + stated(point, "dB", "dD"))
    assert point.expanded_uncertainty.value == pytest.approx(K * u, rel=1e-9)
    assert [c["name"] for c in point.budget["components"]] == [
        "I", "h", "dL", "dP", "L", "dB", "dD", "dR"]
    comps = {c["name"]: c for c in point.budget["components"]}
    assert comps["I"]["value"] == pytest.approx(7.500)
    assert comps["dP"]["value"] == pytest.approx(S / 2)
    assert comps["dP"]["distribution"] == "rectangular"
    # the component says so (its description: in the BudgetResult, not in the record)
    plate = ScalePlate.from_data(PLATE_III)
    ind = indication_of(JournalView(j.events).step("weighing").points[0], plate, STANDARDS)
    (dp,) = [c for c in error_budget(ind, plate, 0.005).components if c.name == "dP"]
    assert "P centred in it, +s/2" in dp.description and "R 76-1" in dp.description
    assert point.decision == "pass"
    assert "U <= MPE/3" in point.notes


def test_a_change_point_not_found_falls_back_to_the_rounded_indication(journal: Journal):
    j = journal
    j.start("weighing", "weighing/01").load(*LOAD_7_5).read("indication", 7.500)
    j.read("change_point", 7.500, change_step=0)
    for k in range(1, 3):
        j.load(SMALL[k - 1], add=True).read("change_point", 7.500, change_step=k,
                                            **({"change_found": False} if k == 2 else {}))
    j.finish()
    (point,) = run(j)
    assert point.details["method"] == "rounded"
    assert point.indication.value == pytest.approx(7.5)
    assert "change point was not found within 2 additions" in point.notes


def test_the_zero_error_and_the_repeatability_enter_the_budget():
    j = Journal()
    # zero step: 50 g, change point after 4 additions: E0 = 50 + 2.5 - 2 + 0.25 - 49.9994 g
    j.start("zero_setting", "zero_setting/01").load("S/50g").read("indication", 0.050)
    j.change_point(0.050, rises_after=4).finish()
    # repeatability at 7.5 kg: s of 7.500, 7.505, 7.500
    for i, v in enumerate([7.500, 7.505, 7.500], start=1):
        j.weigh("repeatability", f"repeatability/{i:02d}", LOAD_7_5, v)
    j.start("weighing", "weighing/01").load(*LOAD_7_5).read("indication", 7.500)
    j.change_point(7.500, rises_after=3).finish()
    (point,) = run(j, zero_step="zero_setting", repeatability_step="repeatability")
    e0 = 0.050 + D / 2 - 0.002 + S / 2 - mass("S/50g")
    e = 7.500 + D / 2 - 0.0015 + S / 2 - mass(*LOAD_7_5)
    assert point.error.value == pytest.approx(e - e0, abs=1e-12)
    # the s/2 of P and of the zero's P cancel: Ec as with R 76-1's formula
    assert point.error.value == pytest.approx(
        (7.500 - 0.0015 - mass(*LOAD_7_5)) - (0.050 - 0.002 - mass("S/50g")), abs=1e-12)
    comps = {c["name"]: c for c in point.budget["components"]}
    # the zero's search enters input by input, with its own noise term dR0
    assert comps["I0"]["value"] == pytest.approx(0.050)
    assert comps["dL0"]["value"] == pytest.approx(0.002, abs=1e-6)
    s = 0.005 / math.sqrt(3)   # stdev of (0, 5, 0) g
    assert comps["dR"]["standard_uncertainty"] == pytest.approx(s)
    assert comps["dR0"]["standard_uncertainty"] == pytest.approx(s)
    assert comps["dR"]["dof"] == 2
    assert point.budget["effective_dof"] is not None   # finite: Welch-Satterthwaite
    assert point.coverage_factor > 2.0
    # the 0.5 g pieces both searches used are correlated inputs (issue 7, item 3)
    # (3 shared pieces: cov 3 u^2 against u(dL) u(dL0) = 3 u x 4 u, linear sums)
    assert ["dL", "dL0", pytest.approx(0.25)] in point.budget["correlations"]
    assert "s pooled" in point.notes and "E0" in point.notes


def test_the_eccentricity_enters_the_budget_scaled_to_the_load():
    j = Journal()
    for pos, v in [("centre", 5.000), ("front", 5.005), ("back", 5.000), ("left", 5.000),
                   ("right", 4.995)]:
        j.weigh("eccentricity", f"eccentricity/{pos}", ("S/5kg",), v, position=pos)
    j.weigh("weighing", "weighing/01", ("S/10kg", "S/5kg"), 15.000)
    (point,) = run(j, eccentricity_step="eccentricity")
    comps = {c["name"]: c for c in point.budget["components"]}
    # half-width |dE|max * L / (2 L_ecc) = 5 g * 15 / (2 * 5)
    assert comps["dEcc"]["standard_uncertainty"] == pytest.approx(0.0075 / math.sqrt(3))
    assert comps["dEcc"]["distribution"] == "rectangular"


def test_an_overload_fails_the_point(journal: Journal):
    journal.start("weighing", "weighing/01").load("S/10kg", "S/5kg")
    journal.read("indication", None, overload=True).finish()
    (point,) = run(journal)
    assert point.decision == "fail"
    assert point.error is None and point.budget is None
    assert "no indication" in point.notes


def test_class_only_weights_use_the_class_mpe(journal: Journal):
    journal.weigh("weighing", "weighing/01", ("S/2g",), 0.0)
    (point,) = run(journal)
    comps = {c["name"]: c for c in point.budget["components"]}
    assert comps["L"]["standard_uncertainty"] == pytest.approx(1.2e-6 / math.sqrt(3))
    assert point.details["reference_basis"] == "class"


def test_unknown_options_are_refused():
    from labctl.errors import ConfigError

    with pytest.raises(ConfigError, match="analysis 'weighing_error' has no option 'rules'"):
        Options.build("weighing_error", raw_analysis("weighing_error")[1], {"rules": "x"})
    with pytest.raises(ConfigError, match="unknown decision rule 'strict'"):
        Options.build("weighing_error", raw_analysis("weighing_error")[1], {"rule": "strict"})


@pytest.mark.parametrize(("rule", "expected"), [
    ("simple", "conditional_pass"),       # E + U beyond the MPE
    ("jjf1094", "conditional_pass"),      # U > MPE/3 and |E| > MPE - U, inside the MPE
    ("guard_band_U", "conditional_fail"),  # in the guard band
])
def test_the_rule_comes_from_the_options(journal: Journal, rule, expected):
    journal.weigh("weighing", "weighing/01", ("S/10kg", "S/5kg"), 15.005)
    (point,) = run(journal, rule=rule)
    assert point.error.value == pytest.approx(0.005 - 0.00006)   # MPE 7.5 g, U 4.1 g
    assert point.rule == rule
    assert point.decision == expected


def test_change_point_with_the_load_placed_anew(journal: Journal):
    """The runner may unload and place the whole new combination when adding cannot make
    the next total: dL is what stands on the receptor at the end minus at the start."""
    j = journal
    j.start("weighing", "weighing/01").load("S/100g").read("indication", 0.100)
    j.read("change_point", 0.100, change_step=0)
    j.load(SMALL[0], add=True).read("change_point", 0.100, change_step=1)
    j.unload().load("S/100g", "S/2g").read("change_point", 0.100, change_step=2)
    j.load(SMALL[1], add=True).read("change_point", 0.105, change_step=3, change_found=True)
    j.finish()
    (point,) = run(j)
    p = 0.100 + D / 2 - 0.0025 + S / 2
    assert point.indication.value == pytest.approx(p)
    assert point.error.value == pytest.approx(p - mass("S/100g"), abs=1e-12)
    cp = point.details["change_point"]
    assert cp["additions"] == 3 and cp["step"] == pytest.approx(0.0005)
    assert cp["delta_L"] == pytest.approx(0.0025)


def test_change_point_readings_without_step_numbers_form_one_search(journal: Journal):
    j = journal
    j.start("weighing", "weighing/01").load(*LOAD_7_5).read("indication", 7.500)
    j.read("change_point", 7.500)
    for k in range(2):
        j.load(SMALL[k], add=True).read("change_point", 7.505 if k == 1 else 7.500)
    j.finish()
    (point,) = run(j)
    assert point.details["method"] == "change_point"
    assert point.indication.value == pytest.approx(7.500 + D / 2 - 0.001 + S / 2)
