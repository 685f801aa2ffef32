"""Shared helpers of the end-to-end tests: paths, bench and procedure copies, journals.

Imported by name (``from e2e_support import ...``): pytest puts this folder on
``sys.path`` because it has no ``__init__.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PROCEDURE = ROOT / "procedures" / "scale-jjg539.yaml"
SHIPPED_BENCH = ROOT / "benches" / "sim-scale.yaml"
REGISTER = ROOT / "benches" / "register.yaml"
SHORT_PROCEDURE = HERE / "e2e-short-scale.yaml"
SERVED_BENCH = HERE / "benches" / "served-scale.yaml"


def registry_url(folder: Path) -> str:
    """An embedded registry of its own for one test."""
    return f"sqlite:///{folder / 'registry.db'}"


def copy_text(source: Path, dest: Path, replace: Mapping[str, str] | None = None) -> Path:
    """``source`` copied to ``dest`` with each ``old -> new`` replaced; each ``old`` must
    occur exactly once (so an edit cannot silently miss, and lines keep their numbers
    when ``new`` has as many lines as ``old``)."""
    text = source.read_text(encoding="utf-8")
    for old, new in (replace or {}).items():
        count = text.count(old)
        assert count == 1, f"{old!r} occurs {count} times in {source}"
        text = text.replace(old, new)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text, encoding="utf-8")
    return dest


def bench_copy(folder: Path, *, replace: Mapping[str, str] | None = None,
               register_replace: Mapping[str, str] | None = None,
               name: str = "sim-scale.yaml") -> Path:
    """The shipped bench and its register copied into ``folder`` (text edits optional)."""
    copy_text(REGISTER, folder / "register.yaml", register_replace)
    return copy_text(SHIPPED_BENCH, folder / name, replace)


def bench_with(folder: Path, edit: Callable[[dict[str, Any]], None],
               name: str = "sim-scale.yaml") -> Path:
    """The shipped bench, its data changed by ``edit``, written into ``folder`` with a
    copy of the register. (Comments are lost; use ``bench_copy`` when the file's line
    numbers matter.)"""
    return edited_bench(folder, SHIPPED_BENCH, edit, name=name, keep_seeds=True)


def edited_bench(folder: Path, bench: Path,
                 edit: Callable[[dict[str, Any]], None] | None = None, *,
                 name: str | None = None, register_edit: Callable[[str], str] | None = None,
                 keep_seeds: bool = False) -> Path:
    """A shipped ``bench``, its data changed by ``edit``, written into ``folder`` (as
    ``name``, else its own name) with the register (its text changed by
    ``register_edit``). The simulators' own seeds are dropped unless ``keep_seeds``, so
    that the run's seed drives them all. (Comments are lost.)"""
    data = yaml.safe_load(bench.read_text(encoding="utf-8"))
    if not keep_seeds:
        for inst in data["instruments"].values():
            (inst.get("sim") or {}).pop("seed", None)
    if edit is not None:
        edit(data)
    text = REGISTER.read_text(encoding="utf-8")
    (folder / "register.yaml").write_text(register_edit(text) if register_edit else text,
                                          encoding="utf-8")
    path = folder / (name or bench.name)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def bench_editor(bench: Path) -> Callable[..., Path]:
    """``edited_bench`` of one shipped ``bench``: ``make(folder, edit=None, *,
    register_edit=None, name=None)``, the simulators' own seeds dropped."""
    def make(folder: Path, edit: Callable[[dict[str, Any]], None] | None = None, *,
             register_edit: Callable[[str], str] | None = None,
             name: str | None = None) -> Path:
        return edited_bench(folder, bench, edit, name=name, register_edit=register_edit)
    return make


def sim_edit(instrument: str, **changes: Any) -> Callable[[dict[str, Any]], None]:
    """An ``edit`` of a bench's data that sets simulator parameters of ``instrument``."""
    def edit(data: dict[str, Any]) -> None:
        data["instruments"][instrument]["sim"].update(changes)
    return edit


