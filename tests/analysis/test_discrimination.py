"""discrimination: 1.4 d added must change the indication by at least d (no budget)."""

from __future__ import annotations

import pytest
from analysis_runner import run
from weighing_journal import Journal


def _point(j: Journal, n: int, weights: tuple[str, ...], before: float, after: float,
           extra: tuple[str, ...] = ("S/5g", "S/2g")) -> None:
    j.start("discrimination", f"discrimination/{n:02d}").load(*weights)
    j.read("before", before).load(*extra, add=True).read("after", after).unload().finish()


def test_a_change_of_one_d_passes_and_none_fails():
    j = Journal()
    _point(j, 1, ("S/100g",), 0.100, 0.105)
    _point(j, 2, ("S/5kg", "S/2kg", "S/500g"), 7.500, 7.500)
    _point(j, 3, ("S/10kg", "S/5kg"), 15.000, 15.010)
    results = run("discrimination", j, "discrimination")
    assert [p.decision for p in results] == ["pass", "fail", "pass"]
    first = results[0]
    assert first.details["added_in_d"] == pytest.approx(1.4)
    assert first.details["change_in_d"] == pytest.approx(1.0)
    assert first.nominal.value == pytest.approx(0.1)
    assert first.expanded_uncertainty is None and first.budget is None
    assert "without uncertainty" in first.notes
    assert results[2].details["change_in_d"] == pytest.approx(2.0)


def test_an_extra_load_other_than_1_4_d_is_noted():
    j = Journal()
    _point(j, 1, ("S/100g",), 0.100, 0.105, extra=("S/5g",))
    (point,) = run("discrimination", j, "discrimination")
    assert "the extra load was 0.005 kg, not 1.4 d = 0.007 kg" in point.notes


def test_an_overload_fails():
    j = Journal()
    j.start("discrimination", "discrimination/01").load("S/10kg", "S/5kg")
    j.read("before", 15.0).load("S/5g", "S/2g", add=True).read("after", None, overload=True)
    j.finish()
    (point,) = run("discrimination", j, "discrimination")
    assert point.decision == "fail"
    assert "overload" in point.notes
