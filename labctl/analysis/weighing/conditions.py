"""Test conditions (OIML R 76-1:2006 A.4.1.2, JJG 539-2016): were the tests run at a
steady temperature and within the humidity the document allows?

The environment readings of the run (``environment`` events) between the start of the
first and the end of the last step the procedure names are checked against the data
file's ``test_conditions``:

- spread: the difference between the extreme temperatures noted during the test shall
  not exceed ``spread_fraction_of_range`` (1/5) of the instrument's temperature range
  (``temperature_range``, -10 to 40 degC when the instrument states none: R 76-1 3.9.2.2)
  and at most ``spread_max`` (5 degC);
- rate: the rate of change of the temperature shall not exceed ``rate_max`` (5 degC per
  hour), taken as the least-squares slope over every window of ``rate_window`` seconds
  (a slope between single readings would be the thermometer's noise);
- humidity: at most ``humidity_max`` (% RH).

One point, ``test_conditions``, with a pass/fail verdict (``verification_binary`` for a
verification) and every number in ``details``. A run without environment readings gets
no point: nothing was measured to decide on (the record's environment says so).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from labctl.errors import ConfigError
from labctl.results import PointResult

NAME = "test_conditions"
DEFAULTS: dict[str, Any] = {}


def _value(q: Any, unit: str) -> float | None:
    if not isinstance(q, Mapping) or q.get("value") is None:
        return None
    from labctl.analysis.weighing.plate import convert

    given = str(q.get("unit") or unit)
    if given in ("°C", "degC", "degree_Celsius") and unit == "degC":
        return float(q["value"])
    return convert(float(q["value"]), given, unit)


def _slope(ts: Sequence[float], ys: Sequence[float]) -> float:
    n = len(ts)
    mt, my = sum(ts) / n, sum(ys) / n
    sxx = sum((t - mt) ** 2 for t in ts)
    return 0.0 if sxx == 0 else sum((t - mt) * (y - my) for t, y in zip(ts, ys, strict=True)) / sxx


def max_rate(times: Sequence[float], temps: Sequence[float], window: float) -> float | None:
    """The largest |slope| (per hour) over the windows of ``window`` seconds; None when the
    readings span less than one window."""
    if len(times) < 2 or times[-1] - times[0] < window:
        return None
    best = 0.0
    j = 0
    for i in range(len(times)):
        while j < len(times) and times[j] - times[i] < window:
            j += 1
        if j >= len(times):
            break
        best = max(best, abs(_slope(times[i:j + 1], temps[i:j + 1])) * 3600.0)
    return best


def limits(table: Any) -> dict[str, float]:
    raw = (table.raw.get("test_conditions") or {}) if table is not None else {}
    if not raw:
        raise ConfigError(f"{table.document}: the data file gives no test_conditions",
                          hint="add test_conditions: {temperature_range: [-10, 40], ...}")
    low, high = raw["temperature_range"]
    span = float(high) - float(low)
    return {"spread": min(float(raw["spread_fraction_of_range"]) * span, float(raw["spread_max"])),
            "rate": float(raw["rate_max"]), "window": float(raw["rate_window"]),
            "humidity": float(raw["humidity_max"]), "range_low": float(low),
            "range_high": float(high)}


def test_conditions(events: Sequence[Mapping[str, Any]], steps: Sequence[str], table: Any,
                    *, verification: bool, rule: str) -> list[PointResult]:
    """The conditions point of the run's ``events`` over the span of ``steps``."""
    lim = limits(table)
    start = end = None
    for ev in events:
        if ev.get("type") == "step_started" and ev.get("step") in steps and start is None:
            start = float(ev["t"])
        if ev.get("type") == "step_finished" and ev.get("step") in steps:
            end = float(ev["t"])
    env = [ev for ev in events if ev.get("type") == "environment"
           and (start is None or float(ev["t"]) >= start)
           and (end is None or float(ev["t"]) <= end)]
    temps = [(float(ev["t"]), _value(ev.get("temperature"), "degC")) for ev in env]
    temps_ok = [(t, v) for t, v in temps if v is not None]
    hums = [v for v in (_value(ev.get("humidity"), "%") for ev in env) if v is not None]
    if not temps_ok and not hums:
        return []
    notes: list[str] = []
    failed: list[str] = []
    details: dict[str, Any] = {"samples": len(env), "limits": lim,
                               "reference": "OIML R 76-1:2006 A.4.1.2; JJG 539-2016"}
    if temps_ok:
        ts = [t for t, _ in temps_ok]
        vs = [v for _, v in temps_ok]
        spread = max(vs) - min(vs)
        rate = max_rate(ts, vs, lim["window"])
        details.update({"temperature_min": min(vs), "temperature_max": max(vs),
                        "temperature_spread": spread, "max_rate_per_hour": rate})
        notes.append(f"temperature {min(vs):.2f} to {max(vs):.2f} degC: spread {spread:.2f} "
                     f"degC (limit {lim['spread']:g} degC: 1/5 of the instrument's range "
                     f"{lim['range_low']:g} to {lim['range_high']:g} degC, at most 5 degC)")
        if spread > lim["spread"]:
            failed.append(f"the temperature spread {spread:.2f} degC exceeds "
                          f"{lim['spread']:g} degC (R 76-1 A.4.1.2)")
        if rate is not None:
            notes.append(f"largest rate {rate:.2f} degC/h over {lim['window']:g} s windows "
                         f"(limit {lim['rate']:g} degC/h)")
            if rate > lim["rate"]:
                failed.append(f"the temperature changed by {rate:.2f} degC/h, more than "
                              f"{lim['rate']:g} degC/h (R 76-1 A.4.1.2)")
        else:
            notes.append("the readings span less than one rate window: the rate is not shown")
    if hums:
        details["humidity_max"] = max(hums)
        notes.append(f"humidity at most {max(hums):.1f} % (limit {lim['humidity']:g} %)")
        if max(hums) > lim["humidity"]:
            failed.append(f"the humidity reached {max(hums):.1f} %, above "
                          f"{lim['humidity']:g} %")
    details["violations"] = failed
    decision = "fail" if failed else "pass"
    notes.append("conditions " + ("not met: " + "; ".join(failed) if failed else "met"))
    first = steps[0] if steps else ""
    return [PointResult(test=NAME, step=first, point=NAME, decision=decision,  # type: ignore[arg-type]
                        rule="verification_binary" if verification else rule,
                        notes="; ".join(notes), details=details)]
