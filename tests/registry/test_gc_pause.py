"""The collector held off while the outbox delivers a batch, and given back after."""

from __future__ import annotations

import gc
import threading

import pytest

from labctl.registry import gc_pause
from labctl.registry.gc_pause import collector_held
from labctl.registry.outbox import Outbox


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_held_for_the_block_and_given_back(collector_on):
    with collector_held():
        assert not gc.isenabled()
        with collector_held():  # nested: the inner end does not give it back
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_given_back_when_the_block_fails(collector_on):
    with pytest.raises(RuntimeError), collector_held():
        raise RuntimeError("a push failed")
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_program_stays_off(collector_on):
    gc.disable()
    with collector_held():
        pass
    assert not gc.isenabled()


def test_overlapping_holds_of_two_threads_share_one_count(collector_on):
    inside, release = threading.Barrier(2), threading.Event()
    seen = []

    def hold() -> None:
        with collector_held():
            inside.wait()
            release.wait()

    other = threading.Thread(target=hold)
    other.start()
    with collector_held():
        inside.wait()
    seen.append(gc.isenabled())  # the other thread still holds it
    release.set()
    other.join()
    assert seen == [False] and gc.isenabled() and gc_pause._holds == 0


def test_delivery_holds_it_only_while_a_batch_is_read_and_pushed(
        collector_on, make_record, lab_key, sqlite_url, monkeypatch):
    outbox = Outbox(key=lab_key)
    for _ in range(3):
        outbox.put(make_record(), sqlite_url)
    during = []
    read_batch = Outbox._read_batch

    def watched(self, ids):
        during.append(gc.isenabled())
        return read_batch(self, ids)

    monkeypatch.setattr(Outbox, "_read_batch", watched)
    assert outbox.deliver(sqlite_url, batch=2).ok
    assert during == [False, False] and gc.isenabled()
