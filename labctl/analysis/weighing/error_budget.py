"""The uncertainty budget of an error of indication, E = I - L, through labctl.uncertainty.

Model, rounded indication (R 76-1 A.4.4.1; EURAMET cg-18 7.1):

    E = I - I0 - L + dB + dD + dR [+ dEcc]

Model, change point (R 76-1 A.4.4.3), corrected by a zero found the same way:

    Ec = (I + h - dL + dP - L + dB + dD + dR)
         - (I0 + h - dL0 + dP0 - L0 + dB0 + dD0 + dR0)   [+ dEcc]

    I    the indication read (rounded: rectangular, half-width d/2; at a change point:
         the exact displayed value at the start of the search)
    I0   rounding of the zero (or of the net zero after a tare): value 0, half-width d/2,
         with rounded indications; by change point, the start of the zero's own search
    L    conventional mass of the reference weights (certificate U/k, or class MPE/sqrt(3);
         several pieces: see labctl.analysis.weighing.reference)
    h    d/2 of R 76-1's formula P = I + d/2 - dL (no uncertainty)
    dL   conventional mass of the change-point weights added
    dP   where in the last step the indication changed: rectangular, value step/2,
         half-width step/2. R 76-1's P is the lower end of the step that holds the
         indication before rounding ([P, P + step)); labctl centres it (GUM 3.2.4). In
         Ec the two step/2 cancel; the zero-setting and tare-setting decisions use R 76-1's
         value (see zero_setting and tare).
    dB   air buoyancy of the weights (value 0, rectangular; EURAMET cg-18 7.1.2)
    dD   drift of the weights since their calibration (value 0, rectangular; cg-18 7.1.2)
    dR   noise of one determination: value 0, u = the repeatability s pooled over every
         series of the run (with its dof), never below the search's resolution step/sqrt(12)
         (change point). The zero search is one more noisy determination: dR0, the same s.
    dEcc eccentricity: value 0, rectangular, half-width |dE|max L / (2 L_ecc) (EURAMET
         cg-18 7.1.1.3). Calibrations only, when asked: in a verification eccentricity is
         a test with its own MPE, not an uncertainty of a centred load.

The zero's inputs carry the suffix ``0`` (``0t`` for the net zero after a tare). The
pieces the point's and the zero's searches share are correlated inputs (dL with dL0,
L with L0): see ``labctl.analysis.weighing.reference.covariance``.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from labctl.analysis.weighing.indication import Indication, reading_value
from labctl.analysis.weighing.plate import ScalePlate
from labctl.analysis.weighing.reference import covariance, weight_effects

if TYPE_CHECKING:
    from collections.abc import Mapping

    from labctl.uncertainty import BudgetResult, Input


@dataclass(frozen=True)
class ZeroCorrection:
    """E0 (or E0t) by change point, with its standard uncertainty and dof, and the zero
    search itself (``indication``), whose inputs enter the corrected point's budget."""

    value: float
    u: float
    dof: float
    point: str
    indication: Indication | None = None
    suffix: str = "0"
    label: str = "zero error by change point"


@dataclass(frozen=True)
class Noise:
    """The standard deviation of one determination, its dof and where it comes from."""

    s: float
    dof: float
    basis: str


@dataclass(frozen=True)
class Extras:
    """Components that come from other steps (None: not included)."""

    repeatability: Noise | tuple[float, float] | None = None
    eccentricity: float | None = None                  # half-width, plate unit
    zero: ZeroCorrection | None = None                 # change point only

    @property
    def noise(self) -> Noise | None:
        r = self.repeatability
        if r is None or isinstance(r, Noise):
            return r
        return Noise(float(r[0]), float(r[1]), "repeatability")


@dataclass(frozen=True)
class WeightTerms:
    """What the budget needs to state buoyancy and drift, and to correlate pieces."""

    standards: Mapping[str, Any]
    buoyancy_fraction: float = 0.25
    drift_factor: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)


