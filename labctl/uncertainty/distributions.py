"""Input distributions for the Monte Carlo method and how to draw from them (JCGM 101 6.4).

Every input is described by its expectation (``value``) and its standard uncertainty; the
shape fixes the rest:

=============  ===========================================  ============================
kind           draw (U ~ R(0, 1), Z ~ N(0, 1))                parameters from u
=============  ===========================================  ============================
normal         value + u Z                                  --
t              value + u T_dof (JCGM 101 6.4.9.7)           u is the *scale* s/sqrt(n);
                                                            the draws' standard deviation
                                                            is u sqrt(dof/(dof - 2))
rectangular    value + a (2U - 1)                           a = u sqrt(3)
triangular     symmetric triangle on [value - a, value + a] a = u sqrt(6)
arcsine        value + a cos(pi U)  (U-shaped, 6.4.6)        a = u sqrt(2)
=============  ===========================================  ============================

Correlations (only between normal and t inputs) are imposed on the standard normal
variables through a factor of the correlation matrix (:func:`correlation_factor`).
Correlated t inputs with the same ``dof`` share one chi-square denominator, which makes
them a multivariate t (JCGM 102 6.5) and reproduces the requested correlation exactly.
For a t input correlated with a normal input, or two t inputs of different ``dof``, the
denominators are independent: each marginal stays exactly a scaled-and-shifted t, and the
correlation of the draws is the requested one times :func:`t_correlation_attenuation` of
each t input (0.97 for dof = 10, 0.99 for dof = 30), undefined for dof <= 2 (infinite
variance).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

KINDS: tuple[str, ...] = ("normal", "t", "rectangular", "triangular", "arcsine")
CORRELATABLE: tuple[str, ...] = ("normal", "t")

# Half-width a of a symmetric bounded distribution with standard deviation u is u * factor.
_HALF_WIDTH_FACTOR = {
    "rectangular": math.sqrt(3.0),
    "triangular": math.sqrt(6.0),
    "arcsine": math.sqrt(2.0),
}


@dataclass(frozen=True)
class InputDistribution:
    """One input quantity of a Monte Carlo evaluation.

    ``standard_uncertainty`` is the standard deviation of the distribution, except for
    ``kind="t"`` where it is the scale (the GUM Type A uncertainty s/sqrt(n)) and the draws
    are ``value + u * T_dof`` as JCGM 101 6.4.9.7 prescribes.
    """

    kind: str
    value: float
    standard_uncertainty: float
    dof: float = math.inf

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(
                f"unknown distribution {self.kind!r}: use one of {', '.join(KINDS)}"
            )
        if not math.isfinite(self.value):
            raise ValueError(f"the value of a {self.kind} input must be finite, got {self.value}")
        u = self.standard_uncertainty
        if not math.isfinite(u) or u < 0:
            raise ValueError(
                f"the standard uncertainty of a {self.kind} input must be finite and >= 0, got {u}"
            )
        if math.isnan(self.dof) or self.dof <= 0:
            raise ValueError(f"degrees of freedom must be > 0 (or inf), got {self.dof}")

    @property
    def half_width(self) -> float | None:
        """Half-width a of the bounded distributions; None for normal and t."""
        factor = _HALF_WIDTH_FACTOR.get(self.kind)
        return None if factor is None else self.standard_uncertainty * factor

    @property
    def standard_deviation(self) -> float:
        """Standard deviation of the draws (differs from u only for t: u sqrt(dof/(dof-2)))."""
        if self.kind == "t" and math.isfinite(self.dof):
            if self.dof <= 2:
                return math.inf
            return self.standard_uncertainty * math.sqrt(self.dof / (self.dof - 2.0))
        return self.standard_uncertainty

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` independent values."""
        u = self.standard_uncertainty
        if self.kind == "normal":
            return self.value + u * rng.standard_normal(size)
        if self.kind == "t":
            if math.isinf(self.dof):
                return self.value + u * rng.standard_normal(size)
            return self.value + u * rng.standard_t(self.dof, size)
        a = self.half_width
        assert a is not None
        if self.kind == "rectangular":
            return rng.uniform(self.value - a, self.value + a, size)
        if self.kind == "triangular":
            if a == 0:
                return np.full(size, self.value)
            return rng.triangular(self.value - a, self.value, self.value + a, size)
        # arcsine: X = value + a cos(theta), theta ~ R(0, pi)  (JCGM 101 6.4.6.1)
        return self.value + a * np.cos(np.pi * rng.random(size))


def t_correlation_attenuation(dof: float) -> float:
    """Factor by which a t input with an independent chi-square denominator scales the
    correlation of its underlying normal variable: E[sqrt(dof/W)] / sqrt(dof/(dof-2)),
    W ~ chi2(dof). 1 for dof = inf; nan for dof <= 2 (the t has no variance).
    """
    if math.isinf(dof):
        return 1.0
    if dof <= 2:
        return math.nan
    mean_inverse_root = math.sqrt(dof / 2.0) * math.exp(
        math.lgamma((dof - 1.0) / 2.0) - math.lgamma(dof / 2.0)
    )
    return mean_inverse_root / math.sqrt(dof / (dof - 2.0))


