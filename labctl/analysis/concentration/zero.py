"""``concentration_zero``: the monitor's reading of zero air (a HEPA zero filter on its
inlet), Z = mean + dRes, with Type A (s / sqrt(n)) and the resolution (rectangular,
r / 2), judged against +-``limit`` (a concentration)."""

from __future__ import annotations

from typing import Any

from labctl.analysis.concentration.common import (
    COMMON_DEFAULTS,
    finished,
    limit,
    option_or_plate,
    point_result,
    reading_values,
    u_over_mpe_note,
)
from labctl.analysis.registry import AnalysisContext
from labctl.history import RunHistory
from labctl.results import PointResult, QuantityValue

DEFAULTS: dict[str, Any] = {**COMMON_DEFAULTS, "reading": "zero", "unit": "ug/m^3",
                            "resolution": None}


def concentration_zero(history: RunHistory, context: AnalysisContext,
                       options: Any) -> list[PointResult]:
    from labctl.events import unit_text
    from labctl.uncertainty import Budget, Input, Specification
    from labctl.units import parse_unit

    unit = str(options["unit"])
    shown = unit_text(parse_unit(unit))
    resolution = option_or_plate(options, context, "resolution", unit)
    results = []
    for info, attempt in finished(history, context):
        values = reading_values(attempt, str(options["reading"]), options["dut_role"], unit)
        if not values:
            continue
        mpe, source = limit(context, options, "concentration_zero", unit)
        inputs = {"Z": Input.samples(values, unit=unit, description="mean zero reading")}
        model = "Z"
        if resolution:
            inputs["dRes"] = Input.resolution(0.0, resolution, unit=unit,
                                              description="resolution of the monitor")
            model = "Z + dRes"
        result = Budget(model, inputs, measurand=("Z", unit),
                        specification=Specification(-mpe, mpe), rule=options["rule"]).evaluate()
        results.append(point_result(
            "zero", info, result, unit=shown, nominal=QuantityValue.of(0.0, shown),
            indication=QuantityValue.of(result.value, shown), mpe=mpe, rule=options["rule"],
            notes=[f"limit +-{mpe:g} {shown} from {source}",
                   u_over_mpe_note(result.expanded_uncertainty, mpe, shown)],
            details={"n": len(values), "readings": values, "unit": shown}))
    return results
