"""Transport benchmarks (``python benchmarks/bench_transport.py``).

1. An in-process ``sim://`` query on a virtual clock (issue goal: <= 10 us per query).
2. Raw pyvisa-py ``float(resource.query("MEAS?"))`` against a test device served by
   ``SimServer`` on loopback TCP: the baseline a driver's typed read is compared with.
3. labctl's ``VisaTransport.query`` + ``float()`` against the same server, as a ratio
   to (2); and ``SerialTransport`` over ``socket://`` for information.

The loopback measurements alternate between the contenders in rounds and keep each
one's best round, so background noise hits them alike.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import pyvisa

from labctl.clock import RealClock, VirtualClock
from labctl.sim.device import SimDevice
from labctl.sim.server import SimServer
from labctl.transport import TransportOptions, open_transport
from labctl.transport.sim import SimTransport

SIM_GOAL_US = 10.0


class BenchMeter(SimDevice):
    """A SCPI-ish meter: ``*IDN?`` and ``MEAS?`` (a fixed reading)."""

    name = "bench-meter"

    def handle(self, line: str) -> list[str]:
        if line == "*IDN?":
            return ["LABCTL,BENCH-METER,0,1.0"]
        if line == "MEAS?":
            return ["+1.23456789E+00"]
        return []


def per_call_us(fn: Callable[[], object], n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1e6


def bench_sim(n: int, rounds: int) -> float:
    clock = VirtualClock()
    transport = SimTransport(BenchMeter(clock), TransportOptions(instrument="bench-meter"))
    query = transport.query
    per_call_us(lambda: query("MEAS?"), 1000)  # warm up
    return min(per_call_us(lambda: query("MEAS?"), n) for _ in range(rounds))


def bench_loopback(n: int, rounds: int) -> dict[str, float]:
    # One served meter per client: the server takes one client per device at a time.
    devices = {name: BenchMeter(RealClock()) for name in ("raw", "visa", "serial")}
    with SimServer(devices) as server:
        addrs = server.addresses()
        rm = pyvisa.ResourceManager("@py")
        raw = rm.open_resource(addrs["raw"][0], read_termination="\r\n",
                               write_termination="\r\n", timeout=2000)
        opts = TransportOptions(instrument="meter")
        visa = open_transport(addrs["visa"][0], opts)
        serial_t = open_transport(addrs["serial"][1], opts)
        contenders: dict[str, Callable[[], object]] = {
            "raw pyvisa-py query + float()": lambda: float(raw.query("MEAS?")),
            "labctl VisaTransport.query + float()": lambda: float(visa.query("MEAS?")),
            "labctl SerialTransport (socket://) + float()":
                lambda: float(serial_t.query("MEAS?")),
        }
        best = {name: float("inf") for name in contenders}
        try:
            for fn in contenders.values():
                per_call_us(fn, 200)  # warm up
            for _ in range(rounds):
                for name, fn in contenders.items():
                    best[name] = min(best[name], per_call_us(fn, n))
        finally:
            raw.close()
            visa.close()
            serial_t.close()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="queries per loopback round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    sim_us = bench_sim(max(args.n * 20, 20000), args.rounds)
    verdict = "OK" if sim_us <= SIM_GOAL_US else "MISS"
    print(f"{'measurement':<48} {'us/query':>10} {'ratio':>8}")
    print(f"{'sim:// SimTransport.query (virtual clock)':<48} {sim_us:>10.2f} "
          f"{'':>8}  goal <= {SIM_GOAL_US:g} us: {verdict}")
    loop = bench_loopback(args.n, args.rounds)
    baseline = loop["raw pyvisa-py query + float()"]
    for name, us in loop.items():
        print(f"{name:<48} {us:>10.2f} {us / baseline:>7.3f}x")


if __name__ == "__main__":
    main()
