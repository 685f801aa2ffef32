"""The uncertainty budget of an error of indication, E = I - L, through labctl.uncertainty.

Model, rounded indication (R 76-1 A.4.4.1; EURAMET cg-18 7.1):

    E = I - I0 - L + dR + dEcc

Model, change point (R 76-1 A.4.4.3):

    E = I + h - dL - L + dP - E0 + dR + dEcc

    I    the indication read (rounded: rectangular, half-width d/2; at a change point:
         the exact displayed value at the start of the search)
    I0   rounding of the zero (or of the net zero after a tare): value 0, half-width d/2;
         left out with the change-point method, where E0 corrects the zero instead
    L    conventional mass of the reference weights (certificate U/k, or class MPE/sqrt(3);
         several pieces: see labctl.analysis.weighing.reference)
    h    d/2 of R 76-1's formula P = I + d/2 - dL (no uncertainty)
    dL   conventional mass of the change-point weights added
    dP   where in the last step the indication changed: rectangular, value step/2,
         half-width step/2. R 76-1's P is the lower end of the step that holds the
         indication before rounding ([P, P + step)); labctl centres it (GUM 3.2.4: a
         known systematic effect is corrected), so that E, E0 and E0t are unbiased and
         the rectangle is centred on the value. In E - E0 the two step/2 cancel.
    E0   the zero error found by change point in the zero-setting step (when asked), so
         that E - E0 is R 76-1's corrected error Ec
    dR   repeatability: value 0, u = s of the repeatability step at the nearest load,
         with n - 1 degrees of freedom (when asked)
    dEcc eccentricity: value 0, rectangular, half-width |dE|max L / (2 L_ecc), the
         largest difference to the centre found in the eccentricity step scaled to the
         load (EURAMET cg-18 7.1.1.3; when asked)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labctl.analysis.weighing.indication import Indication, reading_value
from labctl.analysis.weighing.plate import ScalePlate

if TYPE_CHECKING:
    from labctl.uncertainty import BudgetResult


@dataclass(frozen=True)
class ZeroCorrection:
    """E0 from the zero-setting step, with its standard uncertainty and dof."""

    value: float
    u: float
    dof: float
    point: str


@dataclass(frozen=True)
class Extras:
    """Components that come from other steps (None: not included)."""

    repeatability: tuple[float, float] | None = None   # (s, dof)
    eccentricity: float | None = None                  # half-width, plate unit
    zero: ZeroCorrection | None = None                 # change point only


def error_budget(ind: Indication, plate: ScalePlate, mpe: float, *, rule: str = "simple",
                 r: float = 1.0, coverage_probability: float = 0.9545,
                 zero_rounding: bool = True, extras: Extras | None = None,
                 measurand: str = "E", reference: str = "L") -> BudgetResult:
    """The evaluated budget (``BudgetResult``) of ``E = I - L`` with its decision
    against +/- ``mpe``. ``ind.value`` must not be None."""
    from labctl.uncertainty import Budget, Coverage, Input, Specification

    assert ind.value is not None
    extras = extras or Extras()
    unit = plate.unit
    inputs: dict[str, Any] = {}
    terms: list[str] = []
    cp = ind.change_point
    start = ind.value if cp is None else reading_value(cp.start, plate)
    assert start is not None  # a found change point has a start value
    if cp is None:
        inputs["I"] = Input.resolution(start, plate.d, unit=unit,
                                       description="indication, rounded to d")
        terms.append("I")
        if zero_rounding:
            inputs["I0"] = Input.resolution(0.0, plate.d, unit=unit,
                                            description="rounding of the zero indication")
            terms.append("- I0")
    else:
        inputs["I"] = Input.standard(start, 0.0, unit=unit,
                                     description="indication at the start of the "
                                                 "change-point search")
        inputs["h"] = Input.standard(plate.d / 2, 0.0, unit=unit,
                                     description="d/2 of R 76-1's P = I + d/2 - dL")
        inputs["dL"] = Input.standard(cp.delta_mass, cp.delta_u, unit=unit,
                                      description=f"change-point weights added "
                                                  f"({cp.additions} x {cp.step:g} {unit})")
        inputs["dP"] = Input.rectangular(cp.step / 2, cp.step / 2, unit=unit,
                                         description="change within the last step "
                                                     "(resolution of the search): P "
                                                     "centred in it, +s/2; R 76-1's "
                                                     "I + d/2 - dL is its lower end")
        terms += ["I", "+ h", "- dL", "+ dP"]
    inputs[reference] = Input.standard(
        ind.load.mass, ind.load.u, unit=unit,
        description=f"reference weights ({ind.load.basis}; {len(ind.load.weights)} "
                    f"piece(s), correlation {ind.load.correlation:g})")
    terms.append(f"- {reference}")
    if extras.zero is not None and cp is not None:
        z = extras.zero
        inputs["E0"] = Input.standard(z.value, z.u, dof=z.dof, unit=unit,
                                      description=f"zero error by change point ({z.point})")
        terms.append("- E0")
    if extras.repeatability is not None:
        s, dof = extras.repeatability
        inputs["dR"] = Input.standard(0.0, s, dof=dof, unit=unit,
                                      description="repeatability (s of one weighing)")
        terms.append("+ dR")
    if extras.eccentricity is not None:
        inputs["dEcc"] = Input.rectangular(0.0, extras.eccentricity, unit=unit,
                                           description="eccentricity of the load")
        terms.append("+ dEcc")
    model = " ".join(terms)
    budget = Budget(model, inputs, measurand=(measurand, unit),
                    coverage=Coverage(probability=coverage_probability),
                    specification=Specification.symmetric(0.0, mpe), rule=rule, r=r)
    return budget.evaluate()
