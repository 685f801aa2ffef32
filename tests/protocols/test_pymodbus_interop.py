"""labctl's Modbus RTU frames against pymodbus, an independent implementation.

pymodbus builds frames with its own RTU framer and PDU classes and labctl decodes them;
labctl builds frames and pymodbus's framer decodes them; both CRCs agree; pymodbus's
register conversions agree with labctl's word orders (ABCD is pymodbus's
``word_order="big"``, CDAB its ``"little"``). Written against the pymodbus 3.x API of the
versions pinned in pyproject.toml (the framer and PDU classes moved in 3.7 and 3.8).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymodbus.client.mixin import ModbusClientMixin
from pymodbus.framer import FramerRTU
from pymodbus.pdu import DecodePDU, ExceptionResponse
from pymodbus.pdu.register_message import (
    ReadHoldingRegistersRequest,
    ReadHoldingRegistersResponse,
    ReadInputRegistersRequest,
    ReadInputRegistersResponse,
    WriteMultipleRegistersRequest,
    WriteMultipleRegistersResponse,
    WriteSingleRegisterRequest,
    WriteSingleRegisterResponse,
)

from labctl.protocols import modbus
from labctl.protocols.modbus import (
    ModbusExceptionReply,
    ReadReply,
    ReadRequest,
    WriteMultipleReply,
    WriteMultipleRequest,
    WriteSingleReply,
    WriteSingleRequest,
)
from labctl.protocols.registers import Register
from labctl.units import Q_

DATATYPE = ModbusClientMixin.DATATYPE


def pymodbus_reads(frame: bytes, *, as_server: bool):
    """The PDU pymodbus's RTU framer finds in ``frame`` (a server decodes requests)."""
    framer = FramerRTU(DecodePDU(is_server=as_server))
    used, pdu = framer.handleFrame(frame, 0, 0)
    assert used == len(frame), f"pymodbus used {used} of {len(frame)} bytes"
    assert pdu is not None, f"pymodbus could not decode {frame.hex(' ')}"
    return pdu


def pymodbus_builds(pdu, *, as_server: bool) -> bytes:
    return FramerRTU(DecodePDU(is_server=as_server)).buildFrame(pdu)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.binary(max_size=64))
def test_crc_agrees_with_pymodbus(data):
    # pymodbus returns the CRC with its bytes swapped: the wire order, read big-endian
    wire = FramerRTU.compute_CRC(data).to_bytes(2, "big")
    assert modbus.crc16(data).to_bytes(2, "little") == wire


# --- pymodbus (master) -> labctl (slave) -> pymodbus ----------------------------------------

def test_read_holding_registers_from_pymodbus():
    frame = pymodbus_builds(ReadHoldingRegistersRequest(address=0x6B, count=3, dev_id=17),
                            as_server=False)
    assert frame == modbus.read_request(17, 3, 0x6B, 3)
    assert modbus.request_length(frame) == len(frame)
    request = modbus.parse_request(frame)
    assert request == ReadRequest(17, 3, 0x6B, 3)
    reply = pymodbus_reads(modbus.read_reply(17, 3, [555, 0, 100]), as_server=False)
    assert isinstance(reply, ReadHoldingRegistersResponse)
    assert (reply.dev_id, list(reply.registers)) == (17, [555, 0, 100])


def test_read_input_registers_from_pymodbus():
    frame = pymodbus_builds(ReadInputRegistersRequest(address=8, count=1, dev_id=1),
                            as_server=False)
    assert modbus.parse_request(frame) == ReadRequest(1, 4, 8, 1)
    reply = pymodbus_reads(modbus.read_reply(1, 4, [10]), as_server=False)
    assert isinstance(reply, ReadInputRegistersResponse) and list(reply.registers) == [10]


def test_write_single_register_from_pymodbus():
    frame = pymodbus_builds(WriteSingleRegisterRequest(address=1, registers=[3], dev_id=17),
                            as_server=False)
    request = modbus.parse_request(frame)
    assert request == WriteSingleRequest(17, 1, 3)
    reply = pymodbus_reads(modbus.write_single_reply(17, 1, 3), as_server=False)
    assert isinstance(reply, WriteSingleRegisterResponse)
    assert (reply.address, list(reply.registers)) == (1, [3])


def test_write_multiple_registers_from_pymodbus():
    frame = pymodbus_builds(WriteMultipleRegistersRequest(address=1, registers=[10, 258],
                                                          dev_id=17), as_server=False)
    assert modbus.request_length(frame + b"\x11") == len(frame)
    request = modbus.parse_request(frame)
    assert request == WriteMultipleRequest(17, 1, (10, 258))
    reply = pymodbus_reads(modbus.write_multiple_reply(17, 1, 2), as_server=False)
    assert isinstance(reply, WriteMultipleRegistersResponse)
    assert (reply.address, reply.count) == (1, 2)