def run_virtual(folder: Path, procedure: Path, bench: Path, seed: int | None = None,
                **parameters: Any) -> Any:
    """``procedure`` run on the simulated ``bench`` on the virtual clock (``seed``, the
    procedure's ``parameters``), its runs and its registry in ``folder``; the record
    delivered. The ``CalibrationResult``."""
    from labctl.calibration import CalibrationRequest, calibrate

    result = calibrate(CalibrationRequest(procedure, bench, registry=registry_url(folder),
                                          seed=seed, parameters=parameters,
                                          runs_dir=folder / "runs"))
    assert result.virtual_clock
    assert result.delivery.ok
    return result


def by_test(result: Any, test: str) -> list[Any]:
    """The points of a run's result of one test, in order."""
    return [p for p in result.points if p.test == test]


def journal_events(path: Path) -> list[dict[str, Any]]:
    """The events of a journal file (a torn last line is an error here)."""
    from labctl.procedures.journal import read_journal

    events, problems = read_journal(path)
    assert problems == [], problems
    return events


def only_run(runs_dir: Path) -> Path:
    """The journal of the one run in ``runs_dir``."""
    runs = sorted(p for p in runs_dir.iterdir() if p.is_dir())
    assert len(runs) == 1, runs
    return runs[0] / "journal.jsonl"


def simple_decision(error: float, big_u: float, mpe: float) -> str:
    """ILAC-G8 simple acceptance of an error against +/- MPE, with the four results of
    ``labctl.uncertainty.decision`` (closed intervals)."""
    if abs(error) <= mpe:
        return "pass" if abs(error) + big_u <= mpe else "conditional_pass"
    return "conditional_fail" if abs(error) - big_u <= mpe else "fail"


def run_cli(procedure: Path, bench: Path, folder: Path, *extra: str) -> int:
    """``labctl run`` of ``procedure`` on ``bench``, its runs and registry in ``folder``."""
    from labctl.cli import main

    return main(["run", str(procedure), "--bench", str(bench), "--runs-dir",
                 str(folder / "runs"), "--registry", registry_url(folder), "-q", *extra])


def refused_before_start(procedure: Path, bench: Path, folder: Path, capsys: Any,
                         outputs: list[bool], *extra: str) -> str:
    """``labctl run`` refused (status 2) before the source's output was ever switched on
    (``outputs``: the states ``watch_outputs`` saw) and before a run was journalled; the
    one error line it printed."""
    assert run_cli(procedure, bench, folder, *extra) == 2
    line = one_error_line(capsys)
    assert True not in outputs, line     # never switched on (off: its safe state)
    runs = folder / "runs"
    assert not runs.exists() or not any(runs.iterdir()), line
    return line


def failed_with_output_off(procedure: Path, bench: Path, folder: Path, capsys: Any,
                          seen: dict[str, Any], *extra: str) -> tuple[str, list[dict[str, Any]]]:
    """``labctl run`` failed during the run (status 2): its journal closed as failed, and
    the source ``watch_outputs`` watched (``seen``) switched on during the run and off at
    its end (its safe state). The one error line and the journal's events."""
    assert run_cli(procedure, bench, folder, *extra) == 2
    line = one_error_line(capsys)
    events = journal_events(only_run(folder / "runs"))
    assert events[-1]["type"] == "run_finished" and events[-1]["state"] == "failed", line
    assert seen["outputs"][0] is True and seen["outputs"][-1] is False, line
    return line, events


def one_error_line(capsys: Any) -> str:
    """The one ``labctl: error:`` line a refused run printed on stderr."""
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("labctl: error: "), lines[0]
    return lines[0]


def watch_outputs(monkeypatch: Any, sim_class: type) -> dict[str, Any]:
    """The bench a run opens (``bench``) and every output state the source simulator
    ``sim_class`` took on an ``OUTP`` command (``outputs``: True / False in order)."""
    import labctl.bench.runtime as runtime

    seen: dict[str, Any] = {"outputs": [], "bench": None}
    real_open = runtime.open_bench
    real_handle = sim_class.handle

    def open_bench(*args: Any, **kwargs: Any) -> Any:
        seen["bench"] = real_open(*args, **kwargs)
        return seen["bench"]

    def handle(self: Any, line: str) -> Any:
        replies = real_handle(self, line)
        if line.upper().startswith("OUTP "):
            seen["outputs"].append(self.on)
        return replies

    monkeypatch.setattr(runtime, "open_bench", open_bench)
    monkeypatch.setattr(sim_class, "handle", handle)
    return seen
