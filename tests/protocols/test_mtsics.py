"""MT-SICS line formats, checked against the examples of the reference manual."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from labctl.protocols import mtsics


def test_weight_value_right_aligned_in_ten_characters():
    line = mtsics.weight_response("S", "S", 100.0, "g", 2)
    assert line == "S S     100.00 g"
    assert line[4:14] == "    100.00"


def test_negative_and_zero_values():
    assert mtsics.weight_response("S", "D", -0.5, "kg", 3) == "S D     -0.500 kg"
    assert mtsics.format_weight_value(-0.0001, 2) == "      0.00"


def test_a_value_too_wide_for_the_field():
    with pytest.raises(ValueError, match="10-character"):
        mtsics.format_weight_value(123456789.5, 2)


def test_parse_weight_response():
    r = mtsics.parse_response("S S     100.00 g")
    assert (r.head, r.status, r.data) == ("S", "S", ("100.00", "g"))
    assert mtsics.parse_weight(r) == (100.0, "g")
    assert not r.is_error


@pytest.mark.parametrize("line, head, status", [
    ("S I", "S", "I"), ("S +", "S", "+"), ("S -", "S", "-"), ("Z A", "Z", "A"),
    ("TAC A", "TAC", "A"), ("ZI D", "ZI", "D")])
def test_status_only_responses(line, head, status):
    r = mtsics.parse_response(line)
    assert (r.head, r.status, r.data) == (head, status, ())


@pytest.mark.parametrize("code", ["ES", "ET", "EL"])
def test_error_replies(code):
    r = mtsics.parse_response(code + "\r\n")
    assert r.is_error and r.head == code and r.status == ""
    assert code in mtsics.ERRORS


def test_quoted_texts():
    line = mtsics.text_response("I4", "A", "B021002593")
    assert line == 'I4 A "B021002593"'
    r = mtsics.parse_response('I2 A "PG5002-S DeltaRange 5100.0 g"')
    assert r.data == ("PG5002-S DeltaRange 5100.0 g",)
    assert mtsics.parse_type_data(r) == ("PG5002-S DeltaRange", 5100.0, "g")
    assert mtsics.parse_type_data(mtsics.parse_response('I2 A "XS"')) == ("XS", None, None)


def test_quotes_cannot_be_nested_or_left_open():
    with pytest.raises(ValueError):
        mtsics.text_response("I4", "A", 'a"b')
    with pytest.raises(ValueError, match="unterminated"):
        mtsics.split_fields('I4 A "B02')


def test_reply_heads():
    assert mtsics.reply_head("@") == "I4"
    assert mtsics.reply_head("SI") == "S"
    assert mtsics.reply_head("S") == "S"
    assert mtsics.reply_head("TAC") == "TAC"
    assert mtsics.reply_head('D "Hello"') == "D"


def test_empty_line():
    with pytest.raises(ValueError):
        mtsics.parse_response("")


@given(st.floats(min_value=-99999, max_value=99999, allow_nan=False),
       st.integers(min_value=0, max_value=4), st.sampled_from(["g", "kg", "mg"]),
       st.sampled_from(["S", "D"]))
def test_format_then_parse(value, decimals, unit, status):
    assume(len(f"{value:.{decimals}f}") <= 10)
    line = mtsics.weight_response("S", status, value, unit, decimals)
    assert len(line) == 4 + 10 + 1 + len(unit)
    parsed = mtsics.parse_weight(mtsics.parse_response(line))
    assert parsed[1] == unit
    assert parsed[0] == pytest.approx(round(value, decimals), abs=10 ** -decimals)
