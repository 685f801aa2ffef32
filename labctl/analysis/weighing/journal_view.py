"""The weighing family's view of a run: the history (``labctl.history.fold``) per step and
point, with the standard weights on the receptor at every reading (pure, no I/O).

An analysis wants, for each step, the points that were measured and, for each point, the
``load`` and ``reading`` events of its *finished* attempt (the history's); the readings
of an attempt that never finished (a crash, then ``--resume``) are ignored here.
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
from labctl.events import value_unit as _as_value
from labctl.history import RunHistory, fold


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
    extras: Mapping[str, Any] = field(default_factory=dict)

    @property
    def change_step(self) -> int | None:
        """change_point readings: 0 for I, then k."""
        return _int(self.extras.get("change_step"))

    @property
    def change_found(self) -> bool | None:
        """On the last change_point reading."""
        return _bool(self.extras.get("change_found"))

    @property
    def discrimination_pieces(self) -> int | None:
        """discrimination readings: the small pieces on."""
        return _int(self.extras.get("discrimination_pieces"))

    @property
    def discrimination_found(self) -> bool | None:
        """On the last discrimination_step reading."""
        return _bool(self.extras.get("discrimination_found"))


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
    """All steps of one run. ``parameters`` are the run's (``run_started``)."""

    def __init__(self, events: Iterable[Mapping[str, Any]] | RunHistory):
        self.history = events if isinstance(events, RunHistory) else fold(events)
        self.events = self.history.events
        self.run_started: Mapping[str, Any] = self.history.run_started
        self.parameters: Mapping[str, Any] = self.history.parameters
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

    # -- the receptor at every event ---------------------------------------------------
    def _receptor(self) -> dict[int, tuple[tuple[str, ...], str | None]]:
        """seq of every reading -> (weights on the receptor, their position), replaying
        the ``load`` events in journal order."""
        on_receptor: Counter[str] = Counter()
        position: str | None = None
        at: dict[int, tuple[tuple[str, ...], str | None]] = {}
        for ev in self.events:
            kind = ev.get("type")
            if kind == "load":
                weights = tuple(str(w) for w in ev.get("weights") or ())
                add = bool(ev.get("add", False))
                removed = tuple(str(w) for w in ev.get("removed") or ())
                if removed:  # pieces taken off, the rest staying on (``remove``)
                    on_receptor -= Counter(removed)
                if add:
                    on_receptor.update(weights)
                else:
                    on_receptor = Counter(weights)
                if weights and (not add or position is None):
                    position = ev.get("position") or "centre"
                if not on_receptor:
                    position = None
            elif kind == "reading":
                at[int(ev.get("seq", 0))] = (tuple(sorted(on_receptor.elements())), position)
        return at

    def _reading(self, ev: Mapping[str, Any],
                 receptor: Mapping[int, tuple[tuple[str, ...], str | None]]) -> Reading:
        seq = int(ev.get("seq", 0))
        weights, position = receptor.get(seq, ((), None))
        value = ev.get("value")
        return Reading(seq=seq, t=float(ev.get("t", 0.0)), role=str(ev.get("role", "")),
                       name=str(ev.get("name", "")),
                       value=None if value is None else float(value),
                       unit=str(ev.get("unit", "")), stable=ev.get("stable") is not False,
                       overload="overload" in (ev.get("flags") or ()),
                       raw=str(ev.get("raw", "")), weights=weights, position=position,
                       extras=dict(ev.get("extras") or {}))

    def _group(self) -> dict[str, StepView]:
        h = self.history
        receptor = self._receptor()
        steps: dict[str, StepView] = {}
        for step_id in h.step_order:
            measured: list[PointView] = []
            unfinished: list[str] = []
            for info, done in h.finished_attempts(step_id):
                if not done:
                    unfinished.append(info.point)
                    continue
                for n, attempt in enumerate(done):
                    evs = attempt.events
                    measured.append(PointView(
                        step=step_id, point=info.point, index=info.index,
                        attempt=attempt.attempt, variables=info.variables,
                        loads=tuple(_load(e) for e in evs if e.get("type") == "load"),
                        readings=tuple(self._reading(e, receptor) for e in evs
                                       if e.get("type") == "reading"),
                        direction=info.direction, finished_seq=attempt.finished_seq or 0,
                        earlier_attempts=tuple(a.attempt for a in done[:n])))
            loose = tuple(self._reading(e, receptor) for e in h.loose.get(step_id, ())
                          if e.get("type") == "reading")
            steps[step_id] = StepView(step_id, tuple(measured), tuple(unfinished), loose,
                                      self)
        return steps


def _load(ev: Mapping[str, Any]) -> LoadEvent:
    return LoadEvent(int(ev.get("seq", 0)), str(ev.get("role", "")),
                     tuple(str(w) for w in ev.get("weights") or ()),
                     _as_value(ev.get("nominal")), ev.get("position"),
                     bool(ev.get("add", False)))


def _int(v: Any) -> int | None:
    return None if v is None else int(v)


def _bool(v: Any) -> bool | None:
    return None if v is None else bool(v)


def weights_added(before: Reading, after: Reading) -> tuple[str, ...]:
    """The weights on the receptor at ``after`` that were not there at ``before``."""
    diff = Counter(after.weights) - Counter(before.weights)
    return tuple(sorted(diff.elements()))
