"""``alarm_action_value``: the reading at which a gas detector's alarm switches on.

Per point the journal holds a series of the detector's readings named ``series_reading``
(``record_series`` after a step to a gas above the alarm set point); each reading
carries the detector's flag ``alarm`` while its alarm is on. The action value A is the
first reading with the flag; its error against the set point S (data plate ``alarm``)::

    E = A + dRes - S

- A: the reading at which the alarm came on (its noise: Type B from the readings'
  standard deviation before the step is not available here, so the resolution only);
- dRes: 0; rectangular, half-width resolution / 2.

Judged against +-``limit`` (a concentration in the detector's unit, or a fraction of
its range through the limits table's ``of: range``). A series in which the alarm never
came on fails, saying so.
"""

from __future__ import annotations

from typing import Any

from labctl.analysis.concentration.common import (
    COMMON_DEFAULTS,
    factor,
    finished,
    limit,
    option_or_plate,
    plate,
    point_result,
    readings,
    u_over_mpe_note,
)
from labctl.analysis.registry import AnalysisContext
from labctl.errors import ConfigError
from labctl.history import RunHistory
from labctl.results import PointResult, QuantityValue

#: The nominal column of an alarm point holds the alarm's set point
#: (``details["nominal_label"]``, as the result tables head it).
SET_POINT: dict[str, str] = {"nominal_label": "set point", "nominal_label_zh": "报警设定值"}

DEFAULTS: dict[str, Any] = {**COMMON_DEFAULTS, "limits_folder": "gas",
                            "series_reading": "alarm_series", "unit": "%LEL",
                            "resolution": None}


def alarm_action_value(history: RunHistory, context: AnalysisContext,
                       options: Any) -> list[PointResult]:
    from labctl.events import unit_text
    from labctl.uncertainty import Budget, Input, Specification
    from labctl.units import parse_unit

    unit = str(options["unit"])
    shown = unit_text(parse_unit(unit))
    set_point = plate(context, "alarm", unit, None)
    if set_point is None:
        raise ConfigError("alarm_action_value: the detector's data plate gives no alarm set "
                          "point", where=context.where.get("analysis"),
                          hint="give the detector's option alarm: (e.g. 25 %LEL)")
    resolution = option_or_plate(options, context, "resolution", unit)
    results: list[PointResult] = []
    for info, attempt in finished(history, context):
        series = [r for r in readings(attempt, str(options["series_reading"]),
                                      options["dut_role"]) if r.value is not None]
        if not series:
            continue
        mpe, source = limit(context, options, "alarm_action_value", unit)
        first = next((r for r in series if "alarm" in r.flags), None)
        if first is None:
            results.append(PointResult(
                test="alarm_action_value", step=info.step, point=info.point,
                nominal=QuantityValue.of(set_point, shown), indication=None, error=None,
                mpe=QuantityValue.of(mpe, shown), decision="fail", rule=options["rule"],
                notes=f"the alarm never came on ({len(series)} readings, highest "
                      f"{max(r.value * factor(r.unit, unit) for r in series):.4g} {shown})",
                details={"set_point": set_point, **SET_POINT}))
            continue
        value = first.value * factor(first.unit, unit)  # type: ignore[operator]
        inputs = {"A": Input.standard(value, 0.0, unit=unit, description="reading at the alarm"),
                  "S": Input.standard(set_point, 0.0, unit=unit, description="set point")}
        model = "A - S"
        if resolution:
            inputs["dRes"] = Input.resolution(0.0, resolution, unit=unit,
                                              description="resolution")
            model = "A + dRes - S"
        result = Budget(model, inputs, measurand=("E", unit),
                        specification=Specification(-mpe, mpe), rule=options["rule"]
                        ).evaluate()
        results.append(point_result(
            "alarm_action_value", info, result, unit=shown,
            nominal=QuantityValue.of(set_point, shown), indication=QuantityValue.of(value, shown),
            mpe=mpe, rule=options["rule"],
            notes=[f"alarm on at {value:.4g} {shown} (set point {set_point:g} {shown}); "
                   f"limit +-{mpe:.3g} {shown} from {source}",
                   u_over_mpe_note(result.expanded_uncertainty, mpe, shown)],
            details={"set_point": set_point, "action_value": value, **SET_POINT,
                     "elapsed_s": float(first.extras.get("elapsed", 0.0))}))
    return results
