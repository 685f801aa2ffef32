"""The generalized least-squares problem of ISO 6143 and the covariance of its solution.

With points (t_i, u(t_i), z_i, u(z_i)) and a fit function z = g(t; b), the coefficients b
and the adjusted values T_i of the independent variable minimise

    S = sum_i (t_i - T_i)^2 / u(t_i)^2 + (z_i - g(T_i; b))^2 / u(z_i)^2

(ISO 6143:2001, the method of B_LEAST: for its analysis function t is the response y and
z the reference value x). When t is exact (no u(t)), the T_i are the t_i and S is the
weighted sum of squares of ordinary weighted least squares. The minimisation is
``scipy.optimize.least_squares`` (MINPACK's Levenberg-Marquardt) over (b, T) with the
exact Jacobian.

The covariance of b is **not scaled** by S / (n - p): the uncertainties of the points are
taken as known, as ISO 6143 and ISO/TS 28037 do. Two forms are offered:

``iso6143`` (default)
    the law of propagation applied to the estimator: b(data) is defined implicitly by
    grad S = 0, so its sensitivity to the data is -H^-1 d(grad S)/d(data) with H the
    Hessian of S/2, giving V(b) = [H^-1 (J'J) H^-1]_bb. H includes the second
    derivatives of the function weighted by the residuals; at a perfect fit it equals
    J'J. This reproduces the covariances published for B_LEAST in ISO 6143:2001
    Annex B (see tests/uncertainty/test_fit_published.py).
``gauss-newton``
    [(J'J)^-1]_bb, the Gauss-Newton approximation: the covariance of ISO/TS 28037:2010
    (its clause 7 example) and the *unscaled* ``cov_beta`` of ODRPACK / ``scipy.odr``
    (whose ``sd_beta`` is scaled by the residual variance S / (n - p)).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from labctl.uncertainty.fit_error import FitError
from labctl.uncertainty.fit_functions import FitFunction

COVARIANCES: tuple[str, ...] = ("iso6143", "gauss-newton")

_CONDITION_LIMIT = 1e14  # of the equilibrated Hessian: beyond it the b are not determined


@dataclass(frozen=True)
class Solution:
    """The minimum of S: coefficients, their (unscaled) covariance, adjusted values."""

    coefficients: np.ndarray
    covariance: np.ndarray
    adjusted: np.ndarray          # T_i (the t_i themselves when t is exact)
    deviation_t: np.ndarray | None  # (t_i - T_i) / u(t_i), or None when t is exact
    deviation_z: np.ndarray       # (z_i - g(T_i)) / u(z_i)
    residual_sum: float           # S at the minimum
    evaluations: int


def solve(function: FitFunction, t: np.ndarray, u_t: np.ndarray | None, z: np.ndarray,
          u_z: np.ndarray, covariance: str = "iso6143") -> Solution:
    """Minimise S (module documentation) and compute the covariance of b.

    Raises ``FitError`` when the iteration does not converge or the points do not
    determine the coefficients.
    """
    if covariance not in COVARIANCES:
        raise FitError(f"unknown covariance {covariance!r}", key=("covariance",),
                       hint=f"use one of {', '.join(COVARIANCES)}")
    p, n = function.parameters, len(t)
    free_t = u_t is not None

    def split(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return theta[:p], (theta[p:] if free_t else t)

    def residuals(theta: np.ndarray) -> np.ndarray:
        b, tt = split(theta)
        rz = (z - function.value(tt, b)) / u_z
        return np.concatenate([(t - tt) / u_t, rz]) if free_t else rz

    def jacobian(theta: np.ndarray) -> np.ndarray:
        b, tt = split(theta)
        jz_b = -function.d_b(tt, b) / u_z[:, None]
        if not free_t:
            return jz_b
        jac = np.zeros((2 * n, p + n))
        idx = np.arange(n)
        jac[idx, p + idx] = -1.0 / u_t
        jac[n:, :p] = jz_b
        jac[n + idx, p + idx] = -function.d_t(tt, b) / u_z
        return jac

    with warnings.catch_warnings():  # a poorly conditioned start is still a start
        warnings.simplefilter("ignore", np.exceptions.RankWarning)
        b0 = function.start(t, z, 1.0 / u_z)
    theta0 = np.concatenate([b0, t]) if free_t else b0
    if not np.all(np.isfinite(residuals(theta0))):
        raise FitError("the fit cannot start: the function is not finite at the points",
                       key=("points",), hint="check the points and the function")
    budget = 200 * (len(theta0) + 1)
    with np.errstate(all="ignore"):
        sol = least_squares(residuals, theta0, jac=jacobian, method="lm", x_scale="jac",
                            xtol=1e-12, ftol=1e-14, gtol=1e-12, max_nfev=budget)
    r = sol.fun
    if sol.status <= 0 or not (np.all(np.isfinite(sol.x)) and np.all(np.isfinite(r))):
        why = ("the iteration limit was reached" if sol.status == 0 else
               "the function left its domain or overflowed" if sol.status > 0 else
               sol.message)
        raise FitError(f"the fit did not converge after {sol.nfev} evaluations ({why})",
                       key=("points",),
                       hint="check the points (units, x and y swapped?) and choose a "
                            "function that can follow them")
    b, tt = split(sol.x)
    jac = jacobian(sol.x)
    cov = _covariance(function, jac, r, b, tt, u_z, free_t, covariance)
    rz = r[n:] if free_t else r
    return Solution(coefficients=b.copy(), covariance=cov, adjusted=np.array(tt, float),
                    deviation_t=r[:n].copy() if free_t else None, deviation_z=rz.copy(),
                    residual_sum=float(r @ r), evaluations=int(sol.nfev))


def _covariance(function: FitFunction, jac: np.ndarray, r: np.ndarray, b: np.ndarray,
                tt: np.ndarray, u_z: np.ndarray, free_t: bool, method: str) -> np.ndarray:
    p, n = function.parameters, len(tt)
    a = jac.T @ jac
    scale = np.sqrt(np.diag(a))
    if np.any(scale == 0) or not np.all(np.isfinite(scale)):
        raise FitError("the points do not determine the coefficients", key=("points",),
                       hint="use points with different values, or a function with "
                            "fewer coefficients")
    d = 1.0 / scale
    a_s = a * np.outer(d, d)
    if method == "gauss-newton":
        h_s = a_s
    else:
        # second-order part of the Hessian of S/2: sum_k r_k d2 r_k; only the z-residuals
        # r_z,i = (z_i - g(T_i; b)) / u_z,i are non-linear in (b, T)
        rz = r[n:] if free_t else r
        c = -rz / u_z
        m = np.zeros_like(a)
        m[:p, :p] = np.einsum("i,ijk->jk", c, function.d_bb(tt, b))
        if free_t:
            idx = np.arange(n)
            cross = c[:, None] * function.d_tb(tt, b)  # (n, p)
            m[:p, p:] = cross.T
            m[p:, :p] = cross
            m[p + idx, p + idx] = c * function.d_tt(tt, b)
        h_s = a_s + m * np.outer(d, d)
    if not np.all(np.isfinite(h_s)) or np.linalg.cond(h_s) > _CONDITION_LIMIT:
        raise FitError("the points do not determine the coefficients (the least-squares "
                       "problem is singular)", key=("points",),
                       hint="use more points with different values, a function with fewer "
                            "coefficients, or an origin near the middle of the points")
    h_inv = np.linalg.inv(h_s)
    full = h_inv if method == "gauss-newton" else h_inv @ a_s @ h_inv
    full = full * np.outer(d, d)
    cov = full[:p, :p]
    return (cov + cov.T) / 2.0
