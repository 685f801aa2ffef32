"""HJ 212-2017 frames, checked against the standard's example and a bit-by-bit CRC.

Where the frames come from:
- ``STANDARD_EXAMPLE``: the example packet of HJ 212-2017 (section 6, the packet
  structure), with its CRC 1C80, as quoted on a public forum thread that posts the
  standard (whycan.com, topic 3594) and re-checked here with the bit-by-bit algorithm.
- every other frame is built in this file: its data segment by hand, its CRC by
  ``reference_crc`` below, the algorithm as the standard words it (not the module's).
"""

from __future__ import annotations

import contextlib
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labctl.protocols import hj212, modbus
from labctl.protocols.hj212 import (
    Cp,
    ExeRtn,
    Flag,
    Frame,
    Hj212CrcError,
    Hj212Error,
    Hj212FramingError,
    Hj212LengthError,
    Hj212SegmentError,
    Hj212TruncatedError,
    QnRtn,
)

OVERHEAD = 12  # "##", 4 length digits, 4 CRC digits, CR LF

STANDARD_EXAMPLE = (b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;"
                    b"MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n")


def reference_crc(data: bytes) -> int:
    """HJ 212-2017's CRC, step by step as the standard gives it."""
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ byte
        for _ in range(8):
            lsb = crc & 1
            crc >>= 1
            if lsb:
                crc ^= 0xA001
    return crc


def frame_of(segment: str, *, crc_format: str = "{:04X}") -> bytes:
    data = segment.encode("ascii")
    return b"##%04d" % len(data) + data + crc_format.format(reference_crc(data)).encode() + b"\r\n"


UPLOAD = ("QN=20260315101500123;ST=22;CN=2011;PW=123456;MN=LABCTL0000000000000000001;"
          "Flag=5;CP=&&DataTime=20260315101500;a34004-Rtd=35.2,a34004-Flag=N;"
          "a34002-Rtd=61.0,a34002-Flag=N;a01001-Rtd=-3.5,a01001-Flag=N&&")


# --- CRC ---------------------------------------------------------------------------------

def test_crc_check_value_is_not_crc16_modbus():
    assert hj212.crc16(b"123456789") == 0x2F80
    assert modbus.crc16(b"123456789") == 0x4B37
    assert reference_crc(b"123456789") == 0x2F80


def test_crc_of_the_standards_example_segment():
    segment = STANDARD_EXAMPLE[6:-6]
    assert len(segment) == 101
    assert hj212.crc16(segment) == 0x1C80 == reference_crc(segment)


def test_crc_of_nothing_is_the_start_value():
    assert hj212.crc16(b"") == 0xFFFF


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.binary(max_size=300))
def test_crc_equals_the_bit_by_bit_algorithm(data):
    assert hj212.crc16(data) == reference_crc(data)


def test_crc_shortcut_premises():
    # crc16 relies on U(x) = T[x] >> 8 being linear over GF(2) with U^8 = identity.
    table = hj212._CRC_TABLE
    u = [t >> 8 for t in table]
    assert all(u[a ^ b] == u[a] ^ u[b] for a in range(256) for b in (1, 2, 4, 8, 16, 32, 64, 128))
    x = list(range(256))
    for _ in range(8):
        x = [u[v] for v in x]
    assert x == list(range(256))


# --- decoding ------------------------------------------------------------------------------

def test_decode_the_standards_example():
    frame = hj212.decode(STANDARD_EXAMPLE)
    assert (frame.qn, frame.st, frame.cn, frame.pw) == ("20160801085857223", "32", "1062", "100000")
    assert frame.mn == "010000A8900016F000169DC0"
    assert frame.flag == Flag(ack=True, split=False, version=1)
    assert frame.wants_ack
    assert frame.cp.params == {"RtdInterval": "30"}
    assert frame.cp.data_time is None and not frame.cp.pollutants
    assert hj212.encode(frame) == STANDARD_EXAMPLE
    assert hj212.decode(STANDARD_EXAMPLE.decode()) == frame     # str works too


