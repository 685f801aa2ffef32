"""The indication of one weighing point: the rounded reading, or the indication before
rounding found by the change-point method (OIML R 76-1 A.4.4.3).

Change point: at the load L the scale shows I; weights of ``step`` s (0.1 e) are added
one at a time until the indication has risen by one scale interval. R 76-1 gives the
indication before rounding as

    P = I + d/2 - dL          (R 76-1 writes e for d: digital scales have e = d)

with dL the conventional mass of what was added. That is the lower end of where it
lies: the indication changed from I to I + d when the load passed L + (I + d/2 - x),
x being the indication before rounding at L; after k additions (dL = k s) that
threshold lies in ((k-1) s, k s] above L, so x lies in [P, P + s). P is on average s/2
low, and the budget's rectangular dP (half-width s/2) describes an interval centred on
the estimate. labctl therefore corrects for that known offset (GUM 3.2.4) and uses

    P = I + d/2 - dL + s/2    (centred in the last step)

for every point, for the zero error E0 and for the net zero E0t after a tare alike, so
the corrected error Ec = E - E0 is the same as with R 76-1's P (the s/2 cancel), while
E0, E0t and uncorrected errors are no longer reported s/2 low. A point's notes give
R 76-1's value next to it.

A start reading that noise showed one interval high does not change this. If x lies
in [I' + d/2 - j s, I' + d/2 - (j-1) s), just under a rounding limit, the scale should
show I' and the search end after j additions, on the limit I' + d/2. Shown I = I' + d
instead, the search ends on the next limit, I + d/2 = I' + 3d/2, one d (d/s = 10
additions) further: after 10 + j additions (eleven for j = 1; the readings between show
I' or I, never I + d). P = I + d/2 - (10 + j) s = I' + d/2 - j s, exactly what the
correct start gives, and x lies in [P, P + s) all the same: the centring applies
unchanged; only the length of the search shows the noise. (A start reading shown one
interval low, x just above a limit, cannot be told from a genuine change after the first
addition: P is then about one step low, centred or not. Noise at the readings of the
search moves the change by a fraction of a step either way. Neither is corrected.)

The runner journals the start reading I (``change_step`` 0), one ``load`` event per
addition, and a reading after each (the last with ``change_found``). dL is taken from
the weights on the receptor at the last reading minus those at the first, so it is
right whether the runner added pieces or placed a whole new combination.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from labctl.analysis.weighing.journal_view import JournalViewError, PointView, Reading
from labctl.analysis.weighing.plate import ScalePlate, convert
from labctl.analysis.weighing.reference import ReferenceLoad, reference_load

_RISE_TOLERANCE = 1e-6  # of d: a rise of exactly one d counts


@dataclass(frozen=True)
class ChangePoint:
    start: Reading             # I, before any addition
    end: Reading               # the reading after the last addition
    additions: int
    step: float                # size of one addition (plate unit)
    added: ReferenceLoad       # the pieces added (conventional mass, u)
    removed: ReferenceLoad     # pieces taken off when the runner re-placed the load
    found: bool

    @property
    def delta_mass(self) -> float:
        """dL: conventional mass added (plate unit)."""
        return self.added.mass - self.removed.mass

    @property
    def delta_u(self) -> float:
        # added and removed pieces: their uncertainties added linearly (no credit taken)
        return self.added.u + self.removed.u


def change_point_value(start: float, plate: ScalePlate, cp: ChangePoint) -> float:
    """The indication before rounding by change point, centred in the last step:
    ``P = I + d/2 - dL + s/2`` (R 76-1's ``I + d/2 - dL`` is the lower end of the step
    that holds it). ``start`` is I in the plate's unit."""
    return r76_value(start, plate, cp) + cp.step / 2


def r76_value(start: float, plate: ScalePlate, cp: ChangePoint) -> float:
    """R 76-1 A.4.4.3's ``P = I + d/2 - dL``, as published (for the notes)."""
    return start + plate.d / 2 - cp.delta_mass


def centring_note(start: float, plate: ScalePlate, cp: ChangePoint, name: str = "P") -> str:
    # no "; " inside: a point's notes are joined with it
    return (f"{name} centred in the last step (+s/2): R 76-1's I + d/2 - dL = "
            f"{r76_value(start, plate, cp):.7g} {plate.unit}, + {cp.step / 2:.4g} "
            f"{plate.unit}")


