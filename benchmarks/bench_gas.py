"""The gas procedures end to end on their all-simulated benches.

Run: ``python benchmarks/bench_gas.py [--runs N] [--quick]``.

``procedures/gas-combustible-jjg693.yaml`` on ``benches/sim-gas-combustible.yaml``
(about 2 hours of virtual time: zero, three indication-error points, six repeatability
exposures, three response-time steps recorded every second, a one-hour drift test and
the alarm test; some 570 journal events, each fsync'd), ``procedures/gas-co-jjg915.yaml``
on ``benches/sim-gas-co.yaml`` (the same without the alarm test),
``procedures/gas-ndir-jjg635.yaml`` on ``benches/sim-gas-ndir.yaml`` (the NDIR analyzer:
the same tests, limits by its accuracy class, about 1.8 h virtual) and
``procedures/ghg-multipoint.yaml`` on ``benches/sim-ghg.yaml`` (five cylinders through a
stream selector, 30 CO2/CH4 readings each, 75 min virtual; two GLS fits) through the Python API with
``LABCTL_HOME`` in a temporary directory. Issue 10's goal: each gas procedure in <= 2 s of
wall time. Reported: the first run (imports paid), then the median of N more; and,
measured alternately in the same process as baselines, the shipped scale verification
(``scale-jjg539`` on ``sim-scale``) and a fixed pure-Python workload, so the ratios can be
compared on a noisy shared machine when the absolute times move.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_run import journal_lines, one_run, reference_workload  # noqa: E402

GOAL_S = 2.0
CASES = {"gas-combustible-jjg693 on sim-gas-combustible": (
    ROOT / "procedures" / "gas-combustible-jjg693.yaml",
    ROOT / "benches" / "sim-gas-combustible.yaml"),
         "gas-co-jjg915 on sim-gas-co": (ROOT / "procedures" / "gas-co-jjg915.yaml",
                                         ROOT / "benches" / "sim-gas-co.yaml"),
         "gas-ndir-jjg635 on sim-gas-ndir": (ROOT / "procedures" / "gas-ndir-jjg635.yaml",
                                             ROOT / "benches" / "sim-gas-ndir.yaml"),
         "ghg-multipoint on sim-ghg": (ROOT / "procedures" / "ghg-multipoint.yaml",
                                       ROOT / "benches" / "sim-ghg.yaml")}
BASELINE = (ROOT / "procedures" / "scale-jjg539.yaml", ROOT / "benches" / "sim-scale.yaml")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one warm run each")
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    os.environ.setdefault("LABCTL_HOME", tempfile.mkdtemp(prefix="labctl-bench-"))

    first = {name: one_run(*files) for name, files in CASES.items()}
    one_run(*BASELINE)
    times: dict[str, list[float]] = {name: [] for name in CASES}
    base: list[float] = []
    work: list[float] = []
    for _ in range(runs):
        for name, files in CASES.items():
            times[name].append(one_run(*files)[0])
        base.append(one_run(*BASELINE)[0])
        work.append(reference_workload())
    base_median = statistics.median(base)
    work_median = statistics.median(work)
    print(f"baselines (median of {runs}): scale-jjg539 on sim-scale {base_median:.3f} s, "
          f"pure-Python workload {work_median * 1000:.1f} ms")
    for name, (seconds, result) in first.items():
        median = statistics.median(times[name])
        virtual = getattr(result, "clock_seconds", 0.0)
        print(f"{name}: first run {seconds:.3f} s, median {median:.3f} s (best "
              f"{min(times[name]):.3f}, worst {max(times[name]):.3f}); "
              f"{virtual / 3600:.2f} h virtual, x{virtual / median:,.0f} virtual/wall; "
              f"{journal_lines(result)} journal lines; "
              f"{median / base_median:.2f}x the scale run, "
              f"{median / work_median:.0f}x the workload")
        verdict = "OK" if median <= GOAL_S else "MISS"
        print(f"goal: {name} in <= {GOAL_S:g} s of wall time: {verdict} ({median:.2f} s)")


if __name__ == "__main__":
    main()