def _search_inputs(ind: Indication, plate: ScalePlate, suffix: str, noise: Noise | None,
                   weights: WeightTerms | None, reference: str, *, zero_rounding: bool
                   ) -> tuple[dict[str, Input], str]:
    """The inputs of one determination and its model text (without sign)."""
    from labctl.uncertainty import Input

    assert ind.value is not None
    unit = plate.unit
    inputs: dict[str, Input] = {}
    terms: list[str] = []
    cp = ind.change_point
    start = ind.value if cp is None else reading_value(cp.start, plate)
    assert start is not None  # a found change point has a start value
    ref = reference if not suffix else f"L{suffix}"
    if cp is None:
        inputs[f"I{suffix}"] = Input.resolution(start, plate.d, unit=unit,
                                                description="indication, rounded to d")
        terms.append(f"I{suffix}")
        if zero_rounding and not suffix:
            inputs["I0"] = Input.resolution(0.0, plate.d, unit=unit,
                                            description="rounding of the zero indication")
            terms.append("- I0")
    else:
        what = "" if not suffix else " of the zero's search"
        inputs[f"I{suffix}"] = Input.standard(start, 0.0, unit=unit,
                                              description=f"indication at the start{what}")
        inputs["h"] = Input.standard(plate.d / 2, 0.0, unit=unit,
                                     description="d/2 of R 76-1's P = I + d/2 - dL")
        inputs[f"dL{suffix}"] = Input.standard(
            cp.delta_mass, cp.delta_u, unit=unit,
            description=f"change-point weights added ({cp.additions} x {cp.step:g} {unit})")
        inputs[f"dP{suffix}"] = Input.rectangular(
            cp.step / 2, cp.step / 2, unit=unit,
            description="change within the last step (resolution of the search): P "
                        "centred in it, +s/2; R 76-1's I + d/2 - dL is its lower end")
        terms += [f"I{suffix}", "+ h", f"- dL{suffix}", f"+ dP{suffix}"]
    inputs[ref] = Input.standard(
        ind.load.mass, ind.load.u, unit=unit,
        description=f"reference weights ({ind.load.basis}; {len(ind.load.weights)} "
                    f"piece(s), correlation {ind.load.correlation:g})")
    terms.append(f"- {ref}")
    if weights is not None:
        fx = weight_effects(ind.load.weights, weights.standards, unit,
                            weights.buoyancy_fraction, weights.drift_factor)
        inputs[f"dB{suffix}"] = Input.rectangular(
            0.0, fx.buoyancy * math.sqrt(3), unit=unit,
            description=f"air buoyancy of the weights: {fx.buoyancy_basis}")
        inputs[f"dD{suffix}"] = Input.rectangular(
            0.0, fx.drift * math.sqrt(3), unit=unit,
            description=f"drift of the weights since calibration: {fx.drift_basis}")
        terms += [f"+ dB{suffix}", f"+ dD{suffix}"]
    if noise is not None:
        inputs[f"dR{suffix}"] = Input.standard(
            0.0, noise.s, dof=noise.dof, unit=unit,
            description=f"noise of one determination ({noise.basis})")
        terms.append(f"+ dR{suffix}")
    return inputs, " ".join(terms)


def _covariances(ind: Indication, zero: Indication, suffix: str, reference: str,
                 weights: WeightTerms, unit: str) -> list[tuple[str, str, float]]:
    out: list[tuple[str, str, float]] = []
    std = weights.standards

    def corr(a: str, b: str, ua: float, ub: float, cov: float) -> None:
        if ua > 0 and ub > 0 and cov:
            out.append((a, b, max(-1.0, min(1.0, cov / (ua * ub)))))

    corr(reference, f"L{suffix}", ind.load.u, zero.load.u,
         covariance(ind.load.weights, zero.load.weights, std, unit))
    cp, cz = ind.change_point, zero.change_point
    if cp is not None and cz is not None:
        cov = (covariance(cp.added.weights, cz.added.weights, std, unit)
               - covariance(cp.added.weights, cz.removed.weights, std, unit)
               - covariance(cp.removed.weights, cz.added.weights, std, unit)
               + covariance(cp.removed.weights, cz.removed.weights, std, unit))
        # dL's u adds the added and removed pieces' u linearly: the correlation is at
        # most what the shared pieces give against those u
        corr("dL", f"dL{suffix}", cp.delta_u, cz.delta_u, cov)
    return out


