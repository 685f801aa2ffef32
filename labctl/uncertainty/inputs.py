"""Input quantities of a budget: how each kind of knowledge becomes (x, u(x), dof).

===============================  ========================================  ===============
given as                         standard uncertainty u(x)                 dof
===============================  ========================================  ===============
standard_uncertainty             as given (normal)                         ``dof`` or inf
expanded_uncertainty + k         U / k (normal)                            ``dof`` or inf
expanded + coverage_probability  U / k_p, k_p = t_p(dof) (normal if inf)   ``dof`` or inf
distribution + half_width        a/sqrt(3) rectangular, a/sqrt(6)          inf
                                 triangular, a/sqrt(2) arcsine
resolution                       rectangular, a = resolution / 2           inf
samples                          s / sqrt(n), estimate the mean (Type A)   n - 1
samples + pooled_sd              s_p / sqrt(n)                             ``pooled_dof``
reliability r (any Type B)       unchanged                                 1 / (2 r^2)
===============================  ========================================  ===============

(``pooled_dof`` defaults to inf; the reliability rule is GUM G.4.2.)

For Monte Carlo (:meth:`Input.to_distribution`), a normal input with finite dof and every
Type A input become a scaled-and-shifted t with scale u(x) (JCGM 101 6.4.9.7, and
6.4.9.2 for Type A); bounded inputs keep their shape whatever their reliability.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from labctl.errors import ConfigError

DISTRIBUTIONS: tuple[str, ...] = ("normal", "t", "rectangular", "triangular", "arcsine")
BOUNDED: dict[str, float] = {
    "rectangular": math.sqrt(3.0),
    "triangular": math.sqrt(6.0),
    "arcsine": math.sqrt(2.0),
}
"""Bounded distributions and the divisor giving u from the half-width a."""


class InputError(ConfigError):
    """A bad input quantity; ``field`` names the offending parameter (file key)."""

    def __init__(self, message: str, *, field: str | None = None, hint: str | None = None,
                 where: str | None = None):
        self.field = field
        super().__init__(message, where=where, hint=hint)


def _number(field: str, value: Any, *, positive: bool = False,
            non_negative: bool = False, allow_inf: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{field} must be a number, got {value!r}", field=field)
    x = float(value)
    if math.isnan(x) or (math.isinf(x) and not allow_inf):
        raise InputError(f"{field} must be a finite number, got {value!r}", field=field)
    if positive and not x > 0:
        raise InputError(f"{field} must be positive, got {value!r}", field=field)
    if non_negative and x < 0:
        raise InputError(f"{field} must not be negative, got {value!r}", field=field,
                         hint="give the magnitude of the uncertainty")
    return x


def _dof(dof: Any, reliability: Any) -> float:
    if reliability is not None:
        if dof is not None and not (isinstance(dof, float) and math.isinf(dof)):
            raise InputError("give either dof or reliability, not both", field="reliability")
        r = _number("reliability", reliability, positive=True)
        return round(0.5 / (r * r), 9)  # r = 0.1 gives 50, not 49.99999999999999
    if dof is None:
        return math.inf
    return _number("dof", dof, positive=True, allow_inf=True)


@dataclass(frozen=True, slots=True)
class Input:
    """An input estimate x with its standard uncertainty u(x), distribution and dof.

    Build one with the class methods (``Input.standard``, ``Input.expanded``,
    ``Input.rectangular``/``triangular``/``arcsine``/``bounded``, ``Input.resolution``,
    ``Input.samples``); ``unit`` is a unit string for :mod:`labctl.units`.
    """

    value: float
    standard_uncertainty: float
    distribution: str = "normal"
    dof: float = math.inf
    unit: str | None = None
    kind: str = "standard"
    """How the input was given: standard, expanded, bounded, resolution, samples, pooled."""
    type_a: bool = False
    description: str = ""
    observations: tuple[float, ...] = ()
    """The samples of a Type A input (for correlations from paired samples)."""

    def __post_init__(self) -> None:
        if self.distribution not in DISTRIBUTIONS:
            raise InputError(f"unknown distribution {self.distribution!r}",
                             field="distribution",
                             hint=f"use one of {', '.join(DISTRIBUTIONS)}")
        _number("value", self.value)
        _number("standard_uncertainty", self.standard_uncertainty, non_negative=True)
        if math.isnan(self.dof) or self.dof <= 0:
            raise InputError(f"dof must be positive, got {self.dof}", field="dof")

    # ------------------------------------------------------------------ constructors

    @classmethod
    def standard(cls, value: float, standard_uncertainty: float, *, dof: float | None = None,
                 reliability: float | None = None, unit: str | None = None,
                 description: str = "") -> Input:
        """A normal input from its standard uncertainty (optionally with dof or reliability)."""
        u = _number("standard_uncertainty", standard_uncertainty, non_negative=True)
        return cls(_number("value", value), u, "normal", _dof(dof, reliability), unit,
                   "standard", False, description)

    @classmethod
    def expanded(cls, value: float, expanded_uncertainty: float, *, k: float | None = None,
                 coverage_probability: float | None = None, dof: float | None = None,
                 reliability: float | None = None, unit: str | None = None,
                 description: str = "") -> Input:
        """A certificate's x +/- U with k, or with a coverage probability (then k = t_p(dof),
        the normal quantile for infinite dof)."""
        from labctl.uncertainty.gum import coverage_factor

        big_u = _number("expanded_uncertainty", expanded_uncertainty, non_negative=True)
        nu = _dof(dof, reliability)
        if (k is None) == (coverage_probability is None):
            raise InputError("an expanded uncertainty needs k or coverage_probability "
                             "(exactly one of them)", field="k")
        if k is not None:
            factor = _number("k", k, positive=True)
        else:
            p = _number("coverage_probability", coverage_probability)
            if not 0.0 < p < 1.0:
                raise InputError(f"coverage_probability must lie between 0 and 1, got {p}",
                                 field="coverage_probability",
                                 hint="write 0.95 for 95 %")
            factor = coverage_factor(p, nu)
        return cls(_number("value", value), big_u / factor, "normal", nu, unit, "expanded",
                   False, description)

    @classmethod
    def bounded(cls, value: float, half_width: float, distribution: str = "rectangular", *,
                reliability: float | None = None, unit: str | None = None,
                description: str = "") -> Input:
        """A symmetric bounded distribution of half-width a about ``value``."""
        if distribution not in BOUNDED:
            raise InputError(f"unknown distribution {distribution!r} for a half_width",
                             field="distribution",
                             hint=f"use one of {', '.join(BOUNDED)}; for a normal input "
                                  "give a standard_uncertainty")
        a = _number("half_width", half_width, non_negative=True)
        return cls(_number("value", value), a / BOUNDED[distribution], distribution,
                   _dof(None, reliability), unit, "bounded", False, description)

    @classmethod
    def rectangular(cls, value: float, half_width: float, **kw: Any) -> Input:
        """Rectangular (uniform) on [value - a, value + a]: u = a / sqrt(3)."""
        return cls.bounded(value, half_width, "rectangular", **kw)

    @classmethod
    def triangular(cls, value: float, half_width: float, **kw: Any) -> Input:
        """Symmetric triangular on [value - a, value + a]: u = a / sqrt(6)."""
        return cls.bounded(value, half_width, "triangular", **kw)

    @classmethod
    def arcsine(cls, value: float, half_width: float, **kw: Any) -> Input:
        """U-shaped (arcsine) on [value - a, value + a]: u = a / sqrt(2)."""
        return cls.bounded(value, half_width, "arcsine", **kw)

    @classmethod
    def resolution(cls, value: float, resolution: float, *, reliability: float | None = None,
                   unit: str | None = None, description: str = "") -> Input:
        """A reading of a digital indication: rectangular with half-width resolution / 2."""
        step = _number("resolution", resolution, non_negative=True)
        return cls(_number("value", value), step / 2.0 / BOUNDED["rectangular"],
                   "rectangular", _dof(None, reliability), unit, "resolution", False,
                   description)

    @classmethod
    def samples(cls, samples: Sequence[float], *, pooled_sd: float | None = None,
                pooled_dof: float | None = None, unit: str | None = None,
                description: str = "") -> Input:
        """Type A from repeated observations: the mean, s/sqrt(n) and n - 1 dof; or, with a
        pooled standard deviation from earlier work, s_p/sqrt(n) and ``pooled_dof``."""
        if isinstance(samples, str | bytes) or not isinstance(samples, Sequence):
            raise InputError("samples must be a list of numbers", field="samples")
        xs = [_number("samples", x) for x in samples]
        n = len(xs)
        mean = math.fsum(xs) / n if n else math.nan
        if pooled_sd is None:
            if pooled_dof is not None:
                raise InputError("pooled_dof needs pooled_sd", field="pooled_dof")
            if n < 2:
                raise InputError(f"a Type A evaluation needs at least 2 samples, got {n}",
                                 field="samples",
                                 hint="add observations, or give a pooled_sd")
            s = statistics.stdev(xs)
            return cls(mean, s / math.sqrt(n), "normal", float(n - 1), unit, "samples",
                       True, description, tuple(xs))
        if n < 1:
            raise InputError("samples must hold at least one observation", field="samples")
        sp = _number("pooled_sd", pooled_sd, non_negative=True)
        nu = math.inf if pooled_dof is None else _number("pooled_dof", pooled_dof,
                                                         positive=True, allow_inf=True)
        return cls(mean, sp / math.sqrt(n), "normal", nu, unit, "pooled", True, description,
                   tuple(xs))

    # ------------------------------------------------------------------ uses

    def correlation_with(self, other: Input) -> float:
        """The correlation of two means from paired observations (GUM 5.2.3, eq. 17):
        r = s(q, r) / (s(q) s(r)), with the samples' covariance and standard deviations."""
        a, b = self.observations, other.observations
        if len(a) < 2 or len(a) != len(b):
            raise InputError("a correlation from samples needs two inputs given as samples "
                             f"of the same length (got {len(a)} and {len(b)})",
                             field="samples")
        sa, sb = statistics.stdev(a), statistics.stdev(b)
        if sa == 0 or sb == 0:
            raise InputError("a correlation from samples needs samples that vary",
                             field="samples")
        r = statistics.covariance(a, b) / (sa * sb)
        return max(-1.0, min(1.0, r))  # rounding can step past +/-1 for collinear samples

    @property
    def mcm_kind(self) -> str:
        """The Monte Carlo distribution: t for normal inputs with finite dof."""
        if self.distribution == "normal" and not math.isinf(self.dof):
            return "t"
        return self.distribution

    def to_distribution(self, value: float | None = None,
                        standard_uncertainty: float | None = None) -> Any:
        """The :class:`labctl.uncertainty.mcm.InputDistribution` of this input (value and u
        may be overridden, e.g. by the same numbers in coherent units)."""
        from labctl.uncertainty.mcm import InputDistribution

        return InputDistribution(
            kind=self.mcm_kind,
            value=self.value if value is None else value,
            standard_uncertainty=(self.standard_uncertainty if standard_uncertainty is None
                                  else standard_uncertainty),
            dof=self.dof,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "unit": self.unit or "",
            "standard_uncertainty": self.standard_uncertainty,
            "distribution": self.distribution,
            "dof": None if math.isinf(self.dof) else self.dof,
            "kind": self.kind,
        }
