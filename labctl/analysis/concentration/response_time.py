"""``response_time``: T90 of a monitor from a step at its inlet (a zero filter taken off
the inlet of a monitor in a stable chamber, or a step of the source).

Per point the journal holds the readings named ``start_reading`` (before the step: C0),
the series named ``series_reading`` (``record_series``: each sample with ``elapsed``, the
seconds since the step) and ``end_reading`` (after it: Cf). The response time is the
elapsed time at which the series first reaches ``L = C0 + 0.9 (Cf - C0)`` (a fall works
the same way), linearly interpolated between the two samples around it::

    T90 = t_c + dT_grid + dT_level + dT_timing

- t_c: the interpolated crossing (its uncertainty is in the three below);
- dT_grid: 0; the sampling of the series, rectangular, half-width interval / 2;
- dT_level: 0; the noise of the level and of the two samples through the slope at the
  crossing, u = sqrt(u(L)^2 + s^2) / slope, s the standard deviation of the readings of
  Cf, u(L) from s / sqrt(n) of C0 and Cf;
- dT_timing: 0; when the step happened against the monitor's own update, rectangular,
  half-width ``timing``.

With ``smooth: N`` (an odd number of samples, default 1: none) the series is first
smoothed by a centred moving mean of N samples, so a noisy series does not cross the
level early on a noise spike (a first-passage bias towards short T90s) and the slope at
the crossing is not that of two noisy neighbours; the noise of the level term is then
that of a mean of N (s^2 / N).

Judged against ``limit`` (<=, a time). With ``mean: true`` (a regulation that judges the
mean of repeated steps, e.g. JJG 693-2011: three) the result is one point at the last
step, ``T90 = (T_1 + ... + T_n) / n`` with each T_i's standard uncertainty from its own
budget (the trials independent), the trials' values in its details; a trial that never
reached the level is reported as its own failing point instead.
"""

from __future__ import annotations

import math
from typing import Any

from labctl.analysis.concentration.common import (
    COMMON_DEFAULTS,
    T90,
    factor,
    finished,
    limit,
    mean_sd,
    point_result,
    reading_values,
    readings,
)
from labctl.analysis.registry import AnalysisContext
from labctl.history import RunHistory
from labctl.results import PointResult, QuantityValue

DEFAULTS: dict[str, Any] = {**COMMON_DEFAULTS, "series_reading": "response",
                            "start_reading": "response_start", "end_reading": "response_end",
                            "unit": "ug/m^3", "timing": "1 s", "fraction": 0.9,
                            "smooth": 1, "mean": False}


