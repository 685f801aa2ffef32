"""Counts in words, as the command lines and tables write them."""

from types import SimpleNamespace

from labctl.numbers import counted
from labctl.report.tables import results_count


def test_one_thing_is_singular_and_none_or_many_are_plural():
    assert counted(1, "record") == "1 record"
    assert counted(0, "record") == "0 records"
    assert counted(2, "problem") == "2 problems"
    assert counted(3, "entry", "entries") == "3 entries"
    assert counted(1, "entry", "entries") == "1 entry"


def test_a_run_of_one_point_says_result_and_point_in_the_singular():
    point = SimpleNamespace(point="weighing/01", test="weighing_error")
    assert results_count([point]) == "1 result"
    assert results_count([point], ["weighing/01"]) == "1 result from the 1 point measured"
    two = [point, SimpleNamespace(point="weighing/02", test="weighing_error")]
    assert results_count(two, ["weighing/01", "weighing/02"]) == \
        "2 results from the 2 points measured"


def test_a_point_giving_the_same_test_twice_and_many_whole_run_results_read_short():
    def result(point: str, test: str) -> SimpleNamespace:
        return SimpleNamespace(point=point, test=test)

    points = [result("standards/01", "indication_error"),
              result("standards/01", "indication_error")]
    points += [result(f"standards/value-{i}", "function_value") for i in range(1, 6)]
    said = results_count(points, ["standards/01", "zero/01", "zero/02", "zero/03", "zero/04"])
    assert said == ("7 results from the 5 points measured: standards/01 gives 2 "
                    "(indication_error twice); zero/01, zero/02, zero/03 ... (4) give none; "
                    "standards/value-1, standards/value-2, standards/value-3 ... (5) are of "
                    "the whole run")
