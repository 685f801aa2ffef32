"""Conformity decisions: every case of every rule, probabilities of conformity, bad input.

Numbers are chosen exactly representable in binary (halves, quarters, eighths) so that a
value meant to sit on a limit really does. Unless said otherwise: tolerance 0 +/- 1
(T_L = -1, T_U = 1), U = 0.25 with k = 2, so u = 0.125.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from labctl.uncertainty.decision import (
    RULES,
    Decision,
    Specification,
    decide,
    probability_of_conformity,
)

SPEC = Specification.symmetric(0.0, 1.0)
U = 0.25
PHI = stats.norm.cdf


def result(value: float, rule: str, expanded: float = U, **kw) -> str:
    return decide(value, expanded, SPEC, rule, **kw).result


# --- simple acceptance (w = 0): exactly the four cases of ILAC-G8:2009 --------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.5, "pass"),  # [0.25, 0.75] inside the limits
        (0.75, "pass"),  # [0.5, 1.0] touches T_U from inside: still inside (closed)
        (0.875, "conditional_pass"),  # inside, but [0.625, 1.125] crosses T_U
        (1.0, "conditional_pass"),  # on the limit counts as inside
        (1.125, "conditional_fail"),  # outside, [0.875, 1.375] reaches in
        (1.25, "conditional_fail"),  # outside, [1.0, 1.5] touches T_U
        (1.5, "fail"),  # [1.25, 1.75] wholly outside
        (-0.875, "conditional_pass"),  # the same at the lower limit
        (-1.5, "fail"),
    ],
)
def test_simple_acceptance(value, expected):
    d = decide(value, U, SPEC, "simple")
    assert d.result == expected
    assert d.rule == "simple"
    assert d.acceptance_interval == (-1.0, 1.0)
    assert d.guard_band == 0.0


def test_simple_acceptance_probabilities_and_risks():
    # y = 0.5: p_c = Phi((1 - 0.5)/0.125) - Phi((-1 - 0.5)/0.125) = Phi(4) - Phi(-12)
    d = decide(0.5, U, SPEC, "simple")
    assert d.probability_of_conformity == pytest.approx(PHI(4) - PHI(-12), rel=1e-12)
    assert d.risk == pytest.approx(1 - PHI(4), rel=1e-9)  # accepted: false-accept risk
    # y = 0.875, conditional pass: p_c = Phi(1) = 0.8413, false-accept risk 0.1587
    d = decide(0.875, U, SPEC, "simple")
    assert d.probability_of_conformity == pytest.approx(0.841345, abs=1e-6)
    assert d.risk == pytest.approx(0.158655, abs=1e-6)
    # y = 1.0 on the limit: p_c = 1/2
    assert decide(1.0, U, SPEC, "simple").probability_of_conformity == pytest.approx(0.5)
    # y = 1.125, rejected: p_c = Phi(-1) = 0.1587 is the false-reject risk
    d = decide(1.125, U, SPEC, "simple")
    assert d.risk == d.probability_of_conformity == pytest.approx(0.158655, abs=1e-6)
    # y = 1.5: p_c = Phi(-4) = 3.17e-5
    assert decide(1.5, U, SPEC, "simple").risk == pytest.approx(3.167e-5, rel=1e-3)


# --- guarded acceptance -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.5, "pass"),
        (0.75, "pass"),  # on the acceptance limit T_U - U
        (0.875, "conditional_fail"),  # inside the tolerance, in the guard band: rejected
        (1.125, "conditional_fail"),
        (1.5, "fail"),
        (-0.875, "conditional_fail"),
    ],
)
def test_guard_band_U(value, expected):
    d = decide(value, U, SPEC, "guard_band_U")
    assert d.result == expected
    assert d.acceptance_interval == (-0.75, 0.75)
    assert d.guard_band == U


def test_guard_band_U_never_gives_conditional_pass_and_caps_the_risk():
    # accepted means y +/- U inside the limits; at the acceptance limit, one-sided tail
    # 1 - Phi(U/u) = 1 - Phi(2) = 2.3 % (ILAC-G8:2019: w = U keeps PFA below 2.5 %)
    d = decide(0.75, U, SPEC, "guard_band_U")
    assert d.risk == pytest.approx(1 - PHI(2), abs=1e-12)
    assert d.risk < 0.025


@pytest.mark.parametrize(
    ("r", "value", "expected", "acceptance_high"),
    [
        # r = 1/2: w = 0.125, acceptance [-0.875, 0.875]
        (0.5, 0.5, "pass", 0.875),
        (0.5, 0.875, "conditional_pass", 0.875),  # accepted, [0.625, 1.125] crosses T_U
        (0.5, 0.9375, "conditional_fail", 0.875),  # rejected inside the tolerance
        (0.5, 1.5, "fail", 0.875),
        # r = 2: w = 0.5, acceptance [-0.5, 0.5]
        (2.0, 0.5, "pass", 0.5),
        (2.0, 0.625, "conditional_fail", 0.5),  # [0.375, 0.875] inside, yet rejected
        # r = 0 is simple acceptance
        (0.0, 0.875, "conditional_pass", 1.0),
    ],
)
def test_guard_band_rU(r, value, expected, acceptance_high):
    d = decide(value, U, SPEC, "guard_band_rU", r=r)
    assert d.result == expected
    assert d.acceptance_interval == (-acceptance_high, acceptance_high)
    assert d.guard_band == pytest.approx(r * U)


def test_guard_band_1645u():
    # w = 1.645 u = 1.645 * 0.125 = 0.205625 -> acceptance [-0.794375, 0.794375]
    d = decide(0.5, U, SPEC, "guard_band_1.645u")
    assert d.result == "pass"
    assert d.acceptance_interval == pytest.approx((-0.794375, 0.794375))
    # at the acceptance limit the specific false-accept risk is 1 - Phi(1.645) = 5.0 %
    edge = decide(0.794375, U, SPEC, "guard_band_1.645u")
    assert edge.result == "conditional_pass"  # accepted, but 0.794375 + 0.25 > 1
    assert edge.risk == pytest.approx(0.049985, abs=1e-6)
    # 0.78: accepted, [0.53, 1.03] crosses T_U
    assert result(0.78, "guard_band_1.645u") == "conditional_pass"
    # 0.8: beyond the acceptance limit, inside the tolerance: rejected
    assert result(0.8, "guard_band_1.645u") == "conditional_fail"
    assert result(1.5, "guard_band_1.645u") == "fail"


def test_guard_band_1645u_with_t_reports_the_larger_risk():
    # with dof = 4 the same guard band leaves P(T_4 > 1.645) = 8.8 % at the limit (upper
    # limit only: with both limits the heavy t tail adds P(T_4 < -14.4) = 7e-5)
    edge = decide(0.794375, U, Specification(upper=1.0), "guard_band_1.645u", dof=4)
    assert edge.risk == pytest.approx(stats.t(4).sf(1.645), rel=1e-9)
    assert edge.risk == pytest.approx(0.0876, abs=1e-4)


# --- JJF 1094-2002 --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.5, "pass"),
        (0.875, "pass"),  # U = 0.25 <= MPE/3: the value alone decides, crossing or not
        (1.0, "pass"),
        (1.125, "fail"),
        (1.5, "fail"),
    ],
)
def test_jjf1094_small_uncertainty_value_decides(value, expected):
    d = decide(value, U, SPEC, "jjf1094")
    assert d.result == expected
    assert d.acceptance_interval == (-1.0, 1.0)


def test_jjf1094_boundary_u_equals_one_third_of_mpe():
    spec = Specification.symmetric(10.0, 3.0)  # MPE = 3, U = 1 = MPE/3 exactly
    assert decide(12.5, 1.0, spec, "jjf1094").result == "pass"  # [11.5, 13.5] crosses
    assert decide(13.25, 1.0, spec, "jjf1094").result == "fail"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # U = 0.5 > MPE/3: |y| <= MPE - U = 0.5 passes, |y| >= MPE + U = 1.5 fails
        (0.5, "pass"),
        (0.75, "conditional_pass"),  # undecided, inside the limits
        (1.0, "conditional_pass"),
        (1.25, "conditional_fail"),  # undecided, outside the limits
        (1.5, "fail"),  # |y| = MPE + U: JJF 1094 says '>=', a plain fail
        (-1.75, "fail"),
    ],
)
def test_jjf1094_large_uncertainty_is_conditional(value, expected):
    d = decide(value, 0.5, SPEC, "jjf1094")
    assert d.result == expected
    assert d.acceptance_interval == (-0.5, 0.5)
    assert d.guard_band == 0.5


def test_jjf1094_needs_two_limits():
    with pytest.raises(ValueError, match="two-sided"):
        decide(1.0, 0.1, Specification(upper=2.0), "jjf1094")


# --- one-sided limits -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        ("simple", 9.0, "pass"),  # [8.5, 9.5] below T_U = 10
        ("simple", 9.75, "conditional_pass"),
        ("simple", 10.25, "conditional_fail"),
        ("simple", 11.0, "fail"),
        ("guard_band_U", 9.5, "pass"),
        ("guard_band_U", 9.75, "conditional_fail"),
    ],
)
def test_upper_limit_only(rule, value, expected):
    spec = Specification(upper=10.0)
    d = decide(value, 0.5, spec, rule)
    assert d.result == expected
    assert d.acceptance_interval[0] is None
    assert d.acceptance_interval[1] == (10.0 if rule == "simple" else 9.5)


def test_one_sided_probabilities_jcgm106():
    # JCGM 106 7.3: single upper limit, normal PDF: p_c = Phi((T_U - y)/u)
    upper = Specification(upper=10.0)
    # y = 9, U = 0.5, k = 2: z = 4
    assert decide(9.0, 0.5, upper).probability_of_conformity == pytest.approx(PHI(4))
    # z = 1.645 gives p_c = 0.95, z = 2.326 gives 0.99 (standard normal)
    assert probability_of_conformity(0.0, 1.0, Specification(upper=1.645)) == pytest.approx(
        0.95, abs=1e-4)
    assert probability_of_conformity(0.0, 1.0, Specification(upper=2.326)) == pytest.approx(
        0.99, abs=1e-4)
    # single lower limit: p_c = 1 - Phi((T_L - y)/u); y = 5.5, T_L = 5, u = 0.25: Phi(2)
    lower = Specification(lower=5.0)
    d = decide(5.5, 0.5, lower, "simple")
    assert d.result == "pass"
    assert d.probability_of_conformity == pytest.approx(PHI(2))
    assert decide(4.75, 0.5, lower).result == "conditional_fail"
    assert decide(4.0, 0.5, lower).result == "fail"


def test_two_sided_probability_with_t():
    # y at the centre of +/- t_{0.975, 4} u: p_c = 0.95 exactly for a t with 4 dof
    t975 = stats.t(4).ppf(0.975)  # 2.776
    spec = Specification.symmetric(0.0, t975)
    assert probability_of_conformity(0.0, 1.0, spec, dof=4) == pytest.approx(0.95, abs=1e-12)
    # and 2 Phi(2) - 1 = 0.9545 for a normal at +/- 2u
    assert probability_of_conformity(0.0, 1.0, Specification.symmetric(0, 2)) == pytest.approx(
        0.954500, abs=1e-6)
    # far outside, the tiny probability keeps its precision (no 1 - 1 cancellation)
    far = probability_of_conformity(0.0, 1.0, Specification(lower=10.0, upper=11.0))
    assert far == pytest.approx(stats.norm.sf(10) - stats.norm.sf(11), rel=1e-9)


def test_zero_uncertainty():
    d = decide(1.0, 0.0, SPEC, "simple")
    assert d.result == "pass" and d.probability_of_conformity == 1.0 and d.risk == 0.0
    d = decide(1.0000001, 0.0, SPEC, "guard_band_U")
    assert d.result == "fail" and d.probability_of_conformity == 0.0 and d.risk == 0.0


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: decide(0.0, -0.1, SPEC), "expanded uncertainty"),
        (lambda: decide(0.0, math.nan, SPEC), "expanded uncertainty"),
        (lambda: decide(0.0, 0.1, SPEC, "guard_band_2U"), "unknown decision rule"),
        (lambda: decide(math.inf, 0.1, SPEC), "value"),
        (lambda: decide(0.0, 0.1, SPEC, coverage_factor=0), "coverage factor"),
        (lambda: decide(0.0, 0.1, SPEC, dof=0), "degrees of freedom"),
        (lambda: decide(0.0, 0.1, SPEC, "guard_band_rU", r=-1), "multiplier"),
        (lambda: Specification(lower=2.0, upper=1.0), "below the upper"),
        (lambda: Specification(lower=1.0, upper=1.0), "below the upper"),
        (lambda: Specification(), "lower limit, an upper limit, or both"),
        (lambda: Specification.symmetric(0.0, -1.0), "MPE"),
        (lambda: Specification(upper=math.nan), "finite"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_to_dict_and_rules():
    d = decide(0.875, U, SPEC, "simple")
    assert isinstance(d, Decision)
    assert d.accepted
    assert d.to_dict() == {
        "result": "conditional_pass",
        "rule": "simple",
        "acceptance_interval": [-1.0, 1.0],
        "probability_of_conformity": d.probability_of_conformity,
        "risk": d.risk,
        "guard_band": 0.0,
    }
    assert RULES == ("simple", "guard_band_U", "guard_band_rU", "guard_band_1.645u", "jjf1094")


# --- properties ---------------------------------------------------------------------------------

values = st.floats(-3.0, 3.0, allow_nan=False)
uncertainties = st.floats(0.0, 2.0, allow_nan=False)


@settings(derandomize=True, deadline=None)
@given(value=values, expanded=uncertainties, rule=st.sampled_from(RULES))
def test_risk_is_the_probability_of_the_wrong_decision(value, expanded, rule):
    d = decide(value, expanded, SPEC, rule)
    assert 0.0 <= d.probability_of_conformity <= 1.0
    expected = 1 - d.probability_of_conformity if d.accepted else d.probability_of_conformity
    assert d.risk == pytest.approx(expected)
    assert d.rule == rule


@settings(derandomize=True, deadline=None)
@given(value=values, expanded=uncertainties, rule=st.sampled_from(RULES))
def test_decisions_are_symmetric_about_the_nominal(value, expanded, rule):
    a = decide(value, expanded, SPEC, rule)
    b = decide(-value, expanded, SPEC, rule)
    assert a.result == b.result
    assert a.probability_of_conformity == pytest.approx(b.probability_of_conformity, abs=1e-12)


@settings(derandomize=True, deadline=None)
@given(value=values, expanded=uncertainties,
       rule=st.sampled_from(("guard_band_U", "guard_band_1.645u", "guard_band_rU")))
def test_guard_bands_accept_less_than_simple_acceptance(value, expanded, rule):
    if decide(value, expanded, SPEC, rule).accepted:
        assert decide(value, expanded, SPEC, "simple").accepted


@settings(derandomize=True, deadline=None)
@given(value=values, expanded=st.floats(1e-6, 2.0), rule=st.sampled_from(RULES[:4]))
def test_a_pass_has_at_least_the_coverage_of_its_interval(value, expanded, rule):
    # pass means y +/- 2u inside both limits, so p_c >= 2 Phi(2) - 1 = 0.9545
    d = decide(value, expanded, SPEC, rule)
    if d.result == "pass":
        assert d.probability_of_conformity >= 2 * PHI(2) - 1 - 1e-12
