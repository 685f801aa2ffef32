"""Frame parsers (labctl.protocols.framing): lines, fixed frames, HJ 212, Modbus RTU."""

from __future__ import annotations

import pytest

from labctl.protocols import framing, modbus

EXAMPLE = (b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;"
           b"MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n")


def test_line_parser_finds_the_end_and_includes_the_terminator() -> None:
    p = framing.line(b"\r\n")
    assert p.length(b"S S 1.0 kg") is None
    assert p.length(b"S S 1.0 kg\r\nnext") == len(b"S S 1.0 kg\r\n")
    # a terminator split across two arrivals is found when searching from the old end
    buf = bytearray(b"abc\r")
    assert p.end(buf, 0, 0) is None
    buf += b"\nrest"
    assert p.end(buf, 0, 4) == 5


def test_line_parser_accepting_bare_endings() -> None:
    p = framing.line(b"\r\n", accept_bare=True)
    assert p.length(b"A\nB") == 2
    assert p.length(b"A\rB") == 2
    assert p.length(b"A\r\nB") == 3
    assert p.length(b"A\r") == 2  # a CR at the end ends the line
    strict = framing.line(b"\r\n")
    assert strict.length(b"A\nB") is None


def test_an_overlong_line_is_refused_at_once() -> None:
    p = framing.line(b"\n", max_length=16)
    assert p.length(b"x" * 16) is None
    with pytest.raises(framing.FrameTooLong, match="more than 16 bytes") as info:
        p.length(b"x" * 17)
    assert info.value.limit == 16
    with pytest.raises(framing.FrameTooLong):
        p.length(b"x" * 20 + b"\n")  # its end is there, but too far


def test_fixed_frames() -> None:
    p = framing.fixed(4)
    assert framing.split(b"abcdefghij", p) == ([b"abcd", b"efgh"], b"ij")
    with pytest.raises(ValueError):
        framing.fixed(0)


def test_hj212_frames_by_their_length_field() -> None:
    p = framing.HJ212
    assert p.length(EXAMPLE[:5]) is None
    assert p.length(EXAMPLE[:-1]) is None
    assert p.length(EXAMPLE + b"##00") == len(EXAMPLE)
    frames, rest = framing.split(EXAMPLE + EXAMPLE + EXAMPLE[:10], p)
    assert frames == [EXAMPLE, EXAMPLE] and rest == EXAMPLE[:10]
    with pytest.raises(framing.FramingError, match="starts"):
        p.length(b"xx0101")
    with pytest.raises(framing.FramingError, match="length field"):
        p.length(b"##01a1QN=")


def test_modbus_rtu_frames_by_function_code_and_crc() -> None:
    request = modbus.read_request(1, modbus.READ_HOLDING, 0, 2)
    reply = modbus.read_reply(1, modbus.READ_HOLDING, [7, 8])
    assert framing.modbus_rtu("request").length(request + reply) == 8
    master = framing.modbus_rtu("reply")
    assert master.length(reply[:4]) is None
    assert master.length(reply + b"\x01") == len(reply) == 9
    exc = modbus.exception_reply(1, 3, 2)
    assert master.length(exc) == 5
    garbled = reply[:3] + bytes([reply[3] ^ 0xFF]) + reply[4:]
    assert master.length(garbled) == 9  # delimiting does not check the CRC...
    with pytest.raises(framing.FramingError, match="CRC"):
        framing.modbus_rtu("reply", check_crc=True).length(garbled)  # ...unless asked
    with pytest.raises(framing.FramingError, match="function code"):
        master.length(b"\x01\x2b\x00")
    with pytest.raises(ValueError):
        framing.modbus_rtu("both")


def test_split_cuts_many_frames_in_linear_passes() -> None:
    p = framing.line(b"\n")
    data = b"a\n" * 10000 + b"tail"
    frames, rest = framing.split(data, p)
    assert len(frames) == 10000 and rest == b"tail"
