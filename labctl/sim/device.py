"""The interface every device simulator offers: a byte stream, like a serial line.

A simulator receives the bytes a client writes (``write``) and queues the bytes it
answers (``read``). It never blocks: when no reply is due, ``read`` returns b"".
Replies are produced from the device model at the clock's current time, so a
simulator knows nothing of drivers, transports or threads. A reply may be due later
(a balance answers ``S`` only once the load has settled): a handler returns
``Reply(data, delay)`` and the reply becomes readable when the clock gets there.
``next_due()`` tells a transport on a virtual clock how far to sleep. The same object serves
an in-process ``sim://`` transport and the real-time TCP / pseudo-terminal server.

Two kinds of device share this stream:

* ``SimDevice`` (line-based): commands end in ``read_termination``; ``handle(line)``
  returns the reply lines, each sent with ``write_termination``.
* ``FrameDevice`` (frame-based, in ``labctl.sim.frame_device``): commands are frames
  cut by a ``labctl.protocols.framing`` parser (HJ 212, Modbus RTU...);
  ``handle_frame(bytes)`` returns the reply frames, sent as they are.

Commands are cut from the input in linear time, and one command is at most
``max_command_length`` bytes: a longer one gets the device's ``overlong()`` reply (its
error reply) and is discarded up to its end.

Sessions: a served simulator may have several clients. ``write(data, session=s)`` cuts
commands from that session's own input buffer and tags their replies with ``s``;
``read(session=s)`` gives the replies of ``s`` and the unsolicited ones (power-on lines).
``close_session(s)`` forgets a client's unread input and replies, so the next client
starts clean. In process there is one session (``None``) and nothing of this shows.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from labctl.clock import Clock
from labctl.protocols import framing

#: ``read``/``next_due`` with this session give every queued byte, whoever it is for.
ALL: Any = object()

DEFAULT_MAX_COMMAND = 4096  # bytes in one command, terminator included


@dataclass(frozen=True)
class Reply:
    """A reply sent ``delay`` seconds (clock time) after the command arrived. For a line
    device ``line`` is one line and ``terminated=False`` sends it without the write
    termination (fault injection uses it to lose bytes of a line, its termination
    included); for a frame device it is one whole frame."""

    line: str | bytes
    delay: float = 0.0
    terminated: bool = True


@dataclass
class _Input:
    """One session's received bytes not yet cut into commands."""

    buf: bytearray = field(default_factory=bytearray)
    discarding: bool = False  # inside an overlong command: drop bytes up to its end
    after_cr: bool = False  # the last command ended in a bare CR (an LF may follow)


