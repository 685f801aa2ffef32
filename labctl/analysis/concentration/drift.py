"""``concentration_drift``: zero or span drift, the change of the monitor's mean reading
named ``reading`` from the first measured point of the analysis's steps to the last
(e.g. a zero step at the start and one at the end of the run)::

    D = (Z_last + dRes_last) - (Z_first + dRes_first)     (``relative: false``)
    D = (Z_last + dRes_last) / (Z_first + dRes_first) - 1  (``relative: true``, in %: span)

each mean with its Type A uncertainty, each reading's resolution rectangular (r / 2).
Judged against +-``limit`` (a concentration, or a % for a span drift). The result
(``zero_drift`` or ``span_drift``, or the option ``test``: e.g. ``span_drift`` for an
absolute span drift) is reported at the last point, with the time between
the two in ``details``."""

from __future__ import annotations

from typing import Any

from labctl.analysis.concentration.common import (
    COMMON_DEFAULTS,
    DRIFT,
    INITIAL_VALUE,
    finished,
    limit,
    option_or_plate,
    point_result,
    readings,
    u_over_mpe_note,
    values_of,
)
from labctl.analysis.registry import AnalysisContext
from labctl.history import RunHistory
from labctl.results import PointResult, QuantityValue

DEFAULTS: dict[str, Any] = {**COMMON_DEFAULTS, "reading": "zero", "unit": "ug/m^3",
                            "relative": False, "resolution": None, "test": None}


def concentration_drift(history: RunHistory, context: AnalysisContext,
                        options: Any) -> list[PointResult]:
    from labctl.events import unit_text
    from labctl.uncertainty import Budget, Input, Specification
    from labctl.units import parse_unit

    unit = str(options["unit"])
    shown = unit_text(parse_unit(unit))
    relative = bool(options["relative"])
    resolution = option_or_plate(options, context, "resolution", unit)
    measured = []
    for info, attempt in finished(history, context):
        found = readings(attempt, str(options["reading"]), options["dut_role"])
        values = values_of(found, unit)
        if values:
            measured.append((info, values, found[-1].t))
    if len(measured) < 2:
        return []
    (first_info, first, t0), (info, last, t1) = measured[0], measured[-1]
    out_unit = "%" if relative else shown
    mpe, source = limit(context, options, "concentration_drift",
                        "percent" if relative else unit)
    inputs = {"Z1": Input.samples(first, unit=unit, description=f"mean at {first_info.point}"),
              "Z2": Input.samples(last, unit=unit, description=f"mean at {info.point}")}
    if resolution:
        inputs["dR1"] = Input.resolution(0.0, resolution, unit=unit, description="resolution")
        inputs["dR2"] = Input.resolution(0.0, resolution, unit=unit, description="resolution")
        model = "(Z2 + dR2) / (Z1 + dR1) - 1" if relative else "(Z2 + dR2) - (Z1 + dR1)"
    else:
        model = "Z2 / Z1 - 1" if relative else "Z2 - Z1"
    result = Budget(model, inputs, measurand=("D", "%" if relative else unit),
                    specification=Specification(-mpe, mpe), rule=options["rule"]).evaluate()
    test = str(options["test"] or ("span_drift" if relative else "zero_drift"))
    return [point_result(
        test, info, result, unit=out_unit,
        nominal=QuantityValue.of(sum(first) / len(first), shown),
        indication=QuantityValue.of(sum(last) / len(last), shown), mpe=mpe,
        rule=options["rule"],
        notes=[f"{test.replace('_', ' ')} from {first_info.point} to {info.point} "
               f"({(t1 - t0) / 60:.0f} min); limit +-{mpe:g} {out_unit} from {source}",
               u_over_mpe_note(result.expanded_uncertainty, mpe, out_unit)],
        details={"from": first_info.point, "to": info.point, "elapsed_s": t1 - t0,
                 "unit": shown, **INITIAL_VALUE, **DRIFT})]
