"""eccentricity: the error at each position, judged against the MPE at the load, and its
difference to the centre."""

from __future__ import annotations

import pytest
from analysis_runner import run
from weighing_journal import Journal, mass

POSITIONS = ["centre", "front", "back", "left", "right"]


def _journal(values: list[float]) -> Journal:
    j = Journal()
    for pos, v in zip(POSITIONS, values, strict=True):
        j.start("eccentricity", f"eccentricity/{pos}").load("S/5kg", position=pos)
        j.read("indication", v).unload().finish()
    return j


def test_each_position_is_decided_against_the_mpe_at_the_load():
    results = run("eccentricity", _journal([5.000, 5.005, 5.000, 4.995, 5.010]),
                  "eccentricity")
    assert [p.details["position"] for p in results] == POSITIONS
    L = mass("S/5kg")
    assert [p.error.value for p in results] == pytest.approx(
        [v - L for v in [5.000, 5.005, 5.000, 4.995, 5.010]])
    assert all(p.mpe.value == pytest.approx(0.005) for p in results)   # 1000 e: 1 e
    assert [p.details["difference_to_centre"] for p in results] == pytest.approx(
        [0.0, 0.005, 0.0, -0.005, 0.010])
    # 10 g off at the right: beyond 5 g even after U = 4.1 g
    assert [p.decision for p in results] == ["pass", "conditional_fail", "pass",
                                             "conditional_pass", "fail"]
    assert "difference to the centre +0.01 kg" in results[4].notes
    names = [c["name"] for c in results[0].budget["components"]]
    assert "dEcc" not in names


def test_without_a_centre_reading_the_difference_is_not_given():
    j = Journal()
    j.start("eccentricity", "eccentricity/front").load("S/5kg", position="front")
    j.read("indication", 5.0).finish()
    (point,) = run("eccentricity", j, "eccentricity")
    assert "difference_to_centre" not in point.details
    assert "no centre reading" in point.notes
