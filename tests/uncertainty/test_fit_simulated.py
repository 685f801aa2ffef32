"""Calibration fits on a simulated gas analyzer: the generalized least-squares fit recovers
the analyzer's slope and intercept within their uncertainties (coverage over seeds), its
covariance agrees with the scatter of the estimates over many simulated calibrations
(Monte Carlo: the independent check of the GLS covariance), and the goodness of fit
flags a nonlinear response that a straight line cannot follow.

The analyzer: six cylinders (0 to 500 umol/mol CO2) whose certified values x scatter
around the true contents X with the certificates' standard uncertainties u(x), and
readings y = a + b X (+ c X^2) with noise u(y). Every draw is seeded.
"""

from __future__ import annotations

import numpy as np
import pytest

from labctl.uncertainty import fit_calibration

X_TRUE = np.array([0.0, 350.0, 380.0, 410.0, 450.0, 500.0])  # umol/mol
U_X = np.array([0.02, 0.05, 0.05, 0.05, 0.06, 0.07])
U_Y = np.full(6, 0.04)
OFFSET, GAIN = 1.20, 0.9950


def calibration_data(seed: int, curvature: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = X_TRUE + rng.normal(0.0, U_X)
    y = OFFSET + GAIN * X_TRUE + curvature * X_TRUE ** 2 + rng.normal(0.0, U_Y)
    return x, y


def analyzer_fit(seed: int, curvature: float = 0.0, function: str = "linear", **kw):
    x, y = calibration_data(seed, curvature)
    return fit_calibration(x, y, u_x=U_X, u_y=U_Y, function=function,
                           direction="calibration", x_unit="umol/mol", y_unit="umol/mol",
                           **kw)


@pytest.mark.parametrize("seed", range(6))
def test_gls_recovers_the_analyzer_slope_and_intercept(seed: int) -> None:
    fit = analyzer_fit(seed)
    (a, b), (ua, ub) = fit.coefficients, fit.standard_uncertainties
    # within 4 standard uncertainties (a miss has probability 6e-5 per estimate); that
    # they are within 1.96 u 95 % of the time is the coverage test below
    assert abs(a - OFFSET) <= 4 * ua and abs(b - GAIN) <= 4 * ub
    assert 0.02 < ua < 0.06 and 5e-5 < ub < 2e-4  # the uncertainties the design gives
    assert fit.goodness.passed in (True, False) and fit.goodness.dof == 4


def test_coverage_of_slope_and_intercept_over_seeds() -> None:
    """95 % intervals (k = 1.96) contain the true slope and intercept about 95 % of
    the time over 300 simulated calibrations (binomial sd 1.3 %)."""
    hits = np.zeros(2)
    n = 300
    for seed in range(1000, 1000 + n):
        fit = analyzer_fit(seed)
        err = np.abs(fit.coefficients - [OFFSET, GAIN])
        hits += err <= 1.96 * fit.standard_uncertainties
    coverage = hits / n
    assert np.all(coverage >= 0.91) and np.all(coverage <= 0.99), coverage


def test_covariance_agrees_with_monte_carlo_scatter() -> None:
    """No published B_LEAST example with a stated covariance was found for simulated
    data, so the GLS covariance is checked by an independent route: the standard
    deviations and correlation of the estimates over 1000 simulated calibrations equal
    the fit's (mean) covariance within their sampling error (about 2.2 % for a standard
    deviation, 0.01 for the correlation)."""
    estimates, covs = [], []
    for seed in range(1000):
        fit = analyzer_fit(10_000 + seed)
        estimates.append(fit.coefficients)
        covs.append(fit.covariance)
    sample = np.cov(np.array(estimates).T)
    predicted = np.mean(covs, axis=0)
    u_mc, u_fit = np.sqrt(np.diag(sample)), np.sqrt(np.diag(predicted))
    assert u_mc == pytest.approx(u_fit, rel=0.07)
    r_mc = sample[0, 1] / (u_mc[0] * u_mc[1])
    r_fit = predicted[0, 1] / (u_fit[0] * u_fit[1])
    assert r_mc == pytest.approx(r_fit, abs=0.04)
    # and the mean estimate is unbiased to within its standard error
    mean = np.mean(estimates, axis=0)
    assert np.all(np.abs(mean - [OFFSET, GAIN]) <= 4 * u_fit / np.sqrt(len(estimates)))


def test_gauss_newton_and_iso6143_covariances_agree_on_a_good_fit() -> None:
    a = analyzer_fit(7)
    g = analyzer_fit(7, covariance="gauss-newton")
    assert g.coefficients == pytest.approx(a.coefficients, rel=1e-12)
    assert g.standard_uncertainties == pytest.approx(a.standard_uncertainties, rel=0.01)


def test_the_analysis_function_is_the_inverse_line() -> None:
    """ISO 6143's analysis function x = g(y) of the same data: b0 = -a/b, b1 = 1/b."""
    x, y = calibration_data(3)
    g = fit_calibration(x, y, u_x=U_X, u_y=U_Y)
    f = fit_calibration(x, y, u_x=U_X, u_y=U_Y, direction="calibration")
    a, b = f.coefficients
    assert g.coefficients == pytest.approx([-a / b, 1 / b], rel=1e-7)
    # reading x from a response gives the same value and uncertainty either way
    rg, rf = g.read(420.0, 0.04), f.read(420.0, 0.04)
    assert rg.value == pytest.approx(rf.value, rel=1e-8)
    assert rg.standard_uncertainty == pytest.approx(rf.standard_uncertainty, rel=1e-6)
    # the reading's uncertainty: u(y)/b from the response, and the coefficients' part
    assert rg.u_given == pytest.approx(0.04 / b, rel=1e-9)
    assert rg.standard_uncertainty ** 2 == pytest.approx(
        rg.u_given ** 2 + rg.u_coefficients ** 2, rel=1e-9)


def test_exact_reference_values_are_the_limit_of_small_u_x() -> None:
    """Weighted least squares (x exact) is GLS with u(x) -> 0."""
    x, y = calibration_data(5)
    wls = fit_calibration(x, y, u_y=U_Y, direction="calibration")
    gls = fit_calibration(x, y, u_x=U_X * 1e-6, u_y=U_Y, direction="calibration")
    assert gls.coefficients == pytest.approx(wls.coefficients, rel=1e-9)
    assert gls.covariance == pytest.approx(wls.covariance, rel=1e-6)
    assert not wls.ordinary and wls.goodness.p_value is not None


def test_ordinary_least_squares_scales_the_covariance() -> None:
    """Equal, known u(y) and unknown u(y) give the same line; the unknown case scales
    the covariance by s^2 = S / (n - p) and tests nothing."""
    x, y = calibration_data(6)
    known = fit_calibration(x, y, u_y=[0.04] * 6, direction="calibration")
    ols = fit_calibration(x, y, direction="calibration")
    assert ols.coefficients == pytest.approx(known.coefficients, rel=1e-10)
    s2 = ols.goodness.residual_sd ** 2
    assert ols.covariance == pytest.approx(known.covariance / 0.04 ** 2 * s2, rel=1e-8)
    assert ols.goodness.passed is None and ols.read_dof == 4


CURVATURE = -1e-5  # per umol/mol: 2.5 umol/mol at 500; noise-free S of a line = 48


@pytest.mark.parametrize("seed", range(8))
def test_goodness_of_fit_flags_a_nonlinear_response(seed: int) -> None:
    line = analyzer_fit(seed, CURVATURE)
    assert line.goodness.passed is False
    assert line.goodness.chi_square_ok is False and line.goodness.p_value < 1e-3
    quad = analyzer_fit(seed, CURVATURE, function="quadratic")
    c, uc = quad.coefficients[2], quad.standard_uncertainties[2]
    assert abs(c - CURVATURE) <= 3 * uc and abs(c) > 3 * uc  # significant, and right


def test_second_order_fit_is_accepted_over_seeds() -> None:
    """A correct model fails the tests now and then (about 5 % of seeds: the 5 %
    chi-square test; gamma <= 2 over 12 weighted deviations rarely adds to it): of 200
    seeds, the quadratic fit of the curved response is accepted in at least 180
    (binomial mean 190, sd 3.1), the straight line in none."""
    seeds = range(100, 300)
    accepted_quadratic = sum(bool(analyzer_fit(s, CURVATURE, "quadratic").goodness.passed)
                             for s in seeds)
    accepted_line = sum(bool(analyzer_fit(s, CURVATURE).goodness.passed) for s in seeds)
    assert accepted_quadratic >= 180 and accepted_line == 0


def test_a_straight_response_is_accepted_by_the_line() -> None:
    """A correct straight line passes in about 94 % of seeds (the 5 % chi-square test,
    and gamma <= 2 about 1 % more; over 3000 seeds S had mean 3.97 and variance 7.9,
    as chi-square with 4 dof has 4 and 8)."""
    passed = sum(bool(analyzer_fit(s).goodness.passed) for s in range(300, 500))
    assert passed >= 176  # mean about 188, sd 3.4
