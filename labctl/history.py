"""One fold of a journal into the run's history: what resume, the analyses, the record and
the progress display all read (``fold(events) -> RunHistory``).

Every event is first brought to the current format (``labctl.events.upgrade``). The
history knows the run's start (its parameters, record id, data plate, standards), the
plan, the instruments identified, every attempt of every point with its events and
readings (an attempt counts as finished when a ``point_finished`` follows its
``point_started``; the readings of an attempt that never finished stay in the journal and
are not part of a result), the steps started and finished, the sessions (a resume is a
new one), how the run ended and whether its record was stored.

An attempt that never finished was abandoned: ``abandoned_attempts()`` gives each one with
its reason, the first ``error`` of the run (``during: run``) journalled after the
attempt started, else the ``run_finished`` reason, else (a ``resumed_run`` follows: the
process died without a word) that the run stopped without a journalled cause. Faults a
simulator injected are ``sim_fault`` events (``faults_fired()``: how many times each
fault of each instrument's plan acted), so a resumed run does not inject a spent
one-shot fault again.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from labctl.events import upgrade


@dataclass(frozen=True)
class ReadingEvent:
    """A ``reading`` event: its value in its unit, the instrument's flags, the raw reply,
    and the action's ``extras`` (a family's own keys)."""

    seq: int
    t: float
    role: str
    name: str
    value: float | None
    unit: str
    stable: bool | None
    raw: str
    flags: frozenset[str] = frozenset()
    values: Mapping[str, Any] = field(default_factory=dict)
    extras: Mapping[str, Any] = field(default_factory=dict)

    @property
    def overload(self) -> bool:
        return "overload" in self.flags

    @classmethod
    def from_event(cls, ev: Mapping[str, Any]) -> ReadingEvent:
        value = ev.get("value")
        return cls(seq=int(ev.get("seq", 0)), t=float(ev.get("t", 0.0)),
                   role=str(ev.get("role", "")), name=str(ev.get("name", "")),
                   value=None if value is None else float(value),
                   unit=str(ev.get("unit", "")),
                   stable=None if ev.get("stable") is None else bool(ev["stable"]),
                   raw=str(ev.get("raw", "")), flags=frozenset(ev.get("flags") or ()),
                   values=dict(ev.get("values") or {}), extras=dict(ev.get("extras") or {}))


@dataclass(frozen=True)
class Attempt:
    """One attempt at one point: its events in journal order."""

    step: str
    point: str
    attempt: int
    events: tuple[Mapping[str, Any], ...]
    finished_seq: int | None          # seq of its point_finished (None: not finished)
    started_seq: int | None = None    # seq of its point_started

    @property
    def finished(self) -> bool:
        return self.finished_seq is not None

    @property
    def readings(self) -> tuple[ReadingEvent, ...]:
        return tuple(ReadingEvent.from_event(e) for e in self.events
                     if e.get("type") == "reading")


@dataclass(frozen=True)
class AbandonedAttempt:
    """An attempt at a point that never finished, and why: the error that ended it (its
    message, the instrument and the command), or how the run stopped."""

    step: str
    point: str
    attempt: int
    reason: str
    instrument: str | None = None
    command: str | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"step": self.step, "point": self.point,
                               "attempt": self.attempt, "reason": self.reason}
        if self.instrument:
            out["instrument"] = self.instrument
        if self.command:
            out["command"] = self.command
        return out


#: The reason of an abandoned attempt after which nothing was journalled but a resume.
KILLED = "the run stopped without a journalled cause (the process was killed or lost power)"
#: ... after which nothing at all was journalled (the run may still be going).
UNFINISHED = "not finished (the run is still going, or stopped without a word)"


@dataclass(frozen=True)
class PlannedPointInfo:
    step: str
    point: str
    index: int
    variables: Mapping[str, Any]
    direction: str | None


@dataclass
class RunHistory:
    """A run as its journal tells it."""

    events: tuple[Mapping[str, Any], ...]
    run_started: Mapping[str, Any] = field(default_factory=dict)
    plan: Mapping[str, Any] | None = None
    plan_points: dict[tuple[str, str], PlannedPointInfo] = field(default_factory=dict)
    step_order: list[str] = field(default_factory=list)
    attempts: dict[tuple[str, str], list[Attempt]] = field(default_factory=dict)
    first_seen: dict[tuple[str, str], int] = field(default_factory=dict)
    loose: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)
    step_attempts: dict[str, int] = field(default_factory=dict)
    finished_steps: set[str] = field(default_factory=set)
    identified: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    sessions: int = 1
    run_finished: Mapping[str, Any] | None = None
    record_stored: Mapping[str, Any] | None = None
    sim_faults: list[Mapping[str, Any]] = field(default_factory=list)

    # -- the run --------------------------------------------------------------------
    @property
    def run_id(self) -> str:
        return str(self.run_started.get("run_id", ""))

    @property
    def parameters(self) -> Mapping[str, Any]:
        return dict(self.run_started.get("parameters") or {})

    @property
    def last_state(self) -> str | None:
        return None if self.run_finished is None else self.run_finished.get("state")

    @property
    def last_seq(self) -> int:
        return int(self.events[-1]["seq"]) if self.events else -1

    @property
    def serials(self) -> dict[str, str]:
        """Role -> the serial the instrument gave at its first identification."""
        return {role: str(ev.get("serial", "")) for role, ev in self.identified.items()}

    # -- points ---------------------------------------------------------------------
    def attempts_started(self) -> dict[str, int]:
        """Point -> the highest attempt started."""
        return {point: max(a.attempt for a in tries)
                for (_, point), tries in self.attempts.items()}

    def finished_points(self) -> frozenset[str]:
        return frozenset(point for (_, point), tries in self.attempts.items()
                         if any(a.finished for a in tries))

    def finished_attempts(self, step: str) -> list[tuple[PlannedPointInfo, list[Attempt]]]:
        """Each point of ``step`` with its finished attempts (attempt order), in plan
        order; points the plan does not list come after, in the order they started."""
        keys = [k for k in set(self.plan_points) | set(self.attempts) if k[0] == step]
        keys.sort(key=lambda k: (k not in self.plan_points,
                                 self.plan_points[k].index if k in self.plan_points else 0,
                                 self.first_seen.get(k, 0), k[1]))
        out = []
        for n, key in enumerate(keys):
            info = self.plan_points.get(key) or PlannedPointInfo(key[0], key[1], n, {}, None)
            done = sorted((a for a in self.attempts.get(key, ()) if a.finished),
                          key=lambda a: a.attempt)
            out.append((info, done))
        return out

    def abandoned_attempts(self) -> list[AbandonedAttempt]:
        """Every attempt that never finished, in the order they started, with its reason
        (see the module's doc)."""
        open_ones = sorted((a for tries in self.attempts.values() for a in tries
                            if not a.finished),
                           key=lambda a: (a.started_seq or 0, a.step, a.point))
        out = []
        seqs = [int(e.get("seq", 0)) for e in self.events] if open_ones else []
        for a in open_ones:
            reason, instrument, command = self._why_stopped(a.started_seq or 0, seqs)
            out.append(AbandonedAttempt(a.step, a.point, a.attempt, reason, instrument,
                                        command))
        return out

    def abandoned_by_point(self) -> dict[tuple[str, str], list[AbandonedAttempt]]:
        """(step, point) -> its abandoned attempts."""
        out: dict[tuple[str, str], list[AbandonedAttempt]] = {}
        for a in self.abandoned_attempts():
            out.setdefault((a.step, a.point), []).append(a)
        return out

    def _why_stopped(self, after_seq: int, seqs: list[int]
                     ) -> tuple[str, str | None, str | None]:
        for ev in self.events[bisect.bisect_right(seqs, after_seq):]:
            kind = ev.get("type")
            if kind == "error" and ev.get("during", "run") == "run":
                return (str(ev.get("message") or "an error"), ev.get("instrument") or None,
                        ev.get("command") or None)
            if kind == "run_finished":
                return str(ev.get("reason") or ev.get("state") or "the run ended"), None, None
            if kind == "resumed_run":
                return KILLED, None, None
        return UNFINISHED, None, None

    def faults_fired(self) -> dict[str, dict[int, int]]:
        """Instrument -> (index of a fault in its simulator's plan -> how many times it
        acted), over every session (``sim_fault`` events)."""
        out: dict[str, dict[int, int]] = {}
        for ev in self.sim_faults:
            counts = out.setdefault(str(ev.get("instrument", "")), {})
            index = int(ev.get("index", 0))
            counts[index] = counts.get(index, 0) + 1
        return out


def fold(events: Iterable[Mapping[str, Any]]) -> RunHistory:
    """The history of a journal's events (in any order; sorted by ``seq``)."""
    ordered = tuple(upgrade(e) for e in sorted(events, key=lambda e: int(e.get("seq", 0))))
    h = RunHistory(events=ordered)
    open_attempts: dict[tuple[str, str, int], list[Mapping[str, Any]]] = {}
    finished_seq: dict[tuple[str, str, int], int] = {}
    started_seq: dict[tuple[str, str, int], int] = {}
    for ev in ordered:
        kind = ev.get("type")
        if kind == "run_started" and not h.run_started:
            h.run_started = ev
            continue
        if kind == "plan":
            if h.plan is None:
                h.plan = ev
                for i, p in enumerate(ev.get("points") or ()):
                    key = (str(p["step"]), str(p["point"]))
                    h.plan_points[key] = PlannedPointInfo(
                        key[0], key[1], int(p.get("index", i)), p.get("variables") or {},
                        p.get("direction"))
                    if key[0] not in h.step_order:
                        h.step_order.append(key[0])
            continue
        if kind == "resumed_run":
            h.sessions += 1
        elif kind == "run_finished":
            h.run_finished = ev
        elif kind == "record_stored":
            h.record_stored = ev
        elif kind == "sim_fault":
            h.sim_faults.append(ev)
        elif kind == "identified" and ev.get("role"):
            h.identified.setdefault(str(ev["role"]), ev)
        step = ev.get("step")
        if step is None:
            continue
        step = str(step)
        if step not in h.step_order:
            h.step_order.append(step)
        if kind == "step_started":
            h.step_attempts[step] = h.step_attempts.get(step, 0) + 1
        elif kind == "step_finished":
            h.finished_steps.add(step)
        point = ev.get("point")
        if point is None:
            h.loose.setdefault(step, []).append(ev)
            continue
        key3 = (step, str(point), int(ev.get("attempt") or 1))
        if kind == "point_started":
            h.first_seen.setdefault(key3[:2], int(ev.get("seq", 0)))
            open_attempts.setdefault(key3, [])
            started_seq.setdefault(key3, int(ev.get("seq", 0)))
        elif kind == "point_finished":
            if key3 in open_attempts:
                finished_seq.setdefault(key3, int(ev.get("seq", 0)))
        else:
            open_attempts.setdefault(key3, []).append(ev)
    for (step, point, attempt), evs in open_attempts.items():
        h.attempts.setdefault((step, point), []).append(Attempt(
            step, point, attempt, tuple(evs), finished_seq.get((step, point, attempt)),
            started_seq.get((step, point, attempt))))
    for tries in h.attempts.values():
        tries.sort(key=lambda a: a.attempt)
    return h
