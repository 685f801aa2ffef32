"""``analysis_function_fit``: a greenhouse-gas analyzer calibrated with several
cylinders (ISO 6143:2001 multipoint calibration), one component at a time.

Each point of the analysis's steps is one cylinder fed to the analyzer: the point's
``cylinder_selected`` event names the cylinder (its register id), the readings named
``reading`` of ``dut_role`` give the analyzer's responses (the value ``value`` of each
reading's values, e.g. ``co2``, in ``unit``). Points on the same cylinder are pooled.
Per cylinder i:

- x_i: the certified amount fraction of ``component`` (register ``cylinders``, its main
  component or one of ``other_components``), u(x_i) = U / k of the certificate;
- y_i: the mean of the responses, u(y_i)^2 = s^2 / n + r^2 / 12 + u_response^2
  (repeatability of the mean, the resolution r of the data plate ``<value>_resolution``,
  and an optional reproducibility ``u_response``).

The analysis function x = g(y) (``function``: linear, quadratic, ...; ISO 6143's
direction, or ``direction: calibration`` for y = f(x)) is fitted by generalized least
squares with ``labctl.uncertainty.fit_calibration`` (B_LEAST's method): coefficients,
their covariance, gamma (the largest weighted deviation, at most ``gamma_limit``) and
the chi-square test of the residual sum (at ``significance``).

Points of the record:

- ``indication_error`` per cylinder: the analyzer's error as found, E = y_i + dRes - x_i
  (``Budget``: Type A of the readings, the resolution, the certificate), nominal x_i,
  indication y_i, U (Welch-Satterthwaite k), judged against +-``limit``; details: the
  fitted value g(y_i), the residual g(y_i) - x_i and the weighted deviations;
- ``function_fit``: the fit itself (coefficients with units, covariance, correlation,
  gamma, chi-square, p-value, points), ``pass`` when both tests pass, else ``fail``
  (a function that cannot follow the response, such as a straight line on a curved
  one, fails here);
- ``function_value`` for each analyzer response in ``read_at``: the value read through
  the fitted function, with U = k u (k from ``coverage_probability``, the fit's
  uncertainties being known), ``pass`` when the fit passes and U <= ``read_limit``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from labctl.analysis.concentration.common import (
    COMMON_DEFAULTS,
    REFERENCE_VALUE,
    finished,
    limit,
    mean_sd,
    option_or_plate,
    point_result,
    readings,
    u_over_mpe_note,
)
from labctl.analysis.registry import AnalysisContext
from labctl.errors import ConfigError
from labctl.history import RunHistory
from labctl.results import PointResult, QuantityValue

#: A ``function_value`` point's nominal column holds the analyzer's response read through
#: the function (``details["nominal_label"]``, as the result tables head it).
RESPONSE: dict[str, str] = {"nominal_label": "response", "nominal_label_zh": "响应值"}

DEFAULTS: dict[str, Any] = {
    **COMMON_DEFAULTS, "limits_folder": "gas", "component": "CO2", "reading": "ghg",
    "value": "co2", "unit": "umol/mol", "function": "linear", "direction": "analysis",
    "gamma_limit": 2.0, "significance": 0.05, "resolution": None, "u_response": None,
    "read_at": [], "read_limit": None, "selector_role": None,
}


@dataclass
class CylinderPoint:
    """The responses to one cylinder, pooled over the points that selected it."""

    cylinder: str
    x: float
    U_x: float
    k_x: float
    certificate: str
    responses: list[float]
    infos: list[Any]


def certified(record: Mapping[str, Any], component: str, unit: str) -> tuple[float, float,
                                                                                 float] | None:
    """(value, U, k) of ``component`` in a cylinder's journalled record, in ``unit``."""
    from labctl.analysis.concentration.common import q

    entries = [{"component": record.get("component"), "value": record.get("value"),
                "U": record.get("U"), "k": record.get("k")},
               *(record.get("other_components") or ())]
    for e in entries:
        if str(e.get("component", "")).upper() == component.upper():
            return (float(q(e["value"]).m_as(unit)), float(q(e["U"]).m_as(unit)),
                    float(e.get("k") or 2.0))
    return None


def _selected(attempt: Any, role: str | None) -> str | None:
    found = [e for e in attempt.events if e.get("type") == "cylinder_selected"
             and (role is None or e.get("role") == role)]
    return str(found[-1]["cylinder"]) if found else None


