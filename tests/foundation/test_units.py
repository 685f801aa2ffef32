"""labctl.units: the one registry, quantities from text, dimension checks."""

from __future__ import annotations

import pytest

from labctl.errors import UnitError
from labctl.units import Q_, check_dimension, parse_quantity, parse_unit, to_float, ureg


@pytest.mark.parametrize(("text", "magnitude", "unit"), [
    ("35 ug/m^3", 35.0, "microgram / meter ** 3"),
    ("35 ug/m3", 35.0, "microgram / meter ** 3"),
    ("35 µg/m³", 35.0, "microgram / meter ** 3"),
    ("10 kg", 10.0, "kilogram"),
    ("400 umol/mol", 400.0, "micromole / mole"),
    ("2 %", 2.0, "percent"),
    ("-1.5e-3 g", -1.5e-3, "gram"),
    ("20 degC", 20.0, "degree_Celsius"),
    ("30 min", 30.0, "minute"),
])
def test_quantities_from_text(text: str, magnitude: float, unit: str) -> None:
    q = parse_quantity(text)
    assert q.magnitude == pytest.approx(magnitude)
    assert q.units == ureg.Unit(unit)


def test_a_bare_number_takes_the_unit_given_and_a_quantity_passes_through() -> None:
    assert parse_quantity(5, "g") == Q_(5.0, "g")
    q = Q_(3.0, "kg")
    assert parse_quantity(q) is q
    assert parse_quantity("7") == Q_(7.0, "dimensionless")


def test_concentration_and_mass_do_not_mix() -> None:
    with pytest.raises(UnitError) as err:
        parse_quantity("10 kg", expect="ug/m^3", where="bench.yaml:3:5")
    text = str(err.value)
    assert text.startswith("bench.yaml:3:5: quantity in kg does not fit")
    assert "[mass] / [length] ** 3" in text and "\n" not in text


@pytest.mark.parametrize("bad", ["ten kg", "10 furlongz", "", "kg 10", True, [1, 2]])
def test_unreadable_quantities_are_one_clear_error(bad: object) -> None:
    with pytest.raises(UnitError) as err:
        parse_quantity(bad, where="f.yaml:1:1")
    assert str(err.value).startswith("f.yaml:1:1: ")


def test_a_unit_given_twice_is_refused() -> None:
    with pytest.raises(UnitError, match="give the unit once"):
        parse_quantity("5 g", "kg")


def test_dimension_checks_and_conversions() -> None:
    check_dimension(Q_(1, "mg"), "kg")
    check_dimension(parse_unit("umol/mol"), "%")  # both dimensionless ratios
    with pytest.raises(UnitError):
        check_dimension(Q_(1, "K"), "mm", what="temperature")
    assert to_float(Q_(1500, "g"), "kg") == pytest.approx(1.5)
    with pytest.raises(UnitError, match="cannot express"):
        to_float(Q_(1, "s"), "kg")


def test_the_unit_parse_is_cached() -> None:
    assert parse_unit("ug/m^3") is parse_unit("ug/m^3")
