"""The MT-SICS scale driver against transcripts written from the MT-SICS reference manual."""

from __future__ import annotations

import math

import pytest

from labctl.drivers.capabilities import Identity
from labctl.drivers.weighing.capabilities import Scale
from labctl.drivers.weighing.mtsics_scale import MtSicsScale
from labctl.errors import InstrumentError, InstrumentTimeout
from labctl.units import Q_

from .transcript import TIMEOUT, Transcript, TranscriptMismatch

PLATE = {"max": "15 kg", "e": "5 g", "d": "5 g", "class": "III"}


def scale(steps, *, unsolicited=(), **options) -> tuple[MtSicsScale, Transcript]:
    t = Transcript(steps, unsolicited=unsolicited)
    return MtSicsScale(t, name="dut", **{**PLATE, **options}), t


def test_read_stable_value_in_the_ten_character_field():
    s, t = scale([("S", "S S     12.345 kg")])
    r = s.read_stable()
    assert r.value == Q_(12.345, "kg") and r.value.units == Q_(1, "kg").units
    assert r.stable and not r.overload and not r.underload
    assert r.raw == "S S     12.345 kg"
    t.assert_done()


def test_is_a_scale_with_its_data_plate():
    s, _ = scale([])
    assert isinstance(s, Scale)
    assert s.capacity == Q_(15, "kg") and s.e == Q_(5, "g") and s.d == Q_(5, "g")
    assert s.min_load == Q_(100, "g")  # class III: 20 e
    assert s.accuracy_class == "III"
    assert s.capabilities == ("scale",)


def test_read_immediate_dynamic_and_stable():
    s, t = scale([("SI", "S D      0.995 kg"), ("SI", "S S      1.000 kg")])
    first, second = s.read_immediate(), s.read_immediate()
    assert not first.stable and first.value == Q_(0.995, "kg")
    assert second.stable and second.value == Q_(1.0, "kg")
    t.assert_done()


def test_negative_value():
    s, _ = scale([("SI", "S S     -0.010 kg")])
    assert s.read_immediate().value == Q_(-0.01, "kg")


def test_a_reply_in_grams_is_given_in_the_scale_unit():
    s, _ = scale([("S", "S S    12345.0 g")])
    assert s.read_stable().value.m_as("kg") == pytest.approx(12.345)
    assert s.unit == Q_(1, "kg").units


def test_unsolicited_power_on_line_is_skipped():
    s, t = scale([("S", "S S      1.000 kg")], unsolicited=['I4 A "B021002593"'])
    assert s.read_stable().value == Q_(1.0, "kg")
    assert list(s.unsolicited) == ['I4 A "B021002593"']
    t.assert_done()


def test_overload_and_underload_are_flagged_readings():
    s, _ = scale([("S", "S +"), ("SI", "S -")])
    over = s.read_stable()
    assert over.overload and not over.stable and math.isnan(over.value.magnitude)
    under = s.read_immediate()
    assert under.underload and not under.overload


def test_s_i_is_an_error_naming_the_reply():
    s, _ = scale([("S", "S I")])
    with pytest.raises(InstrumentError) as err:
        s.read_stable()
    assert err.value.command == "S" and err.value.reply == "S I"
    assert err.value.instrument == "dut"
    assert "stable" in str(err.value)


@pytest.mark.parametrize("code, words", [("ES", "syntax"), ("ET", "transmission"),
                                         ("EL", "logical")])
def test_error_replies_name_instrument_command_and_reply(code, words):
    s, _ = scale([("TAC", code)])
    with pytest.raises(InstrumentError) as err:
        s.clear_tare()
    e = err.value
    assert (e.instrument, e.command, e.reply) == ("dut", "TAC", code)
    assert words in str(e) and "'dut'" in str(e) and "'TAC'" in str(e)


