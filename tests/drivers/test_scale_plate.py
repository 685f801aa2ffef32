"""The data plate of a scale driver: options from the bench file, checked against OIML R76-1."""

from __future__ import annotations

import pytest

from labctl.drivers.weighing.and_scale import AndScale
from labctl.drivers.weighing.mtsics_scale import MtSicsScale
from labctl.errors import ConfigError, UnitError
from labctl.units import Q_

from .transcript import Transcript

#: what a unit of another dimension than mass is refused with
NOT_A_MASS = r"quantity in \w+ does not fit: expected a unit of \[mass\]"


def plate(**options):
    return MtSicsScale(Transcript([]), name="dut", **options)


def test_defaults_from_the_class():
    s = plate(max="15 kg", e="5 g", **{"class": "III"})
    assert s.d == Q_(5, "g") and s.min_load == Q_(100, "g") and s.unit == Q_(1, "kg").units
    assert plate(max="220 g", e="1 mg", d="0.1 mg", **{"class": "I"}).min_load == Q_(100, "mg")
    assert plate(max="620 g", e="0.01 g", d="0.001 g", **{"class": "II"}).min_load == \
        Q_(0.2, "g")
    assert plate(max="6200 g", e="0.1 g", **{"class": "II"}).min_load == Q_(5, "g")
    assert plate(max="10 kg", e="10 g", **{"class": "IIII"}).min_load == Q_(100, "g")
    assert plate(max="15 kg", d="5 g").min_load is None and plate(max="15 kg", d="5 g").e == \
        Q_(5, "g")


def test_spellings_of_the_class_and_explicit_min():
    s = plate(max="15 kg", e="5 g", min="40 g", **{"class": "3"})
    assert s.accuracy_class == "III" and s.min_load == Q_(40, "g")


def test_every_quantity_of_the_plate_needs_its_unit():
    s = plate(max="15000 g", e="5 g", d="5 g", unit="g")
    assert s.capacity == Q_(15, "kg") and s.unit == Q_(1, "g").units
    with pytest.raises(ConfigError, match="max: 15 has no unit: expected a mass"):
        plate(max=15, e="5 g")
    # the unit option says how the scale indicates, not what bare numbers mean
    with pytest.raises(ConfigError, match=r"e: 5 has no unit: expected a mass .*'5 g'"):
        plate(max="15 kg", e=5, unit="g")


def test_and_scale_takes_the_same_plate():
    assert AndScale(Transcript([]), name="ad", max="30 kg", e="10 g").capacity == Q_(30, "kg")


@pytest.mark.parametrize("options, error, words", [
    ({"e": "5 g"}, ConfigError, "capacity"),
    ({"max": "15 kg"}, ConfigError, "scale interval"),
    ({"max": "15 kg", "e": "5 g", "d": "10 g"}, ConfigError, "larger than e"),
    ({"max": "15 kg", "e": "3 g"}, ConfigError, "1, 2 or 5"),
    ({"max": "15 kg", "e": "20 kg"}, ConfigError, "larger than Max"),
    ({"max": "15 kg", "e": "5 g", "d": "1 g", "class": "III"}, ConfigError, "e = d"),
    ({"max": "220 g", "e": "1 g", "d": "0.01 g", "class": "II"}, ConfigError, "10 d"),
    ({"max": "15 kg", "e": "1 g", "class": "III"}, ConfigError, "n = Max/e = 15000"),
    ({"max": "15 kg", "e": "5 g", "class": "V"}, ConfigError, "accuracy class"),
    ({"max": "15 kg", "e": "5 g", "min": "20 kg"}, ConfigError, "Min"),
    ({"max": "15 L", "e": "5 g"}, UnitError, NOT_A_MASS),
    ({"max": "15 kg", "e": "5 g", "unit": "L"}, UnitError, "mass"),
    ({"max": "15 kg", "e": "5 g", "stable_timeout": "-3 s"}, ConfigError, "positive"),
    ({"max": "15 kg", "e": "5 g", "colour": "red"}, ConfigError, "unknown option colour"),
])
def test_bad_plates_are_refused(options, error, words):
    with pytest.raises(error, match=words) as err:
        plate(**options)
    assert "dut" in str(err.value)
