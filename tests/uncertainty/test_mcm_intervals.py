"""Coverage intervals from draws (JCGM 101 7.7), numerical tolerance (7.9.2), correlation
factors: checked against brute force and the documents' rules."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labctl.uncertainty.distributions import correlation_factor
from labctl.uncertainty.intervals import coverage_intervals, coverage_ranks, numerical_tolerance


def brute_force(values: np.ndarray, p: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """JCGM 101 7.7.1 read literally, on a fully sorted copy (1-based ranks)."""
    y = np.sort(values)
    m = y.size
    q = int(p * m) if p * m == int(p * m) else int(p * m + 0.5)
    r_sym = (m - q) // 2 if (m - q) % 2 == 0 else int((m - q + 1) / 2)
    r_sym = max(r_sym, 1)
    widths = [y[r - 1 + q] - y[r - 1] for r in range(1, m - q + 1)]
    r_short = 1 + int(np.argmin(widths))
    return (y[r_sym - 1], y[r_sym - 1 + q]), (y[r_short - 1], y[r_short - 1 + q])


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    values=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=20, max_size=400),
    p=st.floats(0.05, 0.99),
)
def test_intervals_match_a_full_sort(values, p):
    y = np.asarray(values)
    q = int(p * y.size + 0.5)
    if y.size - q < 1:
        return
    symmetric, shortest = coverage_intervals(y, p)
    want_sym, want_short = brute_force(y, p)
    assert symmetric == want_sym
    assert shortest == want_short
    assert shortest[1] - shortest[0] <= symmetric[1] - symmetric[0]
    np.testing.assert_array_equal(y, np.asarray(values))  # input left untouched


def test_ranks_follow_jcgm101_7_7():
    # M = 10^6, p = 0.95: q = 950 000, r = 25 000 -> [y_(25000), y_(975000)]
    assert coverage_ranks(1_000_000, 0.95) == (950_000, 25_000)
    # pM not an integer: q = int(pM + 1/2); (M - q) odd: r = int((M - q + 1)/2)
    assert coverage_ranks(1001, 0.95) == (951, 25)
    # the fewest trials that give a 95 % interval: 1/(1 - p) = 20 -> q = 19, r = 1
    assert coverage_ranks(20, 0.95) == (19, 1)
    with pytest.raises(ValueError, match="too few"):
        coverage_ranks(10, 0.95)  # q = int(9.5 + 1/2) = 10 = M


def test_numerical_tolerance_follows_jcgm101_7_9_2():
    # 7.9.2 rule: u written as c x 10^l with ndig digits in c, delta = 10^l / 2
    assert numerical_tolerance(0.000_35, 2) == pytest.approx(0.000_005)  # 35 x 10^-5
    assert numerical_tolerance(2.0, 1) == pytest.approx(0.5)  # 2 x 10^0
    assert numerical_tolerance(2.0, 2) == pytest.approx(0.05)  # 20 x 10^-1
    assert numerical_tolerance(0.0754, 2) == pytest.approx(0.0005)  # 75 x 10^-3
    assert numerical_tolerance(10.15, 2) == pytest.approx(0.5)  # 10 x 10^0
    assert numerical_tolerance(0.0996, 2) == pytest.approx(0.005)  # rounds to 10 x 10^-2
    assert numerical_tolerance(0.0, 2) == 0.0
    with pytest.raises(ValueError):
        numerical_tolerance(1.0, 0)


def test_correlation_factor_reproduces_the_matrix():
    r = np.array([[1.0, 0.5, -0.2], [0.5, 1.0, 0.3], [-0.2, 0.3, 1.0]])
    factor = correlation_factor(r)
    np.testing.assert_allclose(factor @ factor.T, r, atol=1e-12)
    singular = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # PSD, rank 2
    factor = correlation_factor(singular)
    np.testing.assert_allclose(factor @ factor.T, singular, atol=1e-12)


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ([[1.0, 0.5], [0.4, 1.0]], "not symmetric"),
        ([[1.0, 1.2], [1.2, 1.0]], "outside"),
        ([[2.0, 0.0], [0.0, 1.0]], "diagonal"),
        ([[1.0, 0.0, 0.0]], "square"),
        ([[1.0, math.nan], [math.nan, 1.0]], "finite"),
        ([[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]], "positive semi-definite"),
    ],
)
def test_bad_correlation_matrices(matrix, message):
    with pytest.raises(ValueError, match=message):
        correlation_factor(np.array(matrix))
