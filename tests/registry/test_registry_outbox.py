"""The outbox: durable, signed, chained, delivered with retries and backoff."""

from __future__ import annotations

import sqlite3

import pytest

from labctl.paths import outbox_path
from labctl.registry.errors import OutboxError
from labctl.registry.outbox import Outbox
from labctl.registry.signing import sign_record, verify_record
from labctl.registry.store import open_registry


class FakeSleep:
    """Records the delays asked for; runs ``on_sleep`` (the world changing meanwhile)."""

    def __init__(self, on_sleep=None):
        self.delays: list[float] = []
        self.on_sleep = on_sleep

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        if self.on_sleep:
            self.on_sleep(len(self.delays))


@pytest.fixture
def outbox(lab_key):
    return Outbox(key=lab_key, sleep=FakeSleep())


def test_put_signs_chains_and_stores_beside_the_runs(outbox, make_record, lab_key):
    first = outbox.put(make_record())
    second = outbox.put(make_record())
    assert outbox.path == outbox_path() and outbox.path.exists()
    assert first.signed and verify_record(first, lab_key.public_key()) == []
    assert first.previous is None and second.previous == first.hash
    assert [r.id for r in outbox.pending()] == [first.id, second.id]


def test_put_is_idempotent_on_the_id(outbox, make_record):
    record = make_record()
    stored = outbox.put(record)
    assert outbox.put(record) == stored
    with pytest.raises(OutboxError, match="already in the outbox with other content"):
        outbox.put(record.model_copy(update={"operator": "Someone Else"}))


def test_pending_records_survive_a_crash(make_record, lab_key, sqlite_url):
    stored = Outbox(key=lab_key).put(make_record(), sqlite_url)
    del stored  # the process "dies" before delivery; a new one opens the same file
    survivor = Outbox(key=lab_key)
    assert len(survivor.pending(sqlite_url)) == 1
    report = survivor.deliver(sqlite_url)
    assert report.ok and len(report.delivered) == 1


def test_deliver_pushes_in_order_and_marks_delivered(outbox, make_record, registry_url):
    records = [outbox.put(make_record(), registry_url) for _ in range(3)]
    report = outbox.deliver(registry_url)
    assert report.ok and report.delivered == [r.id for r in records]
    assert outbox.pending(registry_url) == [] and outbox.state(records[0].id) == "delivered"
    with open_registry(registry_url) as reg:
        assert [reg.get(r.id) for r in records] == records
        assert reg.verify_chain(records[0].lab) == []
    assert outbox.deliver(registry_url).delivered == []  # nothing left to do


def test_delivers_after_the_registry_was_unreachable_for_a_while(make_record, lab_key,
                                                                  tmp_path):
    where = tmp_path / "share"  # the registry's directory is not mounted yet
    url = f"sqlite:///{where.as_posix()}/registry.db"

    def world(sleeps: int) -> None:
        if sleeps == 3:
            where.mkdir()  # comes back during the third wait

    sleep = FakeSleep(world)
    outbox = Outbox(key=lab_key, sleep=sleep)
    record = outbox.put(make_record(), url)
    report = outbox.deliver(url, max_attempts=5, base_delay=0.5, jitter=0)
    assert report.ok and report.delivered == [record.id]
    assert sleep.delays == [0.5, 1.0, 2.0]  # exponential backoff
    with open_registry(url) as reg:
        assert reg.get(record.id) == record


def test_gives_up_after_max_attempts_and_keeps_the_records(make_record, lab_key, tmp_path):
    where = tmp_path / "share"
    url = f"sqlite:///{where.as_posix()}/registry.db"
    sleep = FakeSleep()
    outbox = Outbox(key=lab_key, sleep=sleep)
    records = [outbox.put(make_record(), url) for _ in range(2)]
    report = outbox.deliver(url, max_attempts=4, base_delay=1, max_delay=3, jitter=0)
    assert not report.ok and report.delivered == []
    assert report.pending == [r.id for r in records]
    assert sleep.delays == [1, 2, 3]  # capped at max_delay; no wait after the last attempt
    assert "does not exist" in report.last_error
    with sqlite3.connect(outbox.path) as conn:
        attempts, error = conn.execute("SELECT attempts, last_error FROM outbox WHERE id = ?",
                                       (records[0].id,)).fetchone()
    assert attempts == 4 and "does not exist" in error
    where.mkdir()
    assert outbox.deliver(url).delivered == [r.id for r in records]


