"""The journal: fsync'd appends, the torn last line, corrupt lines and gaps refused."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from labctl.clock import VirtualClock
from labctl.procedures.journal import (
    Journal,
    JournalError,
    journal_sha256,
    read_journal,
    to_json,
)
from labctl.units import Q_


def test_each_event_is_on_disk_and_fsynced_before_append_returns(tmp_path: Path,
                                                                 monkeypatch) -> None:
    path = tmp_path / "run" / "journal.jsonl"
    clock = VirtualClock(10.0)
    journal = Journal.create(path, clock)
    synced: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    written = []
    for i in range(3):
        clock.sleep(1.5)
        event = journal.append("reading", value=i * 0.5, unit="g", q=Q_(2, "kg"))
        written.append(event)
        assert len(synced) == i + 1  # one fsync per event, before append returned
        lines = path.read_bytes().decode().splitlines()
        assert json.loads(lines[-1]) == event
    journal.close()
    journal.close()  # twice is harmless
    assert [e["seq"] for e in written] == [0, 1, 2]
    assert [e["t"] for e in written] == [11.5, 13.0, 14.5]
    assert written[0]["wall"].endswith("Z") and written[0]["q"] == {"value": 2.0, "unit": "kg"}
    events, problems = read_journal(path)
    assert events == written and problems == []
    assert journal_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(JournalError, match="closed"):
        journal.append("late")


def test_a_new_journal_refuses_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    Journal.create(path, VirtualClock()).close()
    with pytest.raises(JournalError, match="already exists"):
        Journal.create(path, VirtualClock())


def _journal(path: Path, count: int) -> list[dict]:
    with Journal.create(path, VirtualClock()) as journal:
        return [journal.append("reading", value=float(i)) for i in range(count)]


def _journal_and_tail(path: Path, count: int, tail: bytes) -> list[dict]:
    """``_journal(path, count)``, then ``tail`` appended as a crash would leave it."""
    written = _journal(path, count)
    with open(path, "ab") as fh:
        fh.write(tail)
    return written


def test_a_torn_last_line_is_dropped_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    written = _journal_and_tail(path, 3, b'{"seq": 3, "type": "rea')
    events, problems = read_journal(path)
    assert events == written
    assert len(problems) == 1 and f"{path}:4: torn last line dropped" in problems[0]


def test_reopen_moves_the_torn_line_aside_and_continues(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    written = _journal_and_tail(path, 2, b'{"seq": 2, "ty')
    journal, events, problems = Journal.reopen(path, VirtualClock())
    assert events == written and problems
    event = journal.append("resumed_run")
    journal.close()
    assert event["seq"] == 2
    assert read_journal(path) == ([*written, event], [])
    assert (tmp_path / "journal.jsonl.torn").read_bytes() == b'{"seq": 2, "ty\n'


def test_a_garbled_last_line_with_its_newline_counts_as_torn(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    written = _journal_and_tail(path, 2, b"\0\0\0\0\n")
    events, problems = read_journal(path)
    assert events == written and "torn last line" in problems[0]


def test_a_corrupt_middle_line_is_refused_with_its_place(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    _journal(path, 3)
    lines = path.read_bytes().split(b"\n")
    lines[1] = b'{"seq": 1, "type": "read'
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(JournalError, match="corrupt line") as err:
        read_journal(path)
    assert str(err.value).startswith(f"{path}:2: ")


def test_a_gap_in_seq_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    _journal(path, 4)
    lines = path.read_bytes().split(b"\n")
    del lines[2]
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(JournalError, match="seq 3 where 2 was expected") as err:
        read_journal(path)
    assert str(err.value).startswith(f"{path}:3: ")


def test_missing_journal(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="not found"):
        read_journal(tmp_path / "none.jsonl")


def test_json_values() -> None:
    assert to_json({"a": (1, float("nan")), "q": Q_(3, "degC"), "p": Path("x")}) == {
        "a": [1, None], "q": {"value": 3.0, "unit": "°C"}, "p": "x"}
    with pytest.raises(TypeError):
        to_json(object())


def test_one_writer_per_journal(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    writer = Journal.create(path, VirtualClock())
    writer.append("run_started")
    with pytest.raises(JournalError, match="another process is writing this journal"):
        Journal.reopen(path, VirtualClock())
    writer.close()
    again, events, _ = Journal.reopen(path, VirtualClock())
    again.close()
    assert [e["type"] for e in events] == ["run_started"]