def correlation_factor(matrix: np.ndarray, names: Sequence[str] | None = None) -> np.ndarray:
    """A matrix L with L @ L.T == ``matrix`` for a valid correlation matrix.

    Checks: square, finite, symmetric, unit diagonal, entries in [-1, 1], positive
    semi-definite (smallest eigenvalue >= -1e-10 * n). Uses the Cholesky factor when the
    matrix is positive definite, and the eigen-decomposition factor V sqrt(max(L, 0))
    when it is positive semi-definite but singular (e.g. a correlation of exactly 1).
    """
    r = np.asarray(matrix, dtype=float)
    label = list(names) if names is not None else [str(i) for i in range(len(r))]
    if r.ndim != 2 or r.shape[0] != r.shape[1]:
        raise ValueError(f"a correlation matrix must be square, got shape {r.shape}")
    n = r.shape[0]
    if not np.all(np.isfinite(r)):
        raise ValueError("a correlation matrix must hold finite numbers")
    if not np.allclose(np.diag(r), 1.0, rtol=0, atol=1e-12):
        raise ValueError("a correlation matrix must have ones on its diagonal")
    bad = np.argwhere(np.abs(r) > 1.0)
    if bad.size:
        i, j = bad[0]
        raise ValueError(
            f"correlation between {label[i]} and {label[j]} is {r[i, j]}, outside [-1, 1]"
        )
    asym = np.argwhere(np.abs(r - r.T) > 1e-12)
    if asym.size:
        i, j = asym[0]
        raise ValueError(
            f"correlation matrix is not symmetric: r({label[i]}, {label[j]}) = {r[i, j]} "
            f"but r({label[j]}, {label[i]}) = {r[j, i]}"
        )
    eigenvalues, eigenvectors = np.linalg.eigh(r)
    if eigenvalues[0] < -1e-10 * n:
        raise ValueError(
            f"the correlations between {', '.join(label)} are not positive semi-definite "
            f"(smallest eigenvalue {eigenvalues[0]:.3g}): no set of quantities can have them"
        )
    try:
        return np.linalg.cholesky(r)
    except np.linalg.LinAlgError:
        return eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))


def correlation_matrix(
    names: Sequence[str], correlations: Mapping[tuple[str, str], float]
) -> np.ndarray:
    """Build the correlation matrix over ``names`` from pairwise coefficients.

    A pair may be given as (a, b) or (b, a); giving both with different values is refused.
    """
    index = {name: i for i, name in enumerate(names)}
    r = np.eye(len(names))
    seen: dict[tuple[int, int], float] = {}
    for (a, b), value in correlations.items():
        for name in (a, b):
            if name not in index:
                raise ValueError(f"correlation names {name!r}, which is not an input")
        if a == b:
            raise ValueError(f"correlation of {a!r} with itself: give pairs of two inputs")
        coefficient = float(value)
        if not math.isfinite(coefficient) or abs(coefficient) > 1.0:
            raise ValueError(f"correlation between {a} and {b} is {value}, outside [-1, 1]")
        i, j = index[a], index[b]
        key = (min(i, j), max(i, j))
        if key in seen and seen[key] != coefficient:
            raise ValueError(
                f"correlation between {a} and {b} is given twice, as {seen[key]} and "
                f"{coefficient}: the matrix would not be symmetric"
            )
        seen[key] = coefficient
        r[i, j] = r[j, i] = coefficient
    return r


class CorrelatedGroup:
    """Inputs (normal or t) drawn together through a factor of their correlation matrix."""

    def __init__(
        self,
        inputs: Mapping[str, InputDistribution],
        correlations: Mapping[tuple[str, str], float],
    ) -> None:
        involved = {name for pair in correlations for name in pair}
        unknown = sorted(involved - set(inputs))
        if unknown:
            raise ValueError(f"correlation names {unknown[0]!r}, which is not an input")
        self.names: list[str] = [name for name in inputs if name in involved]
        for name in self.names:
            kind = inputs[name].kind
            if kind not in CORRELATABLE:
                raise ValueError(
                    f"input {name!r} is {kind}: correlations are supported only between "
                    "normal and t inputs"
                )
        self.inputs = [inputs[name] for name in self.names]
        self.matrix = correlation_matrix(self.names, correlations)
        self.factor = correlation_factor(self.matrix, self.names)
        # t inputs of equal dof share one chi-square denominator (multivariate t).
        self._dof_groups: dict[float, list[int]] = {}
        for i, dist in enumerate(self.inputs):
            if dist.kind == "t" and math.isfinite(dist.dof):
                self._dof_groups.setdefault(dist.dof, []).append(i)

    def sample(self, rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
        z = self.factor @ rng.standard_normal((len(self.names), size))
        for dof, members in self._dof_groups.items():
            z[members] *= np.sqrt(dof / rng.chisquare(dof, size))
        return {
            name: dist.value + dist.standard_uncertainty * z[i]
            for i, (name, dist) in enumerate(zip(self.names, self.inputs, strict=True))
        }
