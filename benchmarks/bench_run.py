"""The shipped JJG 539 verification, end to end, on the all-simulated bench.

Run: ``python benchmarks/bench_run.py [--runs N] [--cli-runs M] [--profile] [--quick]``.

``procedures/scale-jjg539.yaml`` on ``benches/sim-scale.yaml`` through the Python API
(``labctl.calibration.calibrate``) with ``LABCTL_HOME`` in a temporary directory:
load and check both files, open the simulated bench on a virtual clock, run every step
with its journal fsync'd per event, analyse, sign, and store the record in the embedded
registry. Reported:

* the first run in this process (it pays the imports), then the median, best and worst
  of N more runs (the same home, so keys and registry exist as in a lab's daily use);
  issue 3's goal is a median <= 2 s;
* the virtual time the run covered and the ratio virtual/wall;
* a baseline measured in the same process between the runs: a fixed pure-Python
  workload, so "run / reference" can be compared across days on a noisy shared machine
  even when the absolute times move;
* the same run through the ``labctl run`` console command in a subprocess (a cold
  start: interpreter, imports, run, result table), against ``python -c pass``;
* with ``--profile``: where a warm run's time goes (cProfile: own time per area, then
  the top functions by cumulative time) and where a cold ``labctl run`` spends its
  import time (``-X importtime``, own time per package).
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import os
import pstats
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_cli's helpers

from bench_cli import (  # noqa: E402
    HEAVY,
    console_script,
    culprit,
    import_chains,
    parse_importtime,
    self_time_by_package,
    time_once,
)

GOAL_S = 2.0
PROCEDURE = ROOT / "procedures" / "scale-jjg539.yaml"
BENCH = ROOT / "benches" / "sim-scale.yaml"


def reference_workload() -> float:
    """Seconds for a fixed pure-Python job (dicts, floats, sorting, string formatting)."""
    t0 = time.perf_counter()
    rows = [{"load": i * 0.005, "reading": (i * 7919) % 3001 * 0.005} for i in range(40_000)]
    rows.sort(key=lambda r: r["reading"])
    text = ",".join(f"{r['reading'] - r['load']:.4f}" for r in rows)
    total = sum(float(x) for x in text.split(","))
    assert total == total
    return time.perf_counter() - t0


def one_run(procedure: Path, bench: Path) -> tuple[float, object]:
    """One calibration through the API: (wall seconds, CalibrationResult)."""
    from labctl.calibration import CalibrationRequest, calibrate

    t0 = time.perf_counter()
    result = calibrate(CalibrationRequest(procedure, bench))
    return time.perf_counter() - t0, result


def journal_lines(result: object) -> int:
    path = Path(getattr(result, "journal_path", ""))
    if not path.is_file():
        return 0
    with path.open("rb") as f:
        return sum(1 for _ in f)


STDLIB = Path(sysconfig.get_path("stdlib")).resolve()


def procedures_against_goal(cases: dict[str, tuple[Path, Path]], description: str,
                            goal_s: float = 2.0) -> None:
    """The command line of a family's benchmark (``bench_gas``, ``bench_particulate``):
    each (procedure, bench) case once with imports paid, then alternately with the
    shipped scale verification and a fixed pure-Python workload as same-process
    baselines, N times; prints each case's median, its ratios to both baselines and its
    verdict against ``goal_s`` of wall time."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one warm run each")
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    os.environ.setdefault("LABCTL_HOME", tempfile.mkdtemp(prefix="labctl-bench-"))
    baseline = (ROOT / "procedures" / "scale-jjg539.yaml", ROOT / "benches" / "sim-scale.yaml")

    first = {name: one_run(*files) for name, files in cases.items()}
    one_run(*baseline)
    times: dict[str, list[float]] = {name: [] for name in cases}
    base: list[float] = []
    work: list[float] = []
    for _ in range(runs):
        for name, files in cases.items():
            times[name].append(one_run(*files)[0])
        base.append(one_run(*baseline)[0])
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
        verdict = "OK" if median <= goal_s else "MISS"
        print(f"goal: {name} in <= {goal_s:g} s of wall time: {verdict} ({median:.2f} s)")


@functools.cache
def _labctl_dir() -> Path:
    import labctl  # cheap: the package itself imports nothing heavy

    return Path(labctl.__file__).resolve().parent


def _inside(path: Path, root: Path) -> tuple[str, ...] | None:
    """The parts of ``path`` below ``root``, or None when it is not below it."""
    try:
        return path.resolve().relative_to(root).parts
    except ValueError:
        return None


def area(filename: str, funcname: str) -> str:
    """A short name for where a profiled function lives: labctl.<sub>, a library, ..."""
    if filename == "~":  # a built-in: name the C code that matters here
        for key, label in (("fsync", "os.fsync (journal)"), ("sqlite3", "sqlite3 (C)"),
                           ("pydantic_core", "pydantic_core (C)")):
            if key in funcname:
                return label
        return "builtins"
    path = Path(filename)
    ours = _inside(path, _labctl_dir())
    if ours is not None:
        return "labctl." + (ours[0] if len(ours) > 1 else path.stem)
    parts = path.parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].split("-")[0].removesuffix(".py")
    stdlib = _inside(path, STDLIB)
    return "stdlib:" + stdlib[0].removesuffix(".py") if stdlib else path.name


