"""Driver benchmark (``python benchmarks/bench_driver.py``).

A typed read (a ``measurement`` descriptor returning a pint Quantity) through labctl's
``VisaTransport`` against a simulator served on loopback TCP by ``SimServer``, compared
with a raw pyvisa-py ``float(resource.query(...))`` to the same kind of server in the
same run. Issue goal: the typed read <= 1.10x the raw query.

The comparison uses a simple SCPI-ish meter (``MEAS?`` -> ``+1.23456789E+00``) so that
both sides parse the same reply with ``float``. For information it also reports the
MT-SICS scale: ``MtSicsScale.read_stable()`` (``S`` -> ``WeighingReading``) against a raw
pyvisa-py ``query("S")`` plus splitting the line and ``float()``.

Each contender talks to its own served device (a served device takes one client at a
time); the contenders alternate in rounds, every call is timed, and each contender's
median call is compared, so background load hits them alike. Each contender is measured
on every served device in turn, since one loopback connection is often served a few per
cent faster than another. The server runs in a child process: in the client's process
its thread would take the GIL in the middle of the client's timings.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pyvisa

from labctl.clock import RealClock
from labctl.drivers.base import DEFAULT_RETRIES, Instrument, measurement
from labctl.drivers.capabilities import Identity
from labctl.drivers.weighing.mtsics_scale import MtSicsScale
from labctl.sim.device import SimDevice
from labctl.sim.server import SimServer
from labctl.sim.weighing import mtsics_scale_sim as mtsics_scale
from labctl.sim.world import World
from labctl.transport import TransportOptions, open_transport

GOAL = 1.10


class Meter(SimDevice):
    """The served SCPI-ish meter: ``MEAS?`` gives a fixed reading."""

    name = "bench-meter"

    def handle(self, line: str) -> list[str]:
        if line == "MEAS?":
            return ["+1.23456789E+00"]
        if line == "*IDN?":
            return ["LABCTL,BENCH-METER,0,1.0"]
        return []


class MeterDriver(Instrument):
    """Its driver: one typed measurement."""

    voltage = measurement("MEAS?", unit="V")

    def identify(self) -> Identity:
        maker, model, serial, firmware = self.query("*IDN?").split(",")
        return Identity(maker, model, serial, firmware)


def per_call_us(fn: Callable[[], object], n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1e6


def race(contenders: dict[str, Callable[[], object]], n: int, rounds: int) -> dict[str, float]:
    """Median time of one call (us) per contender. The contenders alternate in short
    rounds and every call is timed on its own, so a burst of background load or a slow
    scheduler tick lands on a few samples of each, not on one contender's whole mean."""
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for fn in contenders.values():
        per_call_us(fn, max(50, n // 10))  # warm up
    clock = time.perf_counter
    for _ in range(rounds):
        for name, fn in contenders.items():
            out = samples[name]
            for _ in range(n):
                t0 = clock()
                fn()
                out.append(clock() - t0)
    return {name: statistics.median(v) * 1e6 for name, v in samples.items()}


def scale_device() -> SimDevice:
    world = World(RealClock(), seed=1)
    return mtsics_scale.create(world, {"max": "15 kg", "e": "5 g", "d": "5 g",
                                       "power_on_message": False})


def _serve(addresses: multiprocessing.Queue, stop: multiprocessing.Event) -> None:
    devices: dict[str, SimDevice] = {name: Meter(RealClock()) for name in METERS}
    devices.update({name: scale_device() for name in SCALES})
    with SimServer(devices) as server:
        addresses.put({name: a[0] for name, a in server.addresses().items()})
        stop.wait(600)


@contextmanager
def served() -> Iterator[dict[str, str]]:
    """The bench's devices served by a child process; their VISA resource strings."""
    ctx = multiprocessing.get_context("fork")
    queue, stop = ctx.Queue(), ctx.Event()
    child = ctx.Process(target=_serve, args=(queue, stop), daemon=True)
    child.start()
    try:
        yield queue.get(timeout=30)
    finally:
        stop.set()
        child.join(10)


METERS = ("m1", "m2", "m3")
SCALES = ("s1", "s2")


def _open_meters(rm: pyvisa.ResourceManager, addrs: dict[str, str], order: tuple[str, ...],
                 opts: TransportOptions) -> tuple[list, dict[str, Callable[[], object]]]:
    """The three meter contenders, each on the served meter ``order`` gives it."""
    raw = rm.open_resource(addrs[order[0]], read_termination="\r\n",
                           write_termination="\r\n", timeout=2000)
    meter = MeterDriver(open_transport(addrs[order[1]], opts), name="meter")
    meter.retries = DEFAULT_RETRIES  # as a bench opens it: reads go through the retry policy
    plain = open_transport(addrs[order[2]], opts)
    assert meter.voltage.m_as("V") == float(raw.query("MEAS?"))
    return [raw, meter, plain], {
        "raw pyvisa-py query + float()": lambda: float(raw.query("MEAS?")),
        "labctl measurement (Quantity)": lambda: meter.voltage,
        "labctl VisaTransport.query + float()": lambda: float(plain.query("MEAS?")),
    }


def _open_scales(rm: pyvisa.ResourceManager, addrs: dict[str, str], order: tuple[str, ...],
                 opts: TransportOptions) -> tuple[list, dict[str, Callable[[], object]]]:
    raw_scale = rm.open_resource(addrs[order[0]], read_termination="\r\n",
                                 write_termination="\r\n", timeout=2000)
    scale = MtSicsScale(open_transport(addrs[order[1]], opts), name="scale",
                        max="15 kg", e="5 g", d="5 g")
    scale.retries = DEFAULT_RETRIES

    def raw_s() -> float:
        head, status, value, unit = raw_scale.query("S").split()
        return float(value)

    return [raw_scale, scale], {"raw pyvisa-py S + split + float()": raw_s,
                                "labctl MtSicsScale.read_stable()": scale.read_stable}


def rotated(rm: pyvisa.ResourceManager, addrs: dict[str, str], devices: tuple[str, ...],
            opener: Callable, n: int, rounds: int) -> dict[str, float]:
    """Each contender measured on every served device in turn (a rotation), the medians
    averaged: one TCP connection served a little faster than another then favours no one."""
    opts = TransportOptions(instrument="bench")
    totals: dict[str, float] = {}
    for shift in range(len(devices)):
        order = devices[shift:] + devices[:shift]
        opened, contenders = opener(rm, addrs, order, opts)
        try:
            for name, us in race(contenders, n, rounds).items():
                totals[name] = totals.get(name, 0.0) + us / len(devices)
        finally:
            for thing in opened:
                thing.close()
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="reads per round")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()

    rm = pyvisa.ResourceManager("@py")
    with served() as addrs:
        best = rotated(rm, addrs, METERS, _open_meters, args.n, args.rounds)
        best.update(rotated(rm, addrs, SCALES, _open_scales, args.n, args.rounds // 2 or 1))

    baseline = best["raw pyvisa-py query + float()"]
    print(f"{'read over loopback TCP (pyvisa-py), median':<42} {'us/read':>9} {'ratio':>8}")
    for name in ("raw pyvisa-py query + float()", "labctl measurement (Quantity)",
                 "labctl VisaTransport.query + float()"):
        print(f"{name:<42} {best[name]:>9.2f} {best[name] / baseline:>7.3f}x")
    ratio = best["labctl measurement (Quantity)"] / baseline
    verdict = "OK" if ratio <= GOAL else "MISS"
    print(f"typed read / raw query: {ratio:.3f}x (goal <= {GOAL:.2f}x): {verdict}")
    s_base = best["raw pyvisa-py S + split + float()"]
    for name in ("raw pyvisa-py S + split + float()", "labctl MtSicsScale.read_stable()"):
        print(f"{name:<42} {best[name]:>9.2f} {best[name] / s_base:>7.3f}x")


if __name__ == "__main__":
    main()
