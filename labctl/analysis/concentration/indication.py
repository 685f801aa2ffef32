"""``concentration_error``: the relative indication error of a concentration monitor
against a reference instrument sampling the same chamber, at each point (level)::

    E = (C_dut + dRes) / (C_ref (1 + dCal + dInt) (1 + dNu) (1 + dDrift)) - 1     (in %)

- C_dut: mean of the monitor's readings; Type A, s / sqrt(n), n - 1 dof;
- dRes: 0; the monitor's resolution (data plate ``resolution``), rectangular, r / 2;
- C_ref: mean of the reference's readings; Type A, s / sqrt(n), n - 1 dof;
- dCal: the certificate's relative correction; its U / k (relative; a U in
  concentration is divided by the level). A certificate stated at several
  concentrations (``points:`` in the register) is interpolated at the reference's mean
  reading (``labctl.register.certificate_table``): the correction and u linearly, plus
- dInt: 0; the interpolation component, rectangular, half-width |c_{i+1} - c_i| t (1 - t)
  relative to the level (none at a certified point). A reference mean outside the
  certified range by more than ``reference_reach`` (3 % of the end point: a chamber set
  to the end point settles a little beyond it) is refused; set points outside it are
  refused at plan time (``check_plan``). Each point's ``details.corrections_applied``
  lists what was applied (standard, certificate, value, correction, U, k, interpolation);
- dNu: 0; chamber non-uniformity between the two inlets, rectangular, half-width
  ``non_uniformity``;
- dDrift: 0; drift of the reference since its calibration, rectangular, half-width
  ``reference_drift``.

The readings are the ones named ``reading`` of the role ``dut_role`` and of the role
``reference_role``; the certificate is that of the reference's register entry for the
quantity ``certificate_quantity`` (default: the reading's name, e.g. ``pm25``). A point
whose reference mean is below ``min_reference`` is skipped (a relative error of a zero is
meaningless: the ``concentration_zero`` analysis judges it). The limit is +-``limit`` (%).
"""

from __future__ import annotations

from typing import Any

from labctl.analysis.concentration.common import (
    COMMON_DEFAULTS,
    REFERENCE_VALUE,
    certificate_at,
    finished,
    limit,
    mean_sd,
    option_or_plate,
    point_result,
    reading_values,
    reference_certificate,
    u_over_mpe_note,
)
from labctl.analysis.registry import AnalysisContext, PlanCheck
from labctl.errors import ConfigError
from labctl.history import RunHistory
from labctl.results import PointResult, QuantityValue

DEFAULTS: dict[str, Any] = {
    **COMMON_DEFAULTS, "reading": "pm25", "reference_role": "reference",
    "certificate_quantity": None, "unit": "ug/m^3", "non_uniformity": "2 %",
    "reference_drift": "1 %", "min_reference": "5 ug/m^3", "resolution": None,
    "reference_reach": "3 %",
}


