"""Run every ``benchmarks/bench_*.py`` and summarise their goals (OK / MISS).

Run: ``python benchmarks/run_all.py [--quick] [--only NAME ...] [-v]``.

Each benchmark runs in its own process, one after the other (they would disturb each
other on a 2-core machine), with ``LABCTL_HOME`` in a temporary directory. Its goal
lines are collected: a line with the word ``OK`` or ``MISS``, or ``goal ...: met`` /
``NOT met``. The summary table gives each script's wall time and status, then its goal
lines. A script without a goal line is listed as "no goal"; one that fails or times out
as ERROR / TIMEOUT with the end of its output.

The exit status is always 0: benchmarks inform, they do not gate (see DESIGN.md).
``--quick`` passes ``--quick`` to the scripts that accept it and skips the others.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

_OK_MISS = re.compile(r"\b(OK|MISS)\b")
_MET = re.compile(r"\bgoal\b.*:\s*(NOT met|met)\b", re.IGNORECASE)


@dataclass
class Outcome:
    name: str
    status: str = "no goal"      # OK, MISS, "2 OK, 1 MISS", no goal, ERROR (rc), TIMEOUT
    wall: float = 0.0
    goals: list[tuple[str, str]] = field(default_factory=list)  # (OK|MISS, the line)
    output: str = ""


def goal_lines(output: str) -> list[tuple[str, str]]:
    """The goal lines of a benchmark's output as (``OK`` or ``MISS``, line)."""
    found = []
    for line in output.splitlines():
        text = line.strip()
        met = _MET.search(text)
        if met:
            found.append(("MISS" if met.group(1).lower().startswith("not") else "OK", text))
            continue
        word = _OK_MISS.search(text)
        if word:
            found.append((word.group(1), text))
    return found


def status_of(goals: list[tuple[str, str]]) -> str:
    if not goals:
        return "no goal"
    ok = sum(1 for verdict, _ in goals if verdict == "OK")
    miss = len(goals) - ok
    if miss == 0:
        return "OK" if ok == 1 else f"OK ({ok})"
    if ok == 0:
        return "MISS" if miss == 1 else f"MISS ({miss})"
    return f"{ok} OK, {miss} MISS"


def scripts(only: list[str]) -> list[Path]:
    found = sorted(HERE.glob("bench_*.py"))
    if only:
        found = [p for p in found if any(o in p.stem for o in only)]
    return found


def accepts_quick(script: Path) -> bool:
    return '"--quick"' in script.read_text(encoding="utf-8")


def run_one(script: Path, extra: list[str], timeout: float, home: str) -> Outcome:
    outcome = Outcome(script.stem)
    env = dict(os.environ, LABCTL_HOME=home, PYTHONUNBUFFERED="1")
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, str(script), *extra], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as err:
        outcome.wall = time.perf_counter() - t0
        outcome.status = "TIMEOUT"
        out = err.stdout or b""
        outcome.output = out.decode(errors="replace") if isinstance(out, bytes) else out
        return outcome
    outcome.wall = time.perf_counter() - t0
    outcome.output = proc.stdout + (proc.stderr if proc.returncode else "")
    outcome.goals = goal_lines(proc.stdout)  # kept even when the script then failed
    outcome.status = f"ERROR ({proc.returncode})" if proc.returncode else status_of(outcome.goals)
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="run only the scripts that have a --quick mode, in that mode")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run the scripts whose name contains NAME (repeatable)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per script")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print each script's full output as it finishes")
    args = parser.parse_args(argv)

    chosen = scripts(args.only)
    outcomes: list[Outcome] = []
    skipped: list[str] = []
    for script in chosen:
        extra: list[str] = []
        if args.quick:
            if not accepts_quick(script):
                skipped.append(script.stem)
                continue
            extra = ["--quick"]
        print(f"running {script.name} {' '.join(extra)}".rstrip(), flush=True)
        with tempfile.TemporaryDirectory(prefix="labctl-bench-all-") as home:
            outcome = run_one(script, extra, args.timeout, home)
        outcomes.append(outcome)
        if args.verbose:
            print(outcome.output.rstrip() + "\n", flush=True)

    print(f"\nbenchmarks summary (cpu_count={os.cpu_count()}, python "
          f"{sys.version.split()[0]}{', quick mode' if args.quick else ''}):")
    print(f"{'benchmark':<18} {'wall':>8}  status")
    for o in outcomes:
        print(f"{o.name:<18} {o.wall:>6.1f} s  {o.status}")
    for name in skipped:
        print(f"{name:<18} {'-':>8}  skipped (no --quick mode)")
    for o in outcomes:
        failed = o.status.startswith(("ERROR", "TIMEOUT"))
        if o.goals:
            print(f"\n{o.name}:")
            for verdict, line in o.goals:
                print(f"  [{verdict:<4}] {line}")
        if failed:
            print(f"\n{o.name}: {o.status}; last lines of its output:")
            for line in o.output.strip().splitlines()[-8:]:
                print(f"  {line}")
    if not chosen:
        print("no benchmark matched")
    return 0


if __name__ == "__main__":
    sys.exit(main())
