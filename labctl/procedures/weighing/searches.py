"""Searches on the load standing on the receptor: the scale (``role``) is read while the
weight handler (``loader``) adds or takes off ``step`` weights.

- ``change_point`` (OIML R 76-1 A.4.4.3): add ``step`` at a time until the indication
  rises by one d; every addition and reading is journaled, the readings with
  ``change_step`` (0 for I, then k) and the last with ``change_found``. With
  ``restore: true`` the pieces the search added come off again at its end (the
  handler's ``remove``), so that the test load stands as before and the next load of a
  weighing test is reached by adding or taking off (``load_to``).
- ``discrimination`` (R 76-1 A.4.8.2, digital indication): ``pieces`` weights of
  ``step`` (0.1 d) are put on the load, taken off one at a time until the indication
  falls to I - d, one is put back and ``extra`` (1.4 d) is added: a working scale shows
  I + d. Readings carry ``discrimination_pieces`` (the small pieces on) and the last
  step reading ``discrimination_found``. A piece is taken off with the handler's
  ``remove``, the rest staying on, as R 76-1 A.4.8.2 writes it (never through zero).

The conditions are checked before I only: a search is one determination, taking seconds
of clock time.

``settle`` (a duration, default 0 s): how long the search waits after each load change
before it reads. A scale calls a reading stable once it moves less than its stability
band, long before a first-order settling has died out; a search that reads then sees the
last change a fraction short and finds the change point late. The procedure gives the
settling time (or the instrument's data plate does, through a parameter).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field

from labctl.errors import RunError
from labctl.numbers import quantity_text as qt
from labctl.procedures.action_models import Action
from labctl.procedures.execution import Execution, emit_reading
from labctl.procedures.model_base import Scalar
from labctl.procedures.plan_data import PlannedAction
from labctl.procedures.planning import Planning
from labctl.procedures.weighing.loads import put, take_all_off, take_off
from labctl.procedures.weighing.receptor import LoadGroup, Receptor, ReceptorState


class SearchAction(Action):
    """A search on the load standing on the receptor."""

    capability: ClassVar[str | None] = "scale"
    role: str
    loader: str
    step: Scalar
    timeout: Scalar = "60 s"
    settle: Scalar = "0 s"

    @property
    def roles(self) -> dict[str, str | None]:
        return {"role": "scale", "loader": "weight_handler"}

    def _positive(self, planning: Planning, namespace: Mapping[str, Any], what: str,
                  key: str) -> Any:
        value = planning.quantity(self.value(key), namespace, "kg", f"{what}: {key}")
        if value.magnitude <= 0:
            raise RunError(f"{what}: {key} {value:~P} must be more than zero",
                           where=self.where)
        return value

    def _setup(self, planning: Planning, namespace: Mapping[str, Any], what: str,
               purpose: str) -> tuple[Any, float, Any, Receptor, ReceptorState, float]:
        """Its step (a mass), timeout, the scale's d, the load on the receptor."""
        state = planning.state(ReceptorState)
        step = self._positive(planning, namespace, what, "step")
        timeout = planning.seconds(self.value("timeout"), namespace, f"{what}: timeout",
                                   positive=True)
        settle = planning.seconds(self.value("settle"), namespace, f"{what}: settle")
        threshold = planning.role_attribute(self.role, "d", self.where, what)
        base = state.receptors.get(self.loader, ())
        if base is None:
            raise RunError(f"{what}: after a search the weights on the receptor are "
                           f"known only at run time", where=self.where,
                           hint=f"unload {self.loader} and load the test load again")
        if not base:
            raise RunError(f"{what}: nothing stands on {self.loader}'s receptor to "
                           f"{purpose}", where=self.where,
                           hint=f"load the test load before the {self.kind} action")
        return step, timeout, threshold, base, state, settle


