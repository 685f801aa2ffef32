"""What a resume may not change, checked against the journal before anything is opened.

A run journals at its start the SHA-256 of the files it was made from (the procedure,
the bench, the register), its parameters, its seed and its operator. A resumed run
continues that run: a changed file is refused with a message naming it (or accepted
with ``--accept-changed REASON``, journalled in ``resumed_run`` and carried into the
record), a ``--param`` or ``--seed`` other than the run's is refused, and another
``--operator`` is recorded (the record lists every operator of the run).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from labctl.errors import RunError


@dataclass(frozen=True)
class FileChange:
    """One input file whose content differs from the one the run started with."""

    name: str        # procedure, bench, register
    path: str        # the file given now
    was: str         # SHA-256 journalled at the start
    now: str         # SHA-256 now

    def describe(self) -> str:
        return (f"the {self.name} file {self.path} has changed since the run started "
                f"(SHA-256 {self.was[:12]}... then, {self.now[:12]}... now)")

    def to_json(self, reason: str) -> dict[str, str]:
        return {"file": self.name, "path": self.path, "was": self.was, "now": self.now,
                "reason": reason}


def started_files(run_started: Mapping[str, Any]) -> dict[str, str]:
    """name -> SHA-256 of the input files a run journalled at its start (journals from
    before the register was journalled give procedure and bench only)."""
    found: dict[str, str] = {}
    for name in ("procedure", "bench", "register"):
        entry = run_started.get(name)
        if isinstance(entry, Mapping) and entry.get("sha256"):
            found[name] = str(entry["sha256"])
    return found


def file_changes(run_started: Mapping[str, Any],
                 current: Mapping[str, tuple[str, str]]) -> list[FileChange]:
    """The files (``name -> (path, sha256)`` now) that differ from the journal's."""
    before = started_files(run_started)
    return [FileChange(name, path, before[name], digest)
            for name, (path, digest) in current.items()
            if name in before and before[name] != digest]


def check_files(run_id: str, changes: Sequence[FileChange],
                accept_changed: str | None) -> list[dict[str, str]]:
    """Refuse changed files unless ``accept_changed`` gives a reason; returns the
    accepted changes as the journal and the record keep them."""
    if not changes:
        return []
    if not accept_changed or not accept_changed.strip():
        what = "; ".join(c.describe() for c in changes)
        raise RunError(f"cannot resume run {run_id}: {what}",
                       hint="resume with the files as they were, start a new run, or "
                            "accept the change with --accept-changed REASON (the reason "
                            "goes in the record)")
    return [c.to_json(accept_changed.strip()) for c in changes]


def check_seed(run_started: Mapping[str, Any], seed: int | None) -> int | None:
    """The seed the resumed run uses: the journal's; another ``--seed`` is refused."""
    journaled = run_started.get("seed")
    if seed is not None and journaled is not None and int(journaled) != seed:
        raise RunError(f"run {run_started.get('run_id')} started with seed {journaled}, "
                       f"not {seed}", hint="a resumed run keeps its seed; drop --seed")
    return int(journaled) if journaled is not None else seed


def check_parameters(procedure: Any, run_started: Mapping[str, Any],
                     given: Mapping[str, Any]) -> None:
    """Every ``--param`` given on resume must be the value the run started with."""
    if not given:
        return
    from labctl.procedures.parameters import resolve_parameters

    journaled = dict(run_started.get("parameters") or {})
    now = resolve_parameters(procedure, given)
    then = resolve_parameters(procedure, journaled)
    differ = [name for name in given if now.get(name) != then.get(name)]
    if differ:
        shown = ", ".join(f"{name}={journaled.get(name)!r} (given {given[name]!r})"
                          for name in differ)
        raise RunError(f"run {run_started.get('run_id')} started with other parameters: "
                       f"{shown}", hint="a resumed run keeps its parameters; drop --param")


def last_operator(events: Sequence[Mapping[str, Any]]) -> str | None:
    """The operator of the run's latest session (run_started or resumed_run)."""
    name = None
    for event in events:
        if event.get("type") in ("run_started", "resumed_run") and event.get("operator"):
            name = str(event["operator"])
    return name


def operators(events: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every operator of the run's sessions, in order, each once."""
    seen: list[str] = []
    for event in events:
        if event.get("type") in ("run_started", "resumed_run"):
            name = event.get("operator")
            if name and name not in seen:
                seen.append(str(name))
    return seen


def accepted_changes(events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The file changes accepted on resume (``resumed_run`` events), in order."""
    found: list[dict[str, Any]] = []
    for event in events:
        if event.get("type") == "resumed_run":
            found.extend(dict(c) for c in event.get("accepted_changes") or ())
    return found