class SimDevice(ABC):
    """Base of device simulators; by itself, a line-oriented one.

    Subclasses set ``read_termination`` (what ends an incoming command) and
    ``write_termination`` (what they append to each reply line), and implement
    ``handle(line) -> list[str | Reply]`` returning the reply lines for one command.
    ``power_on()`` may return unsolicited lines sent before any command;
    ``overlong_reply`` is the line sent for a command longer than
    ``max_command_length`` (or override ``overlong()``).
    """

    name: str = "sim"
    read_termination: bytes = b"\r\n"
    write_termination: bytes = b"\r\n"
    encoding: str = "ascii"
    max_command_length: int = DEFAULT_MAX_COMMAND
    overlong_reply: str | bytes | None = None

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._inputs: dict[Hashable, _Input] = {}
        # (due time, bytes, session) in due order; session None: for whoever reads first
        self._outbuf: list[tuple[float, bytes, Hashable]] = []
        self._lock = threading.RLock()
        self._current: Hashable = None  # the session whose command is being handled
        self.connected = True
        self.command_parser = self.make_parser()
        # the fast path of ``write`` is for line devices that cut at their terminator
        self._line_term: bytes | None = (
            self.read_termination if type(self).make_parser is SimDevice.make_parser
            and self.read_termination else None)
        self._term_is_crlf = set(self.read_termination) <= {0x0D, 0x0A}
        for line in self.power_on():
            self._queue(line)

    # -- framing ---------------------------------------------------------
    def make_parser(self) -> framing.FrameParser:
        """How commands end in the input (a line device: its read termination; a device
        that ends commands in CR LF also accepts a bare LF or CR)."""
        return framing.line(self.read_termination, max_length=self.max_command_length,
                            accept_bare=True)

    def describe(self, command: bytes) -> str:
        """``command`` as text, for fault plans' ``commands`` filters and logs."""
        return command.decode(self.encoding, errors="replace").strip("\r\n")

    # -- the byte stream -------------------------------------------------
    def write(self, data: bytes, session: Hashable = None) -> None:
        """Bytes from the client (of ``session``). Complete commands are handled at once;
        an overlong one gets ``overlong()`` and is dropped up to its end."""
        with self._lock:
            state = self._inputs.get(session)
            if state is None:
                state = self._inputs[session] = _Input()
            buf = state.buf
            if not buf and self._whole_line(data, state):
                # the common case: exactly one whole command (a transport's query)
                previous, self._current = self._current, session
                try:
                    state.after_cr = data[-1] == 0x0D
                    for reply in self._dispatch(data):
                        self._queue(reply)
                finally:
                    self._current = previous
                return
            searched = len(buf)
            buf += data
            parser = self.command_parser
            pos = 0
            previous, self._current = self._current, session
            try:
                while pos < len(buf):
                    if state.discarding:
                        stop = parser.measure(buf, pos, max(pos, searched))
                        if stop is None:
                            pos = max(pos, len(buf) - 1)  # keep one byte: a CR before LF
                            searched = len(buf)
                            break
                        state.discarding = False
                        state.after_cr = buf[stop - 1] == 0x0D
                        pos = searched = stop
                        continue
                    try:
                        stop = parser.end(buf, pos, max(pos, searched))
                    except framing.FrameTooLong:
                        state.discarding = True
                        for reply in self.overlong():
                            self._queue(reply)
                        continue
                    except framing.FramingError:
                        pos = self.resync(buf, pos)
                        searched = pos
                        continue
                    if stop is None:
                        break
                    command = bytes(buf[pos:stop])
                    pos = searched = stop
                    if state.after_cr and command == b"\n":
                        state.after_cr = False
                        continue  # the LF of a CR LF cut in two
                    state.after_cr = command.endswith(b"\r")
                    for reply in self._dispatch(command):
                        self._queue(reply)
            finally:
                self._current = previous
                del buf[:pos]

    def _whole_line(self, data: bytes, state: _Input) -> bool:
        """Whether ``data`` is one command and its terminator, nothing more (then the
        general cutting is not needed)."""
        term = self._line_term
        if term is None or state.discarding or state.after_cr or not data.endswith(term):
            return False
        # a CR or LF before the terminator would end a line there (bare endings)
        end = len(data) - len(term)
        return (len(data) <= self.max_command_length and data.find(b"\n", 0, end) < 0
                and data.find(b"\r", 0, end) < 0
                and (self._term_is_crlf or data.find(term, 0, end) < 0))

    def read(self, max_bytes: int = 65536, session: Hashable = ALL) -> bytes:
        """Bytes the device has sent by now and the client (of ``session``) has not
        read (may be b"")."""
        with self._lock:
            now = self.clock.now()
            queue = self._outbuf
            if session is ALL and len(queue) == 1 and queue[0][0] <= now \
                    and len(queue[0][1]) <= max_bytes:
                return queue.pop()[1]  # the common case: one reply, all of it due
            out = bytearray()
            i = 0
            while i < len(queue) and len(out) < max_bytes:
                due, data, owner = queue[i]
                if due > now:
                    break
                if session is not ALL and owner is not None and owner != session:
                    i += 1
                    continue
                take = data[: max_bytes - len(out)]
                out += take
                if len(take) == len(data):
                    del queue[i]
                else:
                    queue[i] = (due, data[len(take):], owner)
            return bytes(out)

    def next_due(self, session: Hashable = ALL) -> float | None:
        """Clock time at which the next unread bytes (of ``session``) become readable
        (None: nothing queued)."""
        with self._lock:
            for due, _, owner in self._outbuf:
                if session is ALL or owner is None or owner == session:
                    return due
            return None

    def close_session(self, session: Hashable) -> None:
        """Forget a client's unread input and its replies not yet read: a client that
        leaves leaves nothing behind for the next one."""
        with self._lock:
            self._inputs.pop(session, None)
            if session is None:  # the one in-process session: everything goes
                self._outbuf.clear()
            else:
                self._outbuf[:] = [entry for entry in self._outbuf if entry[2] != session]

    def _queue(self, line: str | bytes | Reply) -> None:
        delay, term = 0.0, self.write_termination
        if isinstance(line, Reply):
            term = term if line.terminated else b""
            line, delay = line.line, line.delay
        data = line if isinstance(line, bytes) else line.encode(self.encoding)
        due = self.clock.now() + max(0.0, delay)
        if self._outbuf:  # a device sends in order: never before what it queued earlier
            due = max(due, self._outbuf[-1][0])
        self._outbuf.append((due, data + term, self._current))

    def _dispatch(self, command: bytes) -> list[Any]:
        """The replies to one command as cut from the input (terminator included)."""
        return self.handle(command.decode(self.encoding, errors="replace").strip("\r\n"))

    def resync(self, buffer: bytearray, pos: int) -> int:
        """Where to look for the next command after bytes that cannot start one (lines
        never meet this; frame devices skip to the next frame start)."""
        return pos + 1

    # -- the device ------------------------------------------------------
    def power_on(self) -> list[str]:
        """Lines the device sends by itself when switched on (none by default)."""
        return []

    def overlong(self) -> list[str | bytes | Reply]:
        """The reply to a command longer than ``max_command_length`` (the device's error
        reply, ``overlong_reply``; nothing if it has none)."""
        return [] if self.overlong_reply is None else [self.overlong_reply]

    @abstractmethod
    def handle(self, line: str) -> list[str | Reply]:
        """Reply lines for one received command (an empty list for no reply)."""