class ChangePointAction(SearchAction):
    kind: ClassVar[str] = "change_point"
    expressions: ClassVar[tuple[str, ...]] = ("step", "max_steps", "timeout", "settle")
    max_steps: Scalar = 10
    restore: bool = False
    as_: str = Field("change_point", alias="as")

    def plan(self, planning: Planning, namespace: Mapping[str, Any],
             what: str) -> PlannedAction:
        step, timeout, threshold, base, state, settle = self._setup(
            planning, namespace, what, "find the change point of")
        max_steps = planning.count(self.value("max_steps"), namespace, f"{what}: max_steps")
        in_use = frozenset(w for g in base for w in g.weights)
        position = base[0].position
        state.check_total((*base, LoadGroup((), position, step * max_steps)), self.where,
                          what)
        increments = []
        previous: tuple[str, ...] = ()
        for k in range(1, max_steps + 1):
            # Add one step's weights if the set still has them; else make the new total
            # afresh (taking the smaller pieces off, so everything goes off and on again).
            try:
                added = state.choose(step, in_use | set(previous), self.where, what)
            except RunError:
                added = None
            if added is not None:
                increments.append({"add": True, "weights": added, "mass": step})
                previous = (*previous, *added)
                continue
            chosen = state.choose(step * k, in_use, self.where, f"{what} (addition {k})")
            if set(previous) <= set(chosen):
                added = tuple(w for w in chosen if w not in previous)
                increments.append({"add": True, "weights": added, "mass": step})
            else:
                placed = (*(w for g in base for w in g.weights), *chosen)
                increments.append({"add": False, "weights": placed,
                                   "mass": sum((g.mass for g in base), step * 0) + step * k})
            previous = chosen
        if not self.restore:
            state.receptors[self.loader] = None  # how many additions: known at run time
        return PlannedAction(self.kind, self.where, self.role,
                             {"name": self.as_, "loader": self.loader, "step": step,
                              "restore": self.restore,
                              "base": tuple(w for g in base for w in g.weights),
                              "max_steps": max_steps, "threshold": threshold,
                              "timeout": timeout, "position": position,
                              "settle": settle, "increments": tuple(increments)})

    @classmethod
    def execute(cls, action: PlannedAction, ex: Execution) -> None:
        """Read I, then add ``step`` at a time until the indication is at least I + d
        (when the weight set cannot make the new total by adding, everything is taken
        off and put on again). The analysis takes dL from the weights added."""
        a = action.args
        scale = ex.instruments[action.role]
        settle = float(a.get("settle") or 0.0)
        if settle:
            ex.sleep(settle)
        ex.before_reading()
        start = scale.read_stable(timeout=a["timeout"])
        emit_reading(ex, action.role, a["name"], start, change_step=0)
        last = len(a["increments"])
        base = set(a.get("base") or ())
        extra_on: list[str] = []
        for k, inc in enumerate(a["increments"], start=1):
            if not inc["add"]:
                take_all_off(ex, a["loader"])
                extra_on = [w for w in inc["weights"] if w not in base]
            else:
                extra_on += list(inc["weights"])
            put(ex, a["loader"], tuple(inc["weights"]), inc["mass"], a["position"],
                inc["add"])
            if settle:
                ex.sleep(settle)
            reading = scale.read_stable(timeout=a["timeout"])
            rise = reading.value - start.value
            found = bool(rise >= a["threshold"] * (1 - 1e-9))
            extra = {"change_found": found} if found or k == last else {}
            emit_reading(ex, action.role, a["name"], reading, change_step=k, **extra)
            if found:
                break
        if a.get("restore") and extra_on:
            # the search's pieces off again: the test load stands as before the search
            take_off(ex, a["loader"], tuple(extra_on), a["step"] * len(extra_on))

    @classmethod
    def describe(cls, action: PlannedAction) -> str:
        a = action.args
        return (f"change point on {action.role}: add {qt(a['step'])} with {a['loader']} "
                f"until {qt(a['threshold'], sign=True)}, at most {a['max_steps']} times")


