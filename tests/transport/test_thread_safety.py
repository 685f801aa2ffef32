"""Two threads never interleave a query on one transport."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator

import pytest

from labctl.clock import RealClock, VirtualClock
from labctl.sim.device import Reply
from labctl.sim.server import SimServer
from labctl.transport import Transport, TransportOptions, open_transport
from labctl.transport.sim import SimTransport


@pytest.fixture
def fast_switching() -> Iterator[None]:
    """Switch threads as often as the interpreter allows, so that an unlocked
    write-then-read would interleave."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def hammer(query: Callable[[str], str], threads: int = 4, per_thread: int = 300) -> list[str]:
    """Each thread sends unique tokens; return the mismatches (empty when all is well)."""
    errors: list[str] = []
    start = threading.Barrier(threads)

    def worker(k: int) -> None:
        start.wait()
        for i in range(per_thread):
            token = f"t{k}-{i}"
            try:
                reply = query(f"ECHO {token}")
            except Exception as exc:  # collected and reported by the test
                errors.append(f"{token}: {exc!r}")
                continue
            if reply != token:
                errors.append(f"{token} got {reply}")

    workers = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(10)
    return errors


def test_sim_transport_queries_do_not_interleave(meter_cls, fast_switching: None) -> None:
    class SlowEcho(meter_cls):
        def handle(self, line: str) -> list[str | Reply]:
            word, _, arg = line.partition(" ")
            return [Reply(arg, 0.001)] if word == "ECHO" else super().handle(line)

    clock = VirtualClock()
    t = SimTransport(SlowEcho(clock), TransportOptions(instrument="dmm"), clock)
    assert hammer(t.query) == []


@pytest.mark.realtime
@pytest.mark.parametrize("index", [0, 1], ids=["visa", "serial-socket"])
def test_served_transports_queries_do_not_interleave(meter_cls, index: int,
                                                      fast_switching: None) -> None:
    with SimServer({"m": meter_cls(RealClock())}) as server:
        resource = server.addresses()["m"][index]
        t: Transport = open_transport(resource, TransportOptions(instrument="dmm"))
        try:
            assert hammer(t.query, threads=3, per_thread=150) == []
        finally:
            t.close()
