"""A certificate stated at several points of a quantity (``points:`` in the register):
loading, interpolation with its uncertainty, refusal to extrapolate, and bad tables
refused at the row's file:line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from labctl.errors import ConfigError
from labctl.register import load_register
from labctl.register.certificate_table import CertificateTable, true_errors
from labctl.units import Q_

from .helpers import assert_one_line_naming_the_place

HEAD = """\
lab: Test lab
instruments:
  - id: REF-1
    kind: reference monitor
    serial: R-1
    certificate: PM-1
    issued_by: NIM
    calibrated: 2026-01-10
    due: 2027-01-09
    entered_by: A
    checked_by: B
    quantities:
      pm25:
        points:
"""

GOOD_ROWS = """\
          - {nominal: 50 ug/m^3,  correction: -1.5 ug/m^3, U: 1.5 ug/m^3, k: 2}
          - {nominal: 150 ug/m^3, correction: -3.0 ug/m^3, U: 3.0 ug/m^3, k: 2}
          - {nominal: 400 ug/m^3, error: -4.0 ug/m^3,      U: 8.0 ug/m^3, k: 2}
"""


def table_of(tmp_path: Path, rows: str = GOOD_ROWS) -> tuple[Path, CertificateTable]:
    path = tmp_path / "register.yaml"
    path.write_text(HEAD + rows, encoding="utf-8")
    entry = load_register(path).instrument("REF-1")
    table = entry.quantities["pm25"].table
    assert table is not None
    return path, table


def refused(tmp_path: Path, rows: str) -> tuple[Path, ConfigError]:
    path = tmp_path / "register.yaml"
    path.write_text(HEAD + rows, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_register(path)
    return path, info.value


def test_the_table_is_read_sorted_with_an_error_stored_as_a_correction(tmp_path: Path) -> None:
    _, t = table_of(tmp_path)
    assert [p.nominal for p in t.points] == [50.0, 150.0, 400.0]
    assert [p.correction for p in t.points] == [-1.5, -3.0, 4.0]   # error -4 -> +4
    assert [p.stated_as for p in t.points] == ["correction", "correction", "error"]
    assert (t.low, t.high) == (50.0, 400.0)
    assert Q_(1, t.nominal_unit) == Q_(1, "ug/m^3")
    assert not t.relative


def test_at_a_certified_point_the_point_applies_without_interpolation(tmp_path: Path) -> None:
    _, t = table_of(tmp_path)
    at = t.at(Q_(150, "ug/m^3"))
    assert (at.correction, at.U, at.k, at.interpolation) == (-3.0, 3.0, 2.0, 0.0)
    assert at.between == (150.0,)
    # the same value in another unit of the dimension
    assert t.at(Q_(0.4, "mg/m^3")).correction == pytest.approx(4.0)


def test_between_points_linear_with_the_interpolation_component(tmp_path: Path) -> None:
    _, t = table_of(tmp_path)
    at = t.at(100.0)                                   # t = 0.5 between 50 and 150
    assert at.correction == pytest.approx(-2.25)
    assert at.u == pytest.approx((0.75 + 1.5) / 2)      # u interpolated linearly
    assert at.interpolation == pytest.approx(1.5 * 0.25)  # |dc| t (1 - t)
    assert at.between == (50.0, 150.0)
    near = t.at(151.0)                                  # just past a point: continuous
    expanded = near.U
    assert expanded == pytest.approx(3.0 + 5.0 / 250, rel=1e-9)
    assert near.interpolation == pytest.approx(7.0 * (1 / 250) * (249 / 250))


def test_the_interpolation_component_bounds_a_monotonic_quadratic(tmp_path: Path) -> None:
    """Of the quadratics through two points monotonic between them, the farthest from
    the chord is off by |dc| t (1 - t): the half-width covers every one of them."""
    _, t = table_of(tmp_path)
    a, b = t.points[1], t.points[2]
    dc = b.correction - a.correction
    for x in np.linspace(a.nominal, b.nominal, 11):
        s = (x - a.nominal) / (b.nominal - a.nominal)
        at = t.at(float(x))
        for bend in (-1.0, -0.5, 0.5, 1.0):            # |bend| <= 1: monotonic
            curve = a.correction + dc * (s + bend * s * (1 - s))
            assert abs(curve - at.correction) <= at.interpolation + 1e-12


def test_outside_the_range_is_refused_naming_the_register_place(tmp_path: Path) -> None:
    path, t = table_of(tmp_path)
    for value in (Q_(40, "ug/m^3"), Q_(401, "ug/m^3"), Q_(1, "mg/m^3")):
        with pytest.raises(ConfigError) as info:
            t.at(value, what="the reading")
        assert_one_line_naming_the_place(info.value, path, r"outside the certified range "
                                         r"50 to 400 µg/m³.*not extrapolated", "points:")
    with pytest.raises(ConfigError, match="dimension"):
        t.at(Q_(5, "L/min"))


def test_a_reach_lets_a_reading_just_beyond_an_end_take_the_end_point(tmp_path: Path) -> None:
    _, t = table_of(tmp_path)
    at = t.at(408.0, reach=0.03)
    assert at.correction == 4.0 and at.U == 8.0 and at.between == (400.0,)
    assert at.interpolation == pytest.approx(7.0 / 250 * 8.0)   # end slope x distance
    with pytest.raises(ConfigError):
        t.at(413.0, reach=0.03)


def test_a_relative_table(tmp_path: Path) -> None:
    _, t = table_of(tmp_path, """\
          - {nominal: 50 ug/m^3,  correction: -3 %, U: 3 %, k: 2}
          - {nominal: 150 ug/m^3, correction: -2 %, U: 2 %, k: 2}
