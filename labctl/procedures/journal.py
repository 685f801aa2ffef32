"""The run journal: append-only JSONL, one event per line, fsync'd before the run goes on.

The journal is the truth of a run (docs/contracts.md, "Journal"). Every event gets
``seq`` (0, 1, 2, ... without gaps), ``type``, ``t`` (clock seconds) and ``wall`` (UTC
ISO 8601). ``Journal.append`` writes the whole line with one ``os.write``, then
``os.fsync``: when it returns, the event survives a kill -9 or a power cut. A journal
has one writer: ``seq`` is given, the line written and the count moved on under the
writer's lock, so two threads never share a ``seq``; stop signals never raise inside a
write (``labctl.procedures.stop_signals`` only notes them).

``read_journal`` tolerates what a crash can leave behind, a torn last line (dropped and
reported as a problem), and refuses what a crash cannot explain: a corrupt line in the
middle or a gap in ``seq`` (a ``JournalError`` naming the file and line).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any

from labctl.clock import Clock
from labctl.errors import RunError, read_bytes


class JournalError(RunError):
    """A journal that cannot be read or written (corrupt line, gap in seq, disk error)."""


@lru_cache(maxsize=256)
def unit_text(unit: Any) -> str:
    """A unit as the journal writes it: compact, and readable back by ``parse_unit``."""
    return format(unit, "~C")


def to_json(value: Any) -> Any:
    """Journal-friendly JSON values: quantities as ``{"value", "unit"}``, tuples as lists,
    non-finite floats as ``None`` (JSON has no NaN)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Enum):
        return to_json(value.value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v) for v in value]
    if hasattr(value, "magnitude") and hasattr(value, "units"):
        return {"value": to_json(float(value.magnitude)), "unit": unit_text(value.units)}
    if hasattr(value, "item"):  # numpy scalars
        return to_json(value.item())
    raise TypeError(f"cannot write {type(value).__name__} {value!r} to the journal")


def _wall() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class _Scan:
    events: list[dict[str, Any]]
    problems: list[str]
    good_length: int  # bytes of the intact lines, the place to append after


def _scan(path: Path) -> _Scan:
    data = read_bytes(path, JournalError, missing="journal not found",
                      unreadable="cannot read the journal", hint="check the run id or the path")
    events: list[dict[str, Any]] = []
    problems: list[str] = []
    lines = data.split(b"\n")
    # The text after the last newline is a line still being written (or nothing).
    complete, tail = lines[:-1], lines[-1]
    offset = 0
    good_length = 0
    for number, line in enumerate(complete, start=1):
        offset += len(line) + 1
        last = number == len(complete) and not tail.strip(b"\0 \t\r")
        try:
            event = json.loads(line.decode("utf-8"))
            if not isinstance(event, dict) or "type" not in event or "seq" not in event:
                raise ValueError("not an event object with seq and type")
        except (UnicodeDecodeError, ValueError) as exc:
            if last:  # written whole but garbled by a crash of the file system: torn too
                problems.append(f"{path}:{number}: torn last line dropped ({exc})")
                break
            raise JournalError(f"corrupt line ({exc})", where=f"{path}:{number}",
                               hint="the journal was damaged; it cannot be trusted "
                                    "past this line") from exc
        if event["seq"] != len(events):
            raise JournalError(
                f"seq {event['seq']} where {len(events)} was expected (events lost "
                f"or repeated)", where=f"{path}:{number}",
                hint="the journal was edited or damaged; it cannot be trusted")
        events.append(event)
        good_length = offset
    else:
        if tail:
            problems.append(f"{path}:{len(complete) + 1}: torn last line dropped "
                            f"({len(tail)} bytes without an end of line)")
    return _Scan(events, problems, good_length)