def response_time(history: RunHistory, context: AnalysisContext,
                  options: Any) -> list[PointResult]:
    from labctl.analysis.concentration.common import q
    from labctl.uncertainty import Budget, Input, Specification
    unit = str(options["unit"])
    role = options["dut_role"]
    timing = float(q(options["timing"]).m_as("s"))
    fraction = float(options["fraction"])
    results = []
    for info, attempt in finished(history, context):
        series = [r for r in readings(attempt, str(options["series_reading"]), role)
                  if r.value is not None]
        if not series:
            continue
        start = reading_values(attempt, str(options["start_reading"]), role, unit)
        end = reading_values(attempt, str(options["end_reading"]), role, unit)
        if not start or not end:
            from labctl.errors import ConfigError

            raise ConfigError(f"response_time: point {info.point} needs readings named "
                              f"{options['start_reading']!r} and {options['end_reading']!r} "
                              "around the series", where=context.where.get("analysis"))
        c0, s0 = mean_sd(start)
        cf, sf = mean_sd(end)
        level = c0 + fraction * (cf - c0)
        rising = cf >= c0
        pts = sorted((float(r.extras.get("elapsed", 0.0)), r.value * factor(r.unit, unit))
                     for r in series)
        smooth = int(options["smooth"])
        if smooth > 1:
            pts = _smoothed(pts, smooth)
        mpe, source = limit(context, options, "response_time", "s")
        crossing = None
        for (t1, v1), (t2, v2) in zip(pts, pts[1:], strict=False):
            reached = v2 >= level if rising else v2 <= level
            if reached:
                slope = (v2 - v1) / (t2 - t1) if t2 > t1 else 0.0
                if slope and (v1 < level if rising else v1 > level):
                    crossing = (t1 + (level - v1) / slope, abs(slope), t2 - t1)
                else:
                    crossing = (t2, abs(slope), t2 - t1)
                break
        if crossing is None or crossing[1] == 0:
            results.append(PointResult(
                test="response_time", step=info.step, point=info.point,
                nominal=None, indication=None, error=None, mpe=QuantityValue.of(mpe, "s"),
                decision="fail", rule=options["rule"],
                notes=f"the series never reached {fraction:.0%} of the step "
                      f"({c0:.4g} -> {cf:.4g} {unit}) within "
                      f"{pts[-1][0]:g} s", details={"c0": c0, "cf": cf}))
            continue
        t_c, slope, interval = crossing
        n0, nf = len(start), len(end)
        u_level = math.sqrt(((1 - fraction) * s0) ** 2 / n0 + (fraction * sf) ** 2 / nf
                            + sf ** 2 / max(smooth, 1))
        inputs = {
            "t_c": Input.standard(t_c, 0.0, unit="s", description="interpolated crossing"),
            "dT_grid": Input.rectangular(0.0, interval / 2, unit="s",
                                         description="sampling of the series"),
            "dT_level": Input.standard(0.0, u_level / slope, unit="s",
                                       description="noise at the crossing / slope"),
        }
        model = "t_c + dT_grid + dT_level"
        if timing:
            inputs["dT_timing"] = Input.rectangular(0.0, timing, unit="s",
                                                    description="timing of the step")
            model += " + dT_timing"
        result = Budget(model, inputs, measurand=("T90", "s"),
                        specification=Specification(None, mpe), rule=options["rule"]).evaluate()
        results.append(point_result(
            "response_time", info, result, unit="s", nominal=None, indication=None, mpe=mpe,
            rule=options["rule"],
            notes=[f"T{fraction * 100:.0f}: {c0:.4g} -> {cf:.4g} {unit}, level {level:.4g}; "
                   f"limit <= {mpe:g} s from {source}"],
            details={"c0": c0, "cf": cf, "level": level, "slope_per_s": slope,
                     "interval_s": interval, "samples": len(pts), **T90}))
    if options["mean"] and len(results) > 1 and all(r.error is not None for r in results):
        return [_mean_of(results, options, Budget, Input, Specification)]
    return results


def _mean_of(trials: list[PointResult], options: Any, budget: Any, input_: Any,
             specification: Any) -> PointResult:
    """One point: the mean of the trials' T90, each with its own standard uncertainty."""
    inputs = {}
    for i, trial in enumerate(trials, 1):
        u = trial.expanded_uncertainty.value / (trial.coverage_factor or 2.0)  # type: ignore[union-attr]
        inputs[f"T{i}"] = input_.standard(trial.error.value, u, unit="s",  # type: ignore[union-attr]
                                          description=f"T90 of {trial.point}")
    model = f"({' + '.join(inputs)}) / {len(inputs)}"
    mpe = trials[-1].mpe.value  # type: ignore[union-attr]
    result = budget(model, inputs, measurand=("T90", "s"),
                    specification=specification(None, mpe), rule=options["rule"]).evaluate()
    last = trials[-1]
    values = [t.error.value for t in trials]  # type: ignore[union-attr]

    class _Info:
        step, point = last.step, last.point

    source = last.notes.rsplit(" from ", 1)[-1] if " from " in last.notes else ""
    return point_result(
        "response_time", _Info, result, unit="s", nominal=None, indication=None, mpe=mpe,
        rule=options["rule"],
        notes=[f"mean of {len(values)} steps: "
               + ", ".join(f"{v:.1f} s" for v in values)
               + f"; limit <= {mpe:g} s" + (f" from {source}" if source else "")],
        details={"trials": [{"point": t.point, "t90_s": t.error.value,  # type: ignore[union-attr]
                             "U_s": t.expanded_uncertainty.value}  # type: ignore[union-attr]
                            for t in trials], **T90})


def _smoothed(pts: list[tuple[float, float]], n: int) -> list[tuple[float, float]]:
    """A centred moving mean of ``n`` samples (fewer at the ends)."""
    half = n // 2
    values = [v for _, v in pts]
    out = []
    for i, (t, _) in enumerate(pts):
        window = values[max(0, i - half):i + half + 1]
        out.append((t, sum(window) / len(window)))
    return out