@dataclass(frozen=True)
class Indication:
    """The indication of a point in the plate's unit (``value`` None: overload or no value).

    ``value`` is the rounded indication I, or P (centred in the last step:
    ``change_point_value``) when ``change_point`` is set and found.
    ``load`` is the reference load under ``reading`` (for a change point: at its start).
    """

    point: PointView
    reading: Reading
    value: float | None
    load: ReferenceLoad
    change_point: ChangePoint | None
    notes: tuple[str, ...] = ()

    @property
    def method(self) -> str:
        return "change_point" if self.change_point is not None else "rounded"


def reading_value(reading: Reading, plate: ScalePlate) -> float | None:
    if reading.value is None or reading.overload:
        return None
    return convert(reading.value, reading.unit or plate.unit, plate.unit)


def change_point_of(point: PointView, plate: ScalePlate, standards: Mapping[str, Any], *,
                    name: str = "change_point", correlation: float = 1.0,
                    after: Reading | None = None) -> ChangePoint | None:
    """The change-point search of ``point`` (readings called ``name``), or None.

    ``after``: only the search that starts after this reading (a point may hold more
    than one search, e.g. the tare step's)."""
    readings = [r for r in point.readings_named(name) if after is None or r.seq > after.seq]
    if not readings:
        return None
    # the first search: from its change_step 0 to the next 0 (without change_step in the
    # journal, every reading of the name belongs to one search)
    starts = [i for i, r in enumerate(readings) if r.change_step == 0]
    first = starts[0] if starts else 0
    nxt = next((i for i in starts if i > first), len(readings))
    search = readings[first:nxt]
    start, end = search[0], search[-1]
    s_value, e_value = reading_value(start, plate), reading_value(end, plate)
    rise = None if s_value is None or e_value is None else e_value - s_value
    found = bool(end.change_found) if end.change_found is not None else (
        rise is not None and len(search) > 1 and rise >= plate.d * (1 - _RISE_TOLERANCE))
    if rise is None:
        found = False
    added_ids = tuple(sorted((Counter(end.weights) - Counter(start.weights)).elements()))
    removed_ids = tuple(sorted((Counter(start.weights) - Counter(end.weights)).elements()))
    added = reference_load(added_ids, standards, plate.unit, correlation)
    removed = reference_load(removed_ids, standards, plate.unit, correlation)
    additions = len(search) - 1
    # the size of one addition: the nominal of an added piece, else the mean increase
    # (the centring of P and the budget's dP rest on it: a journalled nominal of 0 would
    # silently drop both)
    added_loads = [ld for ld in point.loads
                   if start.seq < ld.seq <= end.seq and ld.add and ld.weights and ld.nominal]
    step = 0.0
    if added_loads:
        value, unit = added_loads[0].nominal  # type: ignore[misc]
        step = convert(value, unit or plate.unit, plate.unit)
    if step <= 0:
        step = (added.nominal - removed.nominal) / additions if additions else 0.0
    return ChangePoint(start, end, additions, step, added, removed, found)


def indication_of(point: PointView, plate: ScalePlate, standards: Mapping[str, Any], *,
                  reading: str = "indication", change_point: str = "change_point",
                  correlation: float = 1.0, after: Reading | None = None) -> Indication:
    """The indication of ``point``: by change point when the point has one that was
    found, else the reading called ``reading`` (the last one, after ``after`` if given)."""
    notes: list[str] = []
    cp = change_point_of(point, plate, standards, name=change_point,
                         correlation=correlation, after=after)
    if cp is not None and cp.found:
        start_value = reading_value(cp.start, plate)
        assert start_value is not None  # found implies both readings have values
        value = change_point_value(start_value, plate, cp)
        load = reference_load(cp.start.weights, standards, plate.unit, correlation)
        notes.append(centring_note(start_value, plate, cp))
        if not cp.start.stable or not cp.end.stable:
            notes.append("a change-point reading was not stable")
        return Indication(point, cp.start, value, load, cp, tuple(notes))
    if cp is not None:
        notes.append(f"the change point was not found within {cp.additions} additions of "
                     f"{cp.step:g} {plate.unit}: the rounded indication is used")
    candidates = [r for r in point.readings_named(reading)
                  if after is None or r.seq > after.seq]
    if not candidates:
        if cp is None:
            point.reading(reading)  # raises with the readings the point has
        chosen = cp.start  # type: ignore[union-attr]
    else:
        chosen = candidates[-1]
    value = reading_value(chosen, plate)
    if value is None:
        notes.append("overload: the scale gave no value")
    elif not chosen.stable:
        notes.append("the reading was not stable")
    if chosen.value is None and not chosen.overload:
        raise JournalViewError(f"point {point.point!r}: reading {chosen.name!r} has no value")
    load = reference_load(chosen.weights, standards, plate.unit, correlation)
    return Indication(point, chosen, value, load, None, tuple(notes))
