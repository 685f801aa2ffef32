"""choose_weights: distinct pieces, nominal sum equal to the load, fewest pieces."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labctl.errors import RunError, UnitError
from labctl.procedures.weighing.weight_choice import choose_weights
from labctl.register import load_register
from labctl.units import Q_

from .helpers import REGISTER

SET = load_register(REGISTER).parts("M1-A")
NOMINAL = {w.id: w.nominal for w in SET}


def total(ids: tuple[str, ...]) -> float:
    return sum(NOMINAL[i].m_as("mg") for i in ids)


# The loads of the scale procedure on the shipped bench (Max 15 kg, e = d = 5 g, Min 100 g)
# and the change-point steps of 0.1 e.
LOADS = ["7 g", "100 g", "107 g", "2.5 kg", "10 kg", "7.5 kg", "7.507 kg", "5 kg", "15 kg",
         "15.007 kg", "0.5 g", "1 g", "1.5 g", "2.5 g", "4.5 g", "100.5 g", "7500.5 g"]


@pytest.mark.parametrize("load", LOADS)
def test_shipped_set_makes_every_load_of_the_scale_procedure(load: str) -> None:
    ids = choose_weights(Q_(load), SET)
    assert len(set(ids)) == len(ids)
    assert total(ids) == pytest.approx(Q_(load).m_as("mg"), abs=1e-6)


def test_fewest_pieces_and_larger_first() -> None:
    assert choose_weights(Q_(15, "kg"), SET) == ("M1-A/10kg", "M1-A/5kg")
    assert choose_weights(Q_(4, "kg"), SET) == ("M1-A/2kg", "M1-A/2kg*")
    assert choose_weights(Q_(7, "g"), SET) == ("M1-A/5g", "M1-A/2g")
    assert choose_weights(Q_(1.4 * 5, "g"), SET) == ("M1-A/5g", "M1-A/2g")  # float noise


def test_exclude_pieces_already_on_the_receptor() -> None:
    first = choose_weights(Q_(2, "kg"), SET)
    second = choose_weights(Q_(2, "kg"), SET, exclude=first)
    assert first == ("M1-A/2kg",) and second == ("M1-A/2kg*",)
    third = choose_weights(Q_(2, "kg"), SET, exclude=first + second)
    assert total(third) == pytest.approx(2e6) and len(third) > 1


def test_mapping_of_nominals_and_zero() -> None:
    pieces = {"a": Q_(1, "g"), "b": Q_(2, "g"), "c": Q_(2, "g")}
    assert choose_weights(Q_(4, "g"), pieces) == ("b", "c")
    assert choose_weights(Q_(0, "g"), pieces) == ()


def test_a_load_the_set_cannot_make_is_one_clear_line() -> None:
    with pytest.raises(RunError) as info:
        choose_weights(Q_(7.3, "g"), SET)
    text = str(info.value)
    assert "\n" not in text
    assert re.search(r"weight set M1-A cannot make a load of 7.3 g", text), text
    with pytest.raises(RunError, match="weigh less"):
        choose_weights(Q_(30, "kg"), SET)
    with pytest.raises(RunError, match="without M1-A/2g, M1-A/5g"):
        choose_weights(Q_(7, "g"), SET, exclude=("M1-A/5g", "M1-A/2g"))


def test_a_load_in_the_wrong_unit_is_refused() -> None:
    with pytest.raises(UnitError,
                       match=r"test load in .*g/m.* does not fit: expected a unit of \[mass\]"):
        choose_weights(Q_(35, "ug/m^3"), SET)


# -- properties ---------------------------------------------------------------------------

PIECE_MG = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000,
            100_000, 200_000, 500_000, 1_000_000, 2_000_000, 5_000_000, 10_000_000]
sets = st.lists(st.sampled_from(PIECE_MG), min_size=1, max_size=12)


def pieces_of(values: list[int]) -> dict[str, object]:
    return {f"w{i}": Q_(v, "mg") for i, v in enumerate(values)}


@settings(max_examples=100, deadline=None)
@given(values=sets, data=st.data())
def test_any_sum_of_distinct_pieces_is_found_with_fewest_pieces(values: list[int],
                                                                 data: st.DataObject) -> None:
    pieces = pieces_of(values)
    subset = data.draw(st.lists(st.sampled_from(sorted(pieces)), unique=True, min_size=1))
    target = sum(values[int(i[1:])] for i in subset)
    found = choose_weights(Q_(target, "mg"), pieces)
    assert len(set(found)) == len(found)
    assert sum(values[int(i[1:])] for i in found) == target
    # fewest: no smaller combination of distinct pieces makes the target
    for size in range(1, len(found)):
        for combo in itertools.combinations(values, size):
            assert sum(combo) != target


@settings(max_examples=100, deadline=None)
@given(values=sets, target=st.integers(min_value=1, max_value=40_000_000))
def test_found_or_truly_impossible(values: list[int], target: int) -> None:
    pieces = pieces_of(values)
    possible = any(sum(c) == target for n in range(1, len(values) + 1)
                   for c in itertools.combinations(values, n))
    if possible:
        found = choose_weights(Q_(target, "mg"), pieces)
        assert sum(values[int(i[1:])] for i in found) == target
    else:
        with pytest.raises(RunError):
            choose_weights(Q_(target, "mg"), pieces)
