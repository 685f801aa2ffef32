"""Modbus RTU frames: the PDU examples of the Modbus Application Protocol Specification
V1.1b3 (sections 6.3, 6.4, 6.6, 6.12 and 7, quoted from memory) wrapped in RTU frames,
whose CRC bytes are checked independently by pymodbus in test_pymodbus_interop.py;
every error; fuzzing."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labctl.protocols import modbus
from labctl.protocols.modbus import (
    ExceptionCode,
    ExceptionReply,
    ModbusCrcError,
    ModbusError,
    ModbusExceptionReply,
    ModbusFrameError,
    ModbusTruncatedError,
    ModbusValueError,
    ReadReply,
    ReadRequest,
    WriteMultipleReply,
    WriteMultipleRequest,
    WriteSingleReply,
    WriteSingleRequest,
)

UNIT = 0x11


def rtu(pdu_hex: str, unit: int = UNIT) -> bytes:
    body = bytes((unit,)) + bytes.fromhex(pdu_hex)
    return modbus.with_crc(body)


def test_crc_check_value_and_byte_order():
    assert modbus.crc16(b"123456789") == 0x4B37
    # Modbus over Serial Line V1.02, 6.2.2 (from memory): the CRC of 02 07 is 0x1241,
    # sent low byte first
    assert modbus.with_crc(bytes((0x02, 0x07))) == bytes.fromhex("02 07 41 12")
    # the frame every Modbus tutorial shows: unit 1 reads 10 holding registers from 0
    assert modbus.read_request(1, 3, 0, 10) == bytes.fromhex("01 03 00 00 00 0A C5 CD")


# --- the specification's examples, both sides --------------------------------------------

def test_read_holding_registers_example():          # V1.1b3, 6.3
    request = rtu("03 00 6B 00 03")
    assert modbus.read_request(UNIT, 3, 0x6B, 3) == request
    assert modbus.parse_request(request) == ReadRequest(UNIT, 3, 0x6B, 3)
    reply = rtu("03 06 02 2B 00 00 00 64")
    assert modbus.read_reply(UNIT, 3, [555, 0, 100]) == reply
    assert modbus.parse_reply(reply, ReadRequest(UNIT, 3, 0x6B, 3)) == ReadReply(
        UNIT, 3, (555, 0, 100))


def test_read_input_registers_example():            # V1.1b3, 6.4
    assert modbus.read_request(UNIT, 4, 8, 1) == rtu("04 00 08 00 01")
    assert modbus.parse_reply(rtu("04 02 00 0A")) == ReadReply(UNIT, 4, (10,))
    assert modbus.read_reply(UNIT, 4, [10]) == rtu("04 02 00 0A")


def test_write_single_register_example():           # V1.1b3, 6.6
    frame = rtu("06 00 01 00 03")
    assert modbus.write_single_request(UNIT, 1, 3) == frame
    request = modbus.parse_request(frame)
    assert request == WriteSingleRequest(UNIT, 1, 3)
    assert modbus.write_single_reply(UNIT, 1, 3) == frame
    assert modbus.parse_reply(frame, request) == WriteSingleReply(UNIT, 1, 3)


def test_write_multiple_registers_example():        # V1.1b3, 6.12
    frame = rtu("10 00 01 00 02 04 00 0A 01 02")
    assert modbus.write_multiple_request(UNIT, 1, [0x000A, 0x0102]) == frame
    request = modbus.parse_request(frame)
    assert request == WriteMultipleRequest(UNIT, 1, (10, 258))
    reply = rtu("10 00 01 00 02")
    assert modbus.write_multiple_reply(UNIT, 1, 2) == reply
    assert modbus.parse_reply(reply, request) == WriteMultipleReply(UNIT, 1, 2)


def test_exception_reply():                         # V1.1b3, 7
    frame = rtu("83 02")
    assert modbus.exception_reply(UNIT, 3, ExceptionCode.ILLEGAL_DATA_ADDRESS) == frame
    assert modbus.encode_reply(ExceptionReply(UNIT, 3, 2)) == frame
    with pytest.raises(ModbusExceptionReply, match="ILLEGAL_DATA_ADDRESS") as info:
        modbus.parse_reply(frame, ReadRequest(UNIT, 3, 0x6B, 3))
    assert (info.value.unit, info.value.function, info.value.code) == (UNIT, 3, 2)
    assert "read holding registers" in str(info.value)
    with pytest.raises(ModbusExceptionReply, match="not a code of the Modbus"):
        modbus.parse_reply(rtu("90 42"))
    with pytest.raises(ModbusFrameError, match="does not answer"):
        modbus.parse_reply(frame, ReadRequest(UNIT, 4, 0, 1))


def test_message_round_trips():
    for request in (ReadRequest(1, 4, 100, 2), WriteSingleRequest(0, 7, 65535),
                    WriteMultipleRequest(247, 65534, (1, 2))):
        assert modbus.parse_request(modbus.encode_request(request)) == request
    for reply in (ReadReply(1, 3, (1, 2, 3)), WriteSingleReply(5, 6, 7),
                  WriteMultipleReply(5, 6, 7)):
        assert modbus.parse_reply(modbus.encode_reply(reply)) == reply


# --- errors --------------------------------------------------------------------------------

@pytest.mark.parametrize("frame, error, words", [
    (rtu("03 00 6B 00 03")[:-1] + b"\x00", ModbusCrcError, "bad CRC"),
    (b"\x11\x03\x00", ModbusTruncatedError, "too short"),
    (rtu("03 05 02 2B 00 00 00"), ModbusFrameError, "odd"),
    (rtu("03 06 02 2B 00 00"), ModbusFrameError, "byte count 6"),
    (rtu("03"), ModbusTruncatedError, "byte count"),
    (rtu("06 00 01 00"), ModbusFrameError, "8 bytes"),
    (rtu("83 02 00"), ModbusFrameError, "5 bytes"),
    (rtu("01 01 00"), ModbusFrameError, "0x01 is not one labctl handles"),
])
def test_bad_replies(frame, error, words):
    with pytest.raises(error, match=words):
        modbus.parse_reply(frame)


@pytest.mark.parametrize("reply, asked, words", [
    (rtu("03 02 00 01", unit=2), ReadRequest(UNIT, 3, 0, 1), "does not answer"),
    (rtu("04 02 00 01"), ReadRequest(UNIT, 3, 0, 1), "does not answer"),
    (rtu("03 04 00 01 00 02"), ReadRequest(UNIT, 3, 0, 1), "asked for 1 registers, got 2"),
    (rtu("06 00 01 00 04"), WriteSingleRequest(UNIT, 1, 3), "echo"),
    (rtu("10 00 01 00 03"), WriteMultipleRequest(UNIT, 1, (1, 2)), "the reply says 3"),
])
def test_replies_that_do_not_answer_the_request(reply, asked, words):
    with pytest.raises(ModbusFrameError, match=words):
        modbus.parse_reply(reply, asked)


@pytest.mark.parametrize("frame, error, words", [
    (rtu("03 00 00 00 00"), ModbusValueError, "count 0"),
    (rtu("04 00 00 00 7E"), ModbusValueError, "count 126"),
    (rtu("03 00 00 00"), ModbusFrameError, "8 bytes"),
    (rtu("10 00 01 00 02 04 00 0A"), ModbusFrameError, "disagree"),
    (rtu("10 00 01 00 02 03 00 0A 01"), ModbusFrameError, "disagree"),
    (rtu("10 00 01 00"), ModbusTruncatedError, "16 request"),
    (rtu("10 00 01 00 00 00"), ModbusValueError, "count 0"),
    (rtu("2B 0E 01 00"), ModbusFrameError, "ILLEGAL_FUNCTION"),
    (b"\x11", ModbusTruncatedError, "too short"),
])
def test_bad_requests(frame, error, words):
    with pytest.raises(error, match=words):
        modbus.parse_request(frame)


@pytest.mark.parametrize("build, words", [
    (lambda: modbus.read_request(0, 3, 0, 1), "unit address 0"),
    (lambda: modbus.read_request(248, 3, 0, 1), "unit address 248"),
    (lambda: modbus.read_request(1, 6, 0, 1), "not a register read"),
    (lambda: modbus.read_request(1, 3, 0, 126), "count 126"),
    (lambda: modbus.read_request(1, 3, 65535, 2), "past address 65535"),
    (lambda: modbus.read_request(1, 3, -1, 1), "address -1"),
    (lambda: modbus.read_request(1, 3, True, 1), "address True"),
    (lambda: modbus.write_single_request(1, 0, 65536), "value 65536"),
    (lambda: modbus.write_multiple_request(1, 0, []), "count 0"),
    (lambda: modbus.write_multiple_request(1, 0, [0] * 124), "count 124"),
    (lambda: modbus.write_multiple_request(1, 65535, [0, 0]), "past 65535"),
    (lambda: modbus.write_multiple_request(1, 0, [-1]), "value -1"),
    (lambda: modbus.read_reply(1, 3, []), "count 0"),
    (lambda: modbus.read_reply(1, 16, [1]), "not a register read"),
    (lambda: modbus.write_single_reply(0, 1, 1), "unit address 0"),
    (lambda: modbus.write_multiple_reply(1, 1, 0), "count 0"),
    (lambda: modbus.exception_reply(1, 0x83, 2), "function code 131"),
    (lambda: modbus.exception_reply(1, 3, 0), "exception code 0"),
])
def test_builders_refuse_out_of_range_values(build, words):
    with pytest.raises(ModbusValueError, match=words):
        build()


# --- stream framing ----------------------------------------------------------------------------

@pytest.mark.parametrize("frame, expect", [
    (rtu("03 00 6B 00 03"), "request"), (rtu("04 00 08 00 01"), "request"),
    (rtu("06 00 01 00 03"), "request"), (rtu("10 00 01 00 02 04 00 0A 01 02"), "request"),
    (rtu("03 06 02 2B 00 00 00 64"), "reply"), (rtu("04 02 00 0A"), "reply"),
    (rtu("06 00 01 00 03"), "reply"), (rtu("10 00 01 00 02"), "reply"), (rtu("83 02"), "reply"),
])
def test_frame_length(frame, expect):
    stream = frame + rtu("03 00 00 00 01")
    for cut in range(2):
        assert modbus.frame_length(stream[:cut], expect) is None
    length = modbus.frame_length(stream, expect)
    assert length == len(frame)
    shortcut = modbus.request_length if expect == "request" else modbus.reply_length
    assert shortcut(stream) == length
    if frame[1] in (3, 4) and expect == "reply" or frame[1] == 16 and expect == "request":
        assert modbus.frame_length(frame[:2], expect) is None   # count not yet received


@pytest.mark.parametrize("buffer, expect, words", [
    (b"\x11\x01", "reply", "0x01 in a reply"),
    (b"\x11\x83", "request", "0x83 in a request"),
    (b"\x11\x03\x05", "reply", "odd"),
    (b"\x11\x03\xfc", "reply", "above 250"),
    (b"\x11\x10\x00\x01\x00\x02\x03", "request", "odd"),
])
def test_frame_length_on_garbage(buffer, expect, words):
    with pytest.raises(ModbusFrameError, match=words):
        modbus.frame_length(buffer, expect)


def test_frame_length_wants_a_direction():
    with pytest.raises(ValueError, match="'request' or 'reply'"):
        modbus.frame_length(rtu("03 00 00 00 01"), "master")  # type: ignore[arg-type]


# --- properties --------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.binary(max_size=40))
def test_arbitrary_bytes_raise_only_modbus_errors(data):
    for parse in (modbus.parse_request, modbus.parse_reply):
        with contextlib.suppress(ModbusError):   # a CRC error, almost always
            assert isinstance(parse(data), tuple)
        with contextlib.suppress(ModbusError):   # the same bytes with a valid CRC
            assert isinstance(parse(modbus.with_crc(data)), tuple)
    for expect in ("request", "reply"):
        try:
            length = modbus.frame_length(data, expect)
        except ModbusError:
            continue
        assert length is None or 5 <= length <= 9 + 250


_REGISTERS = st.lists(st.integers(0, 0xFFFF), min_size=1, max_size=125)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.integers(1, 247), st.sampled_from([3, 4]), st.integers(0, 0xFFFF - 125), _REGISTERS)
def test_read_round_trip(unit, function, address, registers):
    request = modbus.read_request(unit, function, address, len(registers))
    assert modbus.request_length(request + b"\x00") == len(request)
    parsed = modbus.parse_request(request)
    reply = modbus.read_reply(unit, function, registers)
    assert modbus.reply_length(reply + b"\x00") == len(reply)
    assert modbus.parse_reply(reply, parsed).registers == tuple(registers)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.integers(0, 247), st.integers(0, 0xFFFF - 123), _REGISTERS.map(lambda r: r[:123]))
def test_write_round_trip(unit, address, values):
    request = modbus.write_multiple_request(unit, address, values)
    assert modbus.request_length(request) == len(request)
    parsed = modbus.parse_request(request)
    assert parsed == WriteMultipleRequest(unit, address, tuple(values))
    if unit:
        reply = modbus.write_multiple_reply(unit, address, len(values))
        assert modbus.parse_reply(reply, parsed) == WriteMultipleReply(unit, address, len(values))
