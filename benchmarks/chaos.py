"""Chaos: interrupt runs at random moments and count what survives.

Run: ``python benchmarks/chaos.py [--trials N] [--seed S] [--json]`` (``--quick``: 8
trials, one of each kind). Each trial runs the short chaos procedure
(tests/e2e/e2e-chaos-scale.yaml) on the shipped simulated bench in another process and
does one of:

* ``kill9``: kill -9 after a random journal line, the record stage's included;
* ``SIGTERM`` / ``SIGINT`` / ``SIGHUP``: the signal from this process, after a random line
  up to ``run_finished``;
* ``fault``: a fault (timeout, garbage, drop, bad_checksum, stuck, disconnect) on one
  of the bench's simulators (scale, loader, thermo-hygrometer), by probability or after
  some commands; the fault trials take the 18 (simulator, kind) pairs in turn;
* ``registry_down``: the registry URL points at a port where nothing listens.

Then it recovers as an operator would: ``labctl run --resume RUN_ID`` until the run is
finished with its record (at most ``--resumes`` times), ``labctl registry deliver`` for a
record already stored. It prints the counts: runs, finished, records, lost (finished
without a record), duplicated (more than one record of a run), unfinished (still not
finished after the resumes: a fault that keeps coming back; no record is owed), bad
journals (a repeated or missing seq), fault repeats (a one-shot simulator fault, its
``count`` or a disconnect, that acted again after a resume), and what the finished runs
say of their faults: abandoned attempts (measured again, in no result) and runs with a
gross error (a stuck indication failing its point). The goal line asks for nothing
lost, nothing duplicated, no bad journal, no fault repeated. Exit status 0 (benchmarks
inform); ``--json`` prints the counts as JSON for the CI test (tests/benchmarks/test_chaos.py).

The moments are journal lines (``LABCTL_TEST_JOURNAL_HOLD``), so a trial is the same for
the same seed; the harness is tests/e2e/e2e_interrupts.py.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from e2e_interrupts import (  # noqa: E402
    SHIPPED_BENCH,
    Worker,
    journal_types,
    records_of,
    reference_lines,
    run_args,
    send,
    the_journal,
)

KINDS = ("kill9", "SIGTERM", "SIGINT", "SIGHUP", "fault", "registry_down")
FAULT_KINDS = ("timeout", "garbage", "drop", "bad_checksum", "stuck", "disconnect")
#: the bench's simulators: the line of each in benches/sim-scale.yaml that its faults follow
SIMULATORS = {
    "scale": '      serial: "B523041877"\n      gain:',
    "loader": "      serial: WL20-0042 ",
    "thermo": "      serial: TH100-25-0173\n",
}


@dataclass
class Counts:
    runs: int = 0
    finished: int = 0
    records: int = 0
    lost: int = 0
    duplicated: int = 0
    unfinished: int = 0
    bad_journals: int = 0
    fault_repeats: int = 0
    abandoned_attempts: int = 0
    gross_errors: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    trials: list[str] = field(default_factory=list)   # one line per trial: what, outcome


def fault_plan(rng: random.Random) -> list[tuple[str, str]]:
    """Every (simulator, fault kind) pair once, in a seeded order: the fault trials take
    them in turn, so 18 fault trials (108 trials in all) cover every pair."""
    pairs = [(name, kind) for name in sorted(SIMULATORS) for kind in FAULT_KINDS]
    rng.shuffle(pairs)
    return pairs


def faulty_bench(folder: Path, rng: random.Random, name: str,
                 kind: str) -> tuple[Path, str, int | None]:
    """A copy of the shipped bench with a fault of ``kind`` on the simulator ``name``;
    (path, description, the most times the fault may act over all sessions: its
    ``count``, 1 for a disconnect, None when unlimited)."""
    import shutil

    count = rng.randint(1, 3)
    by_chance = rng.random() < 0.5
    trigger = (f"probability: {rng.choice((0.02, 0.05, 0.1))}" if by_chance
               else f"after: {rng.randint(3, 40)}, count: {count}")
    limit = 1 if kind == "disconnect" else (None if by_chance else count)
    fault = f"{{kind: {kind}, {trigger}}}"
    text = SHIPPED_BENCH.read_text(encoding="utf-8")
    anchor = SIMULATORS[name]
    head, sep, tail = text.partition(anchor)
    assert sep, anchor
    line_end = tail.index("\n") if not anchor.endswith("\n") else -1
    if anchor.endswith("\n"):
        text = f"{head}{anchor}      faults: [{fault}]\n{tail}"
    else:
        text = f"{head}{anchor}{tail[:line_end]}\n      faults: [{fault}]{tail[line_end:]}"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SHIPPED_BENCH.parent / "register.yaml", folder / "register.yaml")
    bench = folder / "sim-scale.yaml"
    bench.write_text(text, encoding="utf-8")
    return bench, f"{name}: {fault}", limit


def closed_port_url() -> str:
    """A PostgreSQL registry URL where nothing listens (the registry server is down)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"postgresql+psycopg://labctl@127.0.0.1:{port}/labctl"