def read_journal(path: str | Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The events of a journal and the problems tolerated while reading it.

    A torn last line (a crash in the middle of a write) is dropped and described in
    ``problems``; a corrupt middle line or a gap in ``seq`` raises ``JournalError``.
    """
    scan = _scan(Path(path))
    return scan.events, scan.problems


def journal_sha256(path: str | Path) -> str:
    """SHA-256 (hex) of the journal file as it is on disk."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def finished_journal_sha256(path: str | Path) -> str:
    """SHA-256 (hex) of the journal up to and including its last ``run_finished`` line:
    what a run's record covers. Lines journalled after it (``record_stored``) do not
    change it, so a record finished by ``--resume`` carries the same hash."""
    data = Path(path).read_bytes()
    end = len(data)
    start = data.rfind(b'"type":"run_finished"')
    if start >= 0:
        newline = data.find(b"\n", start)
        end = len(data) if newline < 0 else newline + 1
    return hashlib.sha256(data[:end]).hexdigest()


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync a directory; the file itself is synced
    finally:
        os.close(fd)


def _lock(fd: int, path: Path) -> None:
    """One writer per journal: an exclusive lock, released on close or process death."""
    try:
        import fcntl
    except ImportError:  # no flock on this platform: one writer by convention
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        raise JournalError("another process is writing this journal", where=str(path),
                           hint="wait for that run to end, or stop it first") from exc


class Journal:
    """An open journal. Build with ``Journal.create`` (a new run) or ``Journal.reopen``
    (a resumed run: a torn last line is moved aside to ``<journal>.torn`` first)."""

    def __init__(self, path: Path, fd: int, clock: Clock, next_seq: int) -> None:
        self.path = path
        self._fd: int | None = fd
        self._clock = clock
        self.next_seq = next_seq
        self._lock = threading.Lock()
        self._broken = False
        self._hold = _hold_line()

    @classmethod
    def create(cls, path: str | Path, clock: Clock) -> Journal:
        """Start the journal of a new run; refuses a path that already exists."""
        p = Path(path)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        except FileExistsError as exc:
            raise JournalError("a journal already exists here", where=str(p),
                               hint="choose another run id, or resume that run") from exc
        except OSError as exc:
            raise JournalError(f"cannot create the journal: {exc.strerror}",
                               where=str(p)) from exc
        _lock(fd, p)
        _fsync_dir(p.parent)
        return cls(p, fd, clock, 0)

    @classmethod
    def reopen(cls, path: str | Path, clock: Clock) -> tuple[Journal, list[dict[str, Any]],
                                                              list[str]]:
        """Open an existing journal to append to it; returns it with its intact events
        and the problems found (a torn last line, kept in ``<journal>.torn``)."""
        p = Path(path)
        try:
            fd = os.open(p, os.O_RDWR | os.O_APPEND)
        except OSError as exc:
            raise JournalError(f"cannot open the journal: {exc.strerror}",
                               where=str(p)) from exc
        _lock(fd, p)
        try:
            scan = _scan(p)
        except JournalError:
            os.close(fd)
            raise
        try:
            size = os.fstat(fd).st_size
            if size > scan.good_length:
                with open(p, "rb") as fh:
                    fh.seek(scan.good_length)
                    torn = fh.read()
                with open(p.with_name(p.name + ".torn"), "ab") as keep:
                    keep.write(torn + b"\n")
                    keep.flush()
                    os.fsync(keep.fileno())
                os.ftruncate(fd, scan.good_length)
                os.fsync(fd)
        except OSError as exc:
            os.close(fd)
            raise JournalError(f"cannot repair the torn last line: {exc.strerror}",
                               where=str(p)) from exc
        return cls(p, fd, clock, len(scan.events)), scan.events, scan.problems

    @property
    def closed(self) -> bool:
        return self._fd is None

    def append(self, type: str, **fields: Any) -> dict[str, Any]:
        """Write one event (flushed and fsync'd) and return it as written."""
        payload = to_json(fields)
        with self._lock:
            if self._fd is None:
                raise JournalError("the journal is closed", where=str(self.path))
            if self._broken:
                raise JournalError("an earlier write of this journal was cut short",
                                   where=str(self.path),
                                   hint="resume the run: the torn line is set aside")
            seq = self.next_seq
            event = {"seq": seq, "type": type, "t": float(self._clock.now()),
                     "wall": _wall()}
            event.update(payload)
            data = (json.dumps(event, ensure_ascii=False, separators=(",", ":"),
                               allow_nan=False) + "\n").encode("utf-8")
            written = 0
            try:
                view = memoryview(data)
                while written < len(data):
                    written += os.write(self._fd, view[written:])
                os.fsync(self._fd)
            except OSError as exc:
                self._broken = written > 0
                raise JournalError(f"cannot write the journal: {exc.strerror}",
                                   where=str(self.path),
                                   hint="free disk space or check the file system") from exc
            finally:
                if written == len(data):
                    self.next_seq = seq + 1
                elif written:
                    self._broken = True
        if self._hold is not None and seq == self._hold:
            _hold_here(seq)
        return event

    def close(self) -> None:
        """Close the file; closing twice is harmless."""
        with self._lock:
            if self._fd is not None:
                fd, self._fd = self._fd, None
                os.close(fd)

    def sha256(self) -> str:
        return journal_sha256(self.path)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: Test hook: ``LABCTL_TEST_JOURNAL_HOLD=N`` makes the writer print
#: ``labctl-test-hold: seq N`` on stderr right after line N (0-based seq) is on disk and
#: wait there (at most ``LABCTL_TEST_JOURNAL_HOLD_TIMEOUT`` seconds, default 60) until a
#: stop signal has been noted, so a test in another process can send a signal, or
#: kill -9, at a chosen line. Unset in normal use.
HOLD_ENV = "LABCTL_TEST_JOURNAL_HOLD"
HOLD_TIMEOUT_ENV = "LABCTL_TEST_JOURNAL_HOLD_TIMEOUT"
HOLD_MARKER = "labctl-test-hold: seq"


def _hold_line() -> int | None:
    text = os.environ.get(HOLD_ENV, "").strip()
    return int(text) if text.lstrip("-").isdigit() else None


def _hold_here(seq: int) -> None:
    from labctl.procedures import stop_signals

    sys.stderr.flush()
    os.write(2, f"{HOLD_MARKER} {seq}\n".encode())
    deadline = time.monotonic() + float(os.environ.get(HOLD_TIMEOUT_ENV, "60"))
    while stop_signals.requested() is None and time.monotonic() < deadline:
        time.sleep(0.005)