def test_relinks_when_another_bench_pushed_first(make_record, lab_key, sqlite_url, tmp_path):
    bench_a = Outbox(tmp_path / "a.db", key=lab_key)
    bench_b = Outbox(tmp_path / "b.db", key=lab_key)
    a = bench_a.put(make_record(), sqlite_url)
    b = bench_b.put(make_record(), sqlite_url)
    assert a.previous is None and b.previous is None  # each knows only its own records
    assert bench_a.deliver(sqlite_url).ok
    report = bench_b.deliver(sqlite_url)
    assert report.ok
    relinked = bench_b.get(b.id)
    assert relinked.previous == a.hash and relinked.content() == b.content()
    with open_registry(sqlite_url) as reg:
        assert reg.get(b.id) == relinked
        assert reg.verify_chain(a.lab) == []


def test_redelivery_after_a_lost_answer_is_a_no_op(outbox, make_record, sqlite_url):
    record = outbox.put(make_record(), sqlite_url)
    assert outbox.deliver(sqlite_url).ok
    with sqlite3.connect(outbox.path) as conn:  # the push landed but we never heard back
        conn.execute("UPDATE outbox SET state = 'pending' WHERE id = ?", (record.id,))
    report = outbox.deliver(sqlite_url)
    assert report.ok and report.delivered == [record.id]
    with open_registry(sqlite_url) as reg:
        assert reg.count() == 1


def test_a_conflicting_record_is_rejected_and_the_rest_delivered(outbox, make_record, lab_key,
                                                                 sqlite_url):
    clash = make_record()
    with open_registry(sqlite_url) as reg:  # someone stored other content under that id
        reg.push(sign_record(clash.model_copy(update={"operator": "Other"}), lab_key),
                 lab_key.public_key())
    bad = outbox.put(clash, sqlite_url)
    good = outbox.put(make_record(), sqlite_url)
    with open_registry(sqlite_url) as reg:
        report = outbox.deliver(reg)  # an open registry works too
    assert report.delivered == [good.id]
    assert [rid for rid, _ in report.rejected] == [bad.id]
    assert "other content" in report.rejected[0][1]
    assert outbox.state(bad.id) == "rejected" and not report.ok


def test_records_go_only_to_the_registry_they_were_put_for(outbox, make_record, tmp_path,
                                                           sqlite_url):
    embedded = outbox.put(make_record())  # None: the embedded registry
    shared = outbox.put(make_record(), sqlite_url)
    same_place = f"sqlite:///{tmp_path.as_posix()}/./registry.db"  # same file, other spelling
    assert outbox.pending(same_place) == [shared]
    assert sorted(outbox.waiting().values()) == [1, 1]
    assert outbox.deliver(sqlite_url).delivered == [shared.id]
    assert outbox.pending() == [embedded]
    assert outbox.deliver().delivered == [embedded.id]
    assert outbox.waiting() == {}


def test_a_bad_registry_url_is_refused_at_put(outbox, make_record):
    from labctl.registry.errors import RegistryError

    with pytest.raises(RegistryError, match="not supported"):
        outbox.put(make_record(), "mysql://x@y/z")
    assert outbox.waiting() == {}


def test_records_signed_by_an_old_key_are_still_delivered(make_record, lab_key, sqlite_url):
    old = Outbox(key=lab_key).put(make_record(), sqlite_url)
    report = Outbox().deliver(sqlite_url)  # the lab key is another one by now
    assert report.ok and report.delivered == [old.id]


def test_a_record_signed_by_another_key_is_refused_at_put(outbox, make_record):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    foreign = sign_record(make_record(), Ed25519PrivateKey.generate())
    with pytest.raises(OutboxError, match="put it unsigned"):
        outbox.put(foreign)


def test_outbox_uses_the_lab_key_by_default(make_record, sqlite_url):
    from labctl.registry.signing import key_id, load_or_create_key

    record = Outbox().put(make_record())
    assert record.key_id == key_id(load_or_create_key().public_key())


