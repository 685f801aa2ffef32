"""HJ 212 benchmark (``python benchmarks/bench_hj212.py [--quick]``).

Issue 9's goal: decoding a 300-byte HJ 212-2017 frame, CRC check included, in <= 30 us.
Measured against baselines in the same process, alternating in rounds (each contender's
best round is kept, so background noise hits them alike):

- ``binascii.crc_hqx`` over the frame: a CRC-16 done in C, the floor of any CRC check;
- ``bytes.split`` of the frame at ``;`` and then ``,``: the floor of any parse;
- for information, the HJ 212 CRC as a plain table-driven loop over the bytes, which
  ``labctl.protocols.hj212.crc16`` replaces (see its docstring).
"""

from __future__ import annotations

import argparse
import binascii
import time
from collections.abc import Callable

from labctl.protocols import hj212

GOAL_US = 30.0
FRAME_SIZE = 300


def frame_of_size(size: int) -> bytes:
    """A real-time data upload (CN 2011, ambient air) of exactly ``size`` bytes."""
    head = ("QN=20260315101500123;ST=22;CN=2011;PW=123456;MN=LABCTL0000000000000000001;"
            "Flag=5;CP=&&DataTime=20260315101500")
    groups = ["a34004-Rtd=35.2,a34004-Flag=N", "a34002-Rtd=61.0,a34002-Flag=N",
              "a01001-Rtd=21.3,a01001-Flag=N", "a01002-Rtd=45.0,a01002-Flag=N",
              "a01006-Rtd=101.32,a01006-Flag=N", "a01007-Rtd=1.2,a01007-Flag=N",
              "a01008-Rtd=270,a01008-Flag=N", "a34001-Rtd=80.0,a34001-Flag=N"]
    body = ""
    for group in groups:   # as many groups as fit, with room for a ";Note=" padding item
        if len(head) + len(body) + 1 + len(group) + 2 + 12 + 6 > size:
            break
        body += ";" + group
    pad = size - 12 - len(head) - len(body) - 2
    # padding as a parameter right after DataTime, where encode() puts parameters
    segment = head + (f";Note={'0' * (pad - 6)}" if pad else "") + body + "&&"
    data = segment.encode("ascii")
    frame = b"##%04d%s%04X\r\n" % (len(data), data, hj212.crc16(data))
    assert len(frame) == size, len(frame)
    return frame


def table_loop_crc(data: bytes) -> int:
    """The HJ 212 CRC as a byte loop with a 256-entry table (information only)."""
    crc = 0xFFFF
    table = hj212._CRC_TABLE
    for byte in data:
        crc = table[(crc >> 8) ^ byte]
    return crc


def per_call_us(fn: Callable[[], object], n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5000, help="calls per round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="three short rounds (smoke test)")
    args = parser.parse_args()
    n, rounds = (1000, 3) if args.quick else (args.n, args.rounds)

    frame = frame_of_size(FRAME_SIZE)
    segment = frame[6:-6]
    decoded = hj212.decode(frame)
    assert hj212.encode(decoded) == frame and table_loop_crc(segment) == hj212.crc16(segment)

    contenders: dict[str, Callable[[], object]] = {
        "labctl hj212.decode (framing, CRC, parse)": lambda: hj212.decode(frame),
        "labctl hj212.crc16 of the data segment": lambda: hj212.crc16(segment),
        "HJ 212 CRC as a table-driven byte loop": lambda: table_loop_crc(segment),
        "baseline: binascii.crc_hqx of the frame": lambda: binascii.crc_hqx(frame, 0xFFFF),
        "baseline: bytes.split at ';' then ','":
            lambda: [group.split(b",") for group in frame.split(b";")],
        "labctl hj212.encode of the same frame": lambda: hj212.encode(decoded),
    }
    best = {name: float("inf") for name in contenders}
    for fn in contenders.values():
        per_call_us(fn, max(n // 10, 50))  # warm up
    for _ in range(rounds):
        for name, fn in contenders.items():
            best[name] = min(best[name], per_call_us(fn, n))

    split = best["baseline: bytes.split at ';' then ','"]
    crc_c = best["baseline: binascii.crc_hqx of the frame"]
    print(f"HJ 212-2017 frame of {len(frame)} bytes, {len(decoded.cp.pollutants)} pollutant "
          f"groups; best of {rounds} round(s) of {n} calls")
    print(f"{'case':<44} {'us/call':>9} {'x split':>8} {'x crc_hqx':>10}")
    for name, us in best.items():
        print(f"{name:<44} {us:>9.2f} {us / split:>7.1f}x {us / crc_c:>9.1f}x")
    decode_us = best["labctl hj212.decode (framing, CRC, parse)"]
    verdict = "OK" if decode_us <= GOAL_US else "MISS"
    print(f"goal: HJ 212 decode + CRC check of a {len(frame)}-byte frame <= {GOAL_US:g} us: "
          f"{verdict} ({decode_us:.1f} us, {decode_us / split:.1f}x bytes.split of the frame)")


if __name__ == "__main__":
    main()
