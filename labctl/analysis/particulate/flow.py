"""``sampling_flow``: the flow tests of HJ 655-2013 6.2.3 from a series of reference
flowmeter readings on the monitor's inlet (``reference_reading``, role
``reference_role``) and the monitor's own flow indications (``reading``, role
``dut_role``) over the same period. Three points per step point:

- ``flow_deviation``: mean flow deviation dQR = (QR - Qs) / Qs, Qs the monitor's set
  (nominal) flow (data plate ``flow_nominal``); budget: QR (Type A of the reference
  readings), the flowmeter's calibration (its certificate for ``flow``: U / k, relative or
  in L/min);
- ``flow_rsd``: flow relative standard deviation CVR = s(QRi) / QR (the value decides);
- ``flow_indication_error``: (QC - QR) / QR, the monitor's flow indication against the
  reference (labctl's sign: indication minus reference; HJ 655-2013 writes
  Qdiff = (QR - QC) / QR, the opposite sign, with the same limit +-); budget: QC and QR
  (Type A), the flowmeter's calibration.

Limits: ``flow_deviation``, ``flow_rsd``, ``flow_indication_error`` options (%), else the
limits table's ``sampling_flow`` entry.
"""

from __future__ import annotations

from typing import Any

from labctl.analysis.concentration.common import (
    COMMON_DEFAULTS,
    REFERENCE_VALUE,
    RSD,
    finished,
    limit,
    mean_sd,
    option_or_plate,
    point_result,
    reading_values,
    reference_certificate,
    relative_certificate,
    u_over_mpe_note,
)
from labctl.analysis.registry import AnalysisContext
from labctl.errors import ConfigError
from labctl.history import RunHistory
from labctl.results import PointResult, QuantityValue

DEFAULTS: dict[str, Any] = {
    **COMMON_DEFAULTS, "reading": "flow_indication", "reference_reading": "flow_reference",
    "reference_role": "flowmeter", "flow_deviation": None, "flow_rsd": None,
    "flow_indication_error": None, "flow_nominal": None,
}
UNIT = "L/min"


def sampling_flow(history: RunHistory, context: AnalysisContext,
                  options: Any) -> list[PointResult]:
    from labctl.events import unit_text
    from labctl.uncertainty import Budget, Input, Specification
    from labctl.units import parse_unit

    shown = unit_text(parse_unit(UNIT))
    nominal = option_or_plate(options, context, "flow_nominal", UNIT)
    results: list[PointResult] = []
    for info, attempt in finished(history, context):
        ref = reading_values(attempt, str(options["reference_reading"]),
                             options["reference_role"], UNIT)
        dut = reading_values(attempt, str(options["reading"]), options["dut_role"], UNIT)
        if not ref:
            continue
        if nominal is None:
            raise ConfigError("sampling_flow: the monitor's nominal flow is unknown",
                              where=context.where.get("analysis"),
                              hint="give the monitor's data plate flow_nominal (e.g. "
                                   "16.67 L/min) or the option flow_nominal")
        qr, sr = mean_sd(ref)
        cert = reference_certificate(history, context, options["reference_role"], "flow")
        corr, U_rel, k = relative_certificate(cert, qr, UNIT)
        cal = Input.expanded(corr, U_rel, k=k,
                             description=f"flowmeter calibration ({cert['certificate']})")
        details = {"reference_mean": qr, "reference_sd": sr, "n_reference": len(ref),
                   "nominal": nominal, "unit": shown, "reference": cert["id"]}

        dev_limit, source = limit(context, options, "sampling_flow", "percent", "flow_deviation")
        result = Budget("QR * (1 + dCal) / Qs - 1", {
            "QR": Input.samples(ref, unit=UNIT, description="mean reference flow"),
            "dCal": cal, "Qs": Input.standard(nominal, 0.0, unit=UNIT,
                                              description="set flow of the monitor")},
            measurand=("dQR", "%"), specification=Specification(-dev_limit, dev_limit),
            rule=options["rule"]).evaluate()
        results.append(point_result(
            "flow_deviation", info, result, unit="%", nominal=QuantityValue.of(nominal, shown),
            indication=QuantityValue.of(qr, shown), mpe=dev_limit, rule=options["rule"],
            notes=[f"mean flow deviation (QR - Qs)/Qs; limit +-{dev_limit:g} % from {source}",
                   u_over_mpe_note(result.expanded_uncertainty, dev_limit, "%")],
            details=details))

        rsd_limit, source = limit(context, options, "sampling_flow", "percent", "flow_rsd")
        rsd = 100.0 * sr / qr if qr else 0.0
        results.append(PointResult(
            test="flow_rsd", step=info.step, point=info.point,
            nominal=QuantityValue.of(qr, shown), indication=QuantityValue.of(qr, shown),
            error=QuantityValue.of(rsd, "%"), mpe=QuantityValue.of(rsd_limit, "%"),
            decision="pass" if rsd <= rsd_limit else "fail",
            rule="value (no uncertainty: the RSD is the dispersion itself)",
            notes=f"flow RSD s(QRi)/QR of {len(ref)} readings; limit <= {rsd_limit:g} % "
                  f"from {source}", details={**details, **REFERENCE_VALUE, **RSD}))

        if not dut:
            continue
        qc, sc = mean_sd(dut)
        ind_limit, source = limit(context, options, "sampling_flow", "percent",
                                  "flow_indication_error")
        result = Budget("QC / (QR * (1 + dCal)) - 1", {
            "QC": Input.samples(dut, unit=UNIT, description="mean flow indication"),
            "QR": Input.samples(ref, unit=UNIT, description="mean reference flow"),
            "dCal": cal}, measurand=("Qdiff", "%"),
            specification=Specification(-ind_limit, ind_limit),
            rule=options["rule"]).evaluate()
        results.append(point_result(
            "flow_indication_error", info, result, unit="%",
            nominal=QuantityValue.of(qr, shown), indication=QuantityValue.of(qc, shown),
            mpe=ind_limit, rule=options["rule"],
            notes=[f"(QC - QR)/QR (HJ 655-2013 writes (QR - QC)/QR); limit +-{ind_limit:g} % "
                   f"from {source}",
                   u_over_mpe_note(result.expanded_uncertainty, ind_limit, "%")],
            details={**details, **REFERENCE_VALUE, "indication_mean": qc, "indication_sd": sc,
                     "n_indication": len(dut)}))
    return results
