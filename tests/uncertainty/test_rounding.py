"""Stating results: two significant digits, GUM 7.2.6 rounding, digit grouping."""

from __future__ import annotations

import pytest

from labctl.uncertainty.rounding import compact, fixed, group, round_up, state


@pytest.mark.parametrize(("u", "mode", "expected"), [
    (10.47, "gum", 11.0),      # GUM 7.2.6: 10.47 mOhm "might be rounded up to 11 mOhm"
    (28.05, "gum", 28.0),      # ... "28.05 kHz should be rounded down to 28 kHz"
    (92.4994, "gum", 93.0),    # GUM H.1's U99
    (0.07107, "gum", 0.071),   # GUM H.2's u(R)
    (10.47, "nearest", 10.0),
    (28.05, "up", 29.0),
    (0.25, "up", 0.25),        # exact values stay
    (9.96, "up", 10.0),        # a carry into one more digit
])
def test_round_up(u: float, mode: str, expected: float) -> None:
    rounded, _ = round_up(u, 2, mode)
    assert rounded == pytest.approx(expected)


def test_decimals_follow_the_rounded_value() -> None:
    assert round_up(0.0325) == (0.033, 3)
    assert round_up(9.96, mode="up") == (10.0, 0)
    assert round_up(123.4) == (130.0, -1)
    with pytest.raises(ValueError):
        round_up(1.0, mode="sideways")


def test_group_and_fixed() -> None:
    assert group("50.000838") == "50.000 838"
    assert group("10000.025") == "10 000.025"
    assert group("-1234567.1234567") == "-1 234 567.123 456 7"
    assert group("12.3456") == "12.3456"
    assert fixed(50.000837999999995, 6) == "50.000 838"
    assert fixed(1234.5, -1) == "1230"
    assert fixed(-0.0001, 2) == "0.00"


def test_compact_and_state() -> None:
    assert compact(3.17e-5, "mm") == (pytest.approx(31.7), "nm")
    assert compact(0.0709, "ohm")[1] == "mΩ"
    assert compact(0.5, "V/mA") == (0.5, "V/mA")   # compound units are kept
    assert compact(0.5, "degC") == (0.5, "degC")   # offset units are kept
    assert compact(2.0, "") == (2.0, "")
    s = state(50.000838, 3.166940543105552e-05, "mm")
    assert s == {"value": "50.000 838", "uncertainty": "32", "uncertainty_unit": "nm",
                 "unit": "mm"}
