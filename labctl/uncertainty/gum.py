"""The GUM uncertainty framework (JCGM 100) on plain numbers.

Everything here works in one coherent set of units (the budget converts): the law of
propagation of uncertainty to first order, with sensitivities from the automatic
derivatives of the ``uncertainties`` package; the optional second-order terms of
GUM 5.1.2 (note); Welch-Satterthwaite effective degrees of freedom (G.4.1, truncated
as G.6.4 says); and coverage factors from Student's t (G.3, Table G.2).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from labctl.uncertainty.expression import Expression, ExpressionError

DEFAULT_PROBABILITY = 0.9545
"""The default coverage probability: the 95.45 % of k = 2 for a normal distribution."""


@lru_cache(maxsize=1024)
def coverage_factor(probability: float = DEFAULT_PROBABILITY, dof: float = math.inf) -> float:
    """k_p = t_p(nu): the two-sided Student's t quantile (the normal one for infinite dof)."""
    from scipy import special

    if not 0.0 < probability < 1.0:
        raise ValueError(f"coverage probability must lie strictly between 0 and 1, got "
                         f"{probability}")
    if not dof > 0:
        raise ValueError(f"degrees of freedom must be positive, got {dof}")
    q = 0.5 + probability / 2.0
    if math.isinf(dof):
        return float(special.ndtri(q))
    return float(special.stdtrit(dof, q))


@lru_cache(maxsize=1024)
def coverage_probability(k: float, dof: float = math.inf) -> float:
    """The two-sided probability of [-k, k] under t_nu (normal for infinite dof)."""
    from scipy import special

    if not k > 0:
        raise ValueError(f"coverage factor must be positive, got {k}")
    if math.isinf(dof):
        return float(special.erf(k / math.sqrt(2.0)))
    return float(2.0 * special.stdtr(dof, k) - 1.0)


#: Effective degrees of freedom above this are reported as infinite: t_p(nu) equals the
#: normal quantile to better than 1e-6 there, and a component whose contribution is
#: negligible (u_i/u_c ~ 1e-9) would otherwise give nu ~ 1e36, a number no record holds.
DOF_INFINITE = 1e6


def welch_satterthwaite(combined_uncertainty: float, contributions: Sequence[float],
                        dofs: Sequence[float]) -> float:
    """Effective degrees of freedom (GUM G.2b), truncated to the integer below (G.6.4).

    ``contributions`` are the u_i(y) = |c_i| u(x_i); components with infinite dof add
    nothing to the denominator. Returns ``math.inf`` when no finite-dof component
    contributes, when nu exceeds ``DOF_INFINITE``, or when the combined uncertainty is
    zero; else an integer >= 1 as a float
    (``int(nu)`` is exact).
    """
    if combined_uncertainty <= 0.0:
        return math.inf
    denominator = 0.0
    for u_i, nu_i in zip(contributions, dofs, strict=True):
        if u_i and not math.isinf(nu_i):
            ratio = u_i / combined_uncertainty
            denominator += ratio ** 4 / nu_i
    if denominator == 0.0:
        return math.inf
    nu = 1.0 / denominator
    if nu > DOF_INFINITE:
        return math.inf
    # 1e-9 keeps an exact integer (one dominant component with 18 dof gives 18, not 17)
    # from being truncated after rounding in the sums above.
    return float(max(1, math.floor(nu * (1.0 + 1e-9))))


@dataclass(frozen=True, slots=True)
class Propagation:
    """First-order GUM result in coherent units (plus the optional second-order term)."""

    value: float
    standard_uncertainty: float
    sensitivities: tuple[float, ...]
    contributions: tuple[float, ...]  # |c_i| u(x_i)
    shares: tuple[float, ...]  # share of u_c^2 (with correlations: c_i u_i sum_j r_ij c_j u_j)
    second_order_variance: float = 0.0


def gradient(expr: Expression, names: Sequence[str], values: Sequence[float]
             ) -> tuple[float, tuple[float, ...]]:
    """The model's value and its partial derivatives at ``values`` (automatic, exact).

    Each input becomes an ``uncertainties`` Variable (tagged with its name); the model is
    evaluated once on them and the derivatives are read from the result. Variables are
    given a unit standard deviation: only the derivatives are used here.
    """
    from uncertainties import ufloat

    variables = [ufloat(v, 1.0, tag=n) for n, v in zip(names, values, strict=True)]
    y = expr.function("ufloat")(dict(zip(names, variables, strict=True)))
    derivatives = getattr(y, "derivatives", None)
    if derivatives is None:  # the model does not depend on any input
        return float(y), tuple(0.0 for _ in names)
    return float(y.nominal_value), tuple(float(derivatives.get(v, 0.0)) for v in variables)


