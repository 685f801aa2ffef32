"""Start-up of the ``labctl`` command: ``--help`` wall time and what ``import labctl.cli`` pulls in.

Run: ``python benchmarks/bench_cli.py [--rounds N] [--quick]``.

Every case is a fresh process, timed from spawn to exit with its output captured:

* baselines, measured in the same run: ``python -c pass`` (the interpreter alone, with
  this environment's site-packages hooks) and ``python -c "import click"`` (the
  command-line library labctl cannot do without);
* ``labctl --help``, ``labctl run --help`` and ``labctl uncertainty --help`` through the
  installed console script (the file pip wrote, not a shell shim in front of it).

The cases alternate round by round, so background load on a shared machine hits them
alike; each reports the median (and the best) of its rounds, its ratio to
``python -c pass`` and its cost above it. Issue 3's goal: ``labctl --help`` <= 150 ms.

Then, with ``python -X importtime`` in a subprocess, it lists which heavy libraries
(pint, numpy, scipy, pyvisa, sqlalchemy, matplotlib, pydantic, rich) are imported by
``import labctl.cli`` and by each ``--help``, and through which chain of imports, so a
regression names its culprit. DESIGN.md's goal: none of them at ``import labctl.cli``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections import defaultdict
from pathlib import Path

GOAL_MS = 150.0
HEAVY = ("pint", "numpy", "scipy", "pyvisa", "sqlalchemy", "matplotlib", "pydantic", "rich")
# Not part of the goal, but worth seeing when they show up at start-up.
WATCHED = ("uncertainties", "cryptography", "jinja2", "fastapi", "serial", "yaml")
HELP_CASES = {
    "labctl --help": ["--help"],
    "labctl run --help": ["run", "--help"],
    "labctl uncertainty --help": ["uncertainty", "--help"],
}

# Run inside the child for the import scans: import labctl.cli, then (optionally) let the
# command print a help text into a buffer, as the console script would.
# labctl.cli is imported first so that the scan's own imports are not counted against it.
_SCAN = """
import sys
import labctl.cli
import contextlib, io, json
argv = json.loads(sys.argv[1])
if argv is not None:
    with contextlib.redirect_stdout(io.StringIO()):
        labctl.cli.main(argv)
"""


def console_script() -> list[str]:
    """The command that runs ``labctl``: the console script pip installed beside python.

    ``shutil.which`` may find a shim first (pyenv's is a bash script that costs tens of
    milliseconds on its own); that is measured separately, as information.
    """
    script = Path(sysconfig.get_path("scripts")) / "labctl"
    if script.is_file():
        return [str(script)]
    found = shutil.which("labctl")
    if found:
        return [found]
    return [sys.executable, "-m", "labctl.cli"]


def path_shim() -> list[str] | None:
    """``labctl`` as the shell finds it on PATH, when that is not the console script."""
    found = shutil.which("labctl")
    if found is None:
        return None
    if Path(found).resolve() == Path(console_script()[0]).resolve():
        return None
    return [found]


def child_env(home: str) -> dict[str, str]:
    """The environment of every child: labctl's home in a temporary directory."""
    env = dict(os.environ)
    env["LABCTL_HOME"] = home
    return env


def time_once(cmd: list[str], env: dict[str, str]) -> float:
    """Seconds from spawn to exit; raises if the command fails."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: " + " | ".join(tail))
    return elapsed


def race(cases: dict[str, list[str]], env: dict[str, str], rounds: int,
         warmup: bool = True) -> dict[str, list[float]]:
    """Run every case once per round, in turn; the times of each case, in seconds."""
    if warmup:  # compiles any stale .pyc and fills the page cache; not counted
        for cmd in cases.values():
            time_once(cmd, env)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, cmd in cases.items():
            times[name].append(time_once(cmd, env))
    return times


def parse_importtime(stderr: str) -> list[tuple[int, str, int, int]]:
    """``-X importtime`` lines as (depth, module, self us, cumulative us), in print order.

    CPython prints a module after the modules it imported, indented two spaces per level.
    """
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line[len("import time:"):].split("|", 2)
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue  # the header line
        field = parts[2][1:]
        name = field.lstrip(" ")
        depth = (len(field) - len(name)) // 2
        rows.append((depth, name.strip(), int(parts[0]), int(parts[1])))
    return rows


def import_chains(rows: list[tuple[int, str, int, int]]) -> dict[str, list[str]]:
    """For each module imported, the chain of imports that first brought it in."""
    chains: dict[str, list[str]] = {}
    stack: list[str] = []
    for depth, name, _self, _cum in reversed(rows):  # reversed: parents before children
        del stack[depth:]
        stack.append(name)
        chains.setdefault(name, list(stack))
    return chains


def self_time_by_package(rows: list[tuple[int, str, int, int]],
                         under: str | None = None) -> dict[str, float]:
    """Import time (ms, own time of every module) summed per top-level package.

    With ``under``, only the modules first imported below a top-level import of that
    package count (``under="labctl"`` leaves out the interpreter's start-up).
    """
    totals: dict[str, float] = defaultdict(float)
    top = ""
    for depth, name, self_us, _cum in reversed(rows):  # parents before children
        if depth == 0:
            top = name
        if under is None or top.split(".")[0] == under:
            totals[name.split(".")[0]] += self_us / 1000
    return dict(sorted(totals.items(), key=lambda kv: -kv[1]))


def scan_imports(argv: list[str] | None, env: dict[str, str]) -> dict[str, object]:
    """Import ``labctl.cli`` (and run ``labctl ARGV`` if given) in a child with importtime."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", _SCAN, json.dumps(argv)],
                          env=env, capture_output=True, text=True, check=False)
    rows = parse_importtime(proc.stderr)
    if proc.returncode != 0:
        tail = [ln for ln in proc.stderr.splitlines() if not ln.startswith("import time:")]
        raise RuntimeError(f"import scan of {argv} exited {proc.returncode}: {tail[-3:]}")
    chains = import_chains(rows)
    found = {root: chains[root] for root in HEAVY + WATCHED if root in chains}
    labctl_ms = sum(s for _d, n, s, _c in rows if n.split(".")[0] == "labctl") / 1000
    return {"chains": found, "modules": len(rows), "labctl_ms": labctl_ms,
            "by_package": self_time_by_package(rows, under="labctl")}


