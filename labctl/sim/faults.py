"""Fault injection: a plan of faults attachable to any simulator.

A plan is plain data (a bench file's ``sim: {faults: [...]}``), each fault a kind and
its triggers::

    faults:
      - {kind: timeout, after: 20, count: 1}        # the 21st command gets no answer
      - {kind: garbage, probability: 0.01}          # 1 % of replies are random bytes
      - {kind: drop, commands: [S], every: 10, bytes: 3}  # lose 3 bytes of every 10th S reply
      - {kind: bad_checksum, at: 30 s, count: 2}    # corrupt one character, twice, after 30 s
      - {kind: stuck, commands: ["MEAS?"], after: 5}  # MEAS? repeats its 5th reply from then on
      - {kind: disconnect, at: 1 h}                 # the link dies at the first command after 1 h
      - {kind: truncate, every: 7, bytes: 4}        # every 7th reply loses its last 4 bytes
      - {kind: delay, seconds: 1.5 s, count: 3}     # three replies come 1.5 s late

Kinds:

* ``timeout``: the device ignores the command (no reply, and the command does nothing).
* ``garbage``: the reply's characters are replaced by random bytes (seeded).
* ``drop``: the command is carried out but its reply is lost; with ``bytes: K`` only K
  bytes of it (chosen at random, the termination included) are lost.
* ``bad_checksum``: one character of the reply is changed (a CRC will notice; a
  protocol without one will not). On a frame device (HJ 212, Modbus RTU) one byte of
  the frame's checked part changes, so its CRC fails: a garbled CRC.
* ``truncate``: the reply is cut short: its last ``bytes: K`` bytes (half of it by
  default), the termination or a frame's CRC included, never arrive.
* ``delay``: the reply comes ``seconds: T`` later than it would (a slow or busy device;
  longer than the client's timeout, it is a late reply the client must not mistake for
  the answer to its next command).
* ``disconnect``: the link is dead from then on: the device takes no more commands, sends
  nothing, and ``connected`` is False (transports raise ``TransportError``).
* ``stuck``: the device repeats its previous reply to the same command.

Faults act on what the device answers to one command: a reply line of a line device, a
reply frame of a frame device (``labctl.sim.frame_device``), the same way.

Triggers (all that are given must hold; they are checked when a command arrives):
``after: N`` (from the (N+1)-th command on), ``every: N`` (every N-th command, counted
from ``after``), ``probability: p`` (seeded), ``commands: [...]`` (only these commands,
matched on the whole line or its first word, case-insensitive; the counts of ``after``
and ``every`` count only these), ``at: T`` (clock time: "30 s" in a bench file, which
needs the unit; seconds from Python), ``count: K`` (at most K times; unlimited by
default). At most one fault acts on one command: the first in the plan whose triggers
hold. A ``disconnect`` acts once (the link stays dead).

Spent faults stay spent across a resume: every fault that acts is told to the device's
``listener`` (the runner journals it as a ``sim_fault`` event), and a device built for a
resumed run is given the counts of its earlier sessions (``restore_fired``), so a fault
with ``count: K`` that acted K times, or a ``disconnect`` that acted, does not act again.
``after`` and ``every`` count the commands of the current session.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from labctl.errors import ConfigError
from labctl.sim.device import ALL, Reply, SimDevice

FaultKind = Literal["timeout", "garbage", "drop", "bad_checksum", "disconnect", "stuck",
                    "truncate", "delay"]
KINDS: tuple[str, ...] = ("timeout", "garbage", "drop", "bad_checksum", "disconnect", "stuck",
                          "truncate", "delay")
KEYS: tuple[str, ...] = ("kind", "after", "every", "probability", "commands", "at", "count",
                         "bytes", "seconds")


class Fault(BaseModel):
    """One fault: its kind, its triggers and (for ``drop`` and ``truncate``) how many
    bytes to lose, (for ``delay``) how many seconds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: FaultKind
    after: int | None = Field(default=None, ge=0)
    every: int | None = Field(default=None, ge=1)
    probability: float | None = Field(default=None, ge=0.0, le=1.0)
    commands: tuple[str, ...] | None = Field(default=None, min_length=1)
    at: float | None = Field(default=None, ge=0.0)
    count: int | None = Field(default=None, ge=1)
    bytes: int | None = Field(default=None, ge=1)
    seconds: float | None = Field(default=None, gt=0.0)

    @field_validator("at", "seconds", mode="before")
    @classmethod
    def _seconds(cls, value: Any) -> Any:
        if isinstance(value, str):
            from labctl.errors import UnitError
            from labctl.units import parse_quantity, to_float  # pint: only when needed

            try:
                return to_float(parse_quantity(value, expect="s"), "s")
            except UnitError as exc:
                raise ValueError(exc.message) from None
        return value

    @field_validator("commands")
    @classmethod
    def _non_blank(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None and any(not c.strip() for c in value):
            raise ValueError("a command must not be blank")
        return value

    @model_validator(mode="after")
    def _bytes_only_for_drop(self) -> Fault:
        if self.bytes is not None and self.kind not in ("drop", "truncate"):
            raise ValueError(f"'bytes' applies to kinds 'drop' and 'truncate' only, "
                             f"not {self.kind!r}")
        if (self.seconds is not None) != (self.kind == "delay"):
            raise ValueError("kind 'delay' needs 'seconds' (like seconds: 2 s)"
                             if self.kind == "delay" else
                             f"'seconds' applies to kind 'delay' only, not {self.kind!r}")
        return self

    def applies_to(self, line: str) -> bool:
        """Whether this fault watches ``line`` (its ``commands`` filter)."""
        if self.commands is None:
            return True
        text = line.strip().upper()
        head = text.split(None, 1)[0] if text else ""
        return any(c.strip().upper() in (text, head) for c in self.commands)


class FaultPlan(BaseModel):
    """The faults attached to one simulator, in order of precedence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    faults: tuple[Fault, ...] = ()

    @classmethod
    def from_data(cls, data: Sequence[Mapping[str, Any]] | FaultPlan | None,
                  where: str | None = None) -> FaultPlan:
        """Validate a list of fault mappings (from a bench file). A mistake raises
        ``ConfigError`` with the file:line:column when ``data`` came from ``load_yaml``,
        else with ``where``."""
        if data is None:
            return cls()
        if isinstance(data, FaultPlan):
            return data
        if isinstance(data, Mapping | str | bytes) or not isinstance(data, Sequence):
            raise ConfigError("'faults' must be a list of faults, each like "
                              "{kind: timeout, after: 10}", where=_where(data, (), where))
        try:
            return cls.model_validate({"faults": list(data)})
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = tuple(err["loc"][1:])  # drop the leading "faults"
            raise ConfigError(_message(err, loc), where=_where(data, loc, where),
                              hint=_hint(err)) from None

    def wrap(self, device: SimDevice, rng: np.random.Generator | int | None = None
             ) -> SimDevice:
        """``device`` with this plan attached (the device itself when there are no faults)."""
        return FaultyDevice(device, self, rng) if self.faults else device

    def __len__(self) -> int:
        return len(self.faults)


def _where(data: Any, loc: tuple[Any, ...], default: str | None) -> str | None:
    from labctl.yamlio import LocatedDict, LocatedList, where

    if isinstance(data, LocatedDict | LocatedList):
        place = where(data, loc, default or "")
        return place or default
    return default


def _message(err: Mapping[str, Any], loc: tuple[Any, ...]) -> str:
    index = loc[0] if loc and isinstance(loc[0], int) else None
    field = loc[1] if len(loc) > 1 else None
    prefix = f"fault {index + 1}" if index is not None else "faults"
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"{prefix}: unknown key {field!r}"
    if kind == "missing" and field == "kind":
        return f"{prefix}: needs a kind"
    if kind == "literal_error" and field == "kind":
        return f"{prefix}: unknown kind {err.get('input')!r}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"{prefix}: must be a mapping like {{kind: timeout, after: 10}}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if field is not None:
        return f"{prefix}: {field}: {msg} (got {err.get('input')!r})"
    return f"{prefix}: {msg}"


def _hint(err: Mapping[str, Any]) -> str | None:
    loc = err["loc"]
    field = loc[2] if len(loc) > 2 else None
    if err["type"] == "extra_forbidden":
        return f"known keys: {', '.join(KEYS)}"
    if field == "kind":
        return f"kinds: {', '.join(KINDS)}"
    return None


@dataclass(frozen=True)
class FaultEvent:
    """A fault that acted: when (clock time), on which command, which one of the plan."""

    t: float
    command: str
    kind: str
    index: int

    def journal_fields(self) -> dict[str, Any]:
        """The fields of the journal's ``sim_fault`` event (besides the instrument)."""
        return {"fault": self.kind, "index": self.index, "command": self.command,
                "fault_t": self.t}


class FaultyDevice(SimDevice):
    """Any ``SimDevice`` (line-based, or a ``FrameDevice``) with a fault plan: the same
    byte-stream interface, faults applied to its replies to each command.

    Lines the wrapped device sends by itself (at power-on, or a streaming mode that
    overrides ``read``) pass through untouched. Faults that acted are in ``events``.
    """

    def __init__(self, device: SimDevice, plan: FaultPlan | Sequence[Mapping[str, Any]],
                 rng: np.random.Generator | int | None = None) -> None:
        self.inner = device
        self.plan = plan if isinstance(plan, FaultPlan) else FaultPlan.from_data(plan)
        self.rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        self.name = device.name
        self.read_termination = device.read_termination
        self.write_termination = device.write_termination
        self.encoding = device.encoding
        self.max_command_length = device.max_command_length
        self._frames = bool(getattr(device, "frame_based", False))
        self._seen = [0] * len(self.plan.faults)
        self._fired = [0] * len(self.plan.faults)
        self._last: dict[str, list[Any]] = {}  # for ``stuck``: last reply per command
        self._remember = any(f.kind == "stuck" for f in self.plan.faults)
        self.events: list[FaultEvent] = []
        #: Told of every fault that acts (the runner journals it).
        self.listener: Callable[[FaultEvent], None] | None = None
        forbidden = set(device.write_termination) | {0x0A, 0x0D}
        self._garbage_bytes = np.array([b for b in range(256) if b not in forbidden],
                                       dtype=np.uint8)
        self._printable = [c for c in range(0x21, 0x7F) if c not in forbidden]
        super().__init__(device.clock)

    def __getattr__(self, name: str) -> Any:
        # The wrapped device's own attributes (its model, its settings) stay reachable.
        inner = self.__dict__.get("inner")
        if inner is None:
            raise AttributeError(name)
        return getattr(inner, name)

    # -- the byte stream -------------------------------------------------
    def write(self, data: bytes, session: Hashable = None) -> None:
        if self.connected:
            super().write(data, session)

    def read(self, max_bytes: int = 65536, session: Hashable = ALL) -> bytes:
        if not self.connected:
            return b""
        out = super().read(max_bytes, session)
        if len(out) < max_bytes:
            out += self.inner.read(max_bytes - len(out), session)
        return out

    def next_due(self, session: Hashable = ALL) -> float | None:
        if not self.connected:
            return None
        dues = [d for d in (super().next_due(session), self.inner.next_due(session))
                if d is not None]
        return min(dues) if dues else None

    def close_session(self, session: Hashable) -> None:
        super().close_session(session)
        self.inner.close_session(session)

    # -- the device ------------------------------------------------------
    def make_parser(self) -> Any:
        return self.inner.command_parser

    def describe(self, command: bytes) -> str:
        return self.inner.describe(command)

    def resync(self, buffer: bytearray, pos: int) -> int:
        return self.inner.resync(buffer, pos)

    def overlong(self) -> list[Any]:
        return self.inner.overlong()

    def handle(self, line: str) -> list[str | Reply]:
        """Faults on the reply to one line (for a line device)."""
        return self._dispatch(line.encode(self.encoding) + self.read_termination)

    def _dispatch(self, command: bytes) -> list[Any]:
        if not self.connected:
            return []
        line = self.inner.describe(command)
        index = self._choose(line)
        fault = self.plan.faults[index] if index is not None else None
        if fault is None:
            return self._pass(command, line)
        kind = fault.kind
        if kind == "timeout":
            return self._fire(index, line, [])
        if kind == "disconnect":
            self.connected = False
            return self._fire(index, line, [])
        if kind == "stuck":
            previous = self._last.get(line)
            return (self._fire(index, line, previous) if previous
                    else self._pass(command, line))
        replies = self._pass(command, line)
        if not replies:
            return replies  # nothing to corrupt: the fault does not act on this command
        if kind == "garbage":
            changed = [self._garbage(r) for r in replies]
        elif kind == "bad_checksum":
            changed = self._flip_one(replies)
        elif kind == "truncate":
            changed = self._truncate(replies, fault.bytes)
        elif kind == "delay":
            changed = [self._later(r, fault.seconds or 0.0) for r in replies]
        else:  # drop
            changed = self._drop(replies, fault.bytes)
        return self._fire(index, line, changed)

    def power_on(self) -> list[str]:
        return []  # the wrapped device queued its own power-on lines; read() passes them

    # -- internals -------------------------------------------------------
    def _pass(self, command: bytes, line: str) -> list[Any]:
        replies = self.inner._dispatch(command)
        if replies and self._remember:
            self._last[line] = list(replies)
        return replies

    def _fire(self, index: int, line: str, replies: list[Any]) -> list[Any]:
        self._fired[index] += 1
        event = FaultEvent(self.clock.now(), line, self.plan.faults[index].kind, index)
        self.events.append(event)
        if self.listener is not None:
            self.listener(event)
        return replies

    def restore_fired(self, counts: Mapping[int, int]) -> None:
        """How many times each fault (by its index in the plan) acted in earlier sessions
        of the run: a fault whose ``count`` is spent, or a ``disconnect`` that acted,
        does not act again."""
        for index, n in counts.items():
            if 0 <= int(index) < len(self._fired):
                self._fired[int(index)] = max(self._fired[int(index)], int(n))

    def fired(self) -> dict[int, int]:
        """Fault index -> how many times it acted (earlier sessions included)."""
        return {i: n for i, n in enumerate(self._fired) if n}

    def _choose(self, line: str) -> int | None:
        chosen = None
        now = self.clock.now()
        for i, fault in enumerate(self.plan.faults):
            if not fault.applies_to(line):
                continue
            self._seen[i] += 1
            if chosen is not None or not self._triggered(i, fault, now):
                continue
            chosen = i
        return chosen

    def _triggered(self, i: int, fault: Fault, now: float) -> bool:
        seen = self._seen[i]
        after = fault.after or 0
        if seen <= after:
            return False
        if fault.every is not None and (seen - after) % fault.every != 0:
            return False
        if fault.at is not None and now < fault.at:
            return False
        if fault.count is not None and self._fired[i] >= fault.count:
            return False
        if fault.kind == "disconnect" and self._fired[i]:
            return False
        return not (fault.probability is not None and self.rng.random() >= fault.probability)

    def _encoded(self, reply: str | bytes | Reply) -> tuple[bytes, float, bool]:
        if isinstance(reply, Reply):
            line, delay, terminated = reply.line, reply.delay, reply.terminated
        else:
            line, delay, terminated = reply, 0.0, True
        data = line if isinstance(line, bytes) else line.encode(self.encoding)
        return data, delay, terminated

    def _garbage(self, reply: str | Reply) -> Reply:
        data, delay, terminated = self._encoded(reply)
        noise = self.rng.choice(self._garbage_bytes, size=max(1, len(data)))
        return Reply(noise.tobytes(), delay, terminated)

    def _flip_one(self, replies: list[Any]) -> list[Any]:
        encoded = [self._encoded(r) for r in replies]
        target = next((i for i, (d, _, _) in enumerate(encoded) if d), 0)
        data, delay, terminated = encoded[target]
        buf = bytearray(data)
        if buf:
            low, high = (self.inner.checked_span(data) if self._frames else (0, len(buf)))
            pos = low + int(self.rng.integers(max(1, high - low)))
            alphabet = (range(256) if self._frames and self.inner.binary
                        else self._printable)
            choices = [c for c in alphabet if c != buf[pos]]
            buf[pos] = choices[int(self.rng.integers(len(choices)))]
        else:
            buf.append(self._printable[int(self.rng.integers(len(self._printable)))])
        out: list[str | Reply] = list(replies)
        out[target] = Reply(bytes(buf), delay, terminated)
        return out

    def _truncate(self, replies: list[Any], count: int | None) -> list[Any]:
        """The replies with their last ``count`` bytes (half by default) lost."""
        pieces = []
        for reply in replies:
            data, delay, terminated = self._encoded(reply)
            pieces.append((data + (self.write_termination if terminated else b""), delay))
        total = sum(len(p) for p, _ in pieces)
        keep = total - (count if count is not None else max(1, total // 2))
        out: list[Any] = []
        for data, delay in pieces:
            if keep <= 0:
                break
            out.append(Reply(data[:keep], delay, terminated=False))
            keep -= len(data)
        return out

    def _later(self, reply: str | bytes | Reply, seconds: float) -> Reply:
        data, delay, terminated = self._encoded(reply)
        return Reply(data, delay + seconds, terminated)

    def _drop(self, replies: list[Any], count: int | None) -> list[Any]:
        if count is None:
            return []
        pieces = []
        for reply in replies:
            data, delay, terminated = self._encoded(reply)
            pieces.append((data + (self.write_termination if terminated else b""), delay))
        total = sum(len(p) for p, _ in pieces)
        lost = set(self.rng.choice(total, size=min(count, total), replace=False).tolist())
        out: list[str | Reply] = []
        offset = 0
        for data, delay in pieces:
            kept = bytes(b for j, b in enumerate(data, offset) if j not in lost)
            offset += len(data)
            if kept:
                out.append(Reply(kept, delay, terminated=False))
        return out