def test_decode_an_upload_with_pollutant_groups():
    frame = hj212.decode(frame_of(UPLOAD))
    assert frame.cp.data_time == datetime(2026, 3, 15, 10, 15, 0)
    assert frame.cp.pollutants == {"a34004": {"Rtd": "35.2", "Flag": "N"},
                                   "a34002": {"Rtd": "61.0", "Flag": "N"},
                                   "a01001": {"Rtd": "-3.5", "Flag": "N"}}
    assert frame.cp.value("a34004") == 35.2
    assert frame.cp.value("a01001", "Rtd") == -3.5
    assert frame.cp.data_flag("a34002") == "N"
    assert frame.cp.data_flag("a99999") is None
    assert hj212.encode(frame) == frame_of(UPLOAD)


def test_lenient_reading():
    # lower-case CRC digits, no QN, no Flag, fields in another order, unknown keys,
    # FLAG spelt in capitals, "," and ";" mixed in CP
    plain = "ST=22;CN=2011;PW=123456;MN=M1;CP=&&a34004-Rtd=35.2;a34004-Flag=N,Vendor=x&&"
    frame = hj212.decode(frame_of(plain, crc_format="{:04x}"))
    assert frame.qn is None and frame.flag is None and not frame.wants_ack
    assert frame.cp.pollutants == {"a34004": {"Rtd": "35.2", "Flag": "N"}}
    assert frame.cp.params == {"Vendor": "x"}
    shuffled = "MN=M1;FLAG=4;Extra=7;CN=2011;QN=20260101000000000;PW=p;ST=22;CP=&&&&"
    frame = hj212.decode(frame_of(shuffled))
    assert frame.flag == Flag(ack=False, version=1) and frame.qn == "20260101000000000"
    assert frame.extra == {"Extra": "7"}
    # strict writing: canonical order, upper-case CRC, unknown keys before CP
    segment = "QN=20260101000000000;ST=22;CN=2011;PW=p;MN=M1;Flag=4;Extra=7;CP=&&&&"
    assert hj212.encode(frame) == frame_of(segment)


def test_cp_before_other_fields_is_read():
    frame = hj212.decode(frame_of("CP=&&QnRtn=1&&;ST=91;CN=9011;PW=p;MN=M1"))
    assert frame.cp.params == {"QnRtn": "1"} and frame.cn == "9011"


def test_split_packets():
    seg = "QN=20260101000000000;ST=22;CN=2011;PW=p;MN=M1;Flag=7;PNUM=3;PNO=2;CP=&&&&"
    frame = hj212.decode(frame_of(seg))
    assert frame.flag == Flag(ack=True, split=True, version=1)
    assert (frame.pnum, frame.pno) == (3, 2)
    assert hj212.encode(frame) == frame_of(seg)


# --- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, error, words", [
    (b"#0101QN=1;ST=1&&1C80\r\n", Hj212FramingError, "'##'"),
    (b"XX" + STANDARD_EXAMPLE[2:], Hj212FramingError, "'##'"),
    (STANDARD_EXAMPLE + b"##", Hj212FramingError, "after the frame"),
    (b"##01a1" + STANDARD_EXAMPLE[6:], Hj212LengthError, "length field"),
    (b"##0100" + STANDARD_EXAMPLE[6:], Hj212LengthError, "no CR LF"),
    (b"##0102" + STANDARD_EXAMPLE[6:], Hj212LengthError, "holds 101"),
    (STANDARD_EXAMPLE.replace(b"1C80", b"1C81"), Hj212CrcError, "gives 1C80"),
    (STANDARD_EXAMPLE.replace(b"1C80", b"1CG0"), Hj212CrcError, "not 4 hex"),
    (STANDARD_EXAMPLE.replace(b"Flag=5", b"Flag=6"), Hj212CrcError, "bad CRC"),
    (STANDARD_EXAMPLE[:50], Hj212TruncatedError, "truncated"),
    (STANDARD_EXAMPLE[:-1], Hj212TruncatedError, "truncated"),
    (b"##01", Hj212TruncatedError, "truncated"),
    (b"", Hj212TruncatedError, "truncated"),
])
def test_frame_errors(raw, error, words):
    with pytest.raises(error, match=words):
        hj212.decode(raw)