def test_concurrent_benches_make_one_unbroken_chain(make_record, lab_key, registry_url,
                                                    tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    benches = [Outbox(tmp_path / f"bench{i}.db", key=lab_key) for i in range(3)]
    for bench in benches:
        for _ in range(3):
            bench.put(make_record(), registry_url)

    def deliver(bench: Outbox):
        return bench.deliver(registry_url, max_attempts=50, base_delay=0)

    with ThreadPoolExecutor(len(benches)) as pool:
        reports = list(pool.map(deliver, benches))
    assert all(r.ok for r in reports), [r.last_error for r in reports]
    with open_registry(registry_url) as reg:
        assert reg.count() == 9
        assert reg.verify_chain(make_record().lab) == []


def test_deliver_leaves_the_fresh_records_of_other_processes_alone(make_record, lab_key,
                                                                   sqlite_url):
    """Concurrent runs share one labctl home: a record another run puts while this
    delivery goes on is that run's business, not a failure of this one (it printed
    "registry unreachable" while the registry was there)."""
    mine = Outbox(key=lab_key, sleep=FakeSleep())
    other = Outbox(key=lab_key)  # the other run's process, same outbox file
    record = mine.put(make_record(), sqlite_url)
    theirs = []
    registry = open_registry(sqlite_url)

    class Meanwhile:
        """The registry, while the other run puts its record during our push."""

        url = registry.url

        def push_many(self, records, *args, **kwargs):
            if not theirs:
                theirs.append(other.put(make_record(), sqlite_url))
            return registry.push_many(records, *args, **kwargs)

        def last_hash(self, lab):
            return registry.last_hash(lab)

    try:
        report = mine.deliver(Meanwhile())
    finally:
        registry.close()
    assert report.ok and report.delivered == [record.id] and report.pending == []
    assert mine.state(theirs[0].id) == "pending"  # left for its own process to deliver



def test_a_backlog_is_read_a_batch_at_a_time(outbox, make_record, sqlite_url, monkeypatch):
    """A bench that was cut off for weeks holds thousands of records: delivery reads and
    checks their documents one batch at a time, never the whole backlog at once, and
    each once when nothing fails."""
    records = [outbox.put(make_record(), sqlite_url) for _ in range(23)]
    reads: list[int] = []
    read_batch = Outbox._read_batch

    def counted(self, ids):
        reads.append(len(ids))
        return read_batch(self, ids)

    monkeypatch.setattr(Outbox, "_read_batch", counted)
    report = outbox.deliver(sqlite_url, batch=5)
    assert report.ok and report.delivered == [r.id for r in records]
    assert reads == [5, 5, 5, 5, 3]
    with open_registry(sqlite_url) as reg:
        assert reg.verify_chain(records[0].lab) == []
    [checkpoint] = outbox.checkpoints(sqlite_url)  # kept with the last batch's marks
    assert checkpoint.record_id == records[-1].id and checkpoint.signature_ok


def test_an_unreadable_copy_in_the_outbox_is_rejected_and_the_rest_delivered(
        outbox, make_record, sqlite_url):
    """A document in the outbox file that is no longer a record (a disk error, a hand
    edit) is named and set aside; the records after it are re-linked past it and
    delivered, instead of the whole delivery failing on it."""
    first, broken, last = (outbox.put(make_record(), sqlite_url) for _ in range(3))
    with sqlite3.connect(outbox.path) as conn:
        conn.execute("UPDATE outbox SET document = replace(document, '\"points\":[', "
                     "'\"points\":7,\"was\":[') WHERE id = ?", (broken.id,))
    report = outbox.deliver(sqlite_url)
    assert report.delivered == [first.id, last.id]
    [(rid, reason)] = report.rejected
    assert rid == broken.id and f"copy of record {broken.id} is not a valid record" in reason
    assert "points" in reason and outbox.state(broken.id) == "rejected"
    with open_registry(sqlite_url) as reg:
        assert reg.count() == 2 and reg.verify_chain(first.lab) == []
        assert reg.get(last.id).previous == first.hash
