"""Frame parsers: where one message ends in a byte stream, as pure functions (no I/O).

A transport reading a reply and a simulator reading a command both cut frames from a
buffer of received bytes. A ``FrameParser`` says how: ``parser.length(buffer)`` is the
length in bytes of the first complete frame at the start of ``buffer``, ``None`` while
more bytes are needed, and raises ``FramingError`` when the bytes cannot start a frame
(the reader drops them and says so). Parsers never look past the first frame and never
check a CRC; ``decode``/``parse_reply`` of the protocol module do that on the bytes a
parser delimits (except ``modbus_rtu(check_crc=True)``, which needs the CRC to tell a
frame from line noise).

The parsers shipped here:

=========================  ===========================================================
``line(b"\\r\\n")``         text lines ended by a terminator (the frame includes it)
``fixed(n)``                exactly ``n`` bytes
``HJ212``                   HJ 212-2017: ``##``, 4 length digits, data, CRC, CR LF
``modbus_rtu("reply")``     Modbus RTU, the length from the function code (and byte count)
=========================  ===========================================================

``split(buffer, parser)`` cuts every complete frame from a buffer (a simulator's input).
Every parser has a ``max_length``: a frame longer than that is refused with
``FrameTooLong`` as soon as the buffer shows it, so a reader's buffer stays bounded and
the time to cut a stream stays linear in its length.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from labctl.errors import LabctlError

DEFAULT_MAX_LENGTH = 65536  # bytes in one frame unless a parser says otherwise


class FramingError(LabctlError):
    """Bytes that cannot be (the start of) a frame of the expected kind."""


class FrameTooLong(FramingError):
    """A frame (a line without its terminator, say) longer than the parser allows."""

    def __init__(self, message: str, *, limit: int, hint: str | None = None) -> None:
        self.limit = limit
        super().__init__(message, hint=hint)


@dataclass(frozen=True)
class FrameParser:
    """How frames end. ``measure(buffer, begin, searched)`` gives the end (an index into
    ``buffer``, exclusive) of the frame that starts at ``buffer[begin]``, or ``None`` for
    "need more bytes". Bytes from ``begin`` up to ``searched`` were searched already (a
    reader keeping a growing buffer passes its old length), so cutting a long stream
    costs linear time.
    """

    name: str
    measure: Callable[[bytes | bytearray, int, int], int | None] = field(repr=False)
    max_length: int = DEFAULT_MAX_LENGTH

    def end(self, buffer: bytes | bytearray, begin: int = 0,
            searched: int | None = None) -> int | None:
        """The end of the frame starting at ``buffer[begin]`` (None: more bytes needed).
        Raises ``FrameTooLong`` beyond ``max_length`` and ``FramingError`` on garbage."""
        stop = self.measure(buffer, begin, begin if searched is None else max(searched, begin))
        if stop is None:
            if len(buffer) - begin > self.max_length:
                raise self.too_long(len(buffer) - begin)
            return None
        if stop - begin > self.max_length:
            raise self.too_long(stop - begin)
        return stop

    def length(self, buffer: bytes | bytearray) -> int | None:
        """The length of the first complete frame of ``buffer`` (None: more needed)."""
        return self.end(buffer, 0)

    def too_long(self, size: int) -> FrameTooLong:
        return FrameTooLong(f"{self.name} frame of more than {self.max_length} bytes "
                            f"({size} received without its end)", limit=self.max_length,
                            hint="line noise, a wrong terminator, or a peer sending "
                            "without end")

    def with_max_length(self, max_length: int) -> FrameParser:
        """The same parser with another ``max_length``."""
        if max_length < 1:
            raise ValueError(f"max_length must be at least 1, not {max_length}")
        return FrameParser(self.name, self.measure, max_length)


def line(terminator: bytes = b"\r\n", *, max_length: int = DEFAULT_MAX_LENGTH,
         accept_bare: bool = False) -> FrameParser:
    """Lines ended by ``terminator`` (the frame includes it). With ``accept_bare`` and a
    CR LF terminator, a bare LF or a bare CR also ends a line, as many instruments accept
    (a reader that meets a lone LF right after a CR-ended line skips it)."""
    if not terminator:
        raise ValueError("a line terminator must not be empty")
    size = len(terminator)

    def measure(buffer: bytes | bytearray, begin: int, searched: int) -> int | None:
        idx = buffer.find(terminator, max(begin, searched - size + 1))
        return idx + size if idx >= 0 else None

    def measure_bare(buffer: bytes | bytearray, begin: int, searched: int) -> int | None:
        frm = max(begin, searched - 1)
        cr, lf = buffer.find(b"\r", frm), buffer.find(b"\n", frm)
        if lf >= 0 and (cr < 0 or lf < cr):
            return lf + 1
        if cr < 0:
            return None
        if cr + 1 >= len(buffer):
            return cr + 1  # a CR at the end ends the line (a reader skips an LF after it)
        return cr + 2 if buffer[cr + 1] == 0x0A else cr + 1

    bare = accept_bare and terminator == b"\r\n"
    return FrameParser(f"line ({terminator!r})", measure_bare if bare else measure,
                       max_length)


def fixed(count: int) -> FrameParser:
    """Frames of exactly ``count`` bytes."""
    if count < 1:
        raise ValueError(f"a fixed frame needs at least 1 byte, not {count}")
    return FrameParser(f"{count}-byte", lambda buffer, begin, searched: begin + count
                       if len(buffer) - begin >= count else None, max_length=count)


def _hj212(buffer: bytes | bytearray, begin: int, searched: int) -> int | None:
    from labctl.protocols import hj212

    try:
        size = hj212.frame_length(bytes(buffer[begin:begin + HJ212_MAX]))
    except hj212.Hj212Error as exc:
        raise FramingError(exc.message, hint=exc.hint) from exc
    return None if size is None else begin + size


HJ212_MAX = 9999 + 12  # the 4-digit length field allows 9999 data bytes

#: HJ 212-2017 frames (``##``, 4 length digits, data segment, CRC, CR LF).
HJ212 = FrameParser("HJ 212", _hj212, max_length=HJ212_MAX)


def modbus_rtu(expect: str = "reply", *, check_crc: bool = False) -> FrameParser:
    """Modbus RTU frames: a master reads ``"reply"`` frames, a slave ``"request"`` ones.
    The length follows from the function code (and the byte count of 03/04 replies and 16
    requests). With ``check_crc`` a complete frame whose CRC is wrong raises
    ``FramingError`` (a garbled frame, dropped by the reader)."""
    from labctl.protocols import modbus

    if expect not in ("reply", "request"):
        raise ValueError(f"expect must be 'request' or 'reply', not {expect!r}")

    def measure(buffer: bytes | bytearray, begin: int, searched: int) -> int | None:
        try:
            size = modbus.frame_length(bytes(buffer[begin:begin + 7]),
                                       expect)  # type: ignore[arg-type]
        except modbus.ModbusError as exc:
            raise FramingError(exc.message, hint=exc.hint) from exc
        if size is None or len(buffer) - begin < size:
            return None
        if check_crc:
            try:
                modbus.check_crc(bytes(buffer[begin:begin + size]))
            except modbus.ModbusError as exc:
                raise FramingError(exc.message, hint=exc.hint) from exc
        return begin + size

    return FrameParser(f"Modbus RTU {expect}", measure, max_length=modbus.MAX_FRAME)


def split(buffer: bytes | bytearray, parser: FrameParser) -> tuple[list[bytes], bytes]:
    """Every complete frame at the start of ``buffer``, and the bytes left after them.
    Errors of the parser propagate (the caller decides what to drop)."""
    frames: list[bytes] = []
    pos = 0
    while pos < len(buffer):
        stop = parser.end(buffer, pos)
        if stop is None:
            break
        frames.append(bytes(buffer[pos:stop]))
        pos = stop
    return frames, bytes(buffer[pos:])
