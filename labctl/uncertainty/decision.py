"""Conformity decisions: ILAC-G8:2019 decision rules, JJF 1094-2002, JCGM 106:2012 risks.

All numbers are in one unit (the caller converts). A result is a measured value y with an
expanded uncertainty U = k u; a :class:`Specification` gives the tolerance limits T_L and/or
T_U. A rule sets a guard band w and so the acceptance interval [T_L + w, T_U - w]:

================== ======================================================================
rule               guard band w
================== ======================================================================
simple             0 (ILAC-G8:2019 4.2.1, simple acceptance)
guard_band_U       U (ILAC-G8:2019 4.2.2; specific false-accept risk <= 2.3 % for a normal
                   PDF with k = 2)
guard_band_rU      r U (r >= 0, the ``r`` argument)
guard_band_1.645u  1.645 u (specific false-accept risk <= 5 % for a normal PDF; for a t PDF
                   with finite dof the risk is larger, and is reported)
jjf1094            JJF 1094-2002: with MPE the half-width of the tolerance interval, if
                   U <= MPE/3 the value alone decides (w = 0, and the result is plainly
                   pass or fail); otherwise w = U, and values within U of a limit are left
                   undecided (conditional). Needs a two-sided specification; U is taken as
                   the U95 of the document.
================== ======================================================================

The value is *accepted* when it lies in the acceptance interval (closed), *rejected*
otherwise. The four results follow the four cases of ILAC-G8:2009 and add whether the
interval y +/- U crosses a tolerance limit:

- ``pass``: accepted, and y +/- U lies inside the tolerance limits;
- ``conditional_pass``: accepted, but y +/- U reaches beyond a tolerance limit. Only rules
  with w < U can give it: under simple acceptance a value inside with U crossing a limit is
  a conditional pass, exactly the ILAC-G8:2009 case; so is a value of ``guard_band_rU``
  with r < 1 or of ``guard_band_1.645u`` (1.645 u < U for k = 2) whose interval crosses;
- ``conditional_fail``: rejected, but y +/- U reaches inside the tolerance limits: a value
  outside with its interval reaching in (ILAC-G8:2009), and, for guard-banded rules, a
  value inside the tolerance limits but in the guard band;
- ``fail``: rejected, and y +/- U lies wholly outside the tolerance limits.

Intervals are closed: a value on a limit is inside, an interval that touches a limit from
outside (y - U == T_U) reaches it. ``jjf1094`` with U > MPE/3 follows the document's
wording: pass when |y - centre| <= MPE - U, fail when |y - centre| >= MPE + U, conditional
in between (conditional_pass inside the limits, conditional_fail outside). With
U <= MPE/3 it gives pass or fail from the value alone, even if y +/- U crosses a limit.

The probability of conformity (JCGM 106 7.2-7.5) is P(T_L <= Y <= T_U) for Y normal, or
scaled-and-shifted t with ``dof`` degrees of freedom, with location y and scale
u = U / ``coverage_factor``. The specific risk is 1 - p_c for an accepted value (false
accept) and p_c for a rejected one (false reject).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from scipy import special

RULES: tuple[str, ...] = ("simple", "guard_band_U", "guard_band_rU", "guard_band_1.645u", "jjf1094")
RESULTS: tuple[str, ...] = ("pass", "conditional_pass", "conditional_fail", "fail")
GUARD_FACTOR_1645 = 1.645


def _finite(name: str, value: float | None) -> None:
    if value is not None and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")


@dataclass(frozen=True)
class Specification:
    """Tolerance limits: two-sided (both), or one-sided (lower only, upper only)."""

    lower: float | None = None
    upper: float | None = None

    def __post_init__(self) -> None:
        if self.lower is None and self.upper is None:
            raise ValueError("a specification needs a lower limit, an upper limit, or both")
        _finite("the lower limit", self.lower)
        _finite("the upper limit", self.upper)
        if self.lower is not None and self.upper is not None and self.lower >= self.upper:
            raise ValueError(
                f"the lower limit ({self.lower}) must be below the upper limit ({self.upper})"
            )

    @classmethod
    def symmetric(cls, nominal: float, mpe: float) -> Specification:
        """nominal +/- MPE (maximum permissible error, > 0)."""
        _finite("the nominal value", nominal)
        _finite("the MPE", mpe)
        if mpe <= 0:
            raise ValueError(f"the MPE must be > 0, got {mpe}")
        return cls(lower=nominal - mpe, upper=nominal + mpe)

    @property
    def two_sided(self) -> bool:
        return self.lower is not None and self.upper is not None

    def contains(self, value: float) -> bool:
        return (self.lower is None or value >= self.lower) and (
            self.upper is None or value <= self.upper
        )

    def to_dict(self) -> dict[str, Any]:
        return {"lower": self.lower, "upper": self.upper}


@dataclass(frozen=True)
class Decision:
    """A conformity decision, always with the rule that made it."""

    result: str
    rule: str
    acceptance_interval: tuple[float | None, float | None]
    probability_of_conformity: float
    risk: float
    guard_band: float = 0.0

    @property
    def accepted(self) -> bool:
        return self.result in ("pass", "conditional_pass")

    def to_dict(self) -> dict[str, Any]:
        return {
            "result": self.result,
            "rule": self.rule,
            "acceptance_interval": list(self.acceptance_interval),
            "probability_of_conformity": self.probability_of_conformity,
            "risk": self.risk,
            "guard_band": self.guard_band,
        }


def probability_of_conformity(
    value: float, standard_uncertainty: float, spec: Specification, dof: float = math.inf
) -> float:
    """JCGM 106 7.2-7.5: P(T_L <= Y <= T_U) for Y = value + u Z, Z standard normal (dof
    infinite) or Student t with ``dof`` degrees of freedom. u = 0 gives 1 inside, 0 outside.
    """
    _finite("the value", value)
    u = standard_uncertainty
    if not math.isfinite(u) or u < 0:
        raise ValueError(f"the standard uncertainty must be finite and >= 0, got {u}")
    if math.isnan(dof) or dof <= 0:
        raise ValueError(f"degrees of freedom must be > 0 (or inf), got {dof}")
    if u == 0:
        return 1.0 if spec.contains(value) else 0.0

    def cdf(z: float) -> float:
        return float(special.ndtr(z) if math.isinf(dof) else special.stdtr(dof, z))

    z_upper = math.inf if spec.upper is None else (spec.upper - value) / u
    z_lower = -math.inf if spec.lower is None else (spec.lower - value) / u
    # with both limits above the value, upper tails avoid cancellation near 1
    p = cdf(-z_lower) - cdf(-z_upper) if z_lower > 0 else cdf(z_upper) - cdf(z_lower)
    return min(1.0, max(0.0, p))


def _guard_band(rule: str, expanded: float, k: float, r: float, spec: Specification) -> float:
    if rule == "simple":
        return 0.0
    if rule == "guard_band_U":
        return expanded
    if rule == "guard_band_rU":
        return r * expanded
    if rule == "guard_band_1.645u":
        return GUARD_FACTOR_1645 * expanded / k
    # jjf1094
    if not spec.two_sided:
        raise ValueError(
            "rule 'jjf1094' needs a two-sided specification (nominal +/- MPE): "
            "use 'simple' or a guard-band rule for a one-sided limit"
        )
    assert spec.lower is not None and spec.upper is not None
    mpe = (spec.upper - spec.lower) / 2.0
    return 0.0 if expanded <= mpe / 3.0 else expanded


def _interval_inside(value: float, expanded: float, spec: Specification) -> bool:
    return (spec.lower is None or value - expanded >= spec.lower) and (
        spec.upper is None or value + expanded <= spec.upper
    )


def _interval_reaches(value: float, expanded: float, spec: Specification) -> bool:
    return (spec.lower is None or value + expanded >= spec.lower) and (
        spec.upper is None or value - expanded <= spec.upper
    )


def decide(
    value: float,
    expanded_uncertainty: float,
    spec: Specification,
    rule: str = "simple",
    *,
    coverage_factor: float = 2.0,
    dof: float = math.inf,
    r: float = 1.0,
) -> Decision:
    """Decide conformity of ``value`` +/- ``expanded_uncertainty`` with ``spec`` by ``rule``
    (one of :data:`RULES`). See the module documentation for the exact mapping."""
    if rule not in RULES:
        raise ValueError(f"unknown decision rule {rule!r}: use one of {', '.join(RULES)}")
    if not isinstance(spec, Specification):
        raise ValueError(f"spec must be a Specification, got {type(spec).__name__}")
    _finite("the value", value)
    expanded = float(expanded_uncertainty)
    if not math.isfinite(expanded) or expanded < 0:
        raise ValueError(f"the expanded uncertainty must be finite and >= 0, got {expanded}")
    if not math.isfinite(coverage_factor) or coverage_factor <= 0:
        raise ValueError(f"the coverage factor must be > 0, got {coverage_factor}")
    if math.isnan(dof) or dof <= 0:
        raise ValueError(f"degrees of freedom must be > 0 (or inf), got {dof}")
    if rule == "guard_band_rU" and (not math.isfinite(r) or r < 0):
        raise ValueError(f"the guard-band multiplier r must be finite and >= 0, got {r}")

    w = _guard_band(rule, expanded, coverage_factor, r, spec)
    low = None if spec.lower is None else spec.lower + w
    high = None if spec.upper is None else spec.upper - w
    # an empty acceptance interval (2 w wider than the tolerance interval) accepts nothing
    accepted = (low is None or value >= low) and (high is None or value <= high)

    if rule == "jjf1094" and w == 0.0:
        result = "pass" if accepted else "fail"  # U95 <= MPE/3: the value alone decides
    elif rule == "jjf1094":
        # |y - centre| >= MPE + U is a plain fail (JJF 1094 wording, '>=' included)
        assert spec.lower is not None and spec.upper is not None
        outside = value <= spec.lower - expanded or value >= spec.upper + expanded
        if accepted:
            result = "pass"
        elif outside:
            result = "fail"
        else:
            result = "conditional_pass" if spec.contains(value) else "conditional_fail"
    elif accepted:
        result = "pass" if _interval_inside(value, expanded, spec) else "conditional_pass"
    else:
        result = "conditional_fail" if _interval_reaches(value, expanded, spec) else "fail"

    p_c = probability_of_conformity(value, expanded / coverage_factor, spec, dof)
    risk = 1.0 - p_c if result in ("pass", "conditional_pass") else p_c
    return Decision(
        result=result,
        rule=rule,
        acceptance_interval=(low, high),
        probability_of_conformity=p_c,
        risk=risk,
        guard_band=w,
    )
