"""Stop signals are noted, never raised inside a journal write; the journal has one
writer, so no two lines share a seq whatever thread writes or is signalled."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from labctl.clock import VirtualClock
from labctl.procedures import stop_signals
from labctl.procedures.journal import Journal, read_journal
from labctl.procedures.stop_signals import StopRequested, stop_on_signals


def test_threads_appending_at_once_never_share_a_seq(tmp_path: Path) -> None:
    journal = Journal.create(tmp_path / "journal.jsonl", VirtualClock())
    threads = [threading.Thread(target=lambda n=n: [journal.append("tick", thread=n, i=i)
                                                    for i in range(150)])
               for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    journal.close()
    events, problems = read_journal(journal.path)  # raises on a repeated or missing seq
    assert problems == [] and [e["seq"] for e in events] == list(range(900))
    assert sorted((e["thread"], e["i"]) for e in events) == \
        sorted((n, i) for n in range(6) for i in range(150))


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT", "SIGHUP"])
def test_a_stop_signal_is_noted_and_raised_where_the_run_asks(name: str) -> None:
    sig = getattr(signal, name)
    before = signal.getsignal(sig)
    with stop_on_signals():
        os.kill(os.getpid(), sig)  # the handler runs here: it must not raise
        assert stop_signals.requested() == name
        with pytest.raises(StopRequested) as caught:
            stop_signals.raise_if_stopped()
        assert caught.value.signal_name == name and name in str(caught.value)
    assert signal.getsignal(sig) == before and stop_signals.requested() is None


def test_a_signal_from_another_thread_during_writes_leaves_a_whole_journal(
        tmp_path: Path) -> None:
    journal = Journal.create(tmp_path / "journal.jsonl", VirtualClock())
    with stop_on_signals():
        sender = threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGTERM))
        for i in range(200):
            journal.append("tick", i=i)
            if i == 50:
                sender.start()
        sender.join()
        assert stop_signals.requested() == "SIGTERM"
    journal.close()
    events, problems = read_journal(journal.path)
    assert problems == [] and [e["i"] for e in events] == list(range(200))


def test_an_interruptible_wait_ends_at_once_on_a_signal() -> None:
    with stop_on_signals(), pytest.raises(StopRequested, match="Ctrl-C"), \
            stop_signals.interruptible():
        os.kill(os.getpid(), signal.SIGINT)  # e.g. during input() at a prompt
        raise AssertionError("the handler should have raised")  # pragma: no cover
