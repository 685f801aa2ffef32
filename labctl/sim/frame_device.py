"""``FrameDevice``: the base of simulators whose commands are frames, not text lines.

An HJ 212 data logger or a Modbus RTU slave takes frames whose end is known from their
content (a length field, a function code), not from a terminator. A ``FrameDevice``
cuts its input with a ``labctl.protocols.framing`` parser (``frame_parser``) and answers
each frame through ``handle_frame(frame) -> list[bytes | Reply]``: whole reply frames,
sent as they are (nothing appended). Everything else is ``SimDevice``'s: the clock,
delayed replies, sessions, fault plans (which act on the reply frames: a garbled CRC, a
truncated frame, a dropped or delayed reply)::

    class PmLogger(FrameDevice):
        name = "pm-logger"
        frame_parser = framing.HJ212
        frame_start = b"##"
        binary = False

        def handle_frame(self, frame: bytes) -> list[bytes | Reply]:
            request = hj212.decode(frame)
            return [hj212.encode(f) for f in hj212.replies(request, self.cp())]

Bytes that cannot start a frame (line noise) are skipped up to the next ``frame_start``
(or one byte when the protocol has none); a frame longer than the parser's
``max_length`` gets ``overlong()`` (nothing by default) and is skipped.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

from labctl.protocols import framing
from labctl.sim.device import Reply, SimDevice


class FrameDevice(SimDevice):
    """Base of frame-based device simulators: implement ``handle_frame``."""

    frame_based: ClassVar[bool] = True
    frame_parser: ClassVar[framing.FrameParser]
    #: bytes every frame starts with (``b"##"`` for HJ 212), for resynchronising
    frame_start: ClassVar[bytes] = b""
    #: frames are binary (Modbus RTU): a garbled byte may take any value; False for
    #: ASCII frames (HJ 212), whose garbled byte stays printable
    binary: ClassVar[bool] = True
    read_termination = b""
    write_termination = b""

    def make_parser(self) -> framing.FrameParser:
        return self.frame_parser

    def describe(self, command: bytes) -> str:
        """The frame as text for fault plans' ``commands`` filters: ASCII frames as they
        are (less the CR LF), binary ones in hex (``01 03 00 00 00 02 c4 0b``)."""
        if self.binary:
            return command.hex(" ")
        return command.decode("ascii", errors="replace").strip("\r\n")

    def checked_span(self, frame: bytes) -> tuple[int, int]:
        """The part of a reply frame its CRC covers (where ``bad_checksum`` changes a
        byte); the whole frame by default."""
        return 0, len(frame)

    def resync(self, buffer: bytearray, pos: int) -> int:
        if self.frame_start:
            nxt = buffer.find(self.frame_start, pos + 1)
            return nxt if nxt >= 0 else max(pos + 1, len(buffer) - len(self.frame_start) + 1)
        return pos + 1

    def _dispatch(self, command: bytes) -> list[str | bytes | Reply]:
        return list(self.handle_frame(command))

    def handle(self, line: str) -> list[str | Reply]:
        """Frame devices take frames: ``handle_frame``. (A line handed here is taken as
        the bytes of one frame.)"""
        return list(self.handle_frame(line.encode(self.encoding)))  # type: ignore[arg-type]

    @abstractmethod
    def handle_frame(self, frame: bytes) -> list[bytes | Reply]:
        """The reply frames to one received frame (an empty list for no reply)."""
