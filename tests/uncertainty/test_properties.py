"""Property tests (hypothesis): GUM against Monte Carlo, root sum of squares, units."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labctl.uncertainty import Budget, Input, McmOptions

DISTRIBUTIONS = ("normal", "rectangular", "triangular", "arcsine")
TRIALS = 20_000


@st.composite
def linear_models(draw, distributions=DISTRIBUTIONS):
    n = draw(st.integers(1, 5))
    coefficients = [draw(st.floats(0.1, 5.0)) * draw(st.sampled_from((-1, 1)))
                    for _ in range(n)]
    inputs = {}
    for i in range(n):
        value = draw(st.floats(-100, 100))
        u = draw(st.floats(0.01, 10.0))
        kind = draw(st.sampled_from(distributions))
        if kind == "normal":
            inputs[f"x{i}"] = Input.standard(value, u)
        else:
            divisor = {"rectangular": math.sqrt(3), "triangular": math.sqrt(6),
                       "arcsine": math.sqrt(2)}[kind]
            inputs[f"x{i}"] = Input.bounded(value, u * divisor, kind)
    model = " + ".join(f"({a!r}) * x{i}" for i, a in enumerate(coefficients))
    return model, inputs, coefficients


@settings(max_examples=25, deadline=None)
@given(linear_models(), st.integers(0, 2**32 - 1))
def test_linear_models_gum_and_monte_carlo_agree(case, seed: int) -> None:
    # For a linear model the variance propagates exactly, whatever the distributions:
    # Monte Carlo's u(y) estimates the GUM u_c with a relative standard error
    # sqrt((kurtosis - 1) / 4N) <= sqrt(2 / 4N) = 0.005 for N = 20 000 (the output's
    # kurtosis is at most the normal's 3 here); 5 standard errors: 2.5 %. The mean has
    # a standard error u / sqrt(N).
    model, inputs, _ = case
    r = Budget(model, inputs).evaluate(McmOptions(trials=TRIALS, seed=seed))
    assert r.mcm is not None
    assert r.mcm.standard_uncertainty == pytest.approx(r.standard_uncertainty, rel=0.025)
    assert abs(r.mcm.value - r.value) <= 5 * r.standard_uncertainty / math.sqrt(TRIALS)


@settings(max_examples=25, deadline=None)
@given(linear_models(distributions=("normal",)), st.integers(0, 2**32 - 1))
def test_linear_normal_models_intervals_agree(case, seed: int) -> None:
    # With normal inputs the output is exactly normal and the GUM interval y -/+ 2.0 u
    # (95.45 %) is exact; a Monte Carlo end-point has a standard error of
    # sqrt(p (1 - p) / N) / phi(2) = 0.020 u for N = 20 000; 5 standard errors: 0.1 u.
    model, inputs, _ = case
    r = Budget(model, inputs).evaluate(McmOptions(trials=TRIALS, seed=seed))
    assert r.mcm is not None
    for gum, mc in zip(r.interval, r.mcm.interval, strict=True):
        assert abs(gum - mc) <= 0.1 * r.standard_uncertainty


@settings(max_examples=60, deadline=None)
@given(linear_models())
def test_sum_of_independent_inputs_is_root_sum_of_squares(case) -> None:
    _, inputs, _ = case
    model = " + ".join(inputs)
    r = Budget(model, inputs).evaluate()
    rss = math.sqrt(math.fsum(x.standard_uncertainty ** 2 for x in inputs.values()))
    assert r.standard_uncertainty == pytest.approx(rss, rel=1e-12)
    assert r.value == pytest.approx(math.fsum(x.value for x in inputs.values()), abs=1e-9)
    for c in r.components:
        assert c.sensitivity == 1.0
        assert c.contribution == pytest.approx(inputs[c.name].standard_uncertainty)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(1.0, 1000.0), min_size=4, max_size=4),
       st.lists(st.floats(1e-4, 0.1), min_size=4, max_size=4),
       st.sampled_from(("m", "um", "km", "in")))
def test_scaling_units_keeps_relative_uncertainty(values: list[float], rel_u: list[float],
                                                  unit: str) -> None:
    # the same lengths in mm and in another unit: the relative uncertainty of a
    # nonlinear length result, derived or asked in a third unit, does not change
    from labctl.units import Q_

    model = "a * b / c + d - sqrt(a * d)"
    names = "abcd"

    def budget(in_unit: str, out_unit: str | None) -> Budget:
        factor = float(Q_(1.0, "mm").to(in_unit).magnitude)
        inputs = {n: Input.standard(v * factor, v * r * factor, unit=in_unit)
                  for n, v, r in zip(names, values, rel_u, strict=True)}
        return Budget(model, inputs, measurand=("y", out_unit))

    base = budget("mm", None).evaluate()
    if base.value == 0:
        return
    relative = base.standard_uncertainty / abs(base.value)
    for in_unit, out_unit in ((unit, None), (unit, "mm"), ("mm", unit), (unit, "nm")):
        other = budget(in_unit, out_unit).evaluate()
        assert other.standard_uncertainty / abs(other.value) == pytest.approx(relative,
                                                                              rel=1e-9)
        assert other.effective_dof == base.effective_dof


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 5), st.integers(0, 2**32 - 1))
def test_correlated_propagation_matches_uncertainties_package(n: int, seed: int) -> None:
    # cross-check the covariance sandwich against the ``uncertainties`` package's own
    # correlated numbers (correlated_values_norm) on a nonlinear model
    from uncertainties import correlated_values_norm, umath

    rng = np.random.default_rng(seed)
    factor = rng.normal(size=(n, n + 1))
    cov = factor @ factor.T
    d = np.sqrt(np.diag(cov))
    corr = cov / np.outer(d, d)
    values = rng.uniform(1.0, 3.0, n)
    uncs = rng.uniform(0.01, 0.2, n)
    names = [f"x{i}" for i in range(n)]
    model = " + ".join(f"sqrt({a}) * exp({b} / 4)" for a, b in zip(names, names[1:] + names[:1],
                                                                     strict=True))
    correlations = [(names[i], names[j], float(corr[i, j]))
                    for i in range(n) for j in range(i + 1, n)]
    r = Budget(model, {nm: Input.standard(float(v), float(u))
                       for nm, v, u in zip(names, values, uncs, strict=True)},
               correlations=correlations).evaluate()
    xs = correlated_values_norm(list(zip(values, uncs, strict=True)), corr)
    y = sum(umath.sqrt(a) * umath.exp(b / 4) for a, b in zip(xs, xs[1:] + xs[:1], strict=True))
    assert r.value == pytest.approx(y.nominal_value, rel=1e-12)
    assert r.standard_uncertainty == pytest.approx(y.std_dev, rel=1e-9, abs=1e-12)