class DiscriminationAction(SearchAction):
    kind: ClassVar[str] = "discrimination"
    expressions: ClassVar[tuple[str, ...]] = ("step", "extra", "pieces", "timeout", "settle")
    extra: Scalar
    pieces: Scalar = 10
    as_: str = Field("discrimination", alias="as")

    def plan(self, planning: Planning, namespace: Mapping[str, Any],
             what: str) -> PlannedAction:
        """The ``pieces`` small weights (``step`` each) and the ``extra`` load are chosen
        apart from the load on the receptor and from each other; the whole is checked
        against the most load allowed."""
        step, timeout, threshold, base, state, settle = self._setup(
            planning, namespace, what, "test the discrimination at")
        extra = self._positive(planning, namespace, what, "extra")
        pieces = planning.count(self.value("pieces"), namespace, f"{what}: pieces")
        position = base[0].position
        state.check_total((*base, LoadGroup((), position, step * pieces + extra)),
                          self.where, what)
        in_use = frozenset(w for g in base for w in g.weights)
        chosen: list[tuple[str, ...]] = []
        for k in range(1, pieces + 1):
            taken = in_use.union(*chosen)
            try:
                chosen.append(state.choose(step, taken, self.where, what))
            except RunError as exc:
                raise RunError(
                    f"{what}: the weight set cannot make piece {k} of the {pieces} pieces "
                    f"of {step:~P} (R 76-1 A.4.8.2) apart from the load: "
                    f"{exc.message.removeprefix(what + ': ')}",
                    where=self.where,
                    hint=exc.hint or f"add {pieces} pieces of {step:~P} to the bench's "
                                     "standards") from None
        extra_weights = state.choose(extra, in_use.union(*chosen), self.where,
                                     f"{what}: extra {extra:~P}")
        state.receptors[self.loader] = None  # how many pieces stay on: known at run time
        return PlannedAction(self.kind, self.where, self.role,
                             {"name": self.as_, "loader": self.loader, "step": step,
                              "extra": extra, "threshold": threshold, "timeout": timeout,
                              "position": position, "settle": settle,
                              "load": tuple(w for g in base for w in g.weights),
                              "load_mass": sum((g.mass for g in base), step * 0),
                              "pieces": tuple(chosen), "extra_weights": extra_weights})

    @classmethod
    def execute(cls, action: PlannedAction, ex: Execution) -> None:
        """Add the N pieces and read I (``<as>_start``); take the pieces off one at a
        time, reading after each (``<as>_step``), until the indication is at most I - d;
        put one back, add the extra and read (``<as>_extra``). When the indication never
        fell, with every piece off, no extra is put on (the analysis fails it)."""
        a = action.args
        scale = ex.instruments[action.role]
        pieces: tuple[tuple[str, ...], ...] = a["pieces"]
        n = len(pieces)
        name, position, loader = a["name"], a["position"], a["loader"]

        settle = float(a.get("settle") or 0.0)

        def read(suffix: str, on: int, **extra: Any) -> Any:
            if settle:
                ex.sleep(settle)
            reading = scale.read_stable(timeout=a["timeout"])
            emit_reading(ex, action.role, f"{name}_{suffix}", reading,
                         discrimination_pieces=on, **extra)
            return reading

        put(ex, loader, tuple(w for p in pieces for w in p), a["step"] * n, position, True)
        ex.before_reading()
        start = read("start", n)
        limit = start.value - a["threshold"] * (1 - 1e-9)
        for k in range(n - 1, -1, -1):
            # one piece off, the load and the other pieces staying on
            take_off(ex, loader, tuple(pieces[k]), a["step"])
            if settle:
                ex.sleep(settle)
            reading = scale.read_stable(timeout=a["timeout"])
            found = bool(reading.value <= limit)
            flag = {"discrimination_found": found} if found or k == 0 else {}
            emit_reading(ex, action.role, f"{name}_step", reading,
                         discrimination_pieces=k, **flag)
            if found:
                break
        else:  # never fell by d with every piece off: no extra load
            return
        put(ex, loader, pieces[k], a["step"], position, True)
        put(ex, loader, tuple(a["extra_weights"]), a["extra"], position, True)
        read("extra", k + 1)

    @classmethod
    def describe(cls, action: PlannedAction) -> str:
        a = action.args
        return (f"discrimination on {action.role} (R 76-1 A.4.8.2): {len(a['pieces'])} x "
                f"{qt(a['step'])} on with {a['loader']}, off one at a time until "
                f"{qt(-a['threshold'], sign=True)}, one back, then "
                f"{qt(a['extra'], sign=True)}")
