"""zero_setting: the zero error E0 at 10 e within 0.25 e."""

from __future__ import annotations

import math

import pytest
from analysis_runner import run
from weighing_journal import SMALL, STANDARDS, Journal, mass

from labctl.uncertainty import coverage_factor

D = 0.005
S = 0.0005   # one change-point addition, 0.1 e: P = I + d/2 - dL + s/2


def test_change_point_zero_error_within_a_quarter_e():
    j = Journal()
    j.start("zero_setting", "zero_setting/01").unload().load("S/50g").read("indication", 0.05)
    j.change_point(0.050, rises_after=4).unload().finish()
    (point,) = run("zero_setting", j, "zero_setting", monte_carlo_trials=0)
    e0 = 0.050 + D / 2 - 0.002 + S / 2 - mass("S/50g")      # +0.7506 g
    assert point.error.value == pytest.approx(e0, abs=1e-12)
    assert point.indication.value == pytest.approx(0.050 + D / 2 - 0.002 + S / 2)
    assert point.mpe.value == pytest.approx(0.25 * D)
    comps = {c["name"]: c for c in point.budget["components"]}
    # + buoyancy, drift, and the search's noise floored at step/sqrt(12) (issue 7)
    u = math.sqrt((0.00025 / math.sqrt(3)) ** 2 + (4 * STANDARDS[SMALL[0]]["u"]["value"] / 1e6)
                  ** 2 + (0.5e-6) ** 2 + (0.0005 / math.sqrt(12)) ** 2
                  + comps["dB"]["standard_uncertainty"] ** 2
                  + comps["dD"]["standard_uncertainty"] ** 2)
    assert point.expanded_uncertainty.value == pytest.approx(coverage_factor(0.9545) * u)
    assert point.decision == "pass"
    assert point.budget["measurand"] == "E0"
    # decided on R 76-1's P = I + e/2 - dL, the centred value kept as information
    assert point.details["E0_r76"] == pytest.approx(e0 - S / 2, abs=1e-12)
    assert point.details["E0_centred"] == pytest.approx(e0, abs=1e-12)


def test_a_zero_off_by_half_an_e_fails():
    j = Journal()
    j.start("zero_setting", "zero_setting/01").load("S/50g").read("indication", 0.05)
    j.change_point(0.050, rises_after=1).finish()   # E0 = 2.5 - 0.5 + 0.25 = 2.25 g > 1.25 g
    (point,) = run("zero_setting", j, "zero_setting")
    assert point.error.value == pytest.approx(0.002 + S / 2 + 0.0000006)
    assert point.decision == "fail"


def test_the_limit_is_not_doubled_in_service():
    j = Journal()
    j.weigh("zero_setting", "zero_setting/01", ("S/50g",), 0.05)
    (point,) = run("zero_setting", j, "zero_setting", category="in_service")
    assert point.mpe.value == pytest.approx(0.25 * D)


def test_without_change_point_the_rounding_hides_the_zero_error():
    j = Journal()
    j.weigh("zero_setting", "zero_setting/01", ("S/50g",), 0.05)
    (point,) = run("zero_setting", j, "zero_setting")
    assert point.decision == "conditional_pass"
    assert "zero errors below d/2 do not show" in point.notes