def test_a_bad_crc_says_both_values():
    with pytest.raises(Hj212CrcError) as info:
        hj212.decode(STANDARD_EXAMPLE.replace(b"1C80", b"ABCD"))
    assert (info.value.expected, info.value.received) == (0x1C80, 0xABCD)
    assert isinstance(info.value, Hj212Error)


@pytest.mark.parametrize("segment, words", [
    ("QN=1;ST=22;CN=2011;PW=p;MN=m", "no CP"),
    ("QN=1;ST=22;CN=2011;PW=p;MN=m;CP=&&a=1", "not closed"),
    ("QN=1;ST=22;CN=2011;PW=p;CP=&&&&", "no MN"),
    ("QN=1;CN=2011;CP=&&&&", "no ST, PW, MN"),
    ("QN=1;ST;CN=2011;PW=p;MN=m;CP=&&&&", "'ST' is not KEY=VALUE"),
    ("=1;ST=22;CN=2011;PW=p;MN=m;CP=&&&&", "has no key"),
    ("QN=1;ST=22;ST=23;CN=2011;PW=p;MN=m;CP=&&&&", "ST appears twice"),
    ("FLAG=4;ST=22;Flag=4;CN=2011;PW=p;MN=m;CP=&&&&", "appears twice"),
    ("ST=22;CN=2011;PW=p;MN=m;Flag=x5;CP=&&&&", "Flag='x5'"),
    ("ST=22;CN=2011;PW=p;MN=m;Flag=256;CP=&&&&", "up to 255"),
    ("ST=22;CN=2011;PW=p;MN=m;PNUM=-1;CP=&&&&", "PNUM"),
    ("ST=22;CN=2011;PW=p;MN=m;CP=&&DataTime=2026;a34004-Rtd=1&&", "YYYYMMDDhhmmss"),
    ("ST=22;CN=2011;PW=p;MN=m;CP=&&DataTime=20261301000000&&", "not a valid time"),
    ("ST=22;CN=2011;PW=p;MN=m;CP=&&DataTime=20260101000000;DataTime=20260101000000&&",
     "DataTime appears twice"),
    ("ST=22;CN=2011;PW=p;MN=m;CP=&&a34004-Rtd=1,a34004-Rtd=2&&", "a34004-Rtd appears twice"),
    ("ST=22;CN=2011;PW=p;MN=m;CP=&&a34004-Rtd&&", "not KEY=VALUE"),
    ("ST=22;CN=2011;PW=p;MN=m;CP=&&-Rtd=1&&", "not <code>-<field>"),
    ("ST=22;CN=2011;PW=p;MN=m;CP=&&PolId=a;PolId=b&&", "appears twice"),
    ("ST=22;CN=2011;PW=p;MN=m;CP=&&=5&&", "has no key"),
])
def test_segment_errors(segment, words):
    with pytest.raises(Hj212SegmentError, match=words):
        hj212.decode(frame_of(segment))


def test_non_ascii_segment():
    data = "ST=22;CN=2011;PW=p;MN=站点;CP=&&&&".encode()
    raw = b"##%04d" % len(data) + data + b"%04X\r\n" % reference_crc(data)
    with pytest.raises(Hj212SegmentError, match="non-ASCII"):
        hj212.decode(raw)


def test_values_read_as_numbers():
    frame = hj212.decode(frame_of("ST=22;CN=2011;PW=p;MN=m;CP=&&a34004-Rtd=n/a&&"))
    with pytest.raises(Hj212SegmentError, match="not a number"):
        frame.cp.value("a34004")
    with pytest.raises(Hj212SegmentError, match="no a34002-Rtd.*a34004"):
        frame.cp.value("a34002")


