"""Monte Carlo method (JCGM 101): published examples, intervals, adaptive procedure.

Tolerances: a published figure is met to half its last printed digit plus the Monte Carlo
noise of our own run, taken as 4 standard errors: u/sqrt(M) for the mean, u/sqrt(2M) for a
standard deviation of a near-normal output, and sqrt(p(1-p)/M)/f(y_p) for an end-point at
the p-quantile (f the output density there). With M = 10^6 the noise of the 95 % end-points
of the 9.2 examples is about 0.005, the same size as the published rounding.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from labctl.uncertainty.mcm import (
    GumValidation,
    InputDistribution,
    McmResult,
    run_mcm,
    validate_gum,
)

M = 1_000_000


def additive(x):
    return x["x1"] + x["x2"] + x["x3"] + x["x4"]


def endpoint_se(p: float, density: float, trials: int) -> float:
    """Standard error of the sample p-quantile."""
    return math.sqrt(p * (1 - p) / trials) / density


def close(value: float, published: float, half_digit: float, se: float) -> bool:
    return abs(value - published) <= half_digit + 4 * se


# --- JCGM 101 9.2: additive model Y = X1 + X2 + X3 + X4 -------------------------------


def test_jcgm101_9_2_2_four_normal_inputs():
    inputs = {f"x{i}": InputDistribution("normal", 0.0, 1.0) for i in range(1, 5)}
    r = run_mcm(additive, inputs, trials=M, coverage_probability=0.95, seed=101)
    # published MCM: y = 0.00, u(y) = 2.00, 95 % interval [-3.92, 3.92]
    assert close(r.value, 0.00, 0.005, 2.0 / math.sqrt(M))
    assert close(r.standard_uncertainty, 2.00, 0.005, 2.0 / math.sqrt(2 * M))
    se = endpoint_se(0.975, stats.norm(scale=2).pdf(3.92), M)  # ~0.005
    assert close(r.interval[0], -3.92, 0.005, se)
    assert close(r.interval[1], 3.92, 0.005, se)
    # the output is normal, so the GUM interval 0 +/- 1.96*2 is validated (delta = 0.05)
    assert validate_gum(0.0, 1.96 * 2.0, r).passed


def test_jcgm101_9_2_3_four_rectangular_inputs():
    # u = 1 each, half-width sqrt(3)
    inputs = {f"x{i}": InputDistribution("rectangular", 0.0, 1.0) for i in range(1, 5)}
    assert inputs["x1"].half_width == pytest.approx(math.sqrt(3))
    r = run_mcm(additive, inputs, trials=M, coverage_probability=0.95, seed=2)
    # published MCM: u(y) = 2.00, 95 % interval [-3.88, 3.88]; the density of the sum of
    # four rectangles near 3.88 is about 0.030, so the end-point noise is ~0.005
    se = endpoint_se(0.975, 0.030, M)
    assert close(r.value, 0.00, 0.005, 2.0 / math.sqrt(M))
    assert close(r.standard_uncertainty, 2.00, 0.005, 2.0 / math.sqrt(2 * M))
    assert close(r.interval[0], -3.88, 0.005, se)
    assert close(r.interval[1], 3.88, 0.005, se)
    # GUF interval [-3.92, 3.92]: d_low, d_high = 3.92 - 3.876 = 0.044 (exact) <= delta =
    # 0.05 (u = 2.0, 2 digits): validated, as in the publication. With M = 10^6 each d
    # carries the end-point noise (~0.005), so the verdict is a close call for some seeds;
    # with 3 digits (delta = 0.005) it is not validated for any.
    v2 = validate_gum(0.0, 1.96 * 2.0, r, significant_digits=2)
    assert v2.tolerance == pytest.approx(0.05)
    assert v2.passed
    assert abs(v2.d_low - 0.04) < 0.02 and abs(v2.d_high - 0.04) < 0.02
    assert not validate_gum(0.0, 1.96 * 2.0, r, significant_digits=3).passed


def _sum_three_unit_rectangles_pdf(t: float) -> float:
    """Density of X1 + X2 + X3, Xi rectangular with u = 1 (Irwin-Hall n = 3, scaled)."""
    a = math.sqrt(3.0)
    s = (t + 3 * a) / (2 * a)  # Irwin-Hall variable in [0, 3]
    if s <= 0 or s >= 3:
        return 0.0
    if s < 1:
        f = s * s / 2
    elif s < 2:
        f = (-2 * s * s + 6 * s - 3) / 2
    else:
        f = (3 - s) ** 2 / 2
    return f / (2 * a)


def _analytic_quantile_9_2_4(p: float) -> float:
    """p-quantile of X1 + X2 + X3 + X4 with X4 rectangular of u = 10, by integration."""
    b = 10 * math.sqrt(3.0)
    a3 = 3 * math.sqrt(3.0)

    def cdf(s: float) -> float:
        def integrand(t: float) -> float:
            return _sum_three_unit_rectangles_pdf(t) * min(1.0, max(0.0, (s - t + b) / (2 * b)))

        return integrate.quad(integrand, -a3, a3, points=[-math.sqrt(3), math.sqrt(3)],
                              epsabs=1e-12)[0]

    return optimize.brentq(lambda s: cdf(s) - p, 0.0, a3 + b, xtol=1e-10)


def test_jcgm101_9_2_4_rectangular_inputs_one_wide():
    inputs = {f"x{i}": InputDistribution("rectangular", 0.0, 1.0) for i in range(1, 4)}
    inputs["x4"] = InputDistribution("rectangular", 0.0, 10.0)
    r = run_mcm(additive, inputs, trials=M, coverage_probability=0.95, seed=3)
    u_exact = math.sqrt(103.0)  # 10.15 (GUF and MCM, JCGM 101 9.2.4)
    q = _analytic_quantile_9_2_4(0.975)  # 17.01 by integration
    assert abs(q - 17.0) < 0.05  # the publication's 95 % interval, +/- 17.0 to 3 digits
    # the density near 17.0 is ~1/(2 * 10 sqrt(3)) = 0.029 -> end-point se ~ 0.005
    se = endpoint_se(0.975, 0.029, M)
    assert close(r.standard_uncertainty, 10.15, 0.005, u_exact / math.sqrt(2 * M))
    assert close(r.interval[0], -q, 0.0, se)
    assert close(r.interval[1], q, 0.0, se)
    # GUF 95 % interval +/- 1.96 * 10.15 = +/- 19.9: about 2.9 too wide; delta = 0.5
    v = validate_gum(0.0, 1.96 * u_exact, r)
    assert v.tolerance == pytest.approx(0.5)
    assert not v.passed
    assert v.d_low == pytest.approx(1.96 * u_exact - q, abs=0.03)


# --- JCGM 101 9.3: calibration of a mass, with air buoyancy ------------------------------


def mass_model(x):
    rho_a0 = 1.2  # kg/m^3
    m_nom = 100_000.0  # mg
    return (x["m_rc"] + x["dm_rc"]) * (
        1 + (x["rho_a"] - rho_a0) * (1 / x["rho_w"] - 1 / x["rho_r"])
    ) - m_nom


MASS_INPUTS = {
    "m_rc": InputDistribution("normal", 100_000.000, 0.050),  # mg
    "dm_rc": InputDistribution("normal", 1.234, 0.020),  # mg
    "rho_a": InputDistribution("rectangular", 1.20, 0.10 / math.sqrt(3)),  # kg/m^3
    "rho_w": InputDistribution("rectangular", 8e3, 1e3 / math.sqrt(3)),
    "rho_r": InputDistribution("rectangular", 8.00e3, 0.05e3 / math.sqrt(3)),
}


def test_jcgm101_9_3_mass_calibration():
    r = run_mcm(mass_model, MASS_INPUTS, trials=M, coverage_probability=0.95, seed=93)
    # Published MCM (M = 10^6): dm = 1.2341 mg, u = 0.0754 mg, shortest 95 % interval
    # [1.0834, 1.3825] mg.
    assert close(r.value, 1.2341, 0.00005, 0.0754 / math.sqrt(M))
    assert close(r.standard_uncertainty, 0.0754, 0.00005, 0.0754 / math.sqrt(2 * M))
    # The output is symmetric about 1.2340 mg (rho_a - rho_a0 is symmetric about 0 and
    # independent of the rest), so its shortest interval is its symmetric one; but the
    # width of a window barely changes as it slides near the centre, so the *position* of
    # the shortest interval of a sample is poorly determined: over 40 seeds its centre
    # moved by 0.00085 mg (standard deviation, M = 10^6), its width by 0.0003 mg. The
    # printed end-points (centre 1.23295 mg) are one such run, ours another: they differ
    # by sqrt(2) x 0.00085 = 0.0012 mg (one sigma); allow 4.
    low, high = r.shortest_interval
    assert close(low, 1.0834, 0.00005, 0.0012)
    assert close(high, 1.3825, 0.00005, 0.0012)
    assert close(high - low, 1.3825 - 1.0834, 0.0001, 0.0003 * math.sqrt(2))
    # the probabilistically symmetric interval is well determined (quantile se, density
    # ~0.75 per mg at the 2.5 % point -> 2e-4 mg): centred on 1.2340, as wide as published
    se = endpoint_se(0.025, 0.75, M)
    assert close(r.interval[0], 1.2340 - (1.3825 - 1.0834) / 2, 0.0001, se)
    assert close(r.interval[1], 1.2340 + (1.3825 - 1.0834) / 2, 0.0001, se)
    # GUF first order: y = 1.2340 mg, u = sqrt(0.050^2 + 0.020^2) = 0.0539 mg, 95 % interval
    # y +/- 1.96 u = [1.1285, 1.3395] mg: far narrower than MCM, not validated (u = 0.0754
    # = 75 x 10^-3 mg, delta = 0.0005 mg); published d_low + d_high = 0.0451 + 0.0430 mg.
    u_guf = math.hypot(0.050, 0.020)
    v = validate_gum(1.2340, 1.96 * u_guf, r, significant_digits=2, interval="shortest")
    assert v.tolerance == pytest.approx(0.0005)
    assert not v.passed
    assert v.d_low + v.d_high == pytest.approx(0.0881, abs=0.0002 + 4 * se)


# --- intervals, adaptive procedure, correlations, reproducibility -----------------------


def test_shortest_interval_of_a_skewed_output_is_shorter_and_correct():
    sigma = 0.5
    r = run_mcm(lambda x: np.exp(x["x"]), {"x": InputDistribution("normal", 0.0, sigma)},
                trials=M, coverage_probability=0.95, seed=4)
    lognormal = stats.lognorm(sigma)
    # shortest interval of the lognormal: minimise F^-1(a + 0.95) - F^-1(a) over a
    best = optimize.minimize_scalar(lambda a: lognormal.ppf(a + 0.95) - lognormal.ppf(a),
                                    bounds=(1e-12, 0.05 - 1e-12), method="bounded",
                                    options={"xatol": 1e-10})
    short = (lognormal.ppf(best.x), lognormal.ppf(best.x + 0.95))  # (0.2617, 2.3181)
    symmetric = (lognormal.ppf(0.025), lognormal.ppf(0.975))  # (0.3753, 2.6644)
    for got, want, tail in zip(r.interval, symmetric, (0.025, 0.975), strict=True):
        assert close(got, want, 0.0, endpoint_se(tail, lognormal.pdf(want), M))
    for got, want in zip(r.shortest_interval, short, strict=True):
        # the shortest interval's end-points are less stable than quantiles; 3x is ample
        assert close(got, want, 0.0, 3 * endpoint_se(0.025, lognormal.pdf(want), M))
    width = r.shortest_interval[1] - r.shortest_interval[0]
    assert width < r.interval[1] - r.interval[0] - 0.2  # exact: 2.056 vs 2.289
    assert r.value == pytest.approx(lognormal.mean(), abs=4 * lognormal.std() / math.sqrt(M))


def test_adaptive_procedure_stops_within_its_tolerance():
    inputs = {f"x{i}": InputDistribution("normal", 0.0, 1.0) for i in range(1, 5)}
    exact = np.array([0.0, 2.0, -2 * stats.norm.ppf(0.975), 2 * stats.norm.ppf(0.975)])
    within = []
    for seed in range(40):
        r = run_mcm(additive, inputs, adaptive=True, coverage_probability=0.95, seed=seed)
        assert r.converged is True
        # blocks of M = max(100/(1 - 0.95), 10^4) = 10^4 trials, at least two of them
        assert r.trials % 10_000 == 0 and r.trials >= 20_000
        # u = 2.0 to 2 significant digits: 20 x 10^-1, delta = 0.05 (JCGM 101 7.9.2)
        assert r.numerical_tolerance == pytest.approx(0.05)
        got = np.array([r.value, r.standard_uncertainty, *r.interval])
        within.append(np.abs(got - exact) <= r.numerical_tolerance)
    # JCGM 101 7.9.3: each of y, u(y), y_low, y_high within delta of its exact value with
    # probability about 95 %. With 40 runs, fewer than 32 successes would have a binomial
    # probability of 3e-4 if the rate were 95 %: require at least 80 % per quantity.
    assert np.mean(within, axis=0).min() >= 0.8
    assert r.to_dict()["converged"] is True


def test_adaptive_procedure_reports_when_it_runs_out_of_trials():
    inputs = {f"x{i}": InputDistribution("normal", 0.0, 1.0) for i in range(1, 5)}
    with pytest.warns(RuntimeWarning, match="did not stabilise"):
        r = run_mcm(additive, inputs, adaptive=True, significant_digits=4,
                    max_trials=40_000, seed=6)
    assert r.converged is False
    assert r.trials == 40_000
    with pytest.raises(ValueError, match="max_trials"):
        run_mcm(additive, inputs, adaptive=True, max_trials=15_000)


def _recorded_inputs(inputs, correlations, trials, seed):
    seen: dict[str, list[np.ndarray]] = {}

    def record(x):
        for name, values in x.items():
            seen.setdefault(name, []).append(values.copy())
        return x[next(iter(x))]

    run_mcm(record, inputs, correlations=correlations, trials=trials, seed=seed)
    return {name: np.concatenate(chunks) for name, chunks in seen.items()}


def test_correlated_normal_inputs_reproduce_the_correlation():
    inputs = {
        "a": InputDistribution("normal", 1.0, 1.0),
        "b": InputDistribution("normal", -2.0, 2.0),
        "c": InputDistribution("normal", 0.0, 0.5),
        "e": InputDistribution("rectangular", 0.0, 1.0),
    }
    corr = {("a", "b"): 0.5, ("c", "a"): -0.3, ("b", "c"): 0.2}
    x = _recorded_inputs(inputs, corr, 200_000, seed=7)
    r = np.corrcoef([x["a"], x["b"], x["c"], x["e"]])
    # standard error of a sample correlation ~ (1 - rho^2)/sqrt(M) = 0.0022: allow 0.01
    assert r[0, 1] == pytest.approx(0.5, abs=0.01)
    assert r[0, 2] == pytest.approx(-0.3, abs=0.01)
    assert r[1, 2] == pytest.approx(0.2, abs=0.01)
    assert np.abs(r[3, :3]).max() < 0.01  # the rectangular input stays independent
    assert x["b"].std() == pytest.approx(2.0, rel=0.01)
    # u(a + b) = sqrt(1 + 4 + 2 * 0.5 * 1 * 2) = sqrt(7)
    s = run_mcm(lambda v: v["a"] + v["b"], inputs, correlations=corr, trials=200_000, seed=8)
    assert s.standard_uncertainty == pytest.approx(math.sqrt(7), rel=0.01)


def test_correlated_t_inputs():
    # same dof: one shared chi-square -> multivariate t, the correlation is exact;
    # different dof: independent chi-squares attenuate it by c(dof) (see distributions.py)
    from labctl.uncertainty.distributions import t_correlation_attenuation as c

    inputs = {
        "p": InputDistribution("t", 0.0, 1.0, dof=10),
        "q": InputDistribution("t", 5.0, 3.0, dof=10),
        "s": InputDistribution("t", 0.0, 1.0, dof=30),
    }
    x = _recorded_inputs(inputs, {("p", "q"): -0.7, ("q", "s"): 0.6}, 200_000, seed=9)
    r = np.corrcoef([x["p"], x["q"], x["s"]])
    assert r[0, 1] == pytest.approx(-0.7, abs=0.01)
    assert c(10) == pytest.approx(0.969, abs=0.001)
    assert r[1, 2] == pytest.approx(0.6 * c(10) * c(30), abs=0.01)
    # marginals stay scaled-and-shifted t: std = u sqrt(dof / (dof - 2))
    assert x["q"].std() == pytest.approx(3.0 * math.sqrt(10 / 8), rel=0.02)


def test_fully_correlated_inputs_use_an_eigen_factor():
    inputs = {
        "a": InputDistribution("normal", 3.0, 1.0),
        "b": InputDistribution("normal", 1.0, 1.0),
    }
    r = run_mcm(lambda x: x["a"] - x["b"], inputs, correlations={("a", "b"): 1.0},
                trials=10_000, seed=10)
    assert r.value == pytest.approx(2.0, abs=1e-9)
    assert r.standard_uncertainty < 1e-9


@pytest.mark.parametrize(
    ("correlations", "message"),
    [
        ({("a", "b"): 1.5}, r"outside \[-1, 1\]"),
        ({("a", "zz"): 0.1}, "not an input"),
        ({("a", "a"): 0.1}, "itself"),
        ({("a", "b"): 0.2, ("b", "a"): 0.3}, "symmetric"),
        ({("a", "r"): 0.2}, "only between normal and t"),
        ({("a", "b"): 0.9, ("a", "c"): 0.9, ("b", "c"): -0.9}, "positive semi-definite"),
    ],
)
def test_bad_correlations_are_refused(correlations, message):
    inputs = {
        "a": InputDistribution("normal", 0.0, 1.0),
        "b": InputDistribution("normal", 0.0, 1.0),
        "c": InputDistribution("t", 0.0, 1.0, dof=5),
        "r": InputDistribution("rectangular", 0.0, 1.0),
    }
    with pytest.raises(ValueError, match=message):
        run_mcm(lambda x: x["a"], inputs, correlations=correlations, trials=100)


def test_same_seed_same_result_and_keep_draws():
    a = run_mcm(mass_model, MASS_INPUTS, trials=100_000, seed=11, keep_draws=True)
    b = run_mcm(mass_model, MASS_INPUTS, trials=100_000, seed=11)
    c = run_mcm(mass_model, MASS_INPUTS, trials=100_000, seed=12)
    assert a.to_dict() == b.to_dict()
    assert a.value != c.value
    assert a.draws is not None and a.draws.shape == (100_000,)
    assert b.draws is None
    assert float(np.mean(a.draws)) == pytest.approx(a.value, rel=1e-12)
    assert float(np.std(a.draws, ddof=1)) == pytest.approx(a.standard_uncertainty, rel=1e-12)


def test_block_size_does_not_change_the_statistics():
    # blocks change the order of draws, not their distribution
    small = run_mcm(mass_model, MASS_INPUTS, trials=200_000, seed=13, block_size=1000)
    large = run_mcm(mass_model, MASS_INPUTS, trials=200_000, seed=13)
    assert small.trials == large.trials == 200_000
    assert small.standard_uncertainty == pytest.approx(large.standard_uncertainty, rel=0.01)


def test_to_dict_keys():
    r = run_mcm(lambda x: 2 * x["a"], {"a": InputDistribution("normal", 1.0, 0.1)},
                trials=10_000, seed=14)
    d = r.to_dict()
    assert set(d) == {"value", "standard_uncertainty", "interval", "shortest_interval",
                      "trials", "coverage_probability"}
    assert d["trials"] == 10_000 and d["coverage_probability"] == 0.9545
    assert isinstance(r, McmResult)
    v = validate_gum(2.0, 0.4, r)
    assert isinstance(v, GumValidation)
    assert set(v.to_dict()) >= {"d_low", "d_high", "tolerance", "passed"}


# --- distributions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "half_width_factor"),
    [("normal", None), ("rectangular", math.sqrt(3)), ("triangular", math.sqrt(6)),
     ("arcsine", math.sqrt(2))],
)
def test_each_distribution_has_its_mean_standard_deviation_and_support(kind, half_width_factor):
    dist = InputDistribution(kind, 10.0, 2.0)
    rng = np.random.default_rng(15)
    x = dist.sample(rng, 100_000)
    # se of the mean 2/sqrt(1e5) = 0.0063, of the std < 0.01: 4 se
    assert x.mean() == pytest.approx(10.0, abs=0.026)
    assert x.std() == pytest.approx(2.0, abs=0.04)
    if half_width_factor is not None:
        a = 2.0 * half_width_factor
        assert dist.half_width == pytest.approx(a)
        assert x.min() >= 10.0 - a and x.max() <= 10.0 + a
        assert x.min() < 10.0 - 0.99 * a and x.max() > 10.0 + 0.99 * a


def test_t_input_is_scaled_and_shifted():
    dist = InputDistribution("t", 5.0, 0.5, dof=6)
    x = dist.sample(np.random.default_rng(16), 100_000)
    assert dist.standard_deviation == pytest.approx(0.5 * math.sqrt(6 / 4))
    # quartiles of value + u T_6: 5 +/- 0.5 * 0.7176
    q1, q3 = np.quantile(x, [0.25, 0.75])
    assert q1 == pytest.approx(5.0 - 0.5 * stats.t(6).ppf(0.75), abs=0.01)
    assert q3 == pytest.approx(5.0 + 0.5 * stats.t(6).ppf(0.75), abs=0.01)
    assert InputDistribution("t", 0.0, 1.0).standard_deviation == 1.0  # dof = inf: normal


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("gamma", 0.0, 1.0), "unknown distribution"),
        (("normal", 0.0, -1.0), ">= 0"),
        (("normal", math.nan, 1.0), "finite"),
        (("t", 0.0, 1.0, 0.0), "degrees of freedom"),
    ],
)
def test_bad_inputs_are_refused(args, message):
    with pytest.raises(ValueError, match=message):
        InputDistribution(*args)


def test_model_errors_are_clear():
    inputs = {"a": InputDistribution("normal", 0.0, 1.0), "b": InputDistribution("normal", 1, 1)}
    with pytest.raises(ValueError, match=r"non-finite value .* first at a="):
        run_mcm(lambda x: np.log(x["a"]), inputs, trials=1000, seed=1)
    with pytest.raises(ValueError, match="shape"):
        run_mcm(lambda x: x["a"][:10], inputs, trials=1000, seed=1)
    with pytest.raises(ValueError, match="shape"):
        run_mcm(lambda x: np.stack([x["a"], x["b"]]), inputs, trials=1000, seed=1)
    with pytest.raises(ValueError, match="array of numbers"):
        run_mcm(lambda x: "nonsense", inputs, trials=1000, seed=1)
    with pytest.raises(ValueError, match="InputDistribution"):
        run_mcm(lambda x: x["a"], {"a": (0.0, 1.0)}, trials=1000)


def test_constant_model_and_argument_checks():
    r = run_mcm(lambda x: 3.0, {"a": InputDistribution("normal", 0.0, 1.0)}, trials=1000)
    assert r.value == 3.0 and r.standard_uncertainty == 0.0 and r.interval == (3.0, 3.0)
    inputs = {"a": InputDistribution("normal", 0.0, 1.0)}
    with pytest.raises(ValueError, match="too few"):
        run_mcm(lambda x: x["a"], inputs, trials=10, coverage_probability=0.95)
    with pytest.raises(ValueError, match="coverage probability"):
        run_mcm(lambda x: x["a"], inputs, trials=1000, coverage_probability=1.0)
    with pytest.raises(ValueError, match="trials"):
        run_mcm(lambda x: x["a"], inputs, trials=0)
    with pytest.raises(ValueError, match="expanded uncertainty"):
        validate_gum(0.0, -1.0, run_mcm(lambda x: x["a"], inputs, trials=1000))


def test_no_warnings_from_model_arithmetic():
    # numpy's divide warnings are silenced while the model runs (results are checked)
    inputs = {"a": InputDistribution("rectangular", 2.0, 0.5)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = run_mcm(lambda x: 1 / x["a"], inputs, trials=10_000, seed=17)
    assert r.value > 0