def short(filename: str, line: int, funcname: str) -> str:
    if filename == "~":
        return funcname
    path = Path(filename)
    ours = _inside(path, _labctl_dir())
    if ours is not None:
        return f"labctl/{'/'.join(ours)}:{line}({funcname})"
    parts = path.parts
    if "site-packages" in parts:
        return f"{'/'.join(parts[parts.index('site-packages') + 1:])}:{line}({funcname})"
    return f"{path.name}:{line}({funcname})"


def report_profile(fn: Callable[[], object], top: int, what: str = "one warm run") -> None:
    """cProfile ``fn()``; print own time per area and the top functions by cumulative time."""
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    profiler.enable()
    fn()
    profiler.disable()
    wall = time.perf_counter() - t0
    stats = pstats.Stats(profiler)
    raw = stats.stats  # type: ignore[attr-defined]
    by_area: dict[str, float] = defaultdict(float)
    for (filename, _line, funcname), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        by_area[area(filename, funcname)] += tottime
    total = sum(by_area.values()) or 1e-9
    print(f"\nprofile of {what} ({wall:.3f} s under cProfile, which slows it down);"
          " own time by area:")
    items = sorted(by_area.items(), key=lambda kv: -kv[1])
    shown = items[:12]
    for name, t in shown:
        print(f"  {name:<28} {t * 1e3:7.1f} ms {t / total:6.1%}")
    rest = sum(t for _, t in items[12:])
    print(f"  {'(everything else)':<28} {rest * 1e3:7.1f} ms {rest / total:6.1%}")

    print(f"top {top} functions by cumulative time:")
    print(f"  {'cum ms':>7} {'own ms':>7} {'calls':>7}  function")
    rows = sorted(raw.items(), key=lambda kv: -kv[1][3])
    shown_n = 0
    for (filename, line, funcname), (_cc, nc, tottime, cumtime, _callers) in rows:
        if filename.startswith("<") or filename == __file__ or funcname == "<module>":
            continue  # this script's own wrapper is not part of the run
        print(f"  {cumtime * 1e3:7.1f} {tottime * 1e3:7.1f} {nc:>7}  "
              f"{short(filename, line, funcname)}")
        shown_n += 1
        if shown_n >= top:
            break


def cli_command(procedure: Path, bench: Path) -> list[str]:
    return console_script() + ["run", str(procedure), "--bench", str(bench)]


