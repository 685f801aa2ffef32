"""The family's own analysis, ``voltage_error``: the error of the multimeter at each
point, E = V_dmm - V_ref, with its GUM budget and a decision against the MPE.

Inputs of the budget: the mean of the multimeter's readings (Type A, s/sqrt(n)), its
resolution (rectangular, half-width r/2), and the calibrator's output from the
certificate of the standard (the register's ``voltage`` quantity: U and k). MPE =
``mpe_relative`` x |V_ref| + ``mpe_absolute`` (the options).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labctl.analysis import Analysis, AnalysisContext, Options
from labctl.errors import ConfigError
from labctl.history import RunHistory
from labctl.results import PointResult, QuantityValue
from labctl.uncertainty import Budget, Input, Specification


def _reference_certificate(standards: Any) -> tuple[float, float]:
    """(U, k) of the voltage standard in the run's standards, in V."""
    from labctl.units import Q_

    for s in standards or ():
        q = (s.get("quantities") or {}).get("voltage") if isinstance(s, Mapping) else None
        if q and q.get("U"):
            return float(Q_(q["U"]["value"], q["U"]["unit"]).m_as("V")), float(q["k"])
    raise ConfigError("voltage_error: no standard of the run has a voltage certificate",
                      hint="bind the calibrator to its register entry (serial: <register id>)")


def voltage_error(history: RunHistory, context: AnalysisContext,
                  options: Options) -> list[PointResult]:
    from labctl.units import Q_

    u_ref_expanded, k_ref = _reference_certificate(context.standards)
    resolution = float(Q_(context.data_plate["resolution"]["value"],
                          context.data_plate["resolution"]["unit"]).m_as("V"))
    points: list[PointResult] = []
    for step in context.steps:
        for info, attempts in history.finished_attempts(step):
            if not attempts:
                continue
            attempt = attempts[-1]
            setpoint = next(e for e in attempt.events if e.get("type") == "set")
            reference = float(Q_(setpoint["value"]["value"], setpoint["value"]["unit"])
                              .m_as("V"))
            values = [float(Q_(r.value, r.unit).m_as("V")) for r in attempt.readings
                      if r.name == options["reading"] and r.value is not None]
            mpe = options["mpe_relative"] * abs(reference) + options["mpe_absolute"]
            budget = Budget("V_dmm + dV_res - V_ref", {
                "V_dmm": Input.samples(values, unit="V", description="mean indication"),
                "dV_res": Input.resolution(0.0, resolution, unit="V",
                                           description="resolution of the multimeter"),
                "V_ref": Input.expanded(reference, u_ref_expanded, k=k_ref, unit="V",
                                        description="calibrator output (certificate)"),
            }, measurand=("E", "V"), specification=Specification(-mpe, mpe),
                rule=options["rule"])
            result = budget.evaluate()
            decision = result.decision
            points.append(PointResult(
                test="voltage_error", step=step, point=info.point,
                nominal=QuantityValue.of(reference, "V"),
                indication=QuantityValue.of(sum(values) / len(values), "V"),
                error=QuantityValue.of(result.value, "V"),
                expanded_uncertainty=QuantityValue.of(result.expanded_uncertainty, "V"),
                coverage_factor=result.coverage_factor, mpe=QuantityValue.of(mpe, "V"),
                decision=decision.result, rule=options["rule"], budget=result.to_dict(),
                details={"readings": len(values)}))
    return points


VOLTAGE_ERROR = Analysis("voltage_error", voltage_error,
                         {"reading": "indication", "mpe_relative": 5e-5,
                          "mpe_absolute": 2e-5},
                         "indication error of a DC voltmeter")
