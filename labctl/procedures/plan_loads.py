"""The weight-load bookkeeping of the planner: what stands on each weight handler's
receptor as the plan goes, the ``load``, ``unload``, ``change_point`` and
``discrimination`` actions planned
against it, the weights chosen for every load, and the total checked against the most
load allowed.

``LoadPlanning`` is a part of ``labctl.procedures.planner._Planner``, which sets
``receptors``, ``choose`` and ``max_load`` and gives ``_role_attribute``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labctl.errors import LabctlError, RunError
from labctl.procedures.action_models import (
    POSITIONS,
    Action,
    ChangePointAction,
    DiscriminationAction,
    LoadAction,
    SearchAction,
)
from labctl.procedures.plan_context import ChooseWeights
from labctl.procedures.plan_data import LoadGroup, PlannedAction, Receptor
from labctl.procedures.plan_values import _count, _quantity, _seconds


class LoadPlanning:
    """The planner's receptors and the actions that change what stands on them."""

    # What stands on each weight handler's receptor as the plan goes (None: unknown).
    receptors: dict[str, Receptor | None]
    choose: ChooseWeights | None
    max_load: Any

    def _snapshot(self) -> dict[str, Receptor] | None:
        if any(r is None for r in self.receptors.values()):
            return None
        return {role: r for role, r in self.receptors.items() if r}

    def _unload(self, action: Action, namespace: Mapping[str, Any],
                what: str) -> PlannedAction:
        self.receptors[action.role] = ()
        return PlannedAction("unload", action.where, action.role, {})

    def _load(self, action: LoadAction, namespace: Mapping[str, Any],
              what: str) -> PlannedAction:
        mass = _quantity(action.value("mass"), namespace, "kg", f"{what}: mass")
        position = self._position(action, namespace, what)
        current = self.receptors.get(action.role, ())
        if current is None:
            raise RunError(f"{what}: after a change point the weights on the receptor are "
                           f"known only at run time", where=action.where,
                           hint=f"unload {action.role} after the change_point")
        if current and not action.add:
            on = ", ".join(w for g in current for w in g.weights)
            raise RunError(f"{what}: the receptor of {action.role} already holds {on}; a load "
                           f"without add is put on an empty receptor", where=action.where,
                           hint=f"unload {action.role} first, or write add: true")
        if mass.magnitude == 0:
            raise RunError(f"{what}: a load of {mass:~P} puts nothing on", where=action.where,
                           hint="use unload to empty the receptor")
        base = current if action.add else ()
        self._check_total((*base, LoadGroup((), position, mass)), action, what)
        in_use = frozenset(w for g in base for w in g.weights)
        weights = self._choose(mass, in_use, action, what)
        self.receptors[action.role] = (*base, LoadGroup(weights, position, mass))
        return PlannedAction("load", action.where, action.role,
                             {"mass": mass, "weights": weights, "position": position,
                              "add": action.add})

    def _change_point(self, action: ChangePointAction, namespace: Mapping[str, Any],
                      what: str) -> PlannedAction:
        step, timeout, threshold, base = self._search_setup(
            action, namespace, what, "find the change point of")
        max_steps = _count(action.value("max_steps"), namespace, f"{what}: max_steps")
        in_use = frozenset(w for g in base for w in g.weights)
        position = base[0].position
        self._check_total((*base, LoadGroup((), position, step * max_steps)), action, what)
        increments = []
        previous: tuple[str, ...] = ()
        for k in range(1, max_steps + 1):
            # Add one step's weights if the set still has them; else make the new total
            # afresh (taking the smaller pieces off, so everything goes off and on again).
            try:
                added = self._choose(step, in_use | set(previous), action, what)
            except RunError:
                added = None
            if added is not None:
                increments.append({"add": True, "weights": added, "mass": step})
                previous = (*previous, *added)
                continue
            chosen = self._choose(step * k, in_use, action, f"{what} (addition {k})")
            if set(previous) <= set(chosen):
                added = tuple(w for w in chosen if w not in previous)
                increments.append({"add": True, "weights": added, "mass": step})
            else:
                placed = (*(w for g in base for w in g.weights), *chosen)
                increments.append({"add": False, "weights": placed,
                                   "mass": sum((g.mass for g in base), step * 0) + step * k})
            previous = chosen
        self.receptors[action.loader] = None  # how many additions is known only at run time
        return PlannedAction("change_point", action.where, action.role,
                             {"name": action.as_, "loader": action.loader, "step": step,
                              "max_steps": max_steps, "threshold": threshold,
                              "timeout": timeout, "position": position,
                              "increments": tuple(increments)})

    def _discrimination(self, action: DiscriminationAction, namespace: Mapping[str, Any],
                        what: str) -> PlannedAction:
        """OIML R 76-1 A.4.8.2: the ``pieces`` small weights (``step`` each) and the
        ``extra`` load are chosen here, apart from the weights of the load on the receptor
        and from each other; the whole is checked against the most load allowed."""
        step, timeout, threshold, base = self._search_setup(
            action, namespace, what, "test the discrimination at")
        extra = self._positive(action, namespace, what, "extra")
        pieces = _count(action.value("pieces"), namespace, f"{what}: pieces")
        position = base[0].position
        self._check_total((*base, LoadGroup((), position, step * pieces + extra)),
                          action, what)
        in_use = frozenset(w for g in base for w in g.weights)
        chosen: list[tuple[str, ...]] = []
        for k in range(1, pieces + 1):
            taken = in_use.union(*chosen)
            try:
                chosen.append(self._choose(step, taken, action, what))
            except RunError as exc:
                raise RunError(
                    f"{what}: the weight set cannot make piece {k} of the {pieces} pieces "
                    f"of {step:~P} (R 76-1 A.4.8.2) apart from the load: "
                    f"{exc.message.removeprefix(what + ': ')}",
                    where=action.where,
                    hint=exc.hint or f"add {pieces} pieces of {step:~P} to the bench's "
                                     "standards") from None
        extra_weights = self._choose(extra, in_use.union(*chosen), action,
                                     f"{what}: extra {extra:~P}")
        self.receptors[action.loader] = None  # how many pieces stay on is known at run time
        return PlannedAction("discrimination", action.where, action.role,
                             {"name": action.as_, "loader": action.loader, "step": step,
                              "extra": extra, "threshold": threshold, "timeout": timeout,
                              "position": position,
                              "load": tuple(w for g in base for w in g.weights),
                              "load_mass": sum((g.mass for g in base), step * 0),
                              "pieces": tuple(chosen), "extra_weights": extra_weights})

    def _positive(self, action: SearchAction, namespace: Mapping[str, Any], what: str,
                  key: str) -> Any:
        value = _quantity(action.value(key), namespace, "kg", f"{what}: {key}")
        if value.magnitude <= 0:
            raise RunError(f"{what}: {key} {value:~P} must be more than zero",
                           where=action.where)
        return value

    def _search_setup(self, action: SearchAction, namespace: Mapping[str, Any], what: str,
                      purpose: str) -> tuple[Any, float, Any, Receptor]:
        """What a search on the load (change point, discrimination) starts from: its step
        (a mass), timeout, the scale's d, and the load standing on the receptor."""
        step = self._positive(action, namespace, what, "step")
        timeout = _seconds(action.value("timeout"), namespace, f"{what}: timeout",
                           positive=True)
        threshold = self._role_attribute(action.role, "d", action.where, what)
        base = self.receptors.get(action.loader, ())
        if base is None:
            raise RunError(f"{what}: after a search the weights on the receptor are "
                           f"known only at run time", where=action.where,
                           hint=f"unload {action.loader} and load the test load again")
        if not base:
            raise RunError(f"{what}: nothing stands on {action.loader}'s receptor to "
                           f"{purpose}", where=action.where,
                           hint=f"load the test load before the {action.kind} action")
        return step, timeout, threshold, base

    def _position(self, action: LoadAction, namespace: Mapping[str, Any], what: str) -> str:
        position = namespace.get(action.position, action.position)
        if position not in POSITIONS:
            raise RunError(f"{what}: position {position!r} is not a position",
                           where=action.where, hint=f"the positions are {', '.join(POSITIONS)}")
        return str(position)

    def _choose(self, mass: Any, in_use: frozenset[str], action: Action, what: str
                ) -> tuple[str, ...]:
        if mass.magnitude < 0:
            raise RunError(f"{what}: a load of {mass:~P} is negative", where=action.where)
        if self.choose is None:
            raise RunError(f"{what}: the bench has no weight set to make {mass:~P} with",
                           where=action.where,
                           hint="list the weight set under the bench file's standards")
        try:
            return tuple(self.choose(mass, in_use))
        except LabctlError as exc:
            raise RunError(f"{what}: {exc.message}", where=action.where,
                           hint=exc.hint) from None

    def _check_total(self, receptor: Receptor, action: Action, what: str) -> None:
        if self.max_load is None:
            return
        total = sum((g.mass for g in receptor), self.max_load * 0)
        if total > self.max_load * (1 + 1e-12):
            raise RunError(
                f"{what}: {total.to(self.max_load.units):~P} on the receptor is above the "
                f"most the procedure allows, {self.max_load:~P}", where=action.where,
                hint="lower the load, or set max_load in the procedure (default: Max + 9 e)")
