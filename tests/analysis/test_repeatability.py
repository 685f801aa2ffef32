"""repeatability: the range of repeated weighings against the absolute MPE at the load,
with the standard deviation reported."""

from __future__ import annotations

import math
import statistics

import pytest
from analysis_runner import run
from weighing_journal import Journal

from labctl.uncertainty import coverage_factor

HALF = ("S/5kg", "S/2kg", "S/500g")
FULL = ("S/10kg", "S/5kg")


def _journal(half: list[float], full: list[float]) -> Journal:
    j = Journal()
    n = 0
    for weights, values in ((HALF, half), (FULL, full)):
        for v in values:
            n += 1
            j.start("repeatability", f"repeatability/{n:02d}").load(*weights)
            j.read("indication", v).unload().read("zero", 0.0).finish()
    return j


def test_range_and_standard_deviation_per_load():
    half, full = [7.500, 7.505, 7.500], [15.000, 15.000, 15.010]
    results = run("repeatability", _journal(half, full), "repeatability",
                  monte_carlo_trials=0)
    assert [p.nominal.value for p in results] == pytest.approx([7.5, 15.0])
    first, second = results
    assert first.error.value == pytest.approx(0.005)
    assert first.details["s"] == pytest.approx(statistics.stdev(half))
    assert first.details["n"] == 3
    assert first.indication.value == pytest.approx(statistics.mean(half))
    assert first.mpe.value == pytest.approx(0.005)
    # two rounded indications: u = d / sqrt(6)
    big_u = coverage_factor(0.9545) * 0.005 / math.sqrt(6)
    assert first.expanded_uncertainty.value == pytest.approx(big_u)
    # range 5 g <= 5 g (a conditional pass by the range alone), but 7.505 kg is 5.03 g
    # above its conventional mass: a single result beyond the MPE fails (R 76-1 3.6)
    assert first.details["results_beyond_mpe"] == ["repeatability/02"]
    assert first.decision == "fail"
    assert second.error.value == pytest.approx(0.010)
    assert second.mpe.value == pytest.approx(0.0075)
    assert second.decision == "fail"  # 10 g > 7.5 g; and 15.010 kg is 9.9 g off
    assert second.details["points"] == ["repeatability/04", "repeatability/05",
                                        "repeatability/06"]
    assert "range 0.01 kg of 3 weighings" in second.notes


def test_a_steady_scale_passes_and_short_series_are_noted():
    results = run("repeatability", _journal([7.5, 7.5, 7.5], [15.0, 15.0]), "repeatability")
    assert [p.decision for p in results] == ["pass", "pass"]
    assert results[0].details["s"] == 0.0
    assert "asks 3 for class III" not in results[0].notes
    assert "2 weighings; JJG 539-2016 asks 3 for class III" in results[1].notes


def test_an_individual_error_beyond_the_mpe_fails_the_series():
    """Range 0, but every result 10 g off at 7.5 kg (MPE 5 g): R 76-1 3.6 fails it."""
    (point, _) = run("repeatability", _journal([7.510, 7.510, 7.510], [15.0, 15.0, 15.0]),
                     "repeatability")
    assert point.error.value == 0.0
    assert point.decision == "fail"
    assert "exceeds the MPE" in point.notes


def test_change_point_values_are_used_when_present():
    j = Journal()
    for n in range(1, 4):
        j.start("repeatability", f"repeatability/{n:02d}").load(*HALF)
        j.read("indication", 7.5).change_point(7.5, rises_after=n + 1).unload().finish()
    (point,) = run("repeatability", j, "repeatability")
    # P = I + d/2 - dL + s/2 with dL = 1.0, 1.5, 2.0 g: range 1 g (the s/2 cancel),
    # mean 7.5 + 2.5 - 1.5 + 0.25 g
    assert point.error.value == pytest.approx(0.001)
    assert point.details["mean"] == pytest.approx(7.5 + 0.0025 - 0.0015 + 0.00025)
    assert point.details["methods"] == ["change_point"]
    assert point.decision == "pass"
