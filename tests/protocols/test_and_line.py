"""The A&D standard data format, checked against the examples of A&D manuals."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from labctl.protocols import and_line


@pytest.mark.parametrize("header, value, unit, decimals, line", [
    ("ST", 123.45, "g", 2, "ST,+00123.45  g"),
    ("ST", 1.234, "kg", 3, "ST,+0001.234 kg"),
    ("US", -12.346, "lb", 3, "US,-0012.346 lb"),
    ("ST", 0.0, "g", 2, "ST,+00000.00  g"),
    ("QT", 12345, "PC", 0, "QT,+00012345 PC"),
    ("ST", 123.4, "%", 1, "ST,+000123.4  %"),
])
def test_format_manual_examples(header, value, unit, decimals, line):
    assert and_line.format_weight(header, value, unit, decimals) == line
    assert len(line) == 15


def test_zero_has_the_plus_sign():
    assert and_line.format_data(-0.0004, 3) == "+0000.000"


def test_overload_lines():
    assert and_line.format_overload("g", 1) == "OL,+999999.9  g"
    assert and_line.format_overload("PC", 0, negative=True) == "OL,-99999999 PC"
    assert and_line.parse_weight("OL,+999999.9  g").out_of_range


def test_too_wide():
    with pytest.raises(ValueError, match="9-character"):
        and_line.format_data(123456.789, 3)


def test_parse_lines():
    w = and_line.parse_weight("ST,+00123.45  g\r\n")
    assert (w.header, w.value, w.unit, w.stable) == ("ST", 123.45, "g", True)
    w = and_line.parse_weight("US, -00005678 PC")
    assert w.value == -5678 and not w.stable
    w = and_line.parse_weight("ST,OK,+0001.234 kg")
    assert (w.comparison, w.value, w.unit) == ("OK", 1.234, "kg")


@pytest.mark.parametrize("line", ["", "XX,+0001.234 kg", "ST+0001.234 kg", "ST,+00A1.234 kg"])
def test_bad_lines(line):
    with pytest.raises(ValueError):
        and_line.parse_weight(line)


def test_errors_and_acknowledge():
    assert and_line.parse_error("EC,E11\r\n") == "E11"
    assert and_line.parse_error("ST,+0001.234 kg") is None
    assert and_line.format_error("E01") == "EC,E01"
    assert and_line.is_ack("\x06") and not and_line.is_ack("ST")
    assert "stability" in and_line.ERRORS["E11"]


def test_preset_tare_and_info():
    cmd = and_line.format_preset_tare(0.25, "kg", 3)
    assert cmd == "PT:+0000.250 kg"
    assert and_line.parse_preset_tare(cmd) == (0.25, "kg")
    with pytest.raises(ValueError):
        and_line.parse_preset_tare("PT:0.25kg")
    assert and_line.parse_info("SN,T1234567", "SN") == "T1234567"
    with pytest.raises(ValueError):
        and_line.parse_info("TN,FX", "SN")


@given(st.floats(min_value=-9999, max_value=9999, allow_nan=False),
       st.integers(min_value=0, max_value=4), st.sampled_from(["g", "kg", "lb"]),
       st.sampled_from(["ST", "US"]))
def test_format_then_parse(value, decimals, unit, header):
    assume(len(f"{abs(value):.{decimals}f}") <= 8)
    line = and_line.format_weight(header, value, unit, decimals)
    assert len(line) == 15
    parsed = and_line.parse_weight(line)
    assert (parsed.header, parsed.unit) == (header, unit)
    assert parsed.value == pytest.approx(round(value, decimals), abs=10 ** -decimals)