# --- encoding --------------------------------------------------------------------------------

def test_encode_builds_the_canonical_frame():
    frame = Frame(st="22", cn="2011", pw="123456", mn="LABCTL0000000000000000001",
                  qn="20260315101500123", flag=Flag(ack=True),
                  cp=Cp(data_time=datetime(2026, 3, 15, 10, 15),
                        pollutants={"a34004": {"Rtd": "35.2", "Flag": "N"},
                                    "a34002": {"Rtd": "61.0", "Flag": "N"},
                                    "a01001": {"Rtd": "-3.5", "Flag": "N"}}))
    assert hj212.encode(frame) == frame_of(UPLOAD)


def test_default_flag_is_version_2017_without_ack():
    raw = hj212.encode(Frame(st="22", cn="2011", pw="p", mn="m"))
    assert b";Flag=4;CP=&&&&" in raw
    assert hj212.decode(raw).flag == Flag(ack=False, split=False, version=1)


@pytest.mark.parametrize("frame, error, words", [
    (Frame(st="22", cn="2011", pw="p", mn="m;x"), Hj212SegmentError, "reserves"),
    (Frame(st="", cn="2011", pw="p", mn="m"), Hj212SegmentError, "ST is empty"),
    (Frame(st="22", cn="2011", pw="p", mn="站"), Hj212SegmentError, "reserves"),
    (Frame(st="22", cn="2011", pw="p", mn="m", cp=Cp(params={"A": "1&&"})),
     Hj212SegmentError, "reserves"),
    (Frame(st="22", cn="2011", pw="p", mn="m", cp=Cp(params={"a-b": "1"})),
     Hj212SegmentError, "belongs in"),
    (Frame(st="22", cn="2011", pw="p", mn="m", cp=Cp(pollutants={"a34004": {}})),
     Hj212SegmentError, "bad pollutant group"),
    (Frame(st="22", cn="2011", pw="p", mn="m", cp=Cp(pollutants={"a34004": {"Rtd": "1,2"}})),
     Hj212SegmentError, "reserves"),
    (Frame(st="22", cn="2011", pw="p", mn="m", flag=Flag(split=True)),
     Hj212SegmentError, "PNUM and PNO"),
    (Frame(st="22", cn="2011", pw="p", mn="m", pnum=2, pno=1), Hj212SegmentError, "PNUM"),
    (Frame(st="22", cn="2011", pw="p", mn="m", flag=Flag(split=True), pnum=2, pno=3),
     Hj212SegmentError, "impossible"),
    (Frame(st="22", cn="2011", pw="p", mn="m", flag=Flag(version=64)),
     Hj212SegmentError, "6 bits"),
    (Frame(st="22", cn="2011", pw="p", mn="m", extra={"qn": "1"}),
     Hj212SegmentError, "standard field"),
    (Frame(st="22", cn="2011", pw="p", mn="m", cp=Cp(params={"X": "1" * 1100})),
     Hj212LengthError, "exceeds"),
])
def test_encode_refuses(frame, error, words):
    with pytest.raises(error, match=words):
        hj212.encode(frame)


# --- stream framing --------------------------------------------------------------------------

def test_frame_length_waits_then_delimits():
    two = STANDARD_EXAMPLE + frame_of(UPLOAD)
    for cut in range(len(STANDARD_EXAMPLE)):
        assert hj212.frame_length(two[:cut]) is None
    assert hj212.frame_length(two) == len(STANDARD_EXAMPLE)
    rest = two[len(STANDARD_EXAMPLE):]
    assert hj212.decode(rest[:hj212.frame_length(rest)]).cn == "2011"
    assert hj212.frame_length(bytearray(STANDARD_EXAMPLE)) == len(STANDARD_EXAMPLE)
    assert hj212.frame_length(memoryview(STANDARD_EXAMPLE)) == len(STANDARD_EXAMPLE)


