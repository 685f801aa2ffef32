"""Grouping journal events per step and point: only the finished attempt of each point."""

from __future__ import annotations

import pytest
from weighing_journal import Journal

from labctl.analysis.weighing.journal_view import JournalView, JournalViewError, weights_added


def test_only_the_finished_attempt_of_a_restarted_point_counts(journal: Journal):
    j = journal.plan([("weighing", "weighing/01", {"load": 7.5}),
                      ("weighing", "weighing/02", {"load": 15.0})])
    # attempt 1 read, then the run died before point_finished
    j.start("weighing", "weighing/01", 1).load("S/5kg", "S/2kg", "S/500g")
    j.read("indication", 7.600)
    j.emit("resumed_run", attempt=2, from_seq=len(j.events))
    j.weigh("weighing", "weighing/01", ("S/5kg", "S/2kg", "S/500g"), 7.505, attempt=2)
    view = JournalView(j.events).step("weighing")
    assert [p.point for p in view.points] == ["weighing/01"]
    assert view.unfinished == ("weighing/02",)
    point = view.points[0]
    assert point.attempt == 2
    assert [r.value for r in point.readings] == [7.505]
    assert point.reading("indication").value == 7.505
    assert point.variable("load") == (7.5, "kg")


def test_each_reading_knows_the_weights_on_the_receptor(journal: Journal):
    j = journal
    j.start("tare", "tare/01").load("S/5kg").read("tare", 0.0)
    j.load("S/2kg", "S/500g", add=True).read("indication", 2.5)
    j.unload().read("zero", -5.0).finish()
    point = JournalView(j.events).step("tare").points[0]
    tare, ind, zero = point.readings
    assert tare.weights == ("S/5kg",)
    assert ind.weights == ("S/2kg", "S/500g", "S/5kg")
    assert weights_added(tare, ind) == ("S/2kg", "S/500g")
    assert zero.weights == () and zero.position is None
    assert ind.position == "centre"


def test_a_placement_replaces_what_stood_on_the_receptor(journal: Journal):
    j = journal
    j.start("eccentricity", "e/01").load("S/5kg", position="front").read("indication", 5.0)
    j.load("S/2kg", position="left").read("indication", 2.0).finish()
    first, second = JournalView(j.events).step("eccentricity").points[0].readings
    assert (first.weights, first.position) == (("S/5kg",), "front")
    assert (second.weights, second.position) == (("S/2kg",), "left")


def test_points_come_in_plan_order_and_unknown_steps_are_empty(journal: Journal):
    j = journal.plan([("w", "w/01", {}), ("w", "w/02", {}), ("w", "w/03", {})])
    j.weigh("w", "w/03", ("S/5kg",), 5.0)
    j.weigh("w", "w/01", ("S/100g",), 0.1)
    view = JournalView(j.events)
    assert [p.point for p in view.step("w").points] == ["w/01", "w/03"]
    assert not view.step("nothing")
    assert view.parameters["category"] == "initial"


def test_readings_outside_points_are_kept_apart(journal: Journal):
    j = journal
    j.tags = {"step": "weighing", "point": None}
    j.read("zero", 0.0)
    j.weigh("weighing", "weighing/01", ("S/100g",), 0.1)
    step = JournalView(j.events).step("weighing")
    assert [r.name for r in step.other_readings] == ["zero"]
    assert [r.name for r in step.points[0].readings] == ["indication"]


def test_a_missing_reading_names_what_the_point_has(journal: Journal):
    journal.weigh("w", "w/01", ("S/100g",), 0.1)
    point = JournalView(journal.events).step("w").points[0]
    with pytest.raises(JournalViewError, match="no reading 'result'.*readings of this "
                                               "point: indication"):
        point.reading("result")


def test_events_are_taken_in_seq_order(journal: Journal):
    journal.weigh("w", "w/01", ("S/100g",), 0.1)
    shuffled = list(reversed(journal.events))
    point = JournalView(shuffled).step("w").points[0]
    assert point.readings[0].weights == ("S/100g",)


def test_the_plan_gives_the_direction_of_each_point(journal: Journal):
    journal.emit("plan", points=[
        {"point": "w/01", "step": "w", "index": 0, "direction": "up", "variables": {}},
        {"point": "w/02", "step": "w", "index": 1, "direction": "down", "variables": {}},
    ])
    journal.weigh("w", "w/02", ("S/100g",), 0.1)
    journal.weigh("w", "w/01", ("S/5kg",), 5.0)
    points = JournalView(journal.events).step("w").points
    assert [(p.point, p.direction) for p in points] == [("w/01", "up"), ("w/02", "down")]