def culprit(chain: list[str]) -> str:
    """The import chain, shortened: the labctl modules, the first other module, the target.

    ``labctl.bench -> labctl.register -> labctl.units -> pint -> ... -> numpy`` reads
    "labctl.units imported pint, which (through modules elided) imported numpy".
    """
    ours = [m for m in chain if m.split(".")[0] == "labctl"]
    rest = chain[len(ours):] if chain[:len(ours)] == ours else chain
    if len(rest) <= 2:
        return " -> ".join(ours + rest)
    return " -> ".join(ours + [rest[0], "...", rest[-1]])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11,
                        help="timed processes per case (median reported); default 11")
    parser.add_argument("--quick", action="store_true",
                        help="one round, no warm-up: checks that everything runs")
    args = parser.parse_args(argv)
    rounds = 1 if args.quick else max(1, args.rounds)

    labctl = console_script()
    py = [sys.executable]
    cases = {"python -c pass": py + ["-c", "pass"],
             "python -c 'import click'": py + ["-c", "import click"]}
    cases.update({name: labctl + extra for name, extra in HELP_CASES.items()})
    shim = path_shim()
    if shim is not None:
        cases["labctl --help via PATH (shim)"] = shim + ["--help"]

    with tempfile.TemporaryDirectory(prefix="labctl-bench-cli-") as home:
        env = child_env(home)
        times = race(cases, env, rounds, warmup=not args.quick)
        scans = {"import labctl.cli": scan_imports(None, env)}
        scans.update({name: scan_imports(extra, env) for name, extra in HELP_CASES.items()})

    med = {name: statistics.median(t) for name, t in times.items()}
    base = med["python -c pass"]
    print(f"labctl start-up: {rounds} round(s), median (best) per case; cpu_count="
          f"{os.cpu_count()}, python {sys.version.split()[0]}")
    print(f"console script: {' '.join(labctl)}")
    print(f"{'case':<32} {'median':>9} {'best':>9} {'x pass':>7} {'over pass':>10}")
    for name, t in times.items():
        print(f"{name:<32} {med[name] * 1e3:>6.1f} ms {min(t) * 1e3:>6.1f} ms "
              f"{med[name] / base:>6.2f}x {(med[name] - base) * 1e3:>7.1f} ms")
    if shim is not None:
        print(f"(the PATH entry {shim[0]} is a shim in front of the console script; "
              f"the goal is judged on the console script)")

    print("\nheavy libraries imported (goal: none at `import labctl.cli`):")
    print(f"{'scenario':<28} {'modules':>7} {'labctl own':>10}  heavy / watched")
    for name, scan in scans.items():
        chains = scan["chains"]
        heavy = [m for m in HEAVY if m in chains]
        watched = [m for m in WATCHED if m in chains]
        listed = ", ".join(heavy) or "none"
        if watched:
            listed += f"  (also {', '.join(watched)})"
        print(f"{name:<28} {scan['modules']:>7} {scan['labctl_ms']:>7.1f} ms  {listed}")
        for module in heavy + watched:
            print(f"{'':<28}   {module} via {culprit(chains[module])}")
    top = list(scans["import labctl.cli"]["by_package"].items())[:6]
    print("import time below `import labctl.cli`, by package: "
          + ", ".join(f"{pkg} {ms:.1f} ms" for pkg, ms in top))

    print()
    for name in HELP_CASES:
        verdict = "OK" if med[name] * 1e3 <= GOAL_MS else "MISS"
        print(f"goal: {name} <= {GOAL_MS:.0f} ms: {verdict} ({med[name] * 1e3:.0f} ms, "
              f"{med[name] / base:.2f}x python -c pass)")
    heavy_at_import = [m for m in HEAVY if m in scans["import labctl.cli"]["chains"]]
    verdict = "MISS" if heavy_at_import else "OK"
    print(f"goal: no heavy library at import labctl.cli: {verdict} "
          f"({', '.join(heavy_at_import) or 'none imported'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
