"""``gas_indication_error``: the fiducial indication error of a gas analyzer (in % of its
full scale) against the concentration a dilution calibrator makes from a certified
cylinder, at each point::

    E = 100 (C_dut + dRes - K c0 Qs / (Qs + Qd)) / FS          (in %FS)

- C_dut: mean of the analyzer's readings named ``reading``; Type A, s / sqrt(n);
- dRes: 0; the analyzer's resolution (data plate ``resolution``), rectangular, r / 2;
- c0: the cylinder's certified amount fraction, U / k (register ``cylinders``);
- Qs, Qd: the means of the calibrator's flow readings ``source_flow`` and
  ``dilution_flow``, with the relative U / k of the calibrator's register certificate
  for those quantities (the dilution model of ``labctl.analysis.gas.dilution``);
- K: the conversion from amount fraction to the analyzer's unit: 1 for umol/mol or
  %vol, 1 / LEL for %LEL (the cylinder's ``lel``; no LEL, no conversion: refused);
- FS: the analyzer's full scale (data plate ``range``).

A point with no source flow is a zero-gas point (the reference is 0). The limit
(+-, in %FS) comes from the ``limit`` option or the procedure's limits table.

With ``mode: either`` (JJG 915-2008: +-5 umol/mol or +-10 %, whichever is larger) the
error is absolute, in the analyzer's unit, ``E = C_dut + dRes - K c0 Qs / (Qs + Qd)``,
and the MPE at each point is the larger of the table's (or options') ``absolute`` (a
concentration) and ``relative`` (a percentage of the reference).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labctl.analysis.concentration.common import (
    COMMON_DEFAULTS,
    REFERENCE_VALUE,
    finished,
    limit,
    mean_sd,
    option_or_plate,
    point_result,
    reading_values,
    reference_certificate,
    u_over_mpe_note,
)
from labctl.analysis.registry import AnalysisContext
from labctl.errors import ConfigError
from labctl.history import RunHistory
from labctl.results import PointResult, QuantityValue

DEFAULTS: dict[str, Any] = {
    **COMMON_DEFAULTS, "limits_folder": "gas", "reading": "concentration",
    "calibrator_role": "calibrator", "source_flow": "source_flow",
    "dilution_flow": "dilution_flow", "unit": "%LEL", "resolution": None,
    "full_scale": None, "cylinder": None, "mode": "fiducial", "absolute": None,
    "relative": None,
}


def _cylinder(context: AnalysisContext, options: Any,
              history: RunHistory | None = None) -> Mapping[str, Any]:
    """The cylinder diluted: the option ``cylinder``, else the one the calibrator's set
    points journalled (``standards`` of its ``set`` events), else the run's one."""
    from labctl.register.gas import cylinder_records

    found = cylinder_records(context.standards)
    if options["cylinder"]:
        found = [c for c in found if c.get("id") == options["cylinder"]]
    elif len(found) > 1 and history is not None:
        named = {str(x) for e in history.events if e.get("type") == "set"
                 and e.get("role") == options["calibrator_role"]
                 for x in e.get("standards") or ()}
        found = [c for c in found if c.get("id") in named] or found
    if len(found) != 1:
        raise ConfigError(f"gas_indication_error: {len(found) or 'no'} cylinders among the "
                          "run's standards", where=context.where.get("analysis"),
                          hint="list one cylinder in the bench's standards, or name it in "
                               "the analysis's option cylinder: <id>")
    return found[0]


def _relative_u(cert: Mapping[str, Any], level: float, unit: str) -> float:
    """The certificate's relative standard uncertainty at ``level`` (a table of points
    interpolated there, ``labctl.analysis.concentration.common.relative_certificate``)."""
    from labctl.analysis.concentration.common import relative_certificate

    _, U_rel, k = relative_certificate(cert, level, unit)
    return U_rel / k


