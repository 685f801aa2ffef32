"""Coverage: the expanded uncertainty covers the simulator's true error as often as it
claims, on the shipped bench as shipped (its noise, its settling) over many seeds.

The truth comes from the simulated scale itself: each time it indicates, a spy notes
the error it would show with the load settled and without noise (its offset, gain,
eccentricity, the zero point and the tare it holds, against the weights' true masses on
the receptor). A point's true error is that at the start reading of its change-point
search; the corrected error Ec = E - E0 (E - E0t after a tare) is the difference of two
such truths. Issue 7, item 1: at least 93 % of the weighing, eccentricity and
zero-setting points inside U overall, no test point below 80 %.
"""

from __future__ import annotations

import bisect
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from e2e_support import PROCEDURE, SHIPPED_BENCH, registry_url

from labctl.calibration import CalibrationRequest, calibrate
from labctl.sim.weighing.scale_model import ScaleModel

SEEDS = tuple(range(1, 21))  # the issue asks at least 20
TESTS = ("zero_setting", "weighing_error", "eccentricity")


class TruthSpy:
    """Wraps ``ScaleModel.indicate``: (time, settled noiseless error) at every reading."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.errors: list[float] = []
        self.masses: list[dict[str, float]] = []  # true masses on the receptor

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        original = ScaleModel.indicate
        spy = self

        def indicate(model: ScaleModel, t: float | None = None) -> Any:
            result = original(model, t)
            spy.record(model, result.time)
            return result

        monkeypatch.setattr(ScaleModel, "indicate", indicate)

    def record(self, model: ScaleModel, t: float) -> None:
        p = model.p
        step = model.platform.state(t)
        x = model._effective(step)
        value = p.offset + p.zero_drift * (t - model.t0) / 3600.0 + x * (1.0 + p.gain)
        if p.nonlinearity:
            value += p.nonlinearity * x * x / p.max
        if p.creep:
            value += p.creep * x
        net = value - model.zero_point - model.tare
        self.times.append(t)
        self.errors.append(net - step.mass_kg * model.kg_to_unit)
        self.masses.append({w: m * model.kg_to_unit for w, m in step.weights.items()})

    def at(self, t: float, tare_weights: tuple[str, ...] = ()) -> float:
        """The true error at ``t``; after a tare, of the net load (the tare weights'
        true masses are not part of it)."""
        i = bisect.bisect_right(self.times, t + 1e-9) - 1
        assert i >= 0, f"no indication before t = {t}"
        return self.errors[i] + sum(self.masses[i][w] for w in tare_weights)


def run_seed(folder: Path, seed: int, monkeypatch: pytest.MonkeyPatch
             ) -> list[tuple[str, str, float, float, float]]:
    """(test, point, reported error, U, true error) of every decided point of one run."""
    spy = TruthSpy()
    with monkeypatch.context() as m:
        spy.install(m)
        result = calibrate(CalibrationRequest(
            PROCEDURE, SHIPPED_BENCH, registry=registry_url(folder), seed=seed,
            runs_dir=folder / "runs"))
    assert result.virtual_clock
    times = {}
    for line in result.journal_path.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event["type"] == "reading":
            times[event["seq"]] = event["t"]

    points = {(p.test, p.point): p for p in result.points}

    def truth_of(point: Any) -> float:
        tare = points[("tare", point.point)].details["tare_weights"] \
            if point.test in ("tare", "tare_setting") else ()
        return spy.at(times[point.details["change_point"]["start_seq"]], tuple(tare))

    zero = points[("zero_setting", "zero_setting/01")]
    out = []
    for p in result.points:
        if p.error is None or "change_point" not in p.details:
            continue
        truth = truth_of(p)
        if p.test in ("weighing_error", "eccentricity"):
            truth -= truth_of(zero)
        elif p.test == "tare":
            truth -= truth_of(points[("tare_setting", p.point)])
        out.append((p.test, p.point, p.error.value, p.expanded_uncertainty.value, truth))
    return out


@pytest.mark.timeout(900)  # 20 whole runs: about 3 s each alone, far more on a busy CI
def test_u_covers_the_true_error_on_the_shipped_bench(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:
    inside: dict[str, list[bool]] = defaultdict(list)
    for seed in SEEDS:
        for test, point, error, big_u, truth in run_seed(tmp_path / f"s{seed}", seed,
                                                         monkeypatch):
            inside[f"{test}:{point}"].append(abs(error - truth) <= big_u)
    decided = {k: v for k, v in inside.items() if k.split(":")[0] in TESTS}
    total = [x for v in decided.values() for x in v]
    rate = sum(total) / len(total)
    worst = min(decided, key=lambda k: sum(decided[k]) / len(decided[k]))
    worst_rate = sum(decided[worst]) / len(decided[worst])
    assert len(decided) == 15  # 1 zero, 9 weighing, 5 eccentricity
    assert rate >= 0.93, f"{rate:.1%} of the points inside U"
    assert worst_rate >= 0.80, f"{worst}: {worst_rate:.1%} inside U"
    # the tare points (Ec = E - E0t) and the net zeros themselves
    others = [x for k, v in inside.items() if k.split(":")[0] not in TESTS for x in v]
    assert sum(others) / len(others) >= 0.93


def test_every_search_reading_waits_the_settling_time(tmp_path: Path) -> None:
    """Issue 7, item 1: each change-point and discrimination reading comes at least the
    procedure's settling time (10 s) after the last load change; a reading the scale
    calls stable 0.5 s after a 0.5 g piece landed still carries 0.18 g of it."""
    result = calibrate(CalibrationRequest(PROCEDURE, SHIPPED_BENCH, seed=3,
                                          registry=registry_url(tmp_path),
                                          runs_dir=tmp_path / "runs"))
    last_load = None
    gaps = []
    for line in result.journal_path.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event["type"] == "load":
            last_load = event["t"]
        elif event["type"] == "reading" and (
                event["name"] in ("change_point", "tare_zero")
                or event["name"].startswith("discrimination")):
            assert last_load is not None
            gaps.append(event["t"] - last_load)
    assert len(gaps) > 100
    assert min(gaps) >= 10.0


def test_decreasing_loads_are_reached_by_taking_weights_off(tmp_path: Path) -> None:
    """Issue 7, item 5 (R 76-1 A.4.4.1): from Max down to Min the weighing test takes
    weights off, and the receptor is never empty between the increasing and decreasing
    points; the discrimination takes single pieces off the same way."""
    result = calibrate(CalibrationRequest(PROCEDURE, SHIPPED_BENCH, seed=5,
                                          registry=registry_url(tmp_path),
                                          runs_dir=tmp_path / "runs"))
    events = [json.loads(line) for line in
              result.journal_path.read_text(encoding="utf-8").splitlines()]
    weighing = [e for e in events if e.get("step") == "weighing" and e["type"] == "load"
                and e.get("point")]
    emptied = [e["point"] for e in weighing if not e["add"] and not e["weights"]]
    assert emptied == []  # no unload from weighing/01 to weighing/09
    down = {e["point"] for e in weighing if e.get("removed")
            and e["point"] in ("weighing/06", "weighing/07", "weighing/08", "weighing/09")}
    assert down == {"weighing/06", "weighing/07", "weighing/08", "weighing/09"}
    points = {p.point: p for p in result.points if p.test == "weighing_error"}
    assert [points[f"weighing/{i:02d}"].details["direction"] for i in range(1, 10)] == \
        ["up"] * 5 + ["down"] * 4
    discrimination = [e for e in events if e.get("step") == "discrimination"
                      and e["type"] == "load" and e.get("removed")]
    assert discrimination and all(len(e["removed"]) == 1 for e in discrimination)
