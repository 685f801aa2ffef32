"""The A&D-format scale driver against transcripts written from A&D instruction manuals."""

from __future__ import annotations

import math

import pytest

from labctl.drivers.capabilities import Identity
from labctl.drivers.weighing.and_scale import AndScale
from labctl.drivers.weighing.capabilities import Scale
from labctl.errors import ConfigError, InstrumentError, InstrumentTimeout
from labctl.units import Q_

from .transcript import TIMEOUT, Transcript

AK = "\x06"
PLATE = {"max": "15 kg", "e": "5 g", "d": "5 g", "class": "III"}


def scale(steps, **options) -> tuple[AndScale, Transcript]:
    t = Transcript(steps)
    return AndScale(t, name="ad", **{**PLATE, **options}), t


def test_q_reads_the_standard_format():
    s, t = scale([("Q", "ST,+0012.345 kg"), ("Q", "US,-0000.010 kg")])
    first = s.read_immediate()
    assert first.value == Q_(12.345, "kg") and first.stable
    second = s.read_immediate()
    assert second.value == Q_(-0.01, "kg") and not second.stable
    assert isinstance(s, Scale)
    t.assert_done()


def test_grams_on_a_scale_declared_in_kg():
    # (d = 5 g: the scale shows multiples of 5 g, whatever the unit on the line)
    s, _ = scale([("Q", "ST,+00000125  g")])
    assert s.read_immediate().value.m_as("kg") == pytest.approx(0.125)


def test_s_waits_for_stable_data():
    s, t = scale([("S", "ST,+0002.000 kg")], stable_timeout="20 s")
    r = s.read_stable()
    assert r.stable and r.value == Q_(2.0, "kg")
    assert t.timeouts_seen == [20.0]


def test_out_of_range_lines():
    s, _ = scale([("Q", "OL,+9999.999 kg"), ("Q", "OL,-9999.999 kg")])
    over, under = s.read_immediate(), s.read_immediate()
    assert over.overload and math.isnan(over.value.magnitude)
    assert under.underload and not under.overload


def test_zero_is_acknowledged_twice():
    s, t = scale([("Z", [AK, AK])])
    s.zero()
    t.assert_done()


def test_zero_refused_with_an_error_code():
    s, _ = scale([("Z", [AK, "EC,E07"])])
    with pytest.raises(InstrumentError, match="out of range") as err:
        s.zero()
    assert (err.value.instrument, err.value.command, err.value.reply) == ("ad", "Z", "EC,E07")


def test_stability_error_on_s():
    s, _ = scale([("S", "EC,E11")])
    with pytest.raises(InstrumentError, match="stability") as err:
        s.read_stable()
    assert err.value.reply == "EC,E11"


def test_undefined_command():
    s, _ = scale([("Q", "EC,E01")])
    with pytest.raises(InstrumentError, match="undefined command"):
        s.read_immediate()


def test_tare_then_read_the_tare_weight():
    s, t = scale([("T", [AK, AK]), ("?PT", "PT,+0000.250 kg")])
    assert s.tare().value == Q_(0.25, "kg")
    t.assert_done()


def test_clear_tare_presets_a_zero_tare():
    s, t = scale([("PT:+0000.000 kg", AK)])
    s.clear_tare()
    t.assert_done()


def test_clear_tare_in_grams_on_a_fine_scale():
    s, t = scale([("PT:+00000.00  g", AK)], max="220 g", e="0.1 g", d="0.01 g", **{"class": "II"})
    s.clear_tare()
    t.assert_done()


def test_identify():
    s, t = scale([("?TN", "TN,FX-300i"), ("?SN", "SN,T1234567")], firmware="1.20")
    assert s.identify() == Identity("A&D", "FX-300i", "T1234567", "1.20")
    t.assert_done()


def test_without_acknowledge_nothing_is_awaited():
    s, t = scale([("Z", None), ("T", None), ("?PT", "PT,+0000.000 kg")], acknowledge=False)
    s.zero()
    s.tare()
    t.assert_done()


def test_acknowledge_must_be_a_flag():
    with pytest.raises(ConfigError, match="acknowledge"):
        scale([], acknowledge="yes")


def test_timeout_on_s_sends_cancel():
    s, t = scale([("S", TIMEOUT), ("C", AK)])
    with pytest.raises(InstrumentTimeout) as err:
        s.read_stable(timeout=3)
    assert err.value.command == "S" and "cancelled with C" in str(err.value)
    t.assert_done()


def test_zero_not_completed_in_time():
    s, _ = scale([("Z", [AK, TIMEOUT])])
    with pytest.raises(InstrumentTimeout, match="not completed") as err:
        s.zero(timeout=4)
    assert err.value.command == "Z"


def test_comparator_header_is_read():
    s, _ = scale([("Q", "ST,OK,+0001.235 kg")])  # a multiple of d = 5 g
    assert s.read_immediate().value == Q_(1.235, "kg")


def test_counting_mode_is_refused():
    s, _ = scale([("Q", "QT,+00012345 PC")])
    with pytest.raises(InstrumentError, match="counting"):
        s.read_immediate()


def test_a_garbled_reply_then_silence_names_what_came():
    s, _ = scale([("Q", ["S?,+00#1.234 kg", TIMEOUT])])
    with pytest.raises(InstrumentTimeout) as err:
        s.read_immediate()
    assert err.value.reply == "S?,+00#1.234 kg" and "garbled" in str(err.value)