def test_labctl_exception_reply_read_by_pymodbus():
    reply = pymodbus_reads(modbus.exception_reply(17, 3, modbus.ExceptionCode.ILLEGAL_DATA_ADDRESS),
                           as_server=False)
    assert isinstance(reply, ExceptionResponse) and reply.isError()
    assert (reply.function_code, reply.exception_code) == (0x83, 2)


# --- labctl (master) -> pymodbus (slave) -> labctl ------------------------------------------

@pytest.mark.parametrize("function, request_class, reply_class", [
    (3, ReadHoldingRegistersRequest, ReadHoldingRegistersResponse),
    (4, ReadInputRegistersRequest, ReadInputRegistersResponse),
])
def test_labctl_reads_from_pymodbus(function, request_class, reply_class):
    request = pymodbus_reads(modbus.read_request(5, function, 300, 4), as_server=True)
    assert isinstance(request, request_class)
    assert (request.dev_id, request.address, request.count) == (5, 300, 4)
    frame = pymodbus_builds(reply_class(registers=[1, 2, 0xFFFF, 0], dev_id=5), as_server=True)
    assert modbus.reply_length(frame) == len(frame)
    assert modbus.parse_reply(frame, ReadRequest(5, function, 300, 4)) == ReadReply(
        5, function, (1, 2, 0xFFFF, 0))


def test_labctl_writes_to_pymodbus():
    single = pymodbus_reads(modbus.write_single_request(5, 7, 0xBEEF), as_server=True)
    assert isinstance(single, WriteSingleRegisterRequest)
    assert (single.dev_id, single.address, list(single.registers)) == (5, 7, [0xBEEF])
    echo = pymodbus_builds(WriteSingleRegisterResponse(address=7, registers=[0xBEEF], dev_id=5),
                           as_server=True)
    assert modbus.parse_reply(echo, WriteSingleRequest(5, 7, 0xBEEF)) == WriteSingleReply(
        5, 7, 0xBEEF)
    many = pymodbus_reads(modbus.write_multiple_request(5, 7, [1, 2, 3]), as_server=True)
    assert isinstance(many, WriteMultipleRegistersRequest)
    assert (many.address, list(many.registers)) == (7, [1, 2, 3])
    done = pymodbus_builds(WriteMultipleRegistersResponse(address=7, count=3, dev_id=5),
                           as_server=True)
    assert modbus.parse_reply(done, WriteMultipleRequest(5, 7, (1, 2, 3))) == (
        WriteMultipleReply(5, 7, 3))


def test_pymodbus_exception_reply_read_by_labctl():
    frame = pymodbus_builds(ExceptionResponse(3, 2, device_id=5), as_server=True)
    assert modbus.reply_length(frame) == len(frame) == 5
    with pytest.raises(ModbusExceptionReply, match="ILLEGAL_DATA_ADDRESS") as info:
        modbus.parse_reply(frame, ReadRequest(5, 3, 0, 1))
    assert info.value.code == 2


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.integers(1, 247), st.integers(0, 0xFFFF - 125),
       st.lists(st.integers(0, 0xFFFF), min_size=1, max_size=123))
def test_random_frames_both_ways(unit, address, values):
    built = pymodbus_builds(WriteMultipleRegistersRequest(address=address, registers=values,
                                                          dev_id=unit), as_server=False)
    assert built == modbus.write_multiple_request(unit, address, values)
    reply = pymodbus_reads(modbus.read_reply(unit, 3, values), as_server=False)
    assert list(reply.registers) == values


# --- register words ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind, datatype, value", [
    ("float32", DATATYPE.FLOAT32, 35.2), ("float32", DATATYPE.FLOAT32, -1.5e-3),
    ("int32", DATATYPE.INT32, -123456), ("uint32", DATATYPE.UINT32, 0x12345678),
    ("int16", DATATYPE.INT16, -2), ("uint16", DATATYPE.UINT16, 65535),
])
@pytest.mark.parametrize("order, pymodbus_order", [("ABCD", "big"), ("CDAB", "little")])
def test_register_words_agree_with_pymodbus(kind, datatype, value, order, pymodbus_order):
    reg = Register(address=0, type=kind, word_order=order if kind.endswith("32") else None)
    theirs = ModbusClientMixin.convert_to_registers(value, datatype, word_order=pymodbus_order)
    raw = value if kind != "float32" else reg.raw_from_words(reg.words_from_raw(value))
    assert list(reg.words_from_raw(raw)) == list(theirs)
    back = ModbusClientMixin.convert_from_registers(list(reg.words_from_raw(raw)), datatype,
                                                    word_order=pymodbus_order)
    assert back == raw
    if kind == "float32":
        assert reg.decode(theirs).magnitude == raw
        assert reg.encode(Q_(value, "")) == tuple(theirs)
