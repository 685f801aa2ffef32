"""Long lines into a simulator (``python benchmarks/bench_served_lines.py [--quick]``).

Issue 8, item 9: an 8 MiB line sent to ``labctl sim serve`` took 10.9 s (the input was
searched from its start on every chunk: quadratic time). Commands are now cut in linear
time and refused beyond ``max_command_length``. Two goals, as ratios in one run:

1. Linear time at the device: the time per byte of cutting a 8 MiB line (in the 64 KiB
   chunks the server hands over) over that of a 1 MiB line: <= 1.5x (quadratic: 8x).
2. Served: an 8 MiB line then a command over loopback TCP to a served simulator, until
   its error reply and the command's reply are back, against the same bytes sent to a
   plain socket that only reads them (the raw loopback transfer): <= 10x.
"""

from __future__ import annotations

import argparse
import socket
import threading
import time

from labctl.clock import RealClock, VirtualClock
from labctl.sim.device import SimDevice
from labctl.sim.server import SimServer

CHUNK = 65536
LINEAR_GOAL = 1.5
SERVED_GOAL = 10.0


class Echo(SimDevice):
    """``ECHO x`` gives x; a command beyond 4096 bytes gets ``ERR too long``."""

    name = "echo"
    overlong_reply = "ERR too long"

    def handle(self, line: str) -> list[str]:
        word, _, arg = line.partition(" ")
        return [arg] if word == "ECHO" else []


def device_seconds(size: int) -> float:
    dev = Echo(VirtualClock())
    chunk = b"x" * CHUNK
    t0 = time.perf_counter()
    dev.write(b"ECHO ")
    for _ in range(size // CHUNK):
        dev.write(chunk)
    dev.write(b"\r\nECHO ok\r\n")
    elapsed = time.perf_counter() - t0
    assert dev.read() == b"ERR too long\r\nok\r\n"
    return elapsed


def served_seconds(size: int) -> float:
    with SimServer({"echo": Echo(RealClock())}) as srv:
        port = int(srv.addresses()["echo"][1].rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            payload = b"ECHO " + b"x" * size + b"\r\nECHO ok\r\n"
            t0 = time.perf_counter()
            sock.sendall(payload)
            got = b""
            while got.count(b"\r\n") < 2:
                got += sock.recv(4096)
            elapsed = time.perf_counter() - t0
            assert got == b"ERR too long\r\nok\r\n", got[:80]
            return elapsed


def raw_seconds(size: int) -> float:
    """The same bytes to a thread that only reads them and answers one byte at the end."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def sink() -> None:
        conn, _ = server.accept()
        with conn:
            seen = 0
            while seen < size + 16:
                data = conn.recv(RECV)
                if not data:
                    break
                seen += len(data)
            conn.sendall(b"k")

    thread = threading.Thread(target=sink, daemon=True)
    thread.start()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        payload = b"ECHO " + b"x" * size + b"\r\nECHO ok\r\n"
        t0 = time.perf_counter()
        sock.sendall(payload)
        sock.recv(1)
        elapsed = time.perf_counter() - t0
    thread.join(5)
    server.close()
    return elapsed


RECV = 65536


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round, smaller lines")
    args = parser.parse_args()
    big = (2 if args.quick else 8) << 20
    small = big // 8
    rounds = 1 if args.quick else 3
    dev_small = min(device_seconds(small) for _ in range(rounds))
    dev_big = min(device_seconds(big) for _ in range(rounds))
    ratio = (dev_big / big) / (dev_small / small)
    print(f"device: {small >> 10} KiB line {dev_small * 1e3:.1f} ms, {big >> 10} KiB line "
          f"{dev_big * 1e3:.1f} ms")
    verdict = "OK" if ratio <= LINEAR_GOAL else "MISS"
    print(f"time per byte, {big >> 20} MiB / {small >> 10} KiB line: {ratio:.2f}x "
          f"(goal <= {LINEAR_GOAL}x, linear): {verdict}")
    served = min(served_seconds(big) for _ in range(rounds))
    raw = min(raw_seconds(big) for _ in range(rounds))
    ratio = served / raw
    verdict = "OK" if ratio <= SERVED_GOAL else "MISS"
    print(f"served {big >> 20} MiB line + command: {served * 1e3:.0f} ms; raw loopback "
          f"transfer {raw * 1e3:.0f} ms")
    print(f"served / raw loopback: {ratio:.2f}x (goal <= {SERVED_GOAL}x): {verdict}")


if __name__ == "__main__":
    main()