def propagate(expr: Expression, names: Sequence[str], values: Sequence[float],
              uncertainties: Sequence[float], correlation: np.ndarray | None = None,
              second_order: bool = False) -> Propagation:
    """The law of propagation of uncertainty (GUM 5.1.2, 5.2.2) at the input estimates.

    ``correlation`` is the input correlation matrix (ordered as ``names``), or ``None``
    for uncorrelated inputs. ``second_order`` adds the higher-order terms of the note to
    GUM 5.1.2 (uncorrelated inputs only): see :func:`second_order_variance`.
    """
    y, c = gradient(expr, names, values)
    for name, ci in zip(names, c, strict=True):
        if not math.isfinite(ci):
            raise ExpressionError(
                f"the model has no finite derivative with respect to {name!r} at its "
                f"estimate (sensitivity {ci})",
                hint="the GUM law of propagation needs a differentiable model; "
                     "use Monte Carlo alone or change the model")
    cu = [ci * ui for ci, ui in zip(c, uncertainties, strict=True)]
    if correlation is None:
        squares = [x * x for x in cu]
        variance = math.fsum(squares)
    else:
        v = np.asarray(cu)
        weighted = correlation @ v
        squares = [float(x) for x in v * weighted]
        variance = max(0.0, float(v @ weighted))
    extra = 0.0
    if second_order:
        if correlation is not None:
            raise ValueError("second-order terms are defined for uncorrelated inputs only")
        extra = second_order_variance(expr, names, values, uncertainties, (y, c))
        variance = max(0.0, variance + extra)
    u = math.sqrt(variance)
    shares = tuple(s / variance if variance > 0 else 0.0 for s in squares)
    return Propagation(y, u, c, tuple(abs(x) for x in cu), shares, extra)


def second_order_variance(expr: Expression, names: Sequence[str], values: Sequence[float],
                          uncertainties: Sequence[float],
                          at: tuple[float, Sequence[float]] | None = None,
                          step: float = 0.1) -> float:
    """The higher-order terms of the note to GUM 5.1.2 (eq. 10 with uncorrelated inputs):

        sum_i sum_j [ (d2f/dxi dxj)^2 / 2 + df/dxi * d3f/dxi dxj^2 ] u^2(xi) u^2(xj)

    Method: the first derivatives are exact (automatic differentiation, see
    :func:`gradient`); the second and third derivatives are central differences of that
    exact gradient along each input j, with the step h_j = ``step`` * u(x_j):
    d2f/dxi dxj = (g_i(x+h e_j) - g_i(x-h e_j)) / 2h and
    d3f/dxi dxj^2 = (g_i(x+h e_j) - 2 g_i(x) + g_i(x-h e_j)) / h^2.
    Both are exact for models whose gradient is at most quadratic in each input (every
    polynomial of degree <= 3 in each input, such as the end-gauge model of GUM H.1);
    scaling h with u keeps the rounding error far below the first-order terms. The
    model must be defined within +/- h of the estimates. 2n+1 gradient evaluations.
    """
    y0, g0 = at if at is not None else gradient(expr, names, values)
    n = len(names)
    u2 = [u * u for u in uncertainties]
    total = 0.0
    base = list(values)
    for j in range(n):
        if uncertainties[j] <= 0.0:
            continue
        h = step * uncertainties[j]
        plus, minus = list(base), list(base)
        plus[j] = base[j] + h
        minus[j] = base[j] - h
        h_plus = plus[j] - base[j]  # the steps actually taken after rounding
        h_minus = base[j] - minus[j]
        if h_plus == 0.0 or h_minus == 0.0:
            continue
        try:
            _, g_plus = gradient(expr, names, plus)
            _, g_minus = gradient(expr, names, minus)
        except ExpressionError as exc:
            raise ExpressionError(
                f"second-order terms need the model defined around the estimate of "
                f"{names[j]!r} (+/- {h:g}): {exc.message}") from exc
        width = h_plus + h_minus
        for i in range(n):
            if u2[i] == 0.0:
                continue
            d2 = (g_plus[i] - g_minus[i]) / width
            d3 = 2.0 * ((g_plus[i] - g0[i]) / h_plus - (g0[i] - g_minus[i]) / h_minus) / width
            total += (0.5 * d2 * d2 + g0[i] * d3) * u2[i] * u2[j]
    return total
