"""Multi-point calibration fits with uncertainties in both variables (ISO 6143:2001).

``fit_calibration`` fits a straight line, a polynomial of degree 2 or 3, or ISO 6143's
power or exponential function to calibration points (x_i, u(x_i), y_i, u(y_i)) by
generalized least squares, the method of BAM's B_LEAST program: x are the reference
values (the certified contents of the cylinders), y the instrument's responses. ISO
6143 fits the *analysis function* x = g(y) (``direction="analysis"``, the default);
``direction="calibration"`` fits y = f(x) instead. Values are read through either, in
both ways: ``fit.read(y, u_y)`` gives x for a new response, ``fit.at(x, u_x)`` the y
at a value of x.

Which uncertainties are given decides the method:

* u(x) and u(y) for every point: generalized least squares (``fit_solve``), with the
  covariance of the coefficients unscaled (the uncertainties are known) and the
  goodness of fit tested (ISO 6143's gamma <= 2, and chi-square);
* no uncertainty for the independent variable (y of x = g(y), x of y = f(x)): it is
  taken as exact, and the fit is weighted least squares of the dependent variable;
* no uncertainty for the dependent variable either: ordinary least squares, the
  uncertainties unknown and equal; the covariance is scaled by s^2 = S / (n - p) and
  nothing is tested (GUM H.3, the thermometer calibration, is this case).

>>> fit = fit_calibration(x=[0, 100, 200, 300, 400],
...                       y=[0.02, 100.1, 199.8, 300.4, 399.9],
...                       u_x=[0.01, 0.1, 0.2, 0.3, 0.4], u_y=[0.05] * 5,
...                       function="linear")
>>> read = fit.read(250.0, 0.05)        # x for a response of 250, with u(x)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from labctl.uncertainty.fit_error import FitError
from labctl.uncertainty.fit_functions import FUNCTIONS, FitFunction
from labctl.uncertainty.fit_result import (
    DIRECTIONS,
    CalibrationFit,
    FitPoint,
    GoodnessOfFit,
    ReadValue,
)
from labctl.uncertainty.fit_solve import COVARIANCES, solve

GAMMA_LIMIT = 2.0
"""ISO 6143:2001's acceptance limit for the goodness-of-fit measure gamma, the largest
weighted deviation |x_i - X_i| / u(x_i), |y_i - Y_i| / u(y_i) of the points from the
fitted function (the clause that states it is quoted from memory, not checked)."""

SIGNIFICANCE = 0.05
"""Significance level of labctl's chi-square test of the residual sum (ISO 6143 states
gamma; the chi-square test is the check of ISO/TS 28037, quoted from memory)."""

__all__ = [
    "COVARIANCES",
    "DIRECTIONS",
    "FUNCTIONS",
    "GAMMA_LIMIT",
    "SIGNIFICANCE",
    "CalibrationFit",
    "FitError",
    "FitFunction",
    "FitPoint",
    "GoodnessOfFit",
    "ReadValue",
    "fit_calibration",
]

Numbers = Sequence[float] | np.ndarray


def fit_calibration(x: Numbers, y: Numbers, *, u_x: Numbers | None = None,
                    u_y: Numbers | None = None, function: str = "linear",
                    direction: str = "analysis", origin: float = 0.0,
                    covariance: str = "iso6143", gamma_limit: float = GAMMA_LIMIT,
                    significance: float = SIGNIFICANCE, x_name: str = "x", x_unit: str = "",
                    y_name: str = "y", y_unit: str = "") -> CalibrationFit:
    """Fit ``function`` to the points (x_i, u(x_i), y_i, u(y_i)); see the module
    documentation.

    ``function``: ``linear``, ``quadratic``, ``cubic``, ``power``, ``exponential``.
    ``direction``: ``analysis`` (x = g(y - origin), ISO 6143) or ``calibration``
    (y = f(x - origin)). ``covariance``: ``iso6143`` (default; the propagation that
    reproduces ISO 6143's B_LEAST examples) or ``gauss-newton`` (ISO/TS 28037, the
    unscaled ``cov_beta`` of scipy.odr); they agree when the fit is good.
    ``u_x``/``u_y``: standard uncertainties, positive, one per point, or None (see the
    module documentation). Raises ``FitError`` (a ``ConfigError``) whose ``key`` names
    the entry at fault as in a fit file: ``("points", 2, "u_y")``.
    """
    if function not in FUNCTIONS:
        raise FitError(f"unknown function {function!r}", key=("function",),
                       hint=f"use one of {', '.join(FUNCTIONS)}")
    if direction not in DIRECTIONS:
        raise FitError(f"unknown direction {direction!r}", key=("direction",),
                       hint="analysis: x = g(y), as ISO 6143 fits it; calibration: y = f(x)")
    if covariance not in COVARIANCES:
        raise FitError(f"unknown covariance {covariance!r}", key=("covariance",),
                       hint=f"use one of {', '.join(COVARIANCES)}")
    if not math.isfinite(origin):
        raise FitError("the origin must be a finite number", key=("origin",))
    if not gamma_limit > 0 or not 0 < significance < 1:
        raise FitError("gamma_limit must be positive and significance between 0 and 1",
                       key=("goodness",))
    fn = FUNCTIONS[function]
    xs = _values(x, "x")
    ys = _values(y, "y")
    n = len(xs)
    if len(ys) != n:
        raise FitError(f"{n} values of x but {len(ys)} of y", key=("points",))
    uxs = None if u_x is None else _uncertainties(u_x, "u_x", n)
    uys = None if u_y is None else _uncertainties(u_y, "u_y", n)
    p = fn.parameters
    if n < p + 1:
        raise FitError(
            f"a {function} function has {p} coefficients: it needs at least {p + 1} "
            f"calibration points, got {n}", key=("points",),
            hint="ISO 6143 asks for more points than coefficients, so that the function "
                 "can be validated; add points or choose a function with fewer coefficients")

    analysis = direction == "analysis"
    t, u_t = (ys, uys) if analysis else (xs, uxs)
    z, u_z = (xs, uxs) if analysis else (ys, uys)
    ind, dep = ("y", "x") if analysis else ("x", "y")
    ordinary = u_z is None
    if ordinary and u_t is not None:
        raise FitError(
            f"u_{dep} is missing: with u_{ind} given, the uncertainties of {dep} are needed "
            "too", key=("points", 0, f"u_{dep}"),
            hint=f"give u_{dep} for every point; leave out both u_x and u_y for ordinary "
                 "least squares (unknown, equal uncertainties)")
    t = t - origin
    error = fn.domain_error(t)
    if error:
        raise FitError(error, key=("points",), hint="choose another function or origin")
    sol = solve(fn, t, u_t, z, np.ones(n) if u_z is None else u_z, covariance)
    dof = n - p
    s_min = sol.residual_sum
    cov = sol.covariance
    if ordinary:
        s2 = s_min / dof
        cov = cov * s2
        goodness = GoodnessOfFit(s_min, dof, None, gamma_limit, None, significance,
                                 math.sqrt(s2))
    else:
        from scipy.special import chdtrc  # P(chi2 > S): scipy.stats.chi2.sf, less overhead

        dev = np.abs(sol.deviation_z)
        if sol.deviation_t is not None:
            dev = np.concatenate([dev, np.abs(sol.deviation_t)])
        goodness = GoodnessOfFit(s_min, dof, float(dev.max()), gamma_limit,
                                 float(chdtrc(dof, s_min)), significance, None)

    fitted_z = fn.value(sol.adjusted, sol.coefficients)
    adjusted_t = sol.adjusted + origin
    points = []
    for i in range(n):
        wt = None if sol.deviation_t is None else float(sol.deviation_t[i])
        wz = None if ordinary else float(sol.deviation_z[i])
        adj_x, adj_y = ((float(fitted_z[i]), float(adjusted_t[i])) if analysis
                        else (float(adjusted_t[i]), float(fitted_z[i])))
        w_x, w_y = (wz, wt) if analysis else (wt, wz)
        points.append(FitPoint(
            x=float(xs[i]), u_x=None if uxs is None else float(uxs[i]), y=float(ys[i]),
            u_y=None if uys is None else float(uys[i]), adjusted_x=adj_x, adjusted_y=adj_y,
            weighted_x=w_x, weighted_y=w_y))
    return CalibrationFit(
        function=fn, direction=direction, origin=float(origin),
        coefficients=sol.coefficients, covariance=cov, covariance_method=covariance,
        ordinary=ordinary, goodness=goodness, points=tuple(points), x_name=x_name,
        x_unit=x_unit, y_name=y_name, y_unit=y_unit, evaluations=sol.evaluations)


def _values(values: Numbers, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise FitError(f"the values of {name} must be numbers", key=("points",)) from exc
    if arr.ndim != 1:
        raise FitError(f"the values of {name} must be a flat list", key=("points",))
    bad = np.nonzero(~np.isfinite(arr))[0]
    if len(bad):
        raise FitError(f"{name} is not a finite number", key=("points", int(bad[0]), name))
    return arr


def _uncertainties(values: Numbers, name: str, n: int) -> np.ndarray:
    arr = _values(values, name)
    if len(arr) != n:
        raise FitError(f"{n} points but {len(arr)} values of {name}", key=("points",))
    bad = np.nonzero(arr <= 0)[0]
    if len(bad):
        raise FitError(f"{name} must be positive, got {arr[bad[0]]:g}",
                       key=("points", int(bad[0]), name),
                       hint="a standard uncertainty is > 0; leave it out for every point "
                            "when that variable is exact (or its uncertainty unknown)")
    return arr