def concentration_error(history: RunHistory, context: AnalysisContext,
                        options: Any) -> list[PointResult]:
    from labctl.analysis.concentration.common import q
    from labctl.events import unit_text
    from labctl.uncertainty import Budget, Input, Specification
    from labctl.units import parse_unit

    unit = str(options["unit"])
    shown = unit_text(parse_unit(unit))
    name = str(options["reading"])
    quantity = str(options["certificate_quantity"] or name)
    resolution = option_or_plate(options, context, "resolution", unit)
    nu = float(q(options["non_uniformity"]).m_as("")) if options["non_uniformity"] else 0.0
    drift = float(q(options["reference_drift"]).m_as("")) if options["reference_drift"] \
        else 0.0
    floor = float(q(options["min_reference"]).m_as(unit))
    reach = float(q(options["reference_reach"]).m_as("")) if options["reference_reach"] \
        else 0.0
    results: list[PointResult] = []
    for info, attempt in finished(history, context):
        dut = reading_values(attempt, name, options["dut_role"], unit)
        ref = reading_values(attempt, name, options["reference_role"], unit)
        if not dut and not ref:
            continue
        if not dut or not ref:
            missing = "monitor" if not dut else "reference"
            raise ConfigError(f"concentration_error: point {info.point} has no {missing} "
                              f"readings named {name!r}", where=context.where.get("analysis"))
        ref_mean, ref_sd = mean_sd(ref)
        dut_mean, dut_sd = mean_sd(dut)
        if ref_mean < floor:
            continue
        mpe, source = limit(context, options, "concentration_error", "percent")
        cert = reference_certificate(history, context, options["reference_role"], quantity)
        try:
            at = certificate_at(cert, ref_mean, unit, reach=reach,
                                what=f"point {info.point}: the reference's mean reading")
        except ConfigError as exc:
            raise ConfigError(f"concentration_error: standard {cert['id']} "
                              f"({cert['certificate']}), {quantity}: {exc.message}",
                              where=exc.where, hint=exc.hint) from None
        inputs = {
            "C_dut": Input.samples(dut, unit=unit, description="mean indication of the monitor"),
            "C_ref": Input.samples(ref, unit=unit, description="mean of the reference monitor"),
            "dCal": Input.expanded(at.correction, at.U, k=at.k,
                                   description=f"reference calibration ({cert['certificate']})"
                                   + (", interpolated" if at.interpolation else "")),
        }
        reference = ref_mean * (1.0 + at.correction)  # the reference value, corrected
        if at.interpolation:
            inputs["dInt"] = Input.rectangular(
                0.0, at.interpolation,
                description="interpolation between the certificate's points")
        model = "(C_dut{res}) / (C_ref * (1 + dCal{interp}){nu}{drift}) - 1"
        if resolution:
            inputs["dRes"] = Input.resolution(0.0, resolution, unit=unit,
                                              description="resolution of the monitor")
        if nu:
            inputs["dNu"] = Input.rectangular(0.0, nu, description="chamber non-uniformity")
        if drift:
            inputs["dDrift"] = Input.rectangular(0.0, drift,
                                                 description="drift of the reference")
        model = model.format(res=" + dRes" if resolution else "",
                             interp=" + dInt" if at.interpolation else "",
                             nu=" * (1 + dNu)" if nu else "",
                             drift=" * (1 + dDrift)" if drift else "")
        result = Budget(model, inputs, measurand=("E", "%"),
                        specification=Specification(-mpe, mpe), rule=options["rule"],
                        ).evaluate()
        notes = [f"limit +-{mpe:g} % from {source}",
                 u_over_mpe_note(result.expanded_uncertainty, mpe, "%")]
        if at.applied is not None:
            notes.append(f"reference {cert['id']} corrected by {at.text} "
                         f"(certificate {cert['certificate']})")
        results.append(point_result(
            "indication_error", info, result, unit="%",
            nominal=QuantityValue.of(reference, shown),
            indication=QuantityValue.of(dut_mean, shown), mpe=mpe, rule=options["rule"],
            notes=notes, details={
                "quantity": name, "reference_mean": ref_mean, "reference_sd": ref_sd,
                "monitor_mean": dut_mean, "monitor_sd": dut_sd, "n_monitor": len(dut),
                "n_reference": len(ref), "absolute_error": dut_mean - reference,
                "reference_corrected": reference,
                "unit": shown, "reference": cert["id"], **REFERENCE_VALUE,
                **({"corrections_applied": [at.applied]} if at.applied else {})}))
    return results


def check_plan(check: PlanCheck) -> None:
    """Refuse, before anything moves, a point whose reference is read at a set point
    outside the certified range of the reference's certificate table (a certificate
    stated at several concentrations is not extrapolated). The set points are those of
    every ``set`` in effect when the reference's reading ``reading`` is taken, of the
    dimension of the certificate's nominals; the error names the register's
    ``file:line:col``, the set point and the point."""
    options = check.options
    role = str(options["reference_role"])
    name = str(options["reading"])
    quantity = str(options["certificate_quantity"] or name)
    entry = check.entry_of(role)
    certificate = (getattr(entry, "quantities", None) or {}).get(quantity)
    table = getattr(certificate, "table", None)
    if table is None:
        return
    from labctl.units import parse_unit

    dimension = parse_unit(table.nominal_unit).dimensionality
    in_effect: dict[tuple[str | None, str], Any] = {}
    for step in check.plan.steps:
        sections = [(None, step.before), *((p.point, p.actions) for p in step.points),
                    (None, step.after)]
        for point, actions in sections:
            for action in actions:
                if action.kind == "set":
                    for setting, value in action.args.get("points", {}).items():
                        in_effect[(action.role, setting)] = (value, action.where)
                    continue
                if not (action.kind == "read" and action.role == role
                        and action.args.get("name") == name and step.id in check.steps):
                    continue
                for (source, setting), (value, at) in in_effect.items():
                    if getattr(value, "dimensionality", None) != dimension:
                        continue
                    table.check_covers(
                        value, what=f"concentration_error: {point or step.id} reads the "
                                    f"reference {entry.id} ({quantity}, certificate "
                                    f"{entry.certificate.number if entry.certificate else '-'})"
                                    f" with {source}'s {setting} set to",
                        hint=f"the set point is at {at}; calibrate within the certified "
                             "range, or have the reference calibrated over the range you "
                             "need and enter its points in the register")
