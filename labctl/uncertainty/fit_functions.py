"""The functions a calibration fit can use, with the derivatives the fit needs.

A fit function ``g(t; b)`` maps the independent variable ``t`` to the dependent one.
ISO 6143:2001 fits the *analysis function* ``x = g(y)`` (the reference value x as a
function of the instrument response y); the polynomials of degree 1 to 3, the power
function and the exponential function below are the five functions of its B_LEAST
program. Each function gives its value and its first and second derivatives with
respect to ``t`` and to the coefficients ``b``: the first ones make the Jacobian of the
generalized least-squares problem, the second ones the Hessian used for the covariance
of the coefficients (``fit_solve``).

Arrays: ``t`` has shape (n,); ``b`` has shape (p,); ``d_b`` returns (n, p), ``d_bb``
(n, p, p).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.polynomial import polynomial as P


@dataclass(frozen=True)
class FitFunction:
    """A fit function: its name, number of coefficients and formula (in ``t``)."""

    name: str
    parameters: int
    formula: str
    linear: bool = True  # linear in the coefficients (the polynomials)

    def value(self, t: np.ndarray, b: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def d_t(self, t: np.ndarray, b: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def d_b(self, t: np.ndarray, b: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def d_tt(self, t: np.ndarray, b: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def d_tb(self, t: np.ndarray, b: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def d_bb(self, t: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Second derivatives with respect to the coefficients, (n, p, p)."""
        return np.zeros((len(t), self.parameters, self.parameters))

    def start(self, t: np.ndarray, z: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Starting coefficients for the iteration, from weighted least squares of ``z``
        on ``t`` with weights ``w`` (1/u(z))."""
        raise NotImplementedError

    def domain_error(self, t: np.ndarray) -> str | None:
        """Why some value of ``t`` is outside the function's domain, or None."""
        return None

    def coefficient_units(self, dependent: str, independent: str) -> list[str]:
        """The units of the coefficients, as text ("" when they have none that can be
        written, as for the exponent of the power function)."""
        return [""] * self.parameters


@dataclass(frozen=True)
class Polynomial(FitFunction):
    """g(t) = b0 + b1 t + ... + bk t^k."""

    def value(self, t: np.ndarray, b: np.ndarray) -> np.ndarray:
        return P.polyval(t, b)

    def d_t(self, t: np.ndarray, b: np.ndarray) -> np.ndarray:
        return P.polyval(t, b[1:] * np.arange(1, len(b))) + 0.0 * t

    def d_b(self, t: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.vander(t, self.parameters, increasing=True)

    def d_tt(self, t: np.ndarray, b: np.ndarray) -> np.ndarray:
        if len(b) < 3:
            return np.zeros_like(t)
        k = np.arange(2, len(b))
        return P.polyval(t, b[2:] * k * (k - 1)) + 0.0 * t

    def d_tb(self, t: np.ndarray, b: np.ndarray) -> np.ndarray:
        k = np.arange(self.parameters)
        out = np.zeros((len(t), self.parameters))
        out[:, 1:] = k[1:] * np.vander(t, self.parameters - 1, increasing=True)
        return out

    def start(self, t: np.ndarray, z: np.ndarray, w: np.ndarray) -> np.ndarray:
        return P.polyfit(t, z, self.parameters - 1, w=w)

    def coefficient_units(self, dependent: str, independent: str) -> list[str]:
        units = []
        for k in range(self.parameters):
            if k == 0:
                units.append(dependent)
            elif dependent == independent and k == 1:
                units.append("1" if dependent else "")
            elif not independent:
                units.append(dependent)
            else:
                den = independent if k == 1 else f"({independent})^{k}"
                units.append(f"{dependent or '1'}/{den}")
        return units


@dataclass(frozen=True)
class Power(FitFunction):
    """g(t) = b0 + b1 t^(1 + b2), for t > 0 (ISO 6143's power function)."""

    linear: bool = False

    def value(self, t: np.ndarray, b: np.ndarray) -> np.ndarray:
        return b[0] + b[1] * t ** (1 + b[2])

    def d_t(self, t: np.ndarray, b: np.ndarray) -> np.ndarray:
        return b[1] * (1 + b[2]) * t ** b[2]

    def d_b(self, t: np.ndarray, b: np.ndarray) -> np.ndarray:
        tp = t ** (1 + b[2])
        return np.column_stack([np.ones_like(t), tp, b[1] * tp * np.log(t)])

    def d_tt(self, t: np.ndarray, b: np.ndarray) -> np.ndarray:
        return b[1] * (1 + b[2]) * b[2] * t ** (b[2] - 1)

    def d_tb(self, t: np.ndarray, b: np.ndarray) -> np.ndarray:
        tb = t ** b[2]
        return np.column_stack([np.zeros_like(t), (1 + b[2]) * tb,
                                b[1] * tb * (1 + (1 + b[2]) * np.log(t))])

    def d_bb(self, t: np.ndarray, b: np.ndarray) -> np.ndarray:
        tp, lt = t ** (1 + b[2]), np.log(t)
        out = np.zeros((len(t), 3, 3))
        out[:, 1, 2] = out[:, 2, 1] = tp * lt
        out[:, 2, 2] = b[1] * tp * lt * lt
        return out

    def start(self, t: np.ndarray, z: np.ndarray, w: np.ndarray) -> np.ndarray:
        b0, b1 = P.polyfit(t, z, 1, w=w)
        return np.array([b0, b1, 0.0])

    def domain_error(self, t: np.ndarray) -> str | None:
        return None if np.all(t > 0) else "the power function needs positive values of its variable"

    def coefficient_units(self, dependent: str, independent: str) -> list[str]:
        return [dependent, "", ""]


@dataclass(frozen=True)
class Exponential(FitFunction):
    """g(t) = b0 + b1 exp(b2 t) (ISO 6143's exponential function)."""

    linear: bool = False

    def value(self, t: np.ndarray, b: np.ndarray) -> np.ndarray:
        return b[0] + b[1] * np.exp(b[2] * t)

    def d_t(self, t: np.ndarray, b: np.ndarray) -> np.ndarray:
        return b[1] * b[2] * np.exp(b[2] * t)

    def d_b(self, t: np.ndarray, b: np.ndarray) -> np.ndarray:
        e = np.exp(b[2] * t)
        return np.column_stack([np.ones_like(t), e, b[1] * t * e])

    def d_tt(self, t: np.ndarray, b: np.ndarray) -> np.ndarray:
        return b[1] * b[2] ** 2 * np.exp(b[2] * t)

    def d_tb(self, t: np.ndarray, b: np.ndarray) -> np.ndarray:
        e = np.exp(b[2] * t)
        return np.column_stack([np.zeros_like(t), b[2] * e, b[1] * e * (1 + b[2] * t)])

    def d_bb(self, t: np.ndarray, b: np.ndarray) -> np.ndarray:
        e = np.exp(b[2] * t)
        out = np.zeros((len(t), 3, 3))
        out[:, 1, 2] = out[:, 2, 1] = t * e
        out[:, 2, 2] = b[1] * t * t * e
        return out

    def start(self, t: np.ndarray, z: np.ndarray, w: np.ndarray) -> np.ndarray:
        # b0 + b1 exp(b2 t) ~ (b0 + b1) + b1 b2 t + b1 b2^2 t^2 / 2 near t = 0
        c0, c1, c2 = P.polyfit(t, z, 2, w=w)
        span = float(np.ptp(t)) or 1.0
        straight = c1 == 0 or abs(2 * c2 / c1) * span < 1e-6
        b2 = 1e-3 / span if straight else 2 * c2 / c1  # nearly straight: a gentle start
        b1 = c1 / b2
        return np.array([c0 - b1, b1, b2])

    def coefficient_units(self, dependent: str, independent: str) -> list[str]:
        return [dependent, dependent, f"1/{independent}" if independent else ""]


FUNCTIONS: dict[str, FitFunction] = {
    "linear": Polynomial("linear", 2, "b0 + b1*t"),
    "quadratic": Polynomial("quadratic", 3, "b0 + b1*t + b2*t^2"),
    "cubic": Polynomial("cubic", 4, "b0 + b1*t + b2*t^2 + b3*t^3"),
    "power": Power("power", 3, "b0 + b1*t^(1 + b2)"),
    "exponential": Exponential("exponential", 3, "b0 + b1*exp(b2*t)"),
}
"""The fit functions by name (the names of a fit file's ``function`` key)."""
