"""Input kinds: each gives (value, u, distribution, dof) as the GUM says."""

from __future__ import annotations

import math
import statistics

import pytest

from labctl.uncertainty.inputs import Input, InputError


def test_standard() -> None:
    x = Input.standard(1.5, 0.2, dof=9, unit="mm")
    assert (x.value, x.standard_uncertainty, x.distribution, x.dof, x.unit) == \
        (1.5, 0.2, "normal", 9.0, "mm")
    assert Input.standard(1.0, 0.1).dof == math.inf


def test_expanded_with_k() -> None:
    # GUM H.1: l_s certificate, U = 0.075 um with k = 3 -> u = 25 nm
    x = Input.expanded(50.000623, 0.000075, k=3, dof=18, unit="mm")
    assert x.standard_uncertainty == pytest.approx(25e-6)
    assert x.dof == 18


def test_expanded_with_coverage_probability() -> None:
    # normal quantile for infinite dof: 95 % -> k = 1.960
    x = Input.expanded(10.0, 1.96, coverage_probability=0.95)
    assert x.standard_uncertainty == pytest.approx(1.0, abs=1e-4)
    # t quantile with dof: t_95(10) = 2.228 (GUM table G.2: 2.23)
    y = Input.expanded(10.0, 2.228, coverage_probability=0.95, dof=10)
    assert y.standard_uncertainty == pytest.approx(1.0, abs=2e-4)


@pytest.mark.parametrize(("distribution", "divisor"), [
    ("rectangular", math.sqrt(3)), ("triangular", math.sqrt(6)), ("arcsine", math.sqrt(2))])
def test_bounded(distribution: str, divisor: float) -> None:
    x = Input.bounded(5.0, 0.3, distribution)
    assert x.standard_uncertainty == pytest.approx(0.3 / divisor)
    assert x.distribution == distribution and x.dof == math.inf
    assert x.mcm_kind == distribution
    assert getattr(Input, distribution)(5.0, 0.3) == x


def test_resolution() -> None:
    # a 5 g digit: rectangular of half-width 2.5 g -> u = 1.443 g
    x = Input.resolution(7505.0, 5.0, unit="g")
    assert x.standard_uncertainty == pytest.approx(2.5 / math.sqrt(3))
    assert x.distribution == "rectangular"


def test_samples_type_a() -> None:
    data = [5.007, 4.994, 5.005, 4.990, 4.999]  # GUM table H.2, V
    x = Input.samples(data, unit="V")
    assert x.value == pytest.approx(4.9990)
    assert x.standard_uncertainty == pytest.approx(statistics.stdev(data) / math.sqrt(5))
    assert x.standard_uncertainty == pytest.approx(0.0032, abs=5e-5)  # GUM: s = 0.0032 V
    assert x.dof == 4 and x.type_a and x.mcm_kind == "t"


def test_samples_pooled() -> None:
    # EA-4/02 S2: three observations, pooled s_p = 25 mg -> 25/sqrt(3) = 14.4 mg
    x = Input.samples([0.010, 0.030, 0.020], pooled_sd=0.025, unit="g")
    assert x.value == pytest.approx(0.020)
    assert x.standard_uncertainty == pytest.approx(0.0144, abs=5e-5)
    assert x.dof == math.inf
    assert Input.samples([1.0], pooled_sd=0.1, pooled_dof=30).dof == 30


def test_reliability_gives_dof() -> None:
    # GUM G.4.2: r = 10 % -> 50 dof; r = 50 % -> 2 dof (as in H.1)
    assert Input.rectangular(0, 1e-6, reliability=0.10).dof == 50
    assert Input.rectangular(0, 0.05, reliability=0.5).dof == 2
    assert Input.standard(0, 1, reliability=0.25).dof == 8


def test_normal_with_finite_dof_is_t_for_monte_carlo() -> None:
    pytest.importorskip("labctl.uncertainty.mcm")
    d = Input.standard(0.000215, 0.0000097, dof=25).to_distribution()
    assert (d.kind, d.value, d.standard_uncertainty, d.dof) == ("t", 0.000215, 9.7e-6, 25)
    n = Input.standard(1.0, 0.5).to_distribution(value=2.0, standard_uncertainty=0.1)
    assert (n.kind, n.value, n.standard_uncertainty) == ("normal", 2.0, 0.1)
    r = Input.rectangular(1.0, 0.3, reliability=0.5).to_distribution()
    assert r.kind == "rectangular" and r.half_width == pytest.approx(0.3)


def test_correlation_from_paired_samples() -> None:
    v = Input.samples([5.007, 4.994, 5.005, 4.990, 4.999])
    i = Input.samples([19.663, 19.639, 19.640, 19.685, 19.678])
    assert v.correlation_with(i) == pytest.approx(-0.36, abs=0.005)  # GUM table H.3
    with pytest.raises(InputError, match="same length"):
        v.correlation_with(Input.samples([1.0, 2.0]))


@pytest.mark.parametrize(("build", "field", "message"), [
    (lambda: Input.standard(1.0, -0.1), "standard_uncertainty", "must not be negative"),
    (lambda: Input.expanded(1.0, -2.0, k=2), "expanded_uncertainty", "must not be negative"),
    (lambda: Input.expanded(1.0, 2.0), "k", "k or coverage_probability"),
    (lambda: Input.expanded(1.0, 2.0, k=2, coverage_probability=0.95), "k", "exactly one"),
    (lambda: Input.expanded(1.0, 2.0, k=0), "k", "positive"),
    (lambda: Input.expanded(1.0, 2.0, coverage_probability=95), "coverage_probability",
     "between 0 and 1"),
    (lambda: Input.bounded(1.0, -0.5), "half_width", "must not be negative"),
    (lambda: Input.bounded(1.0, 0.5, "gaussian"), "distribution", "unknown distribution"),
    (lambda: Input.resolution(1.0, -1), "resolution", "must not be negative"),
    (lambda: Input.samples([1.0]), "samples", "at least 2"),
    (lambda: Input.samples([]), "samples", "at least 2"),
    (lambda: Input.samples("1 2 3"), "samples", "list of numbers"),  # type: ignore[arg-type]
    (lambda: Input.samples([1.0, 2.0], pooled_dof=3), "pooled_dof", "needs pooled_sd"),
    (lambda: Input.standard(1.0, 0.1, dof=0), "dof", "positive"),
    (lambda: Input.standard(1.0, 0.1, dof=5, reliability=0.1), "reliability", "not both"),
    (lambda: Input.standard(float("nan"), 0.1), "value", "finite"),
    (lambda: Input.standard(1.0, float("inf")), "standard_uncertainty", "finite"),
    (lambda: Input(1.0, 0.1, distribution="lognormal"), "distribution", "unknown"),
])
def test_bad_inputs(build, field: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        build()
    assert err.value.field == field
