"""The MPE table of labctl/data/mpe/jjg539-2016.yaml against the published values
(OIML R 76-1:2006 Tables 3 and 6, used by JJG 539-2016)."""

from __future__ import annotations

import pytest

from labctl.analysis.weighing.weighing_mpe import load_mpe_table
from labctl.errors import ConfigError


@pytest.fixture(scope="module")
def table():
    return load_mpe_table("jjg539-2016")


# (class, load in e, MPE in e on initial verification): each band's ends and insides
PUBLISHED = [
    ("III", 0, 0.5), ("III", 20, 0.5), ("III", 500, 0.5), ("III", 501, 1.0),
    ("III", 2000, 1.0), ("III", 2000.5, 1.5), ("III", 10000, 1.5),
    ("II", 0, 0.5), ("II", 5000, 0.5), ("II", 5001, 1.0), ("II", 20000, 1.0),
    ("II", 20001, 1.5), ("II", 100000, 1.5),
    ("I", 0, 0.5), ("I", 50000, 0.5), ("I", 50001, 1.0), ("I", 200000, 1.0),
    ("I", 200001, 1.5), ("I", 5_000_000, 1.5),
    ("IIII", 0, 0.5), ("IIII", 50, 0.5), ("IIII", 51, 1.0), ("IIII", 200, 1.0),
    ("IIII", 201, 1.5), ("IIII", 1000, 1.5),
]


@pytest.mark.parametrize(("cls", "load", "mpe"), PUBLISHED)
def test_initial_verification_mpe_is_the_published_value(table, cls, load, mpe):
    assert table.mpe_in_e(load, cls, "initial") == mpe


@pytest.mark.parametrize(("cls", "load", "mpe"), PUBLISHED)
def test_subsequent_verification_equals_initial_and_in_service_doubles(table, cls, load, mpe):
    assert table.mpe_in_e(load, cls, "subsequent") == mpe
    assert table.mpe_in_e(load, cls, "in_service") == 2 * mpe


def test_mpe_in_the_scale_unit(table):
    # Max 15 kg, e = 5 g: 2.5 kg is 500 e (0.5 e = 2.5 g), 7.5 kg is 1500 e (5 g)
    assert table.mpe(2.5, 0.005, "III") == pytest.approx(0.0025)
    assert table.mpe(7.5, 0.005, "III") == pytest.approx(0.005)
    assert table.mpe(15.0, 0.005, "III") == pytest.approx(0.0075)
    assert table.mpe(15.0, 0.005, "III", "in_service") == pytest.approx(0.015)


def test_a_load_computed_in_floating_point_stays_in_its_band(table):
    e = 0.005
    load = 500 * e  # 2.5000000000000004 / 0.005 is not exactly 500
    assert table.mpe(load, e, "III") == pytest.approx(0.0025)


@pytest.mark.parametrize(("cls", "e", "minimum"), [
    ("I", (1, "mg"), 100), ("II", (10, "mg"), 20), ("II", (0.1, "g"), 50),
    ("III", (0.5, "g"), 20), ("III", (5, "g"), 20), ("IIII", (10, "g"), 10),
])
def test_minimum_capacity(table, cls, e, minimum):
    assert table.min_capacity_in_e(cls, e) == minimum


def test_repetitions_and_limits_of_the_other_tests(table):
    assert table.repetitions == {"I": 6, "II": 6, "III": 3, "IIII": 3}
    assert table.zero_setting_mpe == 0.25
    assert table.discrimination_added == 1.4
    assert table.discrimination_change == 1.0
    assert table.document == "JJG 539-2016"


def test_a_load_beyond_the_table_is_refused(table):
    with pytest.raises(ConfigError, match="above the JJG 539-2016 table for class III"):
        table.mpe_in_e(10001, "III")


def test_unknown_class_and_category_are_refused(table):
    with pytest.raises(ConfigError, match="no MPE table for accuracy class 'V'"):
        table.mpe_in_e(10, "V")
    with pytest.raises(ConfigError, match="no MPE for category 'annual'"):
        table.mpe_in_e(10, "III", "annual")


def test_unknown_table_names_the_file():
    with pytest.raises(ConfigError, match="labctl/data/mpe/oiml-r999-1.yaml: no MPE table"):
        load_mpe_table("oiml-r999-1")
    with pytest.raises(ConfigError, match="bad MPE table name"):
        load_mpe_table("../secrets")
