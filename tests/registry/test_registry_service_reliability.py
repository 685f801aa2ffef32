"""The service stopped and started at random moments while 100 records are delivered; 16
benches pushing at once to the service on PostgreSQL. Afterwards: every record exactly
once, the chain intact."""

from __future__ import annotations

import random
import threading
import time

import pytest
from service_support import Service, make_tokens

from labctl.registry.outbox import Outbox
from labctl.registry.store import open_registry

pytestmark = pytest.mark.realtime


def _ids(url: str) -> list[str]:
    with open_registry(url) as reg:
        return [r.id for r in reg.list(limit=None)]


def test_100_records_through_random_restarts(registry_url, tmp_path, lab_key, make_record,
                                             monkeypatch):
    rng = random.Random(20261203)
    service = Service(registry_url)
    monkeypatch.setenv("LABCTL_REGISTRY_TOKEN", make_tokens(registry_url)["bench"])
    outbox = Outbox(tmp_path / "outbox.db", key=lab_key, sleep=lambda s: time.sleep(0.01))
    records = [make_record() for _ in range(100)]
    for record in records[:50]:
        outbox.put(record, service.url)

    stop = threading.Event()

    def chaos() -> None:  # the service goes down and comes back at random moments
        for _ in range(12):
            if stop.wait(rng.uniform(0.0, 0.3)):
                break
            if service.running:
                service.stop()
            else:
                service.start()
        if not service.running:
            service.start()

    service.start()
    flipper = threading.Thread(target=chaos)
    flipper.start()
    try:
        deliveries = 0
        put = 50
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if put < 100:  # benches keep finishing runs meanwhile
                for record in records[put:put + 10]:
                    outbox.put(record, service.url)
                put += 10
            report = outbox.deliver(service.url, max_attempts=2, base_delay=0.01,
                                    batch=rng.choice([1, 3, 7, 20]))
            deliveries += 1
            if put == 100 and not outbox.pending(service.url):
                break
    finally:
        stop.set()
        flipper.join()
    assert not outbox.pending(service.url), report.last_error
    if not service.running:
        service.start()
    service.stop()
    assert service.starts >= 2 and deliveries >= 2

    ids = _ids(registry_url)
    assert len(ids) == 100 and len(set(ids)) == 100
    assert set(ids) == {r.id for r in records}
    with open_registry(registry_url) as reg:
        assert reg.verify_chain(records[0].lab) == []


@pytest.mark.postgres
def test_16_benches_push_at_once_to_postgresql(postgres_url, tmp_path, lab_key, make_record,
                                               monkeypatch):
    service = Service(postgres_url)
    monkeypatch.setenv("LABCTL_REGISTRY_TOKEN", make_tokens(postgres_url)["bench"])
    service.start()
    per_bench = 4
    benches = [Outbox(tmp_path / f"bench{i}.db", key=lab_key, sleep=lambda s: time.sleep(0.005))
               for i in range(16)]
    made: list[str] = []
    for bench in benches:
        for _ in range(per_bench):
            made.append(bench.put(make_record(), service.url).id)
    barrier = threading.Barrier(16)
    errors: list[BaseException] = []

    def push(bench: Outbox) -> None:
        try:
            barrier.wait()
            for _ in range(40):
                report = bench.deliver(service.url, max_attempts=20, base_delay=0.005,
                                       batch=2)
                if report.ok:
                    return
            raise AssertionError(f"still pending: {report.pending} ({report.last_error})")
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=push, args=(bench,)) for bench in benches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    service.stop()
    assert errors == []
    ids = _ids(postgres_url)
    assert len(ids) == 16 * per_bench and set(ids) == set(made)
    with open_registry(postgres_url) as reg:
        assert reg.verify_chain(reg.labs()[0]) == []
