"""Smoke tests of ``benchmarks/``: every script imports, and the cheap modes run.

Nothing here asserts on a time (DESIGN.md: speed goals live in benchmarks/, as ratios
against a baseline measured in the same run). The heavy benchmarks are only imported;
``bench_run.py --quick --no-cli`` and ``run_all.py --quick --only bench_cli`` (which runs
``bench_cli.py --quick``) run in subprocesses, as a user would run them; the profile
report of ``bench_run.py`` runs in-process on a small job.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"
SCRIPTS = sorted(BENCHMARKS.glob("*.py"))


def load(path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import a script by path, without running its main; sys.path and sys.modules
    entries are restored after the test."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    spec = importlib.util.spec_from_file_location(f"_smoke_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look it up there
    spec.loader.exec_module(module)
    return module


def run_script(*args: str, timeout: float = 60) -> str:
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.stdout


def test_the_expected_scripts_are_there() -> None:
    names = {p.name for p in SCRIPTS}
    assert {"bench_run.py", "bench_cli.py", "run_all.py"} <= names
    assert (BENCHMARKS / "README.md").is_file()


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_script_imports(script: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = load(script, monkeypatch)
    assert callable(getattr(module, "main", None)), f"{script.name} has no main()"


def test_run_all_reads_every_style_of_goal_line(monkeypatch: pytest.MonkeyPatch) -> None:
    run_all = load(BENCHMARKS / "run_all.py", monkeypatch)
    output = "\n".join([
        "case                 time/call",
        "labctl Budget(...).evaluate()   179.1 us",
        "goal: a GUM budget evaluation <= 1 ms: met (179 us, build and evaluate)",
        "  goal run_mcm <= 0.3 s for 1,000,000 trials: NOT met (slowest variant 0.4 s)",
        "typed read / raw query: 0.932x (goal <= 1.10x): OK",
        "goal: labctl --help <= 150 ms: MISS (170 ms, 1.5x python -c pass)",
        "decision: conditional_pass, BOOKS not a verdict",
    ])
    verdicts = [v for v, _ in run_all.goal_lines(output)]
    assert verdicts == ["OK", "MISS", "OK", "MISS"]
    assert run_all.status_of([]) == "no goal"
    assert run_all.status_of([("OK", "a"), ("OK", "b")]) == "OK (2)"
    assert run_all.status_of([("OK", "a"), ("MISS", "b")]) == "1 OK, 1 MISS"


def test_bench_cli_reads_importtime_chains(monkeypatch: pytest.MonkeyPatch) -> None:
    bench_cli = load(BENCHMARKS / "bench_cli.py", monkeypatch)
    # CPython's format: "import time: %9ld | %10ld | %*s%s", two spaces per nesting level;
    # a module is printed after the modules it imported.
    tree = [(100, 100, 3, "numpy"), (50, 150, 2, "pint.compat"), (20, 170, 1, "pint"),
            (300, 470, 1, "labctl.units"), (10, 10, 1, "labctl.errors"),
            (5, 485, 0, "labctl.register"), (7, 7, 0, "json")]
    stderr = "import time: self [us] | cumulative | imported package\n" + "\n".join(
        f"import time: {own:9d} | {cum:10d} | {'  ' * depth}{name}"
        for own, cum, depth, name in tree)
    rows = bench_cli.parse_importtime(stderr)
    assert [(d, n) for d, n, _s, _c in rows][:3] == [(3, "numpy"), (2, "pint.compat"),
                                                     (1, "pint")]
    chains = bench_cli.import_chains(rows)
    assert chains["numpy"] == ["labctl.register", "pint", "pint.compat", "numpy"]
    assert chains["labctl.errors"] == ["labctl.register", "labctl.errors"]
    assert bench_cli.culprit(chains["numpy"]) == "labctl.register -> pint -> ... -> numpy"
    assert bench_cli.culprit(chains["labctl.units"]) == "labctl.register -> labctl.units"
    by_package = bench_cli.self_time_by_package(rows, under="labctl")
    assert list(by_package) == ["labctl", "numpy", "pint"]  # largest first; json left out
    assert by_package == pytest.approx({"labctl": 0.315, "numpy": 0.1, "pint": 0.07})


def test_bench_run_quick_mode_runs() -> None:
    # --no-cli leaves out the cold `labctl run` subprocess (2 s of imports) to keep this
    # file under 10 s on a loaded machine; the profile report is tested on its own below.
    out = run_script(str(BENCHMARKS / "bench_run.py"), "--quick", "--no-cli")
    assert "virtual clock" in out
    goal = [ln for ln in out.splitlines() if ln.startswith("goal:")]
    assert len(goal) == 1 and goal[0].split(": ")[2].split()[0] in ("OK", "MISS")


def test_bench_run_profile_report(monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    bench_run = load(BENCHMARKS / "bench_run.py", monkeypatch)

    def work() -> None:  # stdlib, a library (pytest) and built-ins, like a real run
        json.loads(json.dumps([{"load": i * 0.5} for i in range(2000)]))
        sorted(str(i) for i in range(2000))
        pytest.approx(1.0) == 1.0  # noqa: B015

    bench_run.report_profile(work, top=5, what="a small job")
    out = capsys.readouterr().out
    assert "profile of a small job" in out and "own time by area" in out
    assert "stdlib:json" in out and "builtins" in out
    assert "top 5 functions by cumulative time" in out


def test_run_all_runs_bench_cli_quick() -> None:
    out = run_script(str(BENCHMARKS / "run_all.py"), "--quick", "--only", "bench_cli")
    table = out[out.index("benchmarks summary"):]
    row = next(ln for ln in table.splitlines() if ln.startswith("bench_cli"))
    assert "ERROR" not in row and "TIMEOUT" not in row and "no goal" not in row
    assert "labctl --help <= 150 ms" in table
    assert "no heavy library at import labctl.cli" in table


def test_registry_service_benchmark_embedded_part_runs(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    """The embedded part of bench_registry_service.py on 20 records: every record is
    stored with its chain intact, pushed and delivered from the outbox alike, and the
    goal lines are printed (their verdicts are not asserted: times are the benchmark's
    business)."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    bench = load(BENCHMARKS / "bench_registry_service.py", monkeypatch)
    bench.embedded(20, 10, repeats=1)
    out = capsys.readouterr().out
    assert "20 records of" in out and "chain problems: 0" in out
    assert "goal embedded SQLite push:" in out
    assert "goal embedded SQLite delivery from the outbox:" in out
