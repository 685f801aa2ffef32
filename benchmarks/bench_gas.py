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

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_run import procedures_against_goal  # noqa: E402

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


def main() -> None:
    procedures_against_goal(CASES, __doc__.splitlines()[0], GOAL_S)


if __name__ == "__main__":
    main()
