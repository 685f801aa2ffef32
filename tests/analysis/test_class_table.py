"""The accuracy-class table (OIML R 76-1:2006 Table 3) is one data file, read by the
weighing analyses and the scale drivers alike (labctl/data/oiml-r76-1-2006.yaml)."""

from __future__ import annotations

import pytest

from labctl.analysis.weighing.weighing_mpe import load_mpe_table
from labctl.errors import ConfigError
from labctl.metrology.weighing.scale_classes import load_class_table


@pytest.fixture(scope="module")
def table():
    return load_class_table("oiml-r76-1-2006")


def test_the_mpe_table_names_the_same_class_table_the_drivers_read(table):
    mpe = load_mpe_table("jjg539-2016")
    assert mpe.classes is table is load_class_table()
    assert table.document == "OIML R 76-1:2006"


# (class, e in grams, Min in e, the row's n limits): Table 3 row by row
@pytest.mark.parametrize(("cls", "e_g", "min_e", "n"), [
    ("I", 0.001, 100, (50_000, None)),
    ("II", 0.001, 20, (100, 100_000)), ("II", 0.05, 20, (100, 100_000)),
    ("II", 0.1, 50, (5_000, 100_000)), ("II", 1.0, 50, (5_000, 100_000)),
    ("III", 0.1, 20, (100, 10_000)), ("III", 2.0, 20, (100, 10_000)),
    ("III", 5.0, 20, (500, 10_000)), ("III", 50.0, 20, (500, 10_000)),
    ("IIII", 5.0, 10, (100, 1_000)), ("IIII", 100.0, 10, (100, 1_000)),
])
def test_rows_of_table_3(table, cls, e_g, min_e, n):
    row = table.row(cls, e_g)
    assert table.min_capacity_in_e(cls, e_g) == min_e
    assert (row.n_min, row.n_max) == n


def test_widest_n_limits_per_class(table):
    assert table.n_limits("I") == (50_000, None)
    assert table.n_limits("II") == (100, 100_000)
    assert table.n_limits("III") == (100, 10_000)
    assert table.n_limits("IIII") == (100, 1_000)


def test_scale_interval_rules(table):
    assert table.e_equals_d == {"III", "IIII"}
    assert table.max_e_over_d == 10
    assert all(table.is_interval_value(v) for v in (0.001, 0.002, 0.005, 0.1, 1, 20, 500))
    assert not any(table.is_interval_value(v) for v in (0.003, 0.25, 3, 7, 0, -1))


def test_an_e_outside_the_class_is_refused(table):
    with pytest.raises(ConfigError, match=r"e = 50 mg is outside the range OIML R 76-1:2006 "
                                          r"gives for class III \(100 mg <= e <= 2 g or 5 g"):
        table.row("III", 0.05)
    with pytest.raises(ConfigError, match="lists no accuracy class 'V'"):
        table.row("V", 5.0)


def test_min_capacity_through_the_mpe_table(table):
    mpe = load_mpe_table("jjg539-2016")
    assert mpe.min_capacity_in_e("II", (100, "mg")) == 50
    assert mpe.min_capacity_in_e("II", (0.01, "g")) == 20
    assert mpe.min_capacity_in_e("III", (0.005, "kg")) == 20


def test_a_bad_table_name_is_refused():
    with pytest.raises(ConfigError, match="bad class table name"):
        load_class_table("../etc/passwd")
    with pytest.raises(ConfigError, match="no class table 'oiml-r76-1-1992'"):
        load_class_table("oiml-r76-1-1992")
