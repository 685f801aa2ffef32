"""The record model: validation, the overall decision, JSON round trips."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from labctl.registry.errors import RecordError
from labctl.registry.record import Record, new_record_id, overall_decision
from labctl.results import PointResult


@pytest.fixture
def points(point):
    def make(*decisions: str) -> list[PointResult]:
        return [PointResult.model_validate(point(i, d)) for i, d in enumerate(decisions)]

    return make


@pytest.mark.parametrize(("decisions", "overall"), [
    (("pass", "pass"), "pass"),
    (("pass", "fail", "conditional_pass"), "fail"),
    (("pass", "conditional_fail", "conditional_pass"), "conditional_fail"),
    (("pass", "conditional_pass"), "conditional_pass"),
    (("conditional_fail", "fail"), "fail"),
])
def test_overall_decision_takes_the_worst_point(points, decisions, overall):
    assert overall_decision(points(*decisions)) == overall


def test_overall_decision_of_no_points_is_an_error():
    with pytest.raises(RecordError, match="at least one point"):
        overall_decision([])


def test_decision_is_computed_when_left_out(make_record, point):
    record = make_record(points=[point(0), point(1, "conditional_pass"), point(2)])
    assert record.decision == "conditional_pass"


def test_a_decision_that_does_not_follow_from_the_points_is_refused(record_data, point):
    with pytest.raises(ValidationError, match="does not follow from the points"):
        Record.model_validate(record_data(points=[point(0, "fail")], decision="pass"))


def test_points_may_be_analysis_objects_dicts_or_mixed(make_record, points, point):
    objects = points("pass", "pass")
    record = make_record(points=[objects[0], point(1)])
    assert [p.point for p in record.points] == ["weighing/00", "weighing/01"]
    assert all(isinstance(p, PointResult) for p in record.points)


def test_infinite_degrees_of_freedom_in_a_budget_become_null(make_record):
    record = make_record()
    budget = record.points[0].budget
    assert budget["nu_eff"] is None
    assert budget["components"][0]["dof"] is None
    assert budget["u_c"] == 0.0006


def test_nan_in_a_budget_is_refused_with_its_place(record_data, point):
    p = point(0)
    p["budget"] = {"u_c": math.nan}
    with pytest.raises(ValidationError, match=r"budget\.u_c: NaN"):
        Record.model_validate(record_data(points=[p]))


def test_non_finite_quantity_is_refused(record_data, point):
    p = point(0)
    p["error"] = {"value": math.inf, "unit": "kg"}
    with pytest.raises(ValidationError, match="finite"):
        Record.model_validate(record_data(points=[p]))


def test_times_must_carry_an_offset_and_are_stored_in_utc(make_record):
    with pytest.raises(ValidationError, match="UTC offset"):
        make_record(started="2024-05-06T08:30:00")
    record = make_record(started="2024-05-06T10:30:00+02:00",
                         finished="2024-05-06T09:00:00.250000Z")
    doc = record.document()
    assert doc["started"] == "2024-05-06T08:30:00Z"
    assert doc["finished"] == "2024-05-06T09:00:00.250000Z"


def test_finished_before_started_is_refused(make_record):
    with pytest.raises(ValidationError, match="finished is before started"):
        make_record(started="2024-05-06T10:00:00Z", finished="2024-05-06T09:00:00Z")


def test_ids_are_uuids_normalised_to_lowercase(make_record):
    upper = new_record_id().upper()
    assert make_record(id=upper).id == upper.lower()
    with pytest.raises(ValidationError, match="not a UUID"):
        make_record(id="run-42")
    with pytest.raises(ValidationError, match="supersede itself"):
        rid = new_record_id()
        make_record(id=rid, supersedes=rid)


def test_unknown_fields_and_empty_points_are_refused(record_data):
    with pytest.raises(ValidationError, match="Extra inputs"):
        Record.model_validate(record_data(opertor="typo"))
    with pytest.raises(ValidationError, match="at least 1 item"):
        Record.model_validate(record_data(points=[]))


def test_environment_range_must_be_ordered(record_data):
    env = {"source": "measured",
           "temperature": {"min": 21.0, "max": 20.0, "mean": 20.5, "unit": "degC"}}
    with pytest.raises(ValidationError, match="min <= mean <= max"):
        Record.model_validate(record_data(environment=env))


def test_record_is_immutable(make_record):
    record = make_record()
    with pytest.raises(ValidationError):
        record.lab = "another lab"  # type: ignore[misc]


def test_json_round_trip_gives_the_same_record_and_bytes(make_record):
    record = make_record(parameters={"big": 1e20, "n": 3, "list": [1.5, "x"]})
    text = record.canonical_json()
    again = Record.from_json(text)
    assert again == record
    assert again.canonical_json() == text


def test_json_round_trip_beyond_what_orjson_reads_plainly(make_record):
    # 2**60 is written as an integer beyond 2**53: orjson reads it as an int, the record's
    # reader takes the slower path that reads it as the float it was, and NaN is refused
    record = make_record(parameters={"huge": 2.0**60, "tiny": 1e-7})
    text = record.canonical_json()
    assert b"1152921504606847000" in text
    again = Record.from_json(text)
    assert again == record
    assert again.canonical_json() == text
    with pytest.raises(ValidationError, match="NaN"):
        Record.from_json(text.replace(b'"tiny":1e-7', b'"tiny":NaN'))


def test_linked_to_clears_the_signature(make_record):
    record = make_record().model_copy(update={"hash": "c" * 64, "signature": "s",
                                              "key_id": "0" * 16})
    linked = record.linked_to("d" * 64)
    assert (linked.previous, linked.hash, linked.signature, linked.key_id) == \
        ("d" * 64, None, None, None)
    assert linked.content() == record.content()


def test_operators_and_accepted_changes_appear_only_when_set(make_record):
    """Records made before these members existed keep their document (and hash)."""
    plain = make_record()
    assert "operators" not in plain.document() and "accepted_changes" not in plain.document()
    assert Record.from_json(plain.canonical_json()) == plain
    change = {"file": "register", "path": "benches/register.yaml", "was": "a" * 64,
              "now": "b" * 64, "reason": "M1-A recalibrated during the stop"}
    resumed = make_record(operators=["L. Wang", "H. Zhou"], accepted_changes=[change])
    document = resumed.document()
    assert document["operators"] == ["L. Wang", "H. Zhou"]
    assert document["accepted_changes"] == [change]
    assert Record.from_json(resumed.canonical_json()) == resumed
    with pytest.raises(ValidationError):
        make_record(accepted_changes=[{**change, "reason": ""}])