def cold_import_profile(cmd: list[str], env: dict[str, str], top: int) -> None:
    """Own import time per package of one cold ``labctl run`` (python -X importtime)."""
    script = cmd[0]
    if Path(script).suffix == "" and Path(script).is_file():
        full = [sys.executable, "-X", "importtime", script] + cmd[1:]
    else:  # python -m labctl.cli fallback
        full = [cmd[0], "-X", "importtime"] + cmd[1:]
    t0 = time.perf_counter()
    proc = subprocess.run(full, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    rows = parse_importtime(proc.stderr)
    if proc.returncode != 0 or not rows:
        print(f"\n(import profile of labctl run failed, exit {proc.returncode})")
        return
    total_ms = sum(r[2] for r in rows) / 1000
    by_pkg = self_time_by_package(rows)
    print(f"\nimports of one cold `labctl run` ({wall:.2f} s under -X importtime): "
          f"{len(rows)} modules, {total_ms:.0f} ms own import time; by package:")
    items = list(by_pkg.items())
    line = []
    for pkg, ms in items[:top]:
        line.append(f"{pkg} {ms:.0f}")
        if len(line) == 6:
            print("  " + ", ".join(line) + " (ms)")
            line = []
    if line:
        print("  " + ", ".join(line) + " (ms)")
    ours = sorted((r for r in rows if r[1].split(".")[0] == "labctl"), key=lambda r: -r[2])
    print("  labctl modules with most own import time: "
          + ", ".join(f"{name} {self_us / 1000:.0f} ms" for _d, name, self_us, _c in ours[:5]))
    chains = import_chains(rows)
    for module in HEAVY:
        if module in chains:
            print(f"  {module:<11} via {culprit(chains[module])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed API runs after the warm-up")
    parser.add_argument("--cli-runs", type=int, default=3, help="timed `labctl run` processes")
    parser.add_argument("--no-cli", action="store_true", help="skip the `labctl run` timing")
    parser.add_argument("--profile", action="store_true",
                        help="also profile a warm run (cProfile) and a cold run's imports")
    parser.add_argument("--top", type=int, default=25, help="functions listed by --profile")
    parser.add_argument("--quick", action="store_true",
                        help="one timed run of each kind: checks that everything runs")
    parser.add_argument("--procedure", type=Path, default=PROCEDURE)
    parser.add_argument("--bench", type=Path, default=BENCH)
    parser.add_argument("--home-parent", type=Path, default=None,
                        help="where the temporary LABCTL_HOME goes (its disk's fsync "
                             "speed matters); default: the system temp directory")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else max(1, args.runs)
    cli_runs = 1 if args.quick else max(1, args.cli_runs)

    saved_home = os.environ.get("LABCTL_HOME")
    with tempfile.TemporaryDirectory(prefix="labctl-bench-run-", dir=args.home_parent) as home:
        os.environ["LABCTL_HOME"] = home
        try:
            return _measure(args, runs, cli_runs, home)
        finally:
            if saved_home is None:
                os.environ.pop("LABCTL_HOME", None)
            else:
                os.environ["LABCTL_HOME"] = saved_home


def _measure(args: argparse.Namespace, runs: int, cli_runs: int, home: str) -> int:
    procedure, bench = args.procedure.resolve(), args.bench.resolve()
    modules_before = len(sys.modules)
    first, result = one_run(procedure, bench)  # pays the imports and first-use caches
    modules_after = len(sys.modules)

    walls: list[float] = []
    refs: list[float] = [reference_workload()]
    for _ in range(runs):
        wall, result = one_run(procedure, bench)
        walls.append(wall)
        refs.append(reference_workload())
    virtual = float(getattr(result, "clock_seconds", 0.0))
    is_virtual = bool(getattr(result, "virtual_clock", False))
    med, ref = statistics.median(walls), statistics.median(refs)

    print(f"JJG 539 verification ({procedure.name} on {bench.name}) via "
          f"labctl.calibration.calibrate; cpu_count={os.cpu_count()}")
    print(f"LABCTL_HOME={home}")
    record = getattr(result, "record", None)
    print(f"result: decision {getattr(record, 'decision', '?')}, "
          f"{len(getattr(result, 'points', []))} points, {journal_lines(result)} journal "
          f"events, {'virtual' if is_virtual else 'REAL'} clock covering "
          f"{virtual:.0f} s ({virtual / 60:.1f} min, {virtual / 3600:.2f} h)")
    print(f"{'case':<44} {'wall':>9} {'x ref':>8} {'virtual/wall':>13}")
    print(f"{'first run in process (imports included)':<44} {first:>7.3f} s "
          f"{first / ref:>7.1f}x {virtual / first:>12.0f}x")
    print(f"{f'warm runs, median of {runs}':<44} {med:>7.3f} s "
          f"{med / ref:>7.1f}x {virtual / med:>12.0f}x")
    print(f"{'warm runs, best / worst':<44} {min(walls):>7.3f} s {max(walls):>7.3f} s")
    print(f"{'reference: pure-Python workload (baseline)':<44} {ref:>7.3f} s {1:>7.1f}x")
    print(f"modules imported by the first run: {modules_after - modules_before}")

    failed = False
    if not args.no_cli:
        try:
            _time_cli_runs(procedure, bench, home, cli_runs, med, virtual)
        except RuntimeError as err:  # report it, and still give the API's verdict
            failed = True
            print(f"\nERROR: the `labctl run` timing failed: {err}")

    if args.profile:
        report_profile(lambda: one_run(procedure, bench), args.top)
        if not args.no_cli and not failed:
            cold_import_profile(cli_command(procedure, bench),
                                dict(os.environ, LABCTL_HOME=home), 18)

    verdict = "OK" if med <= GOAL_S else "MISS"
    print(f"\ngoal: JJG 539 run on the simulated bench, API warm median <= {GOAL_S:g} s: "
          f"{verdict} ({med:.3f} s, {med / ref:.1f}x reference, {virtual / med:.0f}x "
          f"virtual/wall)")
    return 1 if failed else 0


def _time_cli_runs(procedure: Path, bench: Path, home: str, cli_runs: int, med: float,
                   virtual: float) -> None:
    """Time `labctl run` cold in subprocesses, against `python -c pass`, and print it."""
    env = dict(os.environ, LABCTL_HOME=home)
    cmd = cli_command(procedure, bench)
    passes, clis = [], []
    for _ in range(cli_runs):
        passes.append(time_once([sys.executable, "-c", "pass"], env))
        clis.append(time_once(cmd, env))
    cli, base = statistics.median(clis), statistics.median(passes)
    print(f"\n`labctl run` console command, cold start, median of {cli_runs}:")
    print(f"  {Path(cmd[0]).name} run {procedure.name} --bench {bench.name}")
    print(f"  {'python -c pass (baseline)':<42} {base:>7.3f} s")
    print(f"  {'labctl run (output captured)':<42} {cli:>7.3f} s {cli / base:>7.1f}x "
          f"pass, {virtual / cli:.0f}x virtual/wall")
    print(f"  {'of which: interpreter start':<42} {base:>7.3f} s")
    print(f"  {'          the run itself (warm median)':<42} {med:>7.3f} s")
    print(f"  {'          imports, first use, table':<42} {cli - base - med:>7.3f} s")
    within = "within" if cli <= GOAL_S else "over"
    print(f"  (info: the cold command is {within} the {GOAL_S:g} s of the run goal)")


if __name__ == "__main__":
    sys.exit(main())