def gas_indication_error(history: RunHistory, context: AnalysisContext,
                         options: Any) -> list[PointResult]:
    from labctl.analysis.concentration.common import q
    from labctl.events import unit_text
    from labctl.uncertainty import Budget, Input, Specification
    from labctl.units import Q_, parse_unit

    unit = str(options["unit"])
    shown = unit_text(parse_unit(unit))
    name = str(options["reading"])
    cal_role = str(options["calibrator_role"])
    either = str(options["mode"]) == "either"
    if str(options["mode"]) not in ("fiducial", "either"):
        raise ConfigError(f"gas_indication_error: mode {options['mode']!r}: fiducial or either",
                          where=context.where.get("options"))
    fs = option_or_plate(options, context, "full_scale", unit, "range")
    if either:
        fs = fs or 1.0
    if not fs:
        raise ConfigError("gas_indication_error: no full scale: the analyzer's data plate "
                          "gives no range", where=context.where.get("analysis"),
                          hint="give the analyzer's range (e.g. range: 100 %LEL) in its options")
    resolution = option_or_plate(options, context, "resolution", unit)
    cyl = _cylinder(context, options, history)
    c0 = float(q(cyl["value"]).m_as(""))
    U_c0 = float(q(cyl["U"]).m_as(""))
    lel = q(cyl["lel"]).m_as("") if cyl.get("lel") else None
    target = parse_unit(unit)
    if target.dimensionality == parse_unit("LEL").dimensionality:
        if lel is None:
            raise ConfigError(f"gas_indication_error: the analyzer reads {shown} but cylinder "
                              f"{cyl['id']} gives no LEL to convert its amount fraction",
                              where=context.where.get("analysis"),
                              hint="add lel: to the cylinder's register entry")
        K = float(Q_(1.0 / lel, "LEL").m_as(target))
    else:
        K = float(Q_(1.0, "").m_as(target))
    results: list[PointResult] = []
    for info, attempt in finished(history, context):
        dut = reading_values(attempt, name, options["dut_role"], unit)
        if not dut:
            continue
        qs_values = reading_values(attempt, str(options["source_flow"]), cal_role, "L/min")
        qd_values = reading_values(attempt, str(options["dilution_flow"]), cal_role, "L/min")
        if not qs_values or not qd_values:
            raise ConfigError(f"gas_indication_error: point {info.point} has no calibrator "
                              f"flow readings ({options['source_flow']}, "
                              f"{options['dilution_flow']}) of role {cal_role!r}",
                              where=context.where.get("analysis"),
                              hint="read the calibrator's flows at each point")
        qs, _ = mean_sd(qs_values)
        qd, _ = mean_sd(qd_values)
        dut_mean, dut_sd = mean_sd(dut)
        if either:
            absolute, source = limit(context, options, "gas_indication_error", unit,
                                     key="absolute")
            relative, _ = limit(context, options, "gas_indication_error", "percent",
                                key="relative")
        else:
            mpe, source = limit(context, options, "gas_indication_error", "percent")
        inputs: dict[str, Input] = {
            "C_dut": Input.samples(dut, description="mean indication of the analyzer")}
        terms = "C_dut"
        if resolution:
            inputs["dRes"] = Input.resolution(0.0, resolution,
                                              description="resolution of the analyzer")
            terms += " + dRes"
        notes = []
        if qs > 0:
            src = reference_certificate(history, context, cal_role, "source_flow")
            dil = reference_certificate(history, context, cal_role, "dilution_flow")
            inputs["c0"] = Input.expanded(c0, U_c0, k=float(cyl.get("k") or 2.0),
                                          description=f"cylinder {cyl.get('crm')} "
                                                      f"({cyl.get('certificate')})")
            inputs["Qs"] = Input.standard(qs, _relative_u(src, qs, "L/min") * qs,
                                          description=f"source flow ({src['certificate']})")
            if qd > 0:
                inputs["Qd"] = Input.standard(qd, _relative_u(dil, qd, "L/min") * qd,
                                              description="dilution flow "
                                                          f"({dil['certificate']})")
                reference_expr = f"{K!r} * c0 * Qs / (Qs + Qd)"
            else:
                reference_expr = f"{K!r} * c0"
            model = f"({terms} - {reference_expr})"
            reference = K * c0 * qs / (qs + qd)
        else:
            model = f"({terms})"
            reference = 0.0
            notes.append("zero gas (source flow off)")
        if either:
            mpe = max(absolute, relative / 100.0 * reference)
            result = Budget(model, inputs, measurand=("E", None),
                            specification=Specification(-mpe, mpe), rule=options["rule"]
                            ).evaluate()
            notes += [f"limit +-{mpe:.4g} {shown}: the larger of +-{absolute:g} {shown} and "
                      f"+-{relative:g} % of the reference, from {source}",
                      u_over_mpe_note(result.expanded_uncertainty, mpe, shown)]
        else:
            result = Budget(f"{model} / {fs!r}", inputs, measurand=("E", "%"),
                            specification=Specification(-mpe, mpe), rule=options["rule"]
                            ).evaluate()
            notes += [f"limit +-{mpe:g} %FS (FS {fs:g} {shown}) from {source}",
                      u_over_mpe_note(result.expanded_uncertainty, mpe, "%FS")]
        results.append(point_result(
            "indication_error", info, result, unit=shown if either else "%",
            nominal=QuantityValue.of(
                reference, shown), indication=QuantityValue.of(dut_mean, shown), mpe=mpe,
            rule=options["rule"], notes=notes, details={
                "reference": reference, "analyzer_mean": dut_mean, "analyzer_sd": dut_sd,
                "n": len(dut), "absolute_error": dut_mean - reference, "unit": shown,
                **REFERENCE_VALUE,
                "full_scale": fs, "source_flow_L_min": qs, "dilution_flow_L_min": qd,
                "cylinder": cyl.get("id"), "dilution_ratio": qs / (qs + qd) if qs else 0.0}))
    return results
