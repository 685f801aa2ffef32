"""The dilution model of a gas calibrator, evaluated with ``labctl.uncertainty``::

    c = c0 * Qs / (Qs + Qd)

- c0: the cylinder's certified amount fraction, normal, U / k from its certificate;
- Qs, Qd: the source (cylinder) and dilution (zero gas) flows as the calibrator's MFCs
  indicate them, normal, with the relative standard uncertainty of their calibration
  (the calibrator's register entry, quantities ``source_flow`` and ``dilution_flow``).

For uncorrelated inputs the GUM law of propagation gives the closed form::

    u_r(c)^2 = u_r(c0)^2 + (Qd / (Qs + Qd))^2 (u_r(Qs)^2 + u_r(Qd)^2)

(``closed_form_relative``), which the tests check the budget against.
"""

from __future__ import annotations

import math

from labctl.uncertainty import Budget, BudgetResult, Input

MODEL = "c0 * Qs / (Qs + Qd)"


def dilution_inputs(c0: float, U_c0: float, k_c0: float, qs: float, ur_qs: float, qd: float,
                    ur_qd: float, *, certificate: str = "") -> dict[str, Input]:
    """The inputs of the dilution model (c0 and U in any amount-fraction unit, flows in
    L/min, ``ur_*`` relative standard uncertainties)."""
    return {
        "c0": Input.expanded(c0, U_c0, k=k_c0,
                             description=f"cylinder certificate {certificate}".strip()),
        "Qs": Input.standard(qs, ur_qs * qs, description="source flow (MFC calibration)"),
        "Qd": Input.standard(qd, ur_qd * qd, description="dilution flow (MFC calibration)"),
    }


def dilution_budget(c0: float, U_c0: float, k_c0: float, qs: float, ur_qs: float, qd: float,
                    ur_qd: float) -> BudgetResult:
    """The generated concentration with its GUM budget (in the unit of ``c0``)."""
    inputs = dilution_inputs(c0, U_c0, k_c0, qs, ur_qs, qd, ur_qd)
    return Budget(MODEL, inputs, measurand=("c", "")).evaluate()


def closed_form_relative(ur_c0: float, qs: float, ur_qs: float, qd: float,
                         ur_qd: float) -> float:
    """u_r(c) of the dilution model for uncorrelated inputs (the closed form)."""
    share = qd / (qs + qd)
    return math.sqrt(ur_c0 ** 2 + share ** 2 * (ur_qs ** 2 + ur_qd ** 2))
