"""``concentration_repeatability``: the relative standard deviation of the monitor's
readings named ``reading`` at each point (one level, n readings taken under the same
conditions), RSD = s / mean x 100 %, judged against ``limit`` (<=). The value decides
(the RSD is itself the dispersion; no budget), and the notes give n and s."""

from __future__ import annotations

from typing import Any

from labctl.analysis.concentration.common import (
    COMMON_DEFAULTS,
    LEVEL,
    RSD,
    finished,
    limit,
    mean_sd,
    reading_values,
)
from labctl.analysis.registry import AnalysisContext
from labctl.history import RunHistory
from labctl.results import PointResult, QuantityValue

DEFAULTS: dict[str, Any] = {**COMMON_DEFAULTS, "reading": "pm25", "unit": "ug/m^3",
                            "min_readings": 3}


def concentration_repeatability(history: RunHistory, context: AnalysisContext,
                                options: Any) -> list[PointResult]:
    from labctl.errors import ConfigError
    from labctl.events import unit_text
    from labctl.units import parse_unit

    unit = str(options["unit"])
    shown = unit_text(parse_unit(unit))
    results = []
    for info, attempt in finished(history, context):
        values = reading_values(attempt, str(options["reading"]), options["dut_role"], unit)
        if not values:
            continue
        if len(values) < int(options["min_readings"]):
            raise ConfigError(f"concentration_repeatability: point {info.point} has "
                              f"{len(values)} readings, fewer than {options['min_readings']}",
                              where=context.where.get("analysis"))
        mean, sd = mean_sd(values)
        rsd = 100.0 * sd / mean if mean else float("inf")
        mpe, source = limit(context, options, "concentration_repeatability", "percent")
        ok = rsd <= mpe
        results.append(PointResult(
            test="repeatability", step=info.step, point=info.point,
            nominal=QuantityValue.of(mean, shown), indication=QuantityValue.of(mean, shown),
            error=QuantityValue.of(rsd if rsd != float("inf") else 1e9, "%"),
            mpe=QuantityValue.of(mpe, "%"), decision="pass" if ok else "fail",
            rule="value (no uncertainty: the RSD is the dispersion itself)",
            notes=f"RSD of {len(values)} readings, s = {sd:.3g} {shown}; limit <= {mpe:g} % "
                  f"from {source}",
            details={"n": len(values), "mean": mean, "s": sd, "readings": values,
                     "unit": shown, **LEVEL, **RSD}))
    return results