""")
    assert t.relative
    at = t.at(100.0)
    assert at.correction == pytest.approx(-2.5) and at.relative
    assert at.interpolation == pytest.approx(0.25)


def test_the_record_round_trip(tmp_path: Path) -> None:
    _, t = table_of(tmp_path)
    back = CertificateTable.from_record(t.as_record())
    assert back == t
    assert back.at(275.0) == t.at(275.0)


def test_true_errors_are_drawn_within_the_certificate(tmp_path: Path) -> None:
    _, t = table_of(tmp_path)
    for seed in range(50):
        drawn = true_errors(t, np.random.default_rng(seed))
        for (x, error), p in zip(drawn, t.points, strict=True):
            assert x == p.nominal
            assert abs(error - (-p.correction)) <= p.U
    again = true_errors(t, np.random.default_rng(7))
    assert again == true_errors(t, np.random.default_rng(7))


def test_the_entry_describes_and_journals_its_table(tmp_path: Path) -> None:
    path, _ = table_of(tmp_path)
    entry = load_register(path).instrument("REF-1")
    assert "pm25 certified at 3 points 50 to 400 µg/m³" in entry.describe()
    assert "interpolated" in entry.corrections_applied()
    record = entry.as_record()["quantities"]["pm25"]
    assert record["U"] is None and record["points"]["where"].startswith(str(path))


@pytest.mark.parametrize(("rows", "pattern", "marker"), [
    ("""\
          - {nominal: 150 ug/m^3, correction: -3.0 ug/m^3, U: 3.0 ug/m^3, k: 2}
          - {nominal: 50 ug/m^3,  correction: -1.5 ug/m^3, U: 1.5 ug/m^3, k: 2}
""", r"point 2: nominal 50 µg/m³ is below point 1's; the points must rise", "nominal: 50"),
    ("""\
          - {nominal: 50 ug/m^3,  correction: -1.5 ug/m^3, U: 1.5 ug/m^3, k: 2}
          - {nominal: 0.05 mg/m^3, correction: -1.0 ug/m^3, U: 1.5 ug/m^3, k: 2}
""", r"point 2: nominal 0.05 mg/m³ is certified twice \(point 1 too\)", "0.05 mg"),
    ("""\
          - {nominal: 50 ug/m^3,  correction: -1.5 ug/m^3, U: 1.5 ug/m^3, k: 2}
          - {nominal: 150 L/min,  correction: -3.0 ug/m^3, U: 3.0 ug/m^3, k: 2}
""", r"point 2: nominal 150 l/min is not of the dimension of point 1's", "L/min"),
    ("""\
          - {nominal: 50 ug/m^3,  correction: -1.5 ug/m^3, U: 1.5 ug/m^3, k: 2}
          - {nominal: 150 ug/m^3, correction: -3.0 ug/m^3, U: 2 %, k: 2}
""", r"point 2: U 2 % is not in the unit of the nominals", "U: 2 %"),
    ("""\
          - {nominal: 50 ug/m^3,  correction: -1.5 %, U: 3 %, k: 2}
          - {nominal: 150 ug/m^3, correction: -3.0 ug/m^3, U: 2 %, k: 2}
""", r"point 2: correction -3 µg/m³ is not relative", "correction: -3.0"),
    ("""\
          - {nominal: 50 ug/m^3,  correction: -1.5 ug/m^3, U: 1.5 ug/m^3, k: 2}
          - {nominal: 150 ug/m^3, U: 3.0 ug/m^3, k: 2}
""", r"point 2: give its correction or its error", "nominal: 150"),
    ("""\
          - {nominal: 50 ug/m^3,  correction: -1.5 ug/m^3, U: 1.5 ug/m^3, k: 2}
""", r"needs at least two points", "points:"),
    ("""\
          - {nominal: 50 ug/m^3,  correction: -1.5 ug/m^3, U: 1.5 ug/m^3}
          - {nominal: 150 ug/m^3, correction: -3.0 ug/m^3, U: 3.0 ug/m^3, k: 2}
""", r"k", "nominal: 50"),
])
def test_a_bad_table_is_refused_at_its_row(tmp_path: Path, rows: str, pattern: str,
                                           marker: str) -> None:
    path, error = refused(tmp_path, rows)
    assert_one_line_naming_the_place(error, path, pattern, marker)


def test_a_table_and_a_single_value_together_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "register.yaml"
    path.write_text(HEAD.replace("      pm25:\n        points:\n",
                                 "      pm25:\n        U: 3 %\n        k: 2\n        points:\n")
                    + GOOD_ROWS, encoding="utf-8")
    with pytest.raises(ConfigError, match="not both"):
        load_register(path)