def trial(kind: str, index: int, folder: Path, worker: Worker, env: dict[str, str],
          registry: str, lines: dict[str, int], rng: random.Random, resumes: int,
          counts: Counts, faults: list[tuple[str, str]]) -> None:
    runs = folder / f"runs-{index}"
    bench = SHIPPED_BENCH
    target = registry
    what = kind
    limit: int | None = None
    if kind == "kill9":
        line = rng.randint(0, lines["record_stored"])
        what = f"kill -9 after line {line}"
        victim = Worker(env)
        try:
            victim.run(run_args(runs, target), hold=line, on_hold=send(signal.SIGKILL))
        finally:
            victim.close()
    elif kind.startswith("SIG"):
        line = rng.randint(0, lines["run_finished"])
        what = f"{kind} after line {line}"
        worker.run(run_args(runs, target), hold=line, on_hold=send(getattr(signal, kind)))
    elif kind == "fault":
        name, fault = faults[counts.by_kind.get("fault", 0) % len(faults)]
        bench, what, limit = faulty_bench(folder / f"bench-{index}", rng, name, fault)
        worker.run(run_args(runs, target, bench=bench))
    else:
        target = closed_port_url()
        worker.run(run_args(runs, target))
    counts.runs += 1
    counts.by_kind[kind] = counts.by_kind.get(kind, 0) + 1
    journals = sorted(runs.glob("*/journal.jsonl"))
    if not journals:  # killed before its journal existed: nothing was promised
        counts.unfinished += 1
        counts.trials.append(f"{index:3d} {what}: no journal")
        return
    journal = the_journal(runs)
    run_id = journal.parent.name
    try:
        for _ in range(resumes):
            types = journal_types(journal)
            if "record_stored" in types:
                break
            worker.run([*run_args(runs, target, bench=bench), "--resume", run_id])
        types = journal_types(journal)
    except Exception as exc:  # noqa: BLE001 - a journal that cannot be read is the finding
        counts.bad_journals += 1
        counts.problems.append(f"trial {index} ({what}): {exc}")
        return
    if "record_stored" in types and not target.startswith("postgresql"):
        worker.run(["registry", "deliver", "--registry", target])
    done = _finished(journal)
    _fault_counts(journal, limit, counts, f"trial {index} ({what})", done)
    records = records_of(run_id, Path(env["LABCTL_HOME"]) / "outbox.db",
                         None if target.startswith("postgresql") else target)
    ids = set(records.outbox) | set(records.registry)
    if len(records.outbox) > 1 or len(records.registry) > 1 or len(ids) > 1:
        counts.duplicated += 1
        counts.problems.append(f"trial {index} ({what}): {len(ids)} records")
    if done:
        counts.finished += 1
        if records.outbox:
            counts.records += 1
        else:
            counts.lost += 1
            counts.problems.append(f"trial {index} ({what}): finished without a record")
    else:
        counts.unfinished += 1
    counts.trials.append(f"{index:3d} {what}: {'finished' if done else 'unfinished'}, "
                         f"{len(ids)} record(s), {types.count('resumed_run')} resume(s)")


def _fault_counts(journal: Path, limit: int | None, counts: Counts, what: str,
                  done: bool) -> None:
    """A one-shot fault that acted more often than it may (over every session), and what
    a finished run's journal says of its abandoned attempts and gross errors."""
    from labctl.analysis.gross_errors import gross_errors
    from labctl.history import fold
    from labctl.procedures.journal import read_journal

    history = fold(read_journal(journal)[0])
    fired = [n for per in history.faults_fired().values() for n in per.values()]
    if limit is not None and any(n > limit for n in fired):
        counts.fault_repeats += 1
        counts.problems.append(f"{what}: a spent fault acted again ({max(fired)} times)")
    if done:
        counts.abandoned_attempts += len(history.abandoned_attempts())
        counts.gross_errors += bool(gross_errors(history))


def _finished(journal: Path) -> bool:
    from labctl.procedures.journal import read_journal

    events, _ = read_journal(journal)
    ends = [e for e in events if e["type"] == "run_finished"]
    return bool(ends) and ends[-1].get("state") == "done"


def run_chaos(trials: int, seed: int, resumes: int = 6) -> Counts:
    counts = Counts()
    rng = random.Random(seed)
    kinds = [KINDS[i % len(KINDS)] for i in range(trials)]
    rng.shuffle(kinds)
    faults = fault_plan(rng)
    with tempfile.TemporaryDirectory(prefix="labctl-chaos-") as tmp:
        folder = Path(tmp)
        env = {**os.environ, "LABCTL_HOME": str(folder / "home")}
        registry = f"sqlite:///{folder / 'registry.db'}"
        worker = Worker(env)
        try:
            lines = reference_lines(worker, folder, registry)
            for index, kind in enumerate(kinds):
                if not worker.alive:
                    worker = Worker(env)
                trial(kind, index, folder, worker, env, registry, lines, rng, resumes, counts,
                      faults)
        finally:
            worker.close()
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=30, help="number of trials (30)")
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--resumes", type=int, default=6,
                        help="most --resume attempts per trial (6)")
    parser.add_argument("--quick", action="store_true", help="8 trials")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per trial")
    args = parser.parse_args(argv)
    trials = 8 if args.quick else args.trials
    started = time.perf_counter()
    counts = run_chaos(trials, args.seed, args.resumes)
    wall = time.perf_counter() - started
    if args.json:
        print(json.dumps(asdict(counts)))
        return 0
    print(f"chaos: {trials} trials (seed {args.seed}) in {wall:.0f} s")
    for name in ("runs", "finished", "records", "lost", "duplicated", "unfinished",
                 "bad_journals", "fault_repeats", "abandoned_attempts", "gross_errors"):
        print(f"  {name:<19}{getattr(counts, name)}")
    print("  by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(counts.by_kind.items())))
    for line in counts.trials if args.verbose else ():
        print(f"  {line}")
    for problem in counts.problems:
        print(f"  ! {problem}")
    ok = counts.lost == counts.duplicated == counts.bad_journals == counts.fault_repeats == 0
    print("goal: nothing lost, nothing duplicated, no bad journal, no spent fault repeated: "
          f"{'OK' if ok else 'MISS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