@pytest.mark.parametrize("garbage, error", [
    (b"x", Hj212FramingError), (b"#x", Hj212FramingError), (b"##0x", Hj212LengthError),
    (b"\r\n##0101", Hj212FramingError), (b"##010", None), (b"##", None), (b"#", None),
])
def test_frame_length_on_garbage(garbage, error):
    if error is None:
        assert hj212.frame_length(garbage) is None
    else:
        with pytest.raises(error):
            hj212.frame_length(garbage)


# --- exchanges -------------------------------------------------------------------------------

def test_data_reply_to_an_upload_that_asks_for_one():
    upload = hj212.decode(STANDARD_EXAMPLE)
    reply = hj212.data_reply(upload)
    assert (reply.cn, reply.st, reply.qn, reply.pw, reply.mn) == (
        "9014", "91", upload.qn, upload.pw, upload.mn)
    assert reply.flag == Flag(ack=False, version=1) and reply.cp == Cp()
    raw = hj212.encode(reply)
    assert raw == frame_of("QN=20160801085857223;ST=91;CN=9014;PW=100000;"
                           "MN=010000A8900016F000169DC0;Flag=4;CP=&&&&")
    assert hj212.decode(raw) == reply


def test_realtime_data_request_is_answered_9011_data_9012():
    request = hj212.decode(frame_of("QN=20260315101600001;ST=22;CN=2011;PW=123456;"
                                    "MN=M1;Flag=5;CP=&&&&"))
    data = Cp(data_time=datetime(2026, 3, 15, 10, 16), pollutants={"a34004": {"Rtd": "12.5"}})
    first, middle, last = hj212.replies(request, data)
    assert (first.cn, first.st, first.qn, first.cp.params) == (
        "9011", "91", request.qn, {"QnRtn": "1"})
    assert (middle.cn, middle.st, middle.qn, middle.cp) == ("2011", "22", request.qn, data)
    assert not middle.flag.ack
    assert (last.cn, last.qn, last.cp.params) == ("9012", request.qn, {"ExeRtn": "1"})
    for frame in (first, middle, last):
        assert hj212.decode(hj212.encode(frame)) == frame


def test_calibration_request_is_answered_9011_then_9012():
    request = Frame(st="22", cn=hj212.CN_ZERO_SPAN_CALIBRATION, pw="123456", mn="M1",
                    qn="20260315101700001", flag=Flag(ack=True),
                    cp=Cp(params={"PolId": "a34004"}))
    frames = hj212.replies(request, result=ExeRtn.FAILED)
    assert [f.cn for f in frames] == ["9011", "9012"]
    assert frames[1].cp.params == {"ExeRtn": "2"}
    refused = hj212.request_reply(request, QnRtn.BAD_PASSWORD)
    assert refused.cp.params == {"QnRtn": "3"}
    assert hj212.execution_result(request, ExeRtn.NO_DATA).cp.params == {"ExeRtn": "100"}


def test_a_frame_without_qn_cannot_be_answered():
    anonymous = Frame(st="22", cn="2011", pw="p", mn="m", flag=Flag(ack=True))
    for reply in (hj212.data_reply, hj212.request_reply, hj212.execution_result):
        with pytest.raises(Hj212SegmentError, match="no QN"):
            reply(anonymous)
    with pytest.raises(Hj212SegmentError, match="no QN"):
        hj212.requested_data(anonymous, Cp())


def test_replies_keep_the_requests_protocol_version():
    old = Frame(st="22", cn="2011", pw="p", mn="m", qn="1", flag=Flag(ack=True, version=0))
    assert hj212.data_reply(old).flag == Flag(ack=False, version=0)
    assert hj212.data_reply(old._replace(flag=None)).flag == Flag(version=1)


def test_make_qn():
    assert hj212.make_qn(datetime(2016, 8, 1, 8, 58, 57, 223456)) == "20160801085857223"


# --- the code table --------------------------------------------------------------------------

