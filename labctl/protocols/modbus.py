"""Modbus RTU: frames, CRC-16/MODBUS and the register function codes 03, 04, 06 and 16,
for both sides (master and slave), as pure functions (no I/O).

An RTU frame is ``unit | function | data | CRC``: the unit (slave) address, 1 byte
(1-247; 0 is a broadcast, for writes only), the function code, 1 byte, the data, and the
CRC-16/MODBUS of everything before it, **low byte first**. Register addresses and values
are 16-bit, high byte first. Facts from the Modbus Application Protocol Specification
V1.1b3 (section 6: the PDUs of functions 03, 04, 06, 16; section 7: exception codes) and
the Modbus over Serial Line Specification V1.02 (2.5.1: RTU framing; 6.2.2: the CRC):

========  ========================  =====================================  ===============
function  request (after unit, fc)  normal reply (after unit, fc)          frame lengths
========  ========================  =====================================  ===============
03, 04    address, count (1-125)    byte count (2 x count), the registers  8 / 5 + 2 x count
06        address, value            the request, echoed                    8 / 8
16        address, count (1-123),   address, count                         9 + 2 x count / 8
          byte count, the values
========  ========================  =====================================  ===============

An exception reply is ``unit | function + 0x80 | exception code | CRC`` (5 bytes);
``parse_reply`` raises it as ``ModbusExceptionReply`` naming the code.

Register addresses here are the 0-based addresses that travel in the frame (a manual's
"40001" is holding register address 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Literal, NamedTuple

from labctl.errors import LabctlError

READ_HOLDING = 0x03
READ_INPUT = 0x04
WRITE_SINGLE = 0x06
WRITE_MULTIPLE = 0x10
FUNCTIONS = (READ_HOLDING, READ_INPUT, WRITE_SINGLE, WRITE_MULTIPLE)
FUNCTION_NAMES = {READ_HOLDING: "read holding registers", READ_INPUT: "read input registers",
                  WRITE_SINGLE: "write single register", WRITE_MULTIPLE: "write multiple registers"}

MAX_READ = 125       # registers per 03/04 request (V1.1b3, 6.3 and 6.4)
MAX_WRITE = 123      # registers per 16 request (V1.1b3, 6.12)
MAX_FRAME = 256      # bytes in an RTU frame (serial line spec, 2.5.1)
BROADCAST = 0


class ExceptionCode(IntEnum):
    """Modbus exception codes (V1.1b3, section 7)."""

    ILLEGAL_FUNCTION = 0x01
    ILLEGAL_DATA_ADDRESS = 0x02
    ILLEGAL_DATA_VALUE = 0x03
    SERVER_DEVICE_FAILURE = 0x04
    ACKNOWLEDGE = 0x05
    SERVER_DEVICE_BUSY = 0x06
    MEMORY_PARITY_ERROR = 0x08
    GATEWAY_PATH_UNAVAILABLE = 0x0A
    GATEWAY_TARGET_FAILED_TO_RESPOND = 0x0B


_EXCEPTION_TEXT = {
    ExceptionCode.ILLEGAL_FUNCTION: "the device does not support this function code",
    ExceptionCode.ILLEGAL_DATA_ADDRESS: "the device has no register at this address "
                                        "(or the range runs past its registers)",
    ExceptionCode.ILLEGAL_DATA_VALUE: "the device refused the value or the count",
    ExceptionCode.SERVER_DEVICE_FAILURE: "the device failed while carrying out the request",
    ExceptionCode.ACKNOWLEDGE: "the device accepted a long request and is still working on it",
    ExceptionCode.SERVER_DEVICE_BUSY: "the device is busy; retry later",
    ExceptionCode.MEMORY_PARITY_ERROR: "the device found a parity error in its memory",
    ExceptionCode.GATEWAY_PATH_UNAVAILABLE: "the gateway has no path to the device",
    ExceptionCode.GATEWAY_TARGET_FAILED_TO_RESPOND: "the device behind the gateway did not "
                                                    "answer",
}


# --- errors ----------------------------------------------------------------------------

class ModbusError(LabctlError):
    """Base of every Modbus RTU error. Drivers add the instrument and the request."""


class ModbusCrcError(ModbusError):
    """The CRC of a frame does not match its bytes."""


class ModbusFrameError(ModbusError):
    """Bytes that are not a valid frame of the functions handled here: unknown function
    code, wrong length, inconsistent byte count, a reply that does not answer the request."""


class ModbusTruncatedError(ModbusFrameError):
    """A frame shorter than its function code needs."""


class ModbusValueError(ModbusError):
    """A request or reply that cannot be built: address, count or value out of range."""


class ModbusExceptionReply(ModbusError):
    """The device answered with an exception reply; ``code`` says why."""

    def __init__(self, unit: int, function: int, code: int):
        self.unit = unit
        self.function = function
        self.code = code
        try:
            known = ExceptionCode(code)
            text = f"exception {code:#04x} {known.name}: {_EXCEPTION_TEXT[known]}"
        except ValueError:
            text = f"exception {code:#04x} (not a code of the Modbus specification)"
        name = FUNCTION_NAMES.get(function, f"function {function:#04x}")
        super().__init__(f"unit {unit} refused {name}: {text}")


# --- CRC -------------------------------------------------------------------------------

def _crc_table() -> tuple[int, ...]:
    table = []
    for value in range(256):
        crc = value
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16(data: bytes) -> int:
    """CRC-16/MODBUS (reflected polynomial 0xA001, start 0xFFFF); ``crc16(b"123456789")``
    is 0x4B37. On the wire the low byte goes first: ``crc16(d).to_bytes(2, "little")``."""
    crc = 0xFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def with_crc(body: bytes) -> bytes:
    """``body`` (unit, function, data) followed by its CRC, low byte first."""
    return body + crc16(body).to_bytes(2, "little")


def check_crc(frame: bytes) -> bytes:
    """The frame without its CRC, once the CRC is checked (``ModbusCrcError`` if not)."""
    if len(frame) < 4:
        raise ModbusTruncatedError(f"a {len(frame)}-byte frame is too short for Modbus RTU",
                                   hint="unit, function and a 2-byte CRC at least")
    body, received = frame[:-2], int.from_bytes(frame[-2:], "little")
    expected = crc16(body)
    if received != expected:
        raise ModbusCrcError(f"bad CRC: the frame ends {frame[-2:].hex(' ')}, its bytes give "
                             f"{expected.to_bytes(2, 'little').hex(' ')}",
                             hint="noise on the line, a wrong baud rate or parity, or two "
                                  "frames run together")
    return body


# --- messages --------------------------------------------------------------------------

class ReadRequest(NamedTuple):
    """03 or 04: read ``count`` registers from ``address``."""

    unit: int
    function: int
    address: int
    count: int


class WriteSingleRequest(NamedTuple):
    """06: write ``value`` into the register at ``address``."""

    unit: int
    address: int
    value: int
    function: int = WRITE_SINGLE


class WriteMultipleRequest(NamedTuple):
    """16: write ``values`` into consecutive registers from ``address``."""

    unit: int
    address: int
    values: tuple[int, ...]
    function: int = WRITE_MULTIPLE


class ReadReply(NamedTuple):
    """The registers a 03 or 04 request read."""

    unit: int
    function: int
    registers: tuple[int, ...]


class WriteSingleReply(NamedTuple):
    """The echo of a 06 request."""

    unit: int
    address: int
    value: int
    function: int = WRITE_SINGLE


class WriteMultipleReply(NamedTuple):
    """The answer to a 16 request: where and how many registers were written."""

    unit: int
    address: int
    count: int
    function: int = WRITE_MULTIPLE


class ExceptionReply(NamedTuple):
    """An exception reply, as a slave builds it (a master gets ``ModbusExceptionReply``)."""

    unit: int
    function: int
    code: int


Request = ReadRequest | WriteSingleRequest | WriteMultipleRequest
Reply = ReadReply | WriteSingleReply | WriteMultipleReply


def _check_range(what: str, value: int, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ModbusValueError(f"{what} {value!r} is outside {low}-{high}")
    return value


def _unit(unit: int, *, broadcast: bool) -> int:
    return _check_range("unit address", unit, BROADCAST if broadcast else 1, 247)


# --- master side: build requests, parse replies ---------------------------------------

def read_request(unit: int, function: int, address: int, count: int) -> bytes:
    """The frame of a 03 (holding) or 04 (input) register read."""
    if function not in (READ_HOLDING, READ_INPUT):
        raise ModbusValueError(f"function {function:#04x} is not a register read (03 or 04)")
    _unit(unit, broadcast=False)
    _check_range("register address", address, 0, 0xFFFF)
    _check_range("register count", count, 1, MAX_READ)
    if address + count > 0x10000:
        raise ModbusValueError(f"{count} registers from {address} run past address 65535")
    return with_crc(bytes((unit, function)) + address.to_bytes(2, "big")
                    + count.to_bytes(2, "big"))


def write_single_request(unit: int, address: int, value: int) -> bytes:
    """The frame of a 06 request (unit 0 broadcasts it)."""
    _unit(unit, broadcast=True)
    _check_range("register address", address, 0, 0xFFFF)
    _check_range("register value", value, 0, 0xFFFF)
    return with_crc(bytes((unit, WRITE_SINGLE)) + address.to_bytes(2, "big")
                    + value.to_bytes(2, "big"))


def write_multiple_request(unit: int, address: int, values: Sequence[int]) -> bytes:
    """The frame of a 16 request (unit 0 broadcasts it)."""
    _unit(unit, broadcast=True)
    _check_range("register address", address, 0, 0xFFFF)
    _check_range("register count", len(values), 1, MAX_WRITE)
    if address + len(values) > 0x10000:
        raise ModbusValueError(f"{len(values)} registers from {address} run past 65535")
    for value in values:
        _check_range("register value", value, 0, 0xFFFF)
    return with_crc(bytes((unit, WRITE_MULTIPLE)) + address.to_bytes(2, "big")
                    + len(values).to_bytes(2, "big") + bytes((2 * len(values),))
                    + b"".join(v.to_bytes(2, "big") for v in values))


def encode_request(request: Request) -> bytes:
    """The frame of a request message."""
    if isinstance(request, ReadRequest):
        return read_request(request.unit, request.function, request.address, request.count)
    if isinstance(request, WriteSingleRequest):
        return write_single_request(request.unit, request.address, request.value)
    return write_multiple_request(request.unit, request.address, request.values)


def parse_reply(frame: bytes, request: Request | None = None) -> Reply:
    """The reply in ``frame`` (CRC checked). An exception reply raises
    ``ModbusExceptionReply``. With ``request``, the reply must answer it: same unit and
    function, the register count asked for, the address and value written."""
    body = check_crc(bytes(frame))
    unit, function = body[0], body[1]
    if function & 0x80:
        if len(body) != 3:
            raise ModbusFrameError(f"an exception reply is 5 bytes, got {len(frame)}")
        if request is not None:
            _same(request, unit, function & 0x7F)
        raise ModbusExceptionReply(unit, function & 0x7F, body[2])
    reply: Reply
    if function in (READ_HOLDING, READ_INPUT):
        if len(body) < 3:
            raise ModbusTruncatedError("a register read reply without its byte count")
        count = body[2]
        if count % 2 or len(body) != 3 + count:
            raise ModbusFrameError(f"byte count {count} does not match the {len(body) - 3} "
                                   "data bytes of the reply (or is odd)")
        data = body[3:]
        reply = ReadReply(unit, function, tuple(int.from_bytes(data[i:i + 2], "big")
                                                for i in range(0, count, 2)))
    elif function in (WRITE_SINGLE, WRITE_MULTIPLE):
        if len(body) != 6:
            raise ModbusFrameError(f"a function {function:02d} reply is 8 bytes, "
                                   f"got {len(frame)}")
        address, number = int.from_bytes(body[2:4], "big"), int.from_bytes(body[4:6], "big")
        reply = (WriteSingleReply(unit, address, number) if function == WRITE_SINGLE
                 else WriteMultipleReply(unit, address, number))
    else:
        raise ModbusFrameError(f"function code {function:#04x} is not one labctl handles "
                               "(03, 04, 06, 16)")
    if request is not None:
        _check_answers(request, reply)
    return reply


def _same(request: Request, unit: int, function: int) -> None:
    if unit != request.unit or function != request.function:
        raise ModbusFrameError(f"the reply (unit {unit}, function {function:02d}) does not "
                               f"answer the request (unit {request.unit}, function "
                               f"{request.function:02d})", hint="another device answered, "
                               "or an old reply was still on the line")


def _check_answers(request: Request, reply: Reply) -> None:
    _same(request, reply.unit, reply.function)
    if isinstance(request, ReadRequest):
        assert isinstance(reply, ReadReply)
        if len(reply.registers) != request.count:
            raise ModbusFrameError(f"asked for {request.count} registers, got "
                                   f"{len(reply.registers)}")
    elif isinstance(request, WriteSingleRequest):
        if tuple(reply) != tuple(request):
            raise ModbusFrameError(f"the echo {reply} differs from the request {request}")
    else:
        assert isinstance(reply, WriteMultipleReply)
        if (reply.address, reply.count) != (request.address, len(request.values)):
            raise ModbusFrameError(f"wrote {len(request.values)} registers at "
                                   f"{request.address}, the reply says {reply.count} at "
                                   f"{reply.address}")


# --- slave side: parse requests, build replies -----------------------------------------

def parse_request(frame: bytes) -> Request:
    """The request in ``frame`` (CRC checked). A function code other than 03, 04, 06, 16
    raises ``ModbusFrameError`` (a slave answers it with ``ILLEGAL_FUNCTION``); counts
    outside the specification's ranges raise ``ModbusValueError`` (``ILLEGAL_DATA_VALUE``).
    """
    body = check_crc(bytes(frame))
    unit, function = body[0], body[1]
    if function in (READ_HOLDING, READ_INPUT, WRITE_SINGLE):
        if len(body) != 6:
            raise ModbusFrameError(f"a function {function:02d} request is 8 bytes, "
                                   f"got {len(frame)}")
        address, number = int.from_bytes(body[2:4], "big"), int.from_bytes(body[4:6], "big")
        if function == WRITE_SINGLE:
            return WriteSingleRequest(unit, address, number)
        _check_range("register count", number, 1, MAX_READ)
        return ReadRequest(unit, function, address, number)
    if function == WRITE_MULTIPLE:
        if len(body) < 7:
            raise ModbusTruncatedError(f"a function 16 request of {len(frame)} bytes")
        address, count, size = (int.from_bytes(body[2:4], "big"),
                                int.from_bytes(body[4:6], "big"), body[6])
        if size != 2 * count or len(body) != 7 + size:
            raise ModbusFrameError(f"count {count}, byte count {size} and the "
                                   f"{len(body) - 7} data bytes of the request disagree")
        _check_range("register count", count, 1, MAX_WRITE)
        data = body[7:]
        return WriteMultipleRequest(unit, address, tuple(
            int.from_bytes(data[i:i + 2], "big") for i in range(0, size, 2)))
    raise ModbusFrameError(f"function code {function:#04x} is not one labctl handles "
                           "(03, 04, 06, 16)", hint="answer ILLEGAL_FUNCTION")


def read_reply(unit: int, function: int, registers: Sequence[int]) -> bytes:
    """The frame answering a 03 or 04 request with ``registers``."""
    if function not in (READ_HOLDING, READ_INPUT):
        raise ModbusValueError(f"function {function:#04x} is not a register read (03 or 04)")
    _unit(unit, broadcast=False)
    _check_range("register count", len(registers), 1, MAX_READ)
    for value in registers:
        _check_range("register value", value, 0, 0xFFFF)
    return with_crc(bytes((unit, function, 2 * len(registers)))
                    + b"".join(v.to_bytes(2, "big") for v in registers))


def write_single_reply(unit: int, address: int, value: int) -> bytes:
    """The frame answering a 06 request: the request echoed."""
    _unit(unit, broadcast=False)
    return write_single_request(unit, address, value)


def write_multiple_reply(unit: int, address: int, count: int) -> bytes:
    """The frame answering a 16 request."""
    _unit(unit, broadcast=False)
    _check_range("register address", address, 0, 0xFFFF)
    _check_range("register count", count, 1, MAX_WRITE)
    return with_crc(bytes((unit, WRITE_MULTIPLE)) + address.to_bytes(2, "big")
                    + count.to_bytes(2, "big"))


def exception_reply(unit: int, function: int, code: ExceptionCode | int) -> bytes:
    """The frame of an exception reply: function code + 0x80, the exception code."""
    _unit(unit, broadcast=False)
    _check_range("function code", function, 1, 0x7F)
    _check_range("exception code", int(code), 1, 0xFF)
    return with_crc(bytes((unit, function | 0x80, int(code))))


def encode_reply(reply: Reply | ExceptionReply) -> bytes:
    """The frame of a reply message."""
    if isinstance(reply, ReadReply):
        return read_reply(reply.unit, reply.function, reply.registers)
    if isinstance(reply, WriteSingleReply):
        return write_single_reply(reply.unit, reply.address, reply.value)
    if isinstance(reply, WriteMultipleReply):
        return write_multiple_reply(reply.unit, reply.address, reply.count)
    return exception_reply(reply.unit, reply.function, reply.code)


# --- stream framing ----------------------------------------------------------------------

Direction = Literal["request", "reply"]


def frame_length(buffer: bytes, expect: Direction) -> int | None:
    """The length of the first frame at the start of ``buffer``, None while more bytes
    are needed, ``ModbusFrameError`` for a function code whose length is unknown.

    RTU frames carry no length and no delimiter (the line's silence ends them), so the
    length follows from the function code, and differs between a request and a reply:
    a master reading replies passes ``expect="reply"`` (or uses ``reply_length``), a
    slave reading requests ``expect="request"`` (``request_length``). ``frame_length``
    does not check the CRC; ``parse_reply`` and ``parse_request`` do.
    """
    if len(buffer) < 2:
        return None
    function = buffer[1]
    if expect == "reply":
        if function & 0x80:
            return 5
        if function in (READ_HOLDING, READ_INPUT):
            if len(buffer) < 3:
                return None
            if buffer[2] % 2 or buffer[2] > 2 * MAX_READ:
                raise ModbusFrameError(f"byte count {buffer[2]} in a read reply is odd or "
                                       f"above {2 * MAX_READ}")
            return 5 + buffer[2]
        if function in (WRITE_SINGLE, WRITE_MULTIPLE):
            return 8
    elif expect == "request":
        if function in (READ_HOLDING, READ_INPUT, WRITE_SINGLE):
            return 8
        if function == WRITE_MULTIPLE:
            if len(buffer) < 7:
                return None
            if buffer[6] % 2 or buffer[6] > 2 * MAX_WRITE:
                raise ModbusFrameError(f"byte count {buffer[6]} in a write request is odd "
                                       f"or above {2 * MAX_WRITE}")
            return 9 + buffer[6]
    else:
        raise ValueError(f"expect must be 'request' or 'reply', not {expect!r}")
    raise ModbusFrameError(f"function code {function:#04x} in a {expect}: its length is "
                           "unknown (labctl handles 03, 04, 06, 16)",
                           hint="resynchronise after the line's silence")


def reply_length(buffer: bytes) -> int | None:
    """``frame_length(buffer, "reply")``: the parser a master gives its stream reader."""
    return frame_length(buffer, "reply")


def request_length(buffer: bytes) -> int | None:
    """``frame_length(buffer, "request")``: the parser a slave gives its stream reader."""
    return frame_length(buffer, "request")