def _responses(attempt: Any, options: Any, unit: str) -> list[float]:
    from labctl.analysis.concentration.common import factor

    key = options["value"]
    out = []
    for r in readings(attempt, str(options["reading"]), options["dut_role"]):
        if "warming_up" in r.flags:
            continue
        v = r.values.get(key) if key else None
        if v is not None:
            out.append(float(v["value"]) * factor(str(v["unit"]), unit))
        elif not key and r.value is not None:
            out.append(r.value * factor(r.unit, unit))
    return out


def collect(history: RunHistory, context: AnalysisContext, options: Any,
            unit: str) -> list[CylinderPoint]:
    """The cylinders of the analysis's steps with their certified values and responses."""
    from labctl.register.gas import cylinder_records

    records = {str(c.get("id")): c for c in cylinder_records(context.standards)}
    component = str(options["component"])
    points: dict[str, CylinderPoint] = {}
    for info, attempt in finished(history, context):
        cylinder = _selected(attempt, options["selector_role"])
        responses = _responses(attempt, options, unit)
        if cylinder is None:
            if responses:
                raise ConfigError(f"analysis_function_fit: point {info.point} has readings "
                                  "but no cylinder_selected event",
                                  where=context.where.get("analysis"),
                                  hint="select the cylinder with select_cylinder at each "
                                       "point of the analysis's steps")
            continue
        if not responses:
            continue
        record = records.get(cylinder)
        content = None if record is None else certified(record, component, unit)
        if content is None:
            raise ConfigError(f"analysis_function_fit: cylinder {cylinder} (point "
                              f"{info.point}) has no certified {component} among the run's "
                              "standards", where=context.where.get("analysis"),
                              hint="use cylinders certified for the component")
        p = points.setdefault(cylinder, CylinderPoint(
            cylinder, *content, str(record.get("certificate") or ""), [], []))  # type: ignore[union-attr]
        p.responses += responses
        p.infos.append(info)
    return list(points.values())