def test_pollutant_codes():
    from labctl.units import parse_unit

    codes = hj212.pollutant_codes()
    assert set(codes) == {"a34004", "a34002", "a01001", "a01002", "a01006"}
    assert "PM2.5" in codes["a34004"].name and "PM10" in codes["a34002"].name
    assert codes["a34004"].source == "HJ 212-2017"
    for row in codes.values():
        parse_unit(row.unit)
    assert str(parse_unit(codes["a34004"].unit).dimensionality) == "[mass] / [length] ** 3"


def test_an_unknown_code_table():
    from labctl.errors import ConfigError

    with pytest.raises(ConfigError, match="no pollutant code table"):
        hj212.pollutant_codes("hj212-1999")


# --- properties --------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_hj212_errors(data):
    with contextlib.suppress(Hj212Error):   # the outcome for almost every input
        assert isinstance(hj212.decode(data), Frame)
    try:
        length = hj212.frame_length(data)
    except Hj212Error:
        return
    assert length is None or OVERHEAD <= length <= len(data)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(alphabet=st.sampled_from("aDT0123-=;,&CP QNSTFlag"), max_size=60)
       | st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=120))
def test_arbitrary_segments_raise_only_hj212_errors(text):
    # frames that pass the framing and the CRC, so the segment parser sees them; the
    # second one has a valid head, so the CP parser sees the text
    for segment in (text, f"ST=22;CN=2011;PW=p;MN=m;CP=&&{text}&&"):
        try:
            frame = hj212.decode(frame_of(segment))
        except Hj212Error:
            continue
        assert isinstance(frame, Frame)


_TEXT = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+",
                min_size=1, max_size=12)
_VALUE = st.text(alphabet="ABCDEFNMTSDabcdef0123456789.-+ ", max_size=8)
_PARAM = _TEXT.filter(lambda k: k != "DataTime" and "-" not in k)
_FRAMES = st.builds(
    Frame,
    st=st.sampled_from(["22", "31", "91"]), cn=st.from_regex(r"\A[0-9]{4}\Z"),
    pw=_TEXT, mn=_TEXT, qn=st.none() | st.from_regex(r"\A[0-9]{17}\Z"),
    flag=st.none() | st.builds(Flag, ack=st.booleans(), version=st.integers(0, 63)),
    cp=st.builds(Cp,
                 data_time=st.none() | st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31))
                 .map(lambda d: d.replace(microsecond=0)),
                 pollutants=st.dictionaries(st.from_regex(r"\A[a-w][0-9]{5}\Z"),
                                            st.dictionaries(_PARAM, _VALUE, min_size=1,
                                                            max_size=3), max_size=6),
                 params=st.dictionaries(_PARAM, _VALUE, max_size=3)),
    extra=st.dictionaries(_PARAM.filter(lambda k: k.upper() not in hj212._SPELLING
                                        and k.upper() != "CP"), _VALUE, max_size=2),
    pnum=st.none(), pno=st.none())
_SPLIT = st.tuples(_FRAMES, st.integers(1, 9999), st.data()).map(
    lambda t: t[0]._replace(flag=Flag(ack=True, split=True), pnum=t[1],
                            pno=t[2].draw(st.integers(1, t[1]))))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(_FRAMES | _SPLIT)
def test_round_trip(frame):
    raw = hj212.encode(frame)
    assert hj212.frame_length(raw + b"##00") == len(raw)
    assert hj212.decode(raw) == frame
    assert hj212.encode(hj212.decode(raw)) == raw


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.integers(0, len(STANDARD_EXAMPLE) - 1), st.integers(1, 255))
def test_one_corrupted_byte_is_refused(position, mask):
    raw = bytearray(STANDARD_EXAMPLE)
    raw[position] ^= mask
    try:
        frame = hj212.decode(bytes(raw))
    except Hj212Error:
        return
    # the only change that still decodes: a CRC digit's letter case
    assert frame == hj212.decode(STANDARD_EXAMPLE)
    assert bytes(raw).upper() == STANDARD_EXAMPLE.upper()
