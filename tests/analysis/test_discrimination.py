"""discrimination: 1.4 d added must change the indication by at least d (no budget)."""

from __future__ import annotations

import pytest
from analysis_runner import run
from weighing_journal import SMALL, Journal


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


# -- the R 76-1 A.4.8.2 approach: the journal of the `discrimination` action -------------

def _r76(j: Journal, n: int, weights: tuple[str, ...], start: float,
         steps: list[float], extra: float | None,
         extra_weights: tuple[str, ...] = ("S/5g", "S/2g")) -> None:
    """Ten 0.5 g pieces (0.1 d) on ``weights``: I = ``start``, then one reading per piece
    taken off (``steps``), then, when ``extra`` is given, one piece back and 1.4 d."""
    j.start("discrimination", f"discrimination/{n:02d}").load(*weights)
    j.load(*SMALL, add=True).read("discrimination_start", start, discrimination_pieces=10)
    k = 10
    for i, value in enumerate(steps):
        k = 9 - i
        fell = value <= start - 0.005 + 1e-9
        last = fell or k == 0
        j.unload().load(*weights, *SMALL[:k])
        j.read("discrimination_step", value, discrimination_pieces=k,
               **({"discrimination_found": fell} if last else {}))
    if extra is not None:
        j.load(SMALL[k], add=True).load(*extra_weights, add=True)
        j.read("discrimination_extra", extra, discrimination_pieces=k + 1)
    j.unload().finish()


def test_r76_falls_to_i_minus_d_then_rises_to_i_plus_d_passes():
    j = Journal()
    _r76(j, 1, ("S/100g",), 0.105, [0.105, 0.105, 0.100], 0.110)
    (point,) = run("discrimination", j, "discrimination")
    assert point.decision == "pass"
    assert point.nominal.value == pytest.approx(0.1)        # the load, without the pieces
    assert point.indication.value == pytest.approx(0.110)
    d = point.details
    assert d["method"] == "R 76-1 A.4.8.2" and d["fell_at_pieces"] == 7
    assert d["change_in_d"] == pytest.approx(1.0) and d["added_in_d"] == pytest.approx(1.4)
    assert [s["pieces"] for s in d["steps"]] == [9, 8, 7]
    assert point.expanded_uncertainty is None and point.budget is None
    assert "without uncertainty" in point.notes
    assert "unloading and placing the load again with one piece fewer" in point.notes


def test_r76_a_rise_of_two_d_passes_with_a_note_and_none_fails():
    j = Journal()
    _r76(j, 1, ("S/5kg", "S/2kg", "S/500g"), 7.505, [7.500], 7.515)
    _r76(j, 2, ("S/10kg", "S/5kg"), 15.005, [15.005, 15.000], 15.005)
    high, flat = run("discrimination", j, "discrimination")
    assert high.decision == "pass" and "rose by more than d" in high.notes
    assert flat.decision == "fail"
    assert flat.details["change_in_d"] == pytest.approx(0.0)
    assert "I + 0 d" in flat.notes


def test_r76_an_indication_that_never_falls_fails():
    j = Journal()
    _r76(j, 1, ("S/100g",), 0.105, [0.105] * 10, None)
    (point,) = run("discrimination", j, "discrimination")
    assert point.decision == "fail" and point.indication is None
    assert "never fell to I - d" in point.notes
    assert [s["pieces"] for s in point.details["steps"]] == list(range(9, -1, -1))


def test_r76_an_extra_load_other_than_1_4_d_is_noted():
    j = Journal()
    _r76(j, 1, ("S/100g",), 0.105, [0.100], 0.110, extra_weights=("S/5g",))
    (point,) = run("discrimination", j, "discrimination")
    assert "the extra load was 0.005 kg, not 1.4 d = 0.007 kg" in point.notes
