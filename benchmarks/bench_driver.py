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
time); the contenders alternate in rounds and each keeps its best round, so background
load hits them alike.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import pyvisa

from labctl.drivers.base import Instrument, measurement
from labctl.drivers.capabilities import Identity
from labctl.drivers.mtsics_scale import MtSicsScale
from labctl.sim.clock import RealClock
from labctl.sim.device import SimDevice
from labctl.sim.devices import mtsics_scale
from labctl.sim.server import SimServer
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
    best = {name: float("inf") for name in contenders}
    for fn in contenders.values():
        per_call_us(fn, max(50, n // 10))  # warm up
    for _ in range(rounds):
        for name, fn in contenders.items():
            best[name] = min(best[name], per_call_us(fn, n))
    return best


def scale_device() -> SimDevice:
    world = World(RealClock(), seed=1)
    return mtsics_scale.create(world, {"max": "15 kg", "e": "5 g", "d": "5 g",
                                       "power_on_message": False})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="reads per round")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    devices: dict[str, SimDevice] = {
        "raw": Meter(RealClock()), "typed": Meter(RealClock()), "query": Meter(RealClock()),
        "raw-scale": scale_device(), "scale": scale_device(),
    }
    opts = TransportOptions(instrument="bench")
    rm = pyvisa.ResourceManager("@py")
    opened: list = []
    with SimServer(devices) as server:
        addrs = {name: a[0] for name, a in server.addresses().items()}
        try:
            raw = rm.open_resource(addrs["raw"], read_termination="\r\n",
                                   write_termination="\r\n", timeout=2000)
            raw_scale = rm.open_resource(addrs["raw-scale"], read_termination="\r\n",
                                         write_termination="\r\n", timeout=2000)
            opened += [raw, raw_scale]
            meter = MeterDriver(open_transport(addrs["typed"], opts), name="meter")
            plain = open_transport(addrs["query"], opts)
            scale = MtSicsScale(open_transport(addrs["scale"], opts), name="scale",
                                max="15 kg", e="5 g", d="5 g")
            opened += [meter, plain, scale]
            assert meter.voltage.m_as("V") == float(raw.query("MEAS?"))

            def raw_s() -> float:
                head, status, value, unit = raw_scale.query("S").split()
                return float(value)

            best = race({
                "raw pyvisa-py query + float()": lambda: float(raw.query("MEAS?")),
                "labctl measurement (Quantity)": lambda: meter.voltage,
                "labctl VisaTransport.query + float()": lambda: float(plain.query("MEAS?")),
                "raw pyvisa-py S + split + float()": raw_s,
                "labctl MtSicsScale.read_stable()": scale.read_stable,
            }, args.n, args.rounds)
        finally:
            for thing in opened:
                thing.close()

    baseline = best["raw pyvisa-py query + float()"]
    print(f"{'read over loopback TCP (pyvisa-py)':<42} {'us/read':>9} {'ratio':>8}")
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