def analysis_function_fit(history: RunHistory, context: AnalysisContext,
                          options: Any) -> list[PointResult]:
    import math

    from labctl.analysis.concentration.common import q
    from labctl.events import unit_text
    from labctl.uncertainty import Budget, Input, Specification, coverage_factor
    from labctl.uncertainty.fit import fit_calibration
    from labctl.uncertainty.fit_error import FitError
    from labctl.units import parse_unit

    unit = str(options["unit"])
    shown = unit_text(parse_unit(unit))
    component = str(options["component"])
    resolution = option_or_plate(options, context, "resolution", unit,
                                 f"{options['value']}_resolution")
    u_extra = float(q(options["u_response"]).m_as(unit)) if options["u_response"] else 0.0
    cylinders = collect(history, context, options, unit)
    if not cylinders:
        return []
    mpe, source = limit(context, options, "analysis_function_fit", unit)
    results: list[PointResult] = []
    means, u_ys = [], []
    for c in cylinders:
        mean, sd = mean_sd(c.responses)
        n = len(c.responses)
        means.append(mean)
        u_ys.append(math.sqrt(sd ** 2 / n + (resolution or 0.0) ** 2 / 12 + u_extra ** 2))
    xs = [c.x for c in cylinders]
    u_xs = [c.U_x / c.k_x for c in cylinders]
    where = context.where.get("analysis")
    try:
        fit = fit_calibration(xs, means, u_x=u_xs, u_y=[max(u, 1e-12) for u in u_ys],
                              function=str(options["function"]),
                              direction=str(options["direction"]),
                              gamma_limit=float(options["gamma_limit"]),
                              significance=float(options["significance"]),
                              x_name=f"x({component})", x_unit=shown,
                              y_name=f"y({component})", y_unit=shown)
    except FitError as err:
        raise ConfigError(f"analysis_function_fit ({component}): {err.message}", where=where,
                          hint=err.hint) from None
    goodness = fit.goodness
    fitted, _ = fit.read_values([("y", y, u) for y, u in zip(means, u_ys, strict=True)])
    for i, c in enumerate(cylinders):
        inputs = {"C_dut": Input.samples(c.responses, unit=unit,
                                         description=f"mean response to {c.cylinder}"),
                  "x": Input.expanded(c.x, c.U_x, k=c.k_x, unit=unit,
                                      description=f"cylinder {c.cylinder} ({c.certificate})")}
        model = "C_dut - x"
        if resolution:
            inputs["dRes"] = Input.resolution(0.0, resolution, unit=unit,
                                              description="resolution of the analyzer")
            model = "C_dut + dRes - x"
        result = Budget(model, inputs, measurand=("E", unit),
                        specification=Specification(-mpe, mpe), rule=options["rule"]).evaluate()
        point = fit.points[i]
        residual = fitted[i].value - c.x
        results.append(point_result(
            "indication_error", c.infos[-1], result, unit=shown,
            nominal=QuantityValue.of(c.x, shown), indication=QuantityValue.of(means[i], shown),
            mpe=mpe, rule=options["rule"],
            notes=[f"{component}, cylinder {c.cylinder}: as found; limit +-{mpe:.4g} {shown} "
                   f"from {source}", u_over_mpe_note(result.expanded_uncertainty, mpe, shown)],
            details={"component": component, "cylinder": c.cylinder, "n": len(c.responses),
                     "u_x": u_xs[i], "u_y": u_ys[i], "fitted": fitted[i].value,
                     "u_fitted": fitted[i].standard_uncertainty, "residual": residual,
                     "weighted_deviation_x": point.weighted_x,
                     "weighted_deviation_y": point.weighted_y,
                     "points": [info.point for info in c.infos], "unit": shown,
                     **REFERENCE_VALUE}))
    step = cylinders[0].infos[0].step
    verdict = "pass" if goodness.passed else "fail"
    gamma_text = (f"gamma = {goodness.gamma:.3g} (limit {goodness.gamma_limit:g}), "
                  f"chi2 = {goodness.residual_sum:.3g} on {goodness.dof} dof "
                  f"(p = {goodness.p_value:.3g}, significance {goodness.significance:g})")
    results.append(PointResult(
        test="function_fit", step=step, point=f"{step}/fit-{component.lower()}",
        decision=verdict, rule=options["rule"],
        notes=f"{component}: {fit.equation()} by generalized least squares (ISO 6143); "
              f"{gamma_text}; " + ("the function fits the points" if goodness.passed else
                                   "the function does not fit the points: choose another "
                                   "function or check the cylinders"),
        details={"component": component, **fit.to_dict(),
                 "cylinders": [c.cylinder for c in cylinders]}))
    read_at = options["read_at"] or []
    if not isinstance(read_at, Sequence) or isinstance(read_at, str):
        raise ConfigError("analysis_function_fit: read_at is a list of analyzer readings",
                          where=context.where.get("options"))
    if read_at:
        read_limit = (float(q(options["read_limit"]).m_as(unit)) if options["read_limit"]
                      else None)
        k = coverage_factor(float(options["coverage_probability"]), fit.read_dof)
        given = [float(q(v).m_as(unit)) for v in read_at]
        values, _ = fit.read_values([("y", y, 0.0) for y in given])
        for j, (y, r) in enumerate(zip(given, values, strict=True)):
            U = k * r.standard_uncertainty
            ok = goodness.passed and (read_limit is None or read_limit >= U)
            results.append(PointResult(
                test="function_value", step=step,
                point=f"{step}/value-{component.lower()}-{j + 1}",
                nominal=QuantityValue.of(y, shown), indication=QuantityValue.of(r.value, shown),
                expanded_uncertainty=QuantityValue.of(U, shown), coverage_factor=k,
                mpe=None if read_limit is None else QuantityValue.of(read_limit, shown),
                decision="pass" if ok else "fail", rule=options["rule"],
                notes=f"{component}: a reading of {y:g} {shown} is {r.value:.5g} {shown} "
                      f"through the fitted function, U = {U:.3g} {shown} (k = {k:.3g}; from "
                      f"the coefficients' covariance)"
                      + (f", against the limit {read_limit:g} {shown}" if read_limit else "")
                      + ("; extrapolated beyond the cylinders" if r.extrapolated else ""),
                details={"component": component, **r.to_dict(), **RESPONSE}))
    return results


def _analysis() -> Any:
    from labctl.analysis.registry import Analysis

    return Analysis("analysis_function_fit", analysis_function_fit, DEFAULTS,
                    "multipoint calibration of a gas analyzer by cylinders: the ISO 6143 "
                    "GLS fit, the indication error at each cylinder, values read through "
                    "the fit")


ANALYSIS_FUNCTION_FIT = _analysis()
