"""Synthetic journals (lists of event dicts per docs/contracts.md) for the analysis tests.

The scale: class III, Max 15 kg, e = d = 5 g, Min 100 g. The standards: certificate
weights with known conventional masses and standard uncertainties, plus class-only
500 mg pieces (M1: MPE 0.8 mg, u = MPE/sqrt(3)) for the change-point method.
"""

from __future__ import annotations

import math
from typing import Any

PLATE: dict[str, Any] = {
    "capacity": {"value": 15.0, "unit": "kg"},
    "e": {"value": 5.0, "unit": "g"},
    "d": {"value": 5.0, "unit": "g"},
    "min_load": {"value": 100.0, "unit": "g"},
    "accuracy_class": "III",
}


def _q(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit}


def _cert(id: str, nominal_g: float, mass_g: float, u_mg: float) -> dict[str, Any]:
    return {"id": id, "kind": "weight", "nominal": _q(nominal_g, "g"),
            "conventional_mass": _q(mass_g, "g"), "u": _q(u_mg, "mg"),
            "U": _q(2 * u_mg, "mg"), "k": 2.0, "class": "M1", "basis": "certificate"}


def _class_only(id: str, nominal_g: float, mpe_mg: float) -> dict[str, Any]:
    return {"id": id, "kind": "weight", "nominal": _q(nominal_g, "g"),
            "conventional_mass": _q(nominal_g, "g"), "u": _q(mpe_mg / math.sqrt(3), "mg"),
            "U": None, "k": None, "class": "M1", "mpe": _q(mpe_mg, "mg"), "basis": "class"}


STANDARDS: dict[str, Any] = {
    w["id"]: w for w in [
        _cert("S/10kg", 10000.0, 10000.120, 80.0),
        _cert("S/5kg", 5000.0, 4999.940, 40.0),
        _cert("S/2kg", 2000.0, 2000.022, 15.0),
        _cert("S/500g", 500.0, 500.005, 4.0),
        _cert("S/100g", 100.0, 100.001, 0.8),
        _cert("S/50g", 50.0, 49.9994, 0.5),
        _cert("S/5g", 5.0, 4.9997, 0.25),
        _class_only("S/2g", 2.0, 1.2),
        *[_class_only(f"S/500mg{'*' * i}", 0.5, 0.8) for i in range(10)],
    ]
}
SMALL = [f"S/500mg{'*' * i}" for i in range(10)]


class Journal:
    """Builds the events of one run. Readings are in kg unless a unit is given."""

    def __init__(self, parameters: dict[str, Any] | None = None):
        self.events: list[dict[str, Any]] = []
        self.tags: dict[str, Any] = {}
        self.emit("run_started", run_id="run-1",
                  parameters={"category": "initial", "change_point": False,
                              **(parameters or {})})

    def emit(self, type: str, **keys: Any) -> dict[str, Any]:
        seq = len(self.events)
        event = {"seq": seq, "type": type, "t": float(seq), "wall": "2026-01-01T00:00:00Z",
                 **keys}
        self.events.append(event)
        return event

    def plan(self, points: list[tuple[str, str, dict[str, Any]]]) -> Journal:
        self.emit("plan", points=[
            {"point": p, "step": s, "index": i,
             "variables": {k: (_q(v, "kg") if isinstance(v, int | float) else v)
                           for k, v in variables.items()}}
            for i, (s, p, variables) in enumerate(points)])
        return self

    def start(self, step: str, point: str, attempt: int = 1) -> Journal:
        self.tags = {"step": step, "point": point, "attempt": attempt}
        self.emit("point_started", **self.tags)
        return self

    def finish(self) -> Journal:
        self.emit("point_finished", **self.tags)
        self.tags = {}
        return self

    def load(self, *weights: str, add: bool = False, position: str = "centre",
             nominal_kg: float | None = None) -> Journal:
        nominal = sum(STANDARDS[w]["nominal"]["value"] for w in weights
                      if w in STANDARDS) / 1000
        self.emit("load", **self.tags, role="loader", weights=list(weights),
                  nominal=_q(nominal if nominal_kg is None else nominal_kg, "kg"),
                  position=position, add=add)
        return self

    def unload(self) -> Journal:
        self.emit("load", **self.tags, role="loader", weights=[], nominal=_q(0.0, "kg"),
                  position=None, add=False)
        return self

    def read(self, name: str, value: float | None, unit: str = "kg", *, stable: bool = True,
             overload: bool = False, **extra: Any) -> Journal:
        self.emit("reading", **self.tags, role="dut", name=name, value=value, unit=unit,
                  stable=stable, overload=overload, raw=f"S S {value} {unit}", **extra)
        return self

    def change_point(self, start: float, rises_after: int, *, pieces: list[str] | None = None,
                     name: str = "change_point", d: float = 0.005) -> Journal:
        """Read I = ``start``, add 0.5 g pieces; the indication rises by d after
        ``rises_after`` additions."""
        pieces = pieces or SMALL
        self.read(name, start, change_step=0)
        for k in range(1, rises_after + 1):
            self.load(pieces[k - 1], add=True)
            found = k == rises_after
            self.read(name, start + d if found else start, change_step=k,
                      **({"change_found": True} if found else {}))
        return self

    def weigh(self, step: str, point: str, weights: tuple[str, ...], value: float, *,
              attempt: int = 1, position: str = "centre") -> Journal:
        """A whole point: load, read the indication, finish."""
        self.start(step, point, attempt).load(*weights, position=position)
        return self.read("indication", value).finish()


def mass(*weights: str) -> float:
    """Conventional mass of the weights, in kg."""
    return sum(STANDARDS[w]["conventional_mass"]["value"] for w in weights) / 1000


def u_linear(*weights: str) -> float:
    """Standard uncertainty of the weights taken fully correlated, in kg."""
    return sum(STANDARDS[w]["u"]["value"] for w in weights) / 1e6
