"""Choosing standard weights that make a test load: a pure function, no I/O.

``choose_weights(mass, weights)`` returns the register ids of distinct pieces whose
nominal values add up to ``mass``, with as few pieces as possible. Two pieces of the same
nominal value (``2kg`` and ``2kg*``) are two pieces. Among combinations of the same size
the one with the larger pieces first (then the earlier ids) wins, so the choice is
reproducible. ``chooser_for(bench)`` is how the load actions ask a bench.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from labctl.errors import RunError
from labctl.register.weighing import weights_of
from labctl.units import Q_, Quantity, check_dimension

# Nominal values are compared in integer nanograms: R 111 weights go down to 1 mg and
# loads are computed in floating point (1.4 * 5 g), so this is exact enough and tiny.
_RESOLUTION_G = 1e-9
_TOLERANCE = 1e-9  # relative tolerance on the requested mass


@lru_cache(maxsize=256)
def _ng_per(unit: Any) -> float | None:
    """Nanograms in one ``unit`` (None: not a unit of mass). Cached: a run chooses
    weights hundreds of times and a pint conversion costs microseconds."""
    one = Q_(1.0, unit)
    if one.dimensionality != _MASS.dimensionality:
        return None
    return float(one.to("g").magnitude) / _RESOLUTION_G


_MASS = Q_(1.0, "kg")


def _nanograms(q: Quantity, what: str) -> float:
    factor = _ng_per(q.units)
    if factor is None:
        check_dimension(q, "kg", what=what)  # raises the clear UnitError
    return float(q.magnitude) * factor  # type: ignore[operator]


def _pieces(weights: Mapping[str, Any] | Iterable[Any]) -> list[tuple[str, int]]:
    """(id, nominal in ng) for each piece, from Weight objects or a mapping id -> nominal."""
    items: list[tuple[str, Any]] = (
        list(weights.items()) if isinstance(weights, Mapping) else [(w.id, w) for w in weights])
    return [(str(id), round(_nanograms(getattr(w, "nominal", w),
                                       f"nominal value of weight {id!r}")))
            for id, w in items]


def choose_weights(mass: Quantity, weights: Mapping[str, Any] | Iterable[Any], *,
                   exclude: Iterable[str] = ()) -> tuple[str, ...]:
    """The fewest distinct pieces of ``weights`` whose nominal values sum to ``mass``.

    ``weights`` is an iterable of ``Weight`` (anything with ``id`` and ``nominal``) or a
    mapping ``id -> Weight | nominal Quantity``; ``exclude`` lists ids not to use (pieces
    already on the load receptor). Raises ``UnitError`` when ``mass`` is not a mass and
    ``RunError`` when no combination makes it. A zero mass is the empty combination.
    """
    if not isinstance(weights, Mapping):
        weights = list(weights)
    excluded = set(exclude)
    pieces = [(id, ng) for id, ng in _pieces(weights) if id not in excluded and ng > 0]
    target_exact = _nanograms(mass, "test load")
    target = round(target_exact)
    if abs(target_exact - target) > max(0.5, abs(target_exact) * _TOLERANCE):
        raise _cannot(mass, weights, excluded, "it is not a whole number of nanograms")
    if target < 0:
        raise _cannot(mass, weights, excluded, "a load cannot be negative")
    if target == 0:
        return ()
    # Larger pieces first: the search finds short combinations early and prunes the rest.
    order = sorted(range(len(pieces)), key=lambda i: (-pieces[i][1], i))
    values = [pieces[i][1] for i in order]
    suffix = [0] * (len(values) + 1)
    for i in range(len(values) - 1, -1, -1):
        suffix[i] = suffix[i + 1] + values[i]
    if suffix[0] < target:
        raise _cannot(mass, weights, excluded, "the pieces together weigh less")

    best: list[int] | None = None
    chosen: list[int] = []

    def search(start: int, remaining: int) -> None:
        nonlocal best
        if remaining == 0:
            if best is None or len(chosen) < len(best):
                best = list(chosen)
            return
        if best is not None and len(chosen) + 1 >= len(best):
            return  # one more piece cannot beat the best already found
        if suffix[start] < remaining:
            return
        for i in range(start, len(values)):
            v = values[i]
            if v > remaining:
                continue
            if suffix[i] < remaining:
                return
            # Lower bound on pieces still needed: each is at most v.
            if best is not None and len(chosen) + -(-remaining // v) >= len(best):
                return
            # Equal values are interchangeable: try only the first unused one at a level.
            if i > start and values[i - 1] == v:
                continue
            chosen.append(i)
            search(i + 1, remaining - v)
            chosen.pop()

    search(0, target)
    if best is None:
        raise _cannot(mass, weights, excluded, "no combination of distinct pieces adds up to it")
    return tuple(pieces[order[i]][0] for i in best)


def _cannot(mass: Quantity, weights: Any, excluded: set[str], why: str) -> RunError:
    sets = _set_names(weights)
    without = f" without {', '.join(sorted(excluded))}" if excluded else ""
    return RunError(
        f"the weight set {sets} cannot make a load of {mass:~P}{without}: {why}",
        hint="change the load, or add pieces to the set in the register",
    )


def _set_names(weights: Any) -> str:
    values = weights.values() if isinstance(weights, Mapping) else weights
    try:
        names = sorted({getattr(w, "set_id", None) or "" for w in values} - {""})
    except TypeError:
        names = []
    return "+".join(names) if names else "given"


class WeightChooser:
    """``choose_weights`` over one fixed set of weights, each answer kept: a change-point
    procedure asks for the same few masses hundreds of times."""

    def __init__(self, weights: Mapping[str, Any] | Iterable[Any]) -> None:
        self.weights = weights if isinstance(weights, Mapping) else tuple(weights)
        self._choices: dict[tuple[Any, ...], tuple[str, ...]] = {}

    def __call__(self, mass: Quantity, *, exclude: Iterable[str] = ()) -> tuple[str, ...]:
        key = (float(mass.magnitude), mass.units, frozenset(exclude))
        chosen = self._choices.get(key)
        if chosen is None:
            chosen = choose_weights(mass, self.weights, exclude=key[2])
            self._choices[key] = chosen
        return chosen


_CHOOSERS: weakref.WeakKeyDictionary[Any, WeightChooser] = weakref.WeakKeyDictionary()


def chooser_for(bench: Any) -> Callable[..., tuple[str, ...]] | None:
    """How ``bench`` makes a load: its own ``choose_weights`` when it has one (a test's
    fake), else a ``WeightChooser`` over the standard weights among its
    ``standard_parts()``, kept for the bench's life; None when it has no weights."""
    own = getattr(bench, "choose_weights", None)
    if own is not None:
        return own
    chooser = _CHOOSERS.get(bench)
    if chooser is None:
        parts = getattr(bench, "standard_parts", None)
        weights = weights_of(parts()) if parts is not None else ()
        if not weights:
            return None
        chooser = _CHOOSERS[bench] = WeightChooser(weights)
    return chooser
