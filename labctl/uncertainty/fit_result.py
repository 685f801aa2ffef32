"""A fitted calibration: coefficients, covariance, goodness of fit, and values read
through the fitted function with their uncertainties."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from labctl.uncertainty.fit_error import FitError
from labctl.uncertainty.fit_functions import FitFunction

DIRECTIONS: dict[str, str] = {
    "analysis": "x = g(y)",      # ISO 6143:2001: the analysis function
    "calibration": "y = f(x)",   # the response as a function of the reference value
}


@dataclass(frozen=True, slots=True)
class FitPoint:
    """One calibration point and what the fit made of it. ``adjusted_*`` are the fitted
    values (on the curve); ``weighted_*`` the deviations divided by the point's
    uncertainty (None where it has none)."""

    x: float
    u_x: float | None
    y: float
    u_y: float | None
    adjusted_x: float
    adjusted_y: float
    weighted_x: float | None
    weighted_y: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"x": self.x, "u_x": self.u_x, "y": self.y, "u_y": self.u_y,
                "adjusted_x": self.adjusted_x, "adjusted_y": self.adjusted_y,
                "weighted_deviation_x": self.weighted_x,
                "weighted_deviation_y": self.weighted_y}


@dataclass(frozen=True, slots=True)
class GoodnessOfFit:
    """ISO 6143's criterion (gamma, the largest weighted deviation, at most
    ``gamma_limit``) and the chi-square test of the residual sum against its degrees of
    freedom. With unknown uncertainties (ordinary least squares) neither applies:
    ``residual_sd`` is then the standard deviation s of the residuals."""

    residual_sum: float
    dof: int
    gamma: float | None
    gamma_limit: float
    p_value: float | None
    significance: float
    residual_sd: float | None

    @property
    def gamma_ok(self) -> bool | None:
        return None if self.gamma is None else self.gamma <= self.gamma_limit

    @property
    def chi_square_ok(self) -> bool | None:
        return None if self.p_value is None else self.p_value >= self.significance

    @property
    def passed(self) -> bool | None:
        """True when both tests pass, False when either fails, None when not tested."""
        checks = [c for c in (self.gamma_ok, self.chi_square_ok) if c is not None]
        return None if not checks else all(checks)

    def to_dict(self) -> dict[str, Any]:
        return {"residual_sum": self.residual_sum, "dof": self.dof,
                "reduced_chi_square": self.residual_sum / self.dof if self.dof else None,
                "gamma": self.gamma, "gamma_limit": self.gamma_limit,
                "gamma_ok": self.gamma_ok, "p_value": self.p_value,
                "significance": self.significance, "chi_square_ok": self.chi_square_ok,
                "residual_sd": self.residual_sd, "passed": self.passed}


@dataclass(frozen=True, slots=True)
class ReadValue:
    """A value read through the fitted function: ``quantity`` ("x" or "y") from the
    ``given`` value of the other one, with its standard uncertainty. ``u_given`` and
    ``u_coefficients`` are the two parts of it (from the given value's uncertainty, and
    from the covariance of the coefficients)."""

    quantity: str
    name: str
    unit: str
    value: float
    standard_uncertainty: float
    given: float
    u_given_value: float
    u_given: float
    u_coefficients: float
    dof: float
    extrapolated: bool

    def to_dict(self) -> dict[str, Any]:
        return {"quantity": self.quantity, "name": self.name, "unit": self.unit,
                "value": self.value, "standard_uncertainty": self.standard_uncertainty,
                "from": self.given, "from_uncertainty": self.u_given_value,
                "u_from_given": self.u_given, "u_from_coefficients": self.u_coefficients,
                "dof": None if math.isinf(self.dof) else self.dof,
                "extrapolated": self.extrapolated}


@dataclass(frozen=True)
class CalibrationFit:
    """The result of :func:`labctl.uncertainty.fit_calibration`.

    ``coefficients`` b0, b1... of ``function`` in the direction given (``analysis``:
    x = g(y - origin), ISO 6143's analysis function; ``calibration``: y = f(x - origin)),
    their ``covariance`` (unscaled when the points' uncertainties are known; scaled by
    s^2 in ordinary least squares), the ``goodness`` of fit, and the ``points`` with
    their adjusted values and weighted deviations.
    """

    function: FitFunction
    direction: str
    origin: float
    coefficients: np.ndarray
    covariance: np.ndarray
    covariance_method: str
    ordinary: bool          # ordinary least squares: unknown, equal u of the dependent
    goodness: GoodnessOfFit
    points: tuple[FitPoint, ...]
    x_name: str = "x"
    x_unit: str = ""
    y_name: str = "y"
    y_unit: str = ""
    evaluations: int = 0

    # ------------------------------------------------------------------ properties

    @property
    def dof(self) -> int:
        return self.goodness.dof

    @property
    def standard_uncertainties(self) -> np.ndarray:
        return np.sqrt(np.diag(self.covariance))

    @property
    def correlation(self) -> np.ndarray:
        u = self.standard_uncertainties
        with np.errstate(invalid="ignore", divide="ignore"):
            r = self.covariance / np.outer(u, u)
        return np.where(np.outer(u, u) > 0, r, 0.0)

    @property
    def independent(self) -> str:
        """``"y"`` for the analysis function x = g(y), ``"x"`` for y = f(x)."""
        return "y" if self.direction == "analysis" else "x"

    @property
    def dependent(self) -> str:
        return "x" if self.direction == "analysis" else "y"

    @property
    def read_dof(self) -> float:
        """Degrees of freedom of the coefficients' covariance: n - p in ordinary least
        squares (s estimated from the residuals), infinite otherwise."""
        return float(self.dof) if self.ordinary else math.inf

    def coefficient_units(self) -> list[str]:
        dep, ind = ((self.x_unit, self.y_unit) if self.direction == "analysis"
                    else (self.y_unit, self.x_unit))
        return self.function.coefficient_units(dep, ind)

    def equation(self) -> str:
        """The fitted function in words: ``x = b0 + b1*(y - 20)``."""
        ind = self.y_name if self.direction == "analysis" else self.x_name
        dep = self.x_name if self.direction == "analysis" else self.y_name
        var = ind if self.origin == 0 else f"({ind} - {self.origin:g})"
        return f"{dep} = {self.function.formula.replace('t', var)}"

    # ------------------------------------------------------------------ evaluation

    def __call__(self, value: float | np.ndarray) -> float | np.ndarray:
        """The fitted function at ``value`` of its independent variable."""
        t = np.atleast_1d(np.asarray(value, float)) - self.origin
        out = self.function.value(t, self.coefficients)
        return float(out[0]) if np.ndim(value) == 0 else out

    def read(self, y: float, u_y: float = 0.0) -> ReadValue:
        """x for a new response ``y`` with standard uncertainty ``u_y`` (ISO 6143's use
        of the analysis function; a y = f(x) fit is inverted)."""
        return self.read_values([("y", y, u_y)])[0][0]

    def at(self, x: float, u_x: float = 0.0) -> ReadValue:
        """y at a value ``x`` with standard uncertainty ``u_x`` (GUM H.3: the correction
        at 30 degC; an x = g(y) fit is inverted)."""
        return self.read_values([("x", x, u_x)])[0][0]

    def read_values(self, items: list[tuple[str, float, float]]
                    ) -> tuple[list[ReadValue], np.ndarray]:
        """Several values read through the function, and their covariance matrix (they
        share the coefficients, so they are correlated). Each item is ``("y", value, u)``
        (read x from a response) or ``("x", value, u)`` (y at a value of x)."""
        values, sens, grads, u_in, results = [], [], [], [], []
        for k, (given_kind, given, u_given) in enumerate(items):
            if given_kind not in ("x", "y"):
                raise FitError(f"read: {given_kind!r} is neither x nor y", key=("read", k))
            if not math.isfinite(given) or not math.isfinite(u_given) or u_given < 0:
                raise FitError("a value to read needs a finite value and a non-negative "
                               "uncertainty", key=("read", k))
            forward = given_kind == self.independent
            t = given - self.origin if forward else self._inverse(given, k)
            t_arr = np.array([t])
            b = self.coefficients
            slope = float(self.function.d_t(t_arr, b)[0])
            grad = self.function.d_b(t_arr, b)[0]
            if forward:
                value, s, g = float(self.function.value(t_arr, b)[0]), slope, grad
            else:
                if slope == 0:
                    raise FitError(f"cannot read {given:g} through the function: its slope "
                                   "is zero there", key=("read", k))
                value, s, g = t + self.origin, 1.0 / slope, -grad / slope
            values.append(value)
            sens.append(s)
            grads.append(g)
            u_in.append(u_given)
            results.append((given_kind, given, u_given, value, s, g))
        grads_a = np.array(grads).reshape(len(items), -1)
        cov = grads_a @ self.covariance @ grads_a.T + np.diag((np.array(sens) *
                                                               np.array(u_in)) ** 2)
        cov = (cov + cov.T) / 2.0
        out = []
        for k, (given_kind, given, u_given, value, s, g) in enumerate(results):
            quantity = "y" if given_kind == "x" else "x"
            name, unit = ((self.x_name, self.x_unit) if quantity == "x"
                          else (self.y_name, self.y_unit))
            lo, hi = self._range(quantity)
            out.append(ReadValue(
                quantity=quantity, name=name, unit=unit, value=value,
                standard_uncertainty=math.sqrt(max(cov[k, k], 0.0)), given=given,
                u_given_value=u_given, u_given=abs(s) * u_given,
                u_coefficients=math.sqrt(max(float(g @ self.covariance @ g), 0.0)),
                dof=self.read_dof, extrapolated=not lo <= value <= hi))
        return out, cov

    def _range(self, quantity: str) -> tuple[float, float]:
        vals = [p.x if quantity == "x" else p.y for p in self.points]
        span = max(vals) - min(vals)
        slack = 1e-9 * (span or 1.0)
        return min(vals) - slack, max(vals) + slack

    def _inverse(self, target: float, k: int) -> float:
        """The t (origin removed) where the fitted function equals ``target``: the root
        nearest to the calibration points, searched in their range widened by half of
        its span on each side."""
        from scipy.optimize import brentq

        ts = np.array([(p.y if self.independent == "y" else p.x) for p in self.points])
        ts = ts - self.origin
        lo, hi = float(ts.min()), float(ts.max())
        span = hi - lo
        a, c = lo - span / 2, hi + span / 2
        if self.function.domain_error(np.array([a])):
            a = lo / 10 if lo > 0 else a
        grid = np.linspace(a, c, 401)
        b = self.coefficients
        with np.errstate(all="ignore"):
            f = self.function.value(grid, b) - target
        roots = []
        for i in np.nonzero(np.sign(f[:-1]) * np.sign(f[1:]) <= 0)[0]:
            if f[i] == 0:
                roots.append(float(grid[i]))
            elif np.isfinite(f[i]) and np.isfinite(f[i + 1]):
                roots.append(brentq(lambda v: float(self.function.value(np.array([v]), b)[0])
                                    - target, grid[i], grid[i + 1], xtol=1e-14 * max(1.0, span),
                                    rtol=1e-15))
        if not roots:
            dep = self.dependent
            raise FitError(f"{target:g} is out of reach: the fitted function does not take "
                           f"this value of {dep} in or near the calibration range",
                           key=("read", k),
                           hint="read values within the range of the calibration points")
        centre = (lo + hi) / 2
        return min(roots, key=lambda r: abs(r - centre))

    # ------------------------------------------------------------------ output

    def to_dict(self) -> dict[str, Any]:
        u = self.standard_uncertainties
        units = self.coefficient_units()
        return {
            "function": self.function.name,
            "direction": self.direction,
            "equation": self.equation(),
            "origin": self.origin,
            "x": {"name": self.x_name, "unit": self.x_unit},
            "y": {"name": self.y_name, "unit": self.y_unit},
            "coefficients": [{"name": f"b{i}", "value": float(v), "unit": units[i],
                              "standard_uncertainty": float(u[i])}
                             for i, v in enumerate(self.coefficients)],
            "covariance": self.covariance.tolist(),
            "correlation": self.correlation.tolist(),
            "covariance_method": self.covariance_method,
            "ordinary_least_squares": self.ordinary,
            "goodness_of_fit": self.goodness.to_dict(),
            "points": [p.to_dict() for p in self.points],
            "evaluations": self.evaluations,
        }