def test_zero_and_its_refusals():
    s, t = scale([("Z", "Z A"), ("Z", "Z +"), ("Z", "Z I")])
    s.zero()
    with pytest.raises(InstrumentError, match="upper limit") as err:
        s.zero()
    assert err.value.reply == "Z +"
    with pytest.raises(InstrumentError, match="cannot execute"):
        s.zero()
    t.assert_done()


def test_zero_immediately():
    s, _ = scale([("ZI", "ZI D"), ("ZI", "ZI S")])
    assert s.zero_immediately() is False
    assert s.zero_immediately() is True


def test_tare_returns_the_tare_value_and_clear_tare():
    s, t = scale([("T", "T S      0.250 kg"), ("TAC", "TAC A")])
    tare = s.tare()
    assert tare.value == Q_(0.25, "kg") and tare.stable
    s.clear_tare()
    t.assert_done()


def test_tare_refused_above_range():
    s, _ = scale([("T", "T +")])
    with pytest.raises(InstrumentError) as err:
        s.tare()
    assert err.value.reply == "T +"


def test_identify_from_i2_i4_i3():
    s, t = scale([("I2", 'I2 A "PG5002-S DeltaRange 5100.0 g"'),
                   ("I4", 'I4 A "1114512345"'), ("I3", 'I3 A "2.10 10.28"')])
    assert s.identify() == Identity("Mettler Toledo", "PG5002-S DeltaRange", "1114512345",
                                    "2.10 10.28")
    t.assert_done()


def test_type_data_reports_capacity():
    s, _ = scale([("I2", 'I2 A "WXS205SDU WXA-Bridge 220.00900 g"')])
    model, capacity = s.type_data()
    assert model == "WXS205SDU WXA-Bridge" and capacity.m_as("g") == pytest.approx(220.009)


def test_reset_returns_the_serial():
    s, _ = scale([("@", 'I4 A "B021002593"')])
    assert s.reset() == "B021002593"


def test_timeout_on_s_cancels_with_reset_and_names_the_command():
    s, t = scale([("S", TIMEOUT), ("@", 'I4 A "B021002593"')])
    with pytest.raises(InstrumentTimeout) as err:
        s.read_stable(timeout=7.5)
    e = err.value
    assert e.command == "S" and e.instrument == "dut"
    assert "7.5 s" in str(e) and "@" in str(e)
    assert t.timeouts_seen[0] == 7.5  # the transport timeout used for the S
    assert t.options.timeout == 2.0   # and restored afterwards
    t.assert_done()


def test_read_stable_uses_the_stable_timeout_option():
    s, t = scale([("S", "S S      1.000 kg")], stable_timeout="45 s")
    s.read_stable()
    assert t.timeouts_seen == [45.0]


def test_timeout_of_a_balance_that_does_not_answer_at_all():
    s, _ = scale([("S", TIMEOUT), ("@", TIMEOUT)])
    with pytest.raises(InstrumentTimeout, match="does not answer"):
        s.read_stable(timeout=1)


def test_a_stale_reply_of_another_command_is_skipped():
    s, _ = scale([("Z", ["S I", "Z A"])])
    s.zero()
    assert list(s.unsolicited) == ["S I"]


def test_a_counting_unit_is_refused():
    s, _ = scale([("S", "S S        12 PCS")])
    with pytest.raises(InstrumentError, match="not a unit of mass"):
        s.read_stable()


def test_the_transcript_fails_a_driver_that_sends_something_else():
    s, _ = scale([("S", "S S      1.000 kg")])
    with pytest.raises(TranscriptMismatch, match="'SI'"):
        s.read_immediate()


def test_a_garbled_reply_then_silence_names_what_came():
    s, _ = scale([("S", ["S#S 1.0?0 kg", TIMEOUT]), ("@", 'I4 A "B0"')])
    with pytest.raises(InstrumentTimeout) as err:
        s.read_stable(timeout=2)
    assert err.value.reply == "S#S 1.0?0 kg" and "garbled" in str(err.value)