def build_error_budget(ind: Indication, plate: ScalePlate, mpe: float, *,
                       rule: str = "simple", r: float = 1.0,
                       coverage_probability: float = 0.9545, zero_rounding: bool = True,
                       extras: Extras | None = None, measurand: str = "E",
                       reference: str = "L", weights: WeightTerms | None = None) -> Any:
    """The ``Budget`` of ``E = I - L`` (or Ec) with its specification +/- ``mpe``."""
    from labctl.uncertainty import Budget, Coverage, Input, Specification

    assert ind.value is not None
    extras = extras or Extras()
    unit = plate.unit
    noise = extras.noise
    inputs, model = _search_inputs(ind, plate, "", noise, weights, reference,
                                   zero_rounding=zero_rounding)
    correlations: list[tuple[str, str, float]] = []
    z = extras.zero
    if z is not None and ind.change_point is not None:
        if z.indication is not None and z.indication.value is not None:
            z_inputs, z_model = _search_inputs(z.indication, plate, z.suffix, noise,
                                               weights, reference, zero_rounding=False)
            inputs.update(z_inputs)
            model = f"{model} - ({z_model})"
            if weights is not None:
                correlations = _covariances(ind, z.indication, z.suffix, reference,
                                            weights, unit)
        else:
            inputs["E0"] = Input.standard(z.value, z.u, dof=z.dof, unit=unit,
                                          description=f"{z.label} ({z.point})")
            model = f"{model} - E0"
    if extras.eccentricity is not None:
        inputs["dEcc"] = Input.rectangular(0.0, extras.eccentricity, unit=unit,
                                           description="eccentricity of the load")
        model = f"{model} + dEcc"
    return Budget(model, inputs, measurand=(measurand, unit),
                  coverage=Coverage(probability=coverage_probability),
                  correlations=correlations or None,
                  specification=Specification.symmetric(0.0, mpe), rule=rule, r=r)


def error_budget(ind: Indication, plate: ScalePlate, mpe: float, *, rule: str = "simple",
                 r: float = 1.0, coverage_probability: float = 0.9545,
                 zero_rounding: bool = True, extras: Extras | None = None,
                 measurand: str = "E", reference: str = "L",
                 weights: WeightTerms | None = None, monte_carlo: int = 0
                 ) -> BudgetResult:
    """The evaluated budget (``BudgetResult``) of ``E = I - L`` with its decision
    against +/- ``mpe``. ``ind.value`` must not be None. ``monte_carlo`` trials (0: GUM
    only): see ``evaluate``."""
    budget = build_error_budget(ind, plate, mpe, rule=rule, r=r,
                                coverage_probability=coverage_probability,
                                zero_rounding=zero_rounding, extras=extras,
                                measurand=measurand, reference=reference, weights=weights)
    return evaluate(budget, f"{ind.point.point}:{measurand}", monte_carlo)


def evaluate(budget: Any, label: str, trials: int) -> BudgetResult:
    """GUM, validated by Monte Carlo (JCGM 101 8) when ``trials`` > 0. When the GUM
    interval fails the validation, the Monte Carlo probabilistically symmetric interval
    is the result: U becomes the larger distance from the value to its ends (an
    interval symmetric about the value that holds it), k = U/u, and the decision is
    made again on that U. ``result.notes`` say which interval was used. The Monte Carlo
    seed comes from ``label``, so a re-analysis gives the same numbers."""
    if trials <= 0:
        return budget.evaluate()
    from labctl.uncertainty import McmOptions

    seed = int.from_bytes(hashlib.sha256(label.encode()).digest()[:4], "big")
    result = budget.evaluate(monte_carlo=McmOptions(trials=trials, seed=seed))
    assert result.validation is not None and result.mcm is not None
    if result.validation.passed:
        return replace(result, notes=(*result.notes, "interval: GUM (validated by Monte "
                                                     "Carlo, JCGM 101 8)"))
    low, high = result.mcm.interval
    big_u = max(result.value - low, high - result.value, 0.0)
    decision = result.decision
    if result.specification is not None and decision is not None:
        from labctl.uncertainty.decision import decide

        k = big_u / result.standard_uncertainty if result.standard_uncertainty else 2.0
        decision = decide(result.value, big_u, result.specification, decision.rule,
                          coverage_factor=k or 2.0, dof=math.inf,
                          r=getattr(budget, "r", 1.0))
    k = big_u / result.standard_uncertainty if result.standard_uncertainty else \
        result.coverage_factor
    return replace(result, expanded_uncertainty=big_u, coverage_factor=k,
                   decision=decision,
                   notes=(*result.notes,
                          f"interval: Monte Carlo [{low:.6g}, {high:.6g}] (the GUM interval "
                          f"failed the JCGM 101 8 validation); U = {big_u:.4g}, k = {k:.3g}"))


def interval_method(result: BudgetResult) -> str:
    """``monte_carlo`` when the result's U comes from the Monte Carlo interval."""
    return "monte_carlo" if any(n.startswith("interval: Monte Carlo")
                                for n in result.notes) else "gum"
