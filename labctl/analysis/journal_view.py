"""Journal events grouped per step and point, for the analyses (pure, no I/O).

The journal (docs/contracts.md) is a flat list of events. An analysis wants, for each
step, the points that were measured and, for each point, the ``load`` and ``reading``
events of its *finished* attempt: a point counts as measured when a ``point_finished``
follows its ``point_started`` with the same attempt; the readings of an attempt that
never finished (a crash, then ``--resume``) stay in the journal and are ignored here.
A point of a step with ``on_resume: redo`` may have several finished attempts (measured
before the interruption and again on resume): the view holds each, in attempt order,
and each knows the ``seq`` of its ``point_finished`` (``finished_seq``), so an analysis
can tell which measurement of another step preceded it.

Besides grouping, the view replays the ``load`` events in journal order, so each reading
knows which standard weights stood on the load receptor when it was taken, and where.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from labctl.errors import LabctlError


class JournalViewError(LabctlError):
    """The journal lacks what an analysis needs (a step, a reading, a plan)."""


@dataclass(frozen=True)
class LoadEvent:
    """A ``load`` event: weights placed (``add`` False: replacing what stood there),
    added (``add`` True), or all taken off (no weights, ``add`` False)."""

    seq: int
    role: str
    weights: tuple[str, ...]
    nominal: tuple[float, str] | None
    position: str | None
    add: bool


@dataclass(frozen=True)
class Reading:
    """A ``reading`` event, with the weights on the receptor when it was taken."""

    seq: int
    t: float
    role: str
    name: str
    value: float | None
    unit: str
    stable: bool
    overload: bool
    raw: str
    weights: tuple[str, ...] = ()
    position: str | None = None
    change_step: int | None = None     # change_point readings: 0 for I, then k
    change_found: bool | None = None   # on the last change_point reading
    discrimination_pieces: int | None = None  # discrimination readings: small pieces on
    discrimination_found: bool | None = None  # on the last discrimination_step reading


@dataclass(frozen=True)
class PointView:
    """The finished attempt of one point."""

    step: str
    point: str
    index: int
    attempt: int
    variables: Mapping[str, Any]
    loads: tuple[LoadEvent, ...]
    readings: tuple[Reading, ...]
    direction: str | None = None     # "up" / "down" from the plan (up_down steps)
    finished_seq: int = 0            # seq of this attempt's point_finished
    earlier_attempts: tuple[int, ...] = ()  # finished attempts of this point before it

    def readings_named(self, name: str) -> list[Reading]:
        return [r for r in self.readings if r.name == name]

    def reading(self, name: str) -> Reading:
        """The last reading called ``name`` (a point reads a name once, usually)."""
        found = self.readings_named(name)
        if not found:
            have = sorted({r.name for r in self.readings}) or ["none"]
            raise JournalViewError(
                f"point {self.point!r} (attempt {self.attempt}) has no reading {name!r}",
                hint=f"readings of this point: {', '.join(have)}; check the step's "
                     f"`read: {{as: ...}}` against the analysis options",
            )
        return found[-1]

    def has_reading(self, name: str) -> bool:
        return any(r.name == name for r in self.readings)

    def variable(self, name: str) -> tuple[float, str] | None:
        """A point variable from the plan as (value, unit); None if the plan lacks it."""
        return _as_value(self.variables.get(name))


@dataclass(frozen=True)
class StepView:
    """The measured points of one step, in plan order (a point measured again by a
    resume with ``on_resume: redo`` once per finished attempt, in attempt order)."""

    step: str
    points: tuple[PointView, ...]
    unfinished: tuple[str, ...]
    other_readings: tuple[Reading, ...]
    journal: JournalView = field(repr=False, compare=False)

    def __bool__(self) -> bool:
        return bool(self.points)


class JournalView:
    """All steps of one journal. ``parameters`` are the run's (``run_started``)."""

    def __init__(self, events: Iterable[Mapping[str, Any]]):
        self.events: tuple[Mapping[str, Any], ...] = tuple(
            sorted(events, key=lambda e: int(e.get("seq", 0))))
        started = [e for e in self.events if e.get("type") == "run_started"]
        self.run_started: Mapping[str, Any] = started[0] if started else {}
        self.parameters: Mapping[str, Any] = dict(self.run_started.get("parameters") or {})
        self._steps = self._group()

    @property
    def step_ids(self) -> list[str]:
        return list(self._steps)

    def step(self, step_id: str) -> StepView:
        """The view of ``step_id`` (empty when the journal has no point of it)."""
        if step_id in self._steps:
            return self._steps[step_id]
        return StepView(step_id, (), (), (), self)

    def has_step(self, step_id: str) -> bool:
        return bool(self._steps.get(step_id))

    # -- grouping ------------------------------------------------------------------
    def _group(self) -> dict[str, StepView]:
        plan: dict[tuple[str, str], tuple[int, Mapping[str, Any]]] = {}
        directions: dict[tuple[str, str], str] = {}
        started: dict[tuple[str, str], set[int]] = {}
        first_seen: dict[tuple[str, str], int] = {}
        finished: dict[tuple[str, str], set[int]] = {}
        finished_seq: dict[tuple[str, str, int], int] = {}
        loads: dict[tuple[str, str, int], list[LoadEvent]] = {}
        readings: dict[tuple[str, str, int], list[Reading]] = {}
        loose: dict[str, list[Reading]] = {}
        order: list[str] = []
        on_receptor: Counter[str] = Counter()
        position: str | None = None

        for ev in self.events:
            kind = ev.get("type")
            if kind == "plan":
                for i, p in enumerate(ev.get("points") or ()):
                    key = (str(p["step"]), str(p["point"]))
                    plan[key] = (int(p.get("index", i)), p.get("variables") or {})
                    if p.get("direction"):
                        directions[key] = str(p["direction"])
                    if key[0] not in order:
                        order.append(key[0])
                continue
            step = ev.get("step")
            if step is not None and str(step) not in order:
                order.append(str(step))
            point = ev.get("point")
            attempt = int(ev.get("attempt") or 1)
            if kind == "point_started":
                started.setdefault((str(step), str(point)), set()).add(attempt)
                first_seen.setdefault((str(step), str(point)), int(ev.get("seq", 0)))
            elif kind == "point_finished":
                finished.setdefault((str(step), str(point)), set()).add(attempt)
                finished_seq.setdefault((str(step), str(point), attempt),
                                        int(ev.get("seq", 0)))
            elif kind == "load":
                weights = tuple(str(w) for w in ev.get("weights") or ())
                add = bool(ev.get("add", False))
                if add:
                    on_receptor.update(weights)
                else:
                    on_receptor = Counter(weights)
                if weights and (not add or position is None):
                    position = ev.get("position") or "centre"
                if not on_receptor:
                    position = None
                load = LoadEvent(int(ev.get("seq", 0)), str(ev.get("role", "")), weights,
                                 _as_value(ev.get("nominal")), ev.get("position"), add)
                if point is not None:
                    loads.setdefault((str(step), str(point), attempt), []).append(load)
            elif kind == "reading":
                value = ev.get("value")
                reading = Reading(
                    seq=int(ev.get("seq", 0)), t=float(ev.get("t", 0.0)),
                    role=str(ev.get("role", "")), name=str(ev.get("name", "")),
                    value=None if value is None else float(value),
                    unit=str(ev.get("unit", "")), stable=bool(ev.get("stable", True)),
                    overload=bool(ev.get("overload", False)), raw=str(ev.get("raw", "")),
                    weights=tuple(sorted(on_receptor.elements())), position=position,
                    change_step=(None if ev.get("change_step") is None
                                 else int(ev["change_step"])),
                    change_found=(None if ev.get("change_found") is None
                                  else bool(ev["change_found"])),
                    discrimination_pieces=(None if ev.get("discrimination_pieces") is None
                                           else int(ev["discrimination_pieces"])),
                    discrimination_found=(None if ev.get("discrimination_found") is None
                                          else bool(ev["discrimination_found"])),
                )
                if point is None:
                    loose.setdefault(str(step), []).append(reading)
                else:
                    readings.setdefault((str(step), str(point), attempt), []).append(reading)

        steps: dict[str, StepView] = {}
        keys = set(plan) | set(started)
        for step_id in order:
            measured: list[PointView] = []
            unfinished: list[str] = []
            # plan order; points the plan does not list after, in the order they started
            step_keys = sorted((k for k in keys if k[0] == step_id),
                               key=lambda k: (k not in plan, plan.get(k, (0, {}))[0],
                                              first_seen.get(k, 0), k[1]))
            for key in step_keys:
                done = finished.get(key, set()) & started.get(key, finished.get(key, set()))
                if not done:
                    unfinished.append(key[1])
                    continue
                index, variables = plan.get(key, (len(measured), {}))
                attempts = sorted(done)
                for n, attempt in enumerate(attempts):
                    measured.append(PointView(
                        step=step_id, point=key[1], index=index, attempt=attempt,
                        variables=variables,
                        loads=tuple(loads.get((*key, attempt), ())),
                        readings=tuple(readings.get((*key, attempt), ())),
                        direction=directions.get(key),
                        finished_seq=finished_seq.get((*key, attempt), 0),
                        earlier_attempts=tuple(attempts[:n]),
                    ))
            steps[step_id] = StepView(step_id, tuple(measured), tuple(unfinished),
                                      tuple(loose.get(step_id, ())), self)
        return steps


def _as_value(v: Any) -> tuple[float, str] | None:
    """``{"value": 1.5, "unit": "kg"}`` (or a bare number) as (1.5, "kg")."""
    if v is None:
        return None
    if isinstance(v, Mapping) and "value" in v:
        if v["value"] is None:
            return None
        return float(v["value"]), str(v.get("unit") or "")
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v), ""
    return None


def weights_added(before: Reading, after: Reading) -> tuple[str, ...]:
    """The weights on the receptor at ``after`` that were not there at ``before``."""
    diff = Counter(after.weights) - Counter(before.weights)
    return tuple(sorted(diff.elements()))
