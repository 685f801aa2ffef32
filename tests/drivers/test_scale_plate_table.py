"""The data-plate checks of the scale drivers read OIML R 76-1 Table 3 and the
scale-interval rules from labctl/data/oiml-r76-1-2006.yaml (no numbers in the driver)."""

from __future__ import annotations

import pytest

import labctl.drivers.weighing.scale as scale_module
import labctl.metrology.weighing.data_plate as data_plate_module
from labctl.drivers.weighing.mtsics_scale import MtSicsScale
from labctl.errors import ConfigError
from labctl.metrology.weighing.scale_classes import ClassTable, load_class_table
from labctl.units import Q_

from .transcript import Transcript


def plate(**options):
    return MtSicsScale(Transcript([]), name="dut", **options)


def test_the_driver_holds_no_class_table():
    for name in ("N_LIMITS", "minimum_capacity_in_e", "ACCURACY_CLASSES", "load_class_table",
                 "_check_class"):
        assert not hasattr(scale_module, name)  # the R 76-1 rules live in metrology


@pytest.mark.parametrize(("options", "minimum"), [
    ({"max": "3 kg", "e": "1 g", "class": "III"}, Q_(20, "g")),      # III, 0.1 g <= e <= 2 g
    ({"max": "30 kg", "e": "10 g", "class": "III"}, Q_(200, "g")),   # III, 5 g <= e
    ({"max": "620 g", "e": "0.01 g", "d": "0.001 g", "class": "II"}, Q_(0.2, "g")),
    ({"max": "6200 g", "e": "0.1 g", "d": "0.01 g", "class": "II"}, Q_(5, "g")),
    ({"max": "500 kg", "e": "500 g", "class": "IIII"}, Q_(5, "kg")),
])
def test_min_comes_from_the_row_of_the_class_and_e(options, minimum):
    assert plate(**options).min_load == minimum


@pytest.mark.parametrize(("options", "words"), [
    ({"max": "15 kg", "e": "50 mg", "class": "III"}, "e = 50 mg is outside the range"),
    ({"max": "15 kg", "e": "2 g", "class": "IIII"}, "outside the range"),
    ({"max": "20 kg", "e": "1 g", "class": "IIII"}, "outside the range"),
    ({"max": "15 kg", "e": "1 g", "class": "III"}, "n = Max/e = 15000 is outside 100..10000"),
    ({"max": "1 kg", "e": "1 g", "class": "I"}, "n = Max/e = 1000 is outside >= 50000"),
    ({"max": "15 kg", "e": "5 g", "d": "1 g", "class": "IIII"}, "class IIII requires e = d"),
    ({"max": "220 g", "e": "1 g", "d": "0.01 g", "class": "II"}, "is more than 10 d"),
    ({"max": "15 kg", "e": "4 g"}, "is not 1, 2 or 5 times a power of ten"),
])
def test_refusals_name_the_place_and_the_rule(options, words):
    with pytest.raises(ConfigError, match=words) as err:
        plate(**options)
    assert "instrument 'dut'" in str(err.value) and "OIML R76-1" in str(err.value)


def test_the_checks_follow_the_data_file(monkeypatch):
    """Another table (say a national edition allowing e = d only for class IIII)
    changes what the driver accepts, without touching the driver."""
    real = load_class_table()
    other = ClassTable(key="other", document="Other 2030", classes=real.classes,
                       mantissas=real.mantissas, e_equals_d=frozenset({"IIII"}),
                       max_e_over_d=real.max_e_over_d)
    monkeypatch.setattr(data_plate_module, "load_class_table", lambda: other)
    assert plate(max="15 kg", e="5 g", d="1 g", **{"class": "III"}).d == Q_(1, "g")
