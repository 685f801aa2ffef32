"""Published worked examples, to the publication's digits.

Tolerance: half a unit of the last digit printed in the publication, unless a comment
says why more is needed (a rounding in the publication's own arithmetic, or Monte Carlo
noise in a published Monte Carlo result).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from gum_examples import h1_budget

from labctl.uncertainty import Budget, Input, McmOptions, load_budget
from labctl.uncertainty.gum import coverage_factor

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "budgets"


def close(value: float, published: str, scale: float = 1.0) -> bool:
    """``value`` (times ``scale``) within half a unit of the last digit of ``published``."""
    text = published.replace(" ", "")
    decimals = len(text.partition(".")[2])
    return abs(value * scale - float(text)) <= 0.5 * 10.0 ** -decimals + 1e-12


# --------------------------------------------------------------------------- GUM G.2

# The 68.27, 95.45 and 99.73 % columns are the normal coverage of k = 1, 2, 3 exactly
# (GUM G.1.3 note); 0.9973 itself would give t_99.73(1) = 235.78, not the printed 235.80.
TABLE_G2_P = (math.erf(1 / math.sqrt(2)), 0.90, 0.95, math.erf(2 / math.sqrt(2)), 0.99,
              math.erf(3 / math.sqrt(2)))
TABLE_G2 = {  # GUM (JCGM 100:2008) table G.2, t_p(nu)
    1: ("1.84", "6.31", "12.71", "13.97", "63.66", "235.80"),
    2: ("1.32", "2.92", "4.30", "4.53", "9.92", "19.21"),
    3: ("1.20", "2.35", "3.18", "3.31", "5.84", "9.22"),
    4: ("1.14", "2.13", "2.78", "2.87", "4.60", "6.62"),
    5: ("1.11", "2.02", "2.57", "2.65", "4.03", "5.51"),
    6: ("1.09", "1.94", "2.45", "2.52", "3.71", "4.90"),
    7: ("1.08", "1.89", "2.36", "2.43", "3.50", "4.53"),
    8: ("1.07", "1.86", "2.31", "2.37", "3.36", "4.28"),
    9: ("1.06", "1.83", "2.26", "2.32", "3.25", "4.09"),
    10: ("1.05", "1.81", "2.23", "2.28", "3.17", "3.96"),
    20: ("1.03", "1.72", "2.09", "2.13", "2.85", "3.42"),
    50: ("1.01", "1.68", "2.01", "2.05", "2.68", "3.16"),
    100: ("1.005", "1.660", "1.984", "2.025", "2.626", "3.077"),
    math.inf: ("1.000", "1.645", "1.960", "2.000", "2.576", "3.000"),
}


@pytest.mark.parametrize("dof", list(TABLE_G2))
def test_gum_table_g2_coverage_factors(dof: float) -> None:
    for p, published in zip(TABLE_G2_P, TABLE_G2[dof], strict=True):
        assert close(coverage_factor(p, dof), published), (dof, p, published)


def test_coverage_probability_inverts_coverage_factor() -> None:
    from labctl.uncertainty.gum import coverage_probability

    assert coverage_probability(2.0) == pytest.approx(0.9545, abs=5e-5)
    for dof in (1, 4, 16, 100, math.inf):
        for p in (0.9, 0.95, 0.99):
            assert coverage_probability(coverage_factor(p, dof), dof) == pytest.approx(p)


# --------------------------------------------------------------------------- GUM H.1


def test_gum_h1_end_gauge() -> None:
    r = h1_budget().evaluate()
    assert r.unit == "mm"
    assert close(r.value, "50.000 838")  # H.1.5
    assert close(r.standard_uncertainty, "32", scale=1e6)  # nm
    assert r.effective_dof == 16  # H.1.6: 16.7, truncated
    assert close(r.coverage_factor, "2.92")  # t_99(16)
    # GUM H.1.6 states U99 = t99(16) u_c = 2.92 x 32 nm = 93 nm, multiplying the rounded
    # u_c; unrounded, 2.9208 x 31.669 nm = 92.50 nm, 0.50 nm from the printed 93 nm.
    assert close(2.92 * round(r.standard_uncertainty * 1e6), "93")
    assert abs(r.expanded_uncertainty * 1e6 - 93) <= 0.51


def test_gum_h1_table_h1_components() -> None:
    r = h1_budget().evaluate()
    c = {x.name: x for x in r.components}
    # table H.1: u_i(l) = |c_i| u(x_i), in nm, and the sensitivity coefficients
    assert close(c["l_s"].contribution, "25", scale=1e6)
    assert close(c["d"].contribution, "9.7", scale=1e6)
    assert close(c["delta_alpha"].contribution, "2.9", scale=1e6)
    assert close(c["delta_theta"].contribution, "16.6", scale=1e6)
    assert c["theta"].contribution == 0 and c["alpha_s"].contribution == 0
    assert close(c["l_s"].sensitivity, "1") and close(c["d"].sensitivity, "1")
    assert close(c["delta_alpha"].sensitivity, "5")  # -l_s theta = 5 mm/K
    assert c["delta_theta"].sensitivity == pytest.approx(-50.000623 * 11.5e-6)  # -l_s alpha_s
    assert close(c["delta_alpha"].standard_uncertainty, "0.58", scale=1e6)  # 1e-6/K
    assert close(c["alpha_s"].standard_uncertainty, "1.2", scale=1e6)
    assert close(c["delta_theta"].standard_uncertainty, "0.029")
    # degrees of freedom of table H.1
    assert [c[n].dof for n in ("l_s", "d", "delta_alpha", "delta_theta")] == [18, 25, 50, 2]
    assert sum(x.share for x in r.components) == pytest.approx(1.0)


def test_gum_h1_second_order_terms() -> None:
    # GUM H.1.7: with the second-order terms u_c(l) = 34 nm
    r = h1_budget(second_order=True).evaluate()
    assert close(r.standard_uncertainty, "34", scale=1e6)
    # the model is bilinear in (delta_alpha, theta) and (alpha_s, delta_theta), so the
    # terms are exactly (l_s u(delta_alpha) u(theta))^2 + (l_s u(alpha_s) u(delta_theta))^2
    # (H.1.7; the first is 50 mm x 0.58e-6/K x 0.41 K = 11.8 nm), in mm^2
    dominant = (50.000623 * (1e-6 / math.sqrt(3)) * 0.41) ** 2
    other = (50.000623 * (2e-6 / math.sqrt(3)) * (0.05 / math.sqrt(3))) ** 2
    assert r.second_order_variance == pytest.approx(dominant + other, rel=1e-6)
    assert close(math.sqrt(dominant), "11.8", scale=1e6)


def test_gum_h1_budget_file() -> None:
    loaded = load_budget(EXAMPLES / "gum-h1.yaml")
    r = loaded.budget.evaluate()
    assert close(r.value, "50.000 838") and close(r.standard_uncertainty, "32", scale=1e6)
    assert r.effective_dof == 16 and close(r.coverage_factor, "2.92")
    assert loaded.monte_carlo.trials == 1_000_000 and loaded.monte_carlo.seed == 1
    assert r.decision is not None and r.decision.rule == "guard_band_U"
    assert r.decision.result == "fail"  # 838 nm from nominal, MPE 200 nm


def test_gum_h1_second_order_file() -> None:
    r = load_budget(EXAMPLES / "gum-h1-second-order.yaml").budget.evaluate()
    assert close(r.standard_uncertainty, "34", scale=1e6)


# --------------------------------------------------------------------------- GUM H.2


def test_gum_h2_resistance_from_correlated_means() -> None:
    # GUM H.2, table H.4: R = 127.732 ohm, u(R) = 0.071 ohm; the correlations are those of
    # table H.3 (r(V, I) = -0.36, r(V, phi) = 0.86, r(I, phi) = -0.65), here from the data
    loaded = load_budget(EXAMPLES / "gum-h2-resistance.yaml")
    r = loaded.budget.evaluate()
    assert r.unit == "ohm"
    assert close(r.value, "127.732") and close(r.standard_uncertainty, "0.071")
    pairs = {(a, b): x for a, b, x in r.correlations}
    assert close(pairs[("V", "I")], "-0.36") and close(pairs[("V", "phi")], "0.86")
    assert close(pairs[("I", "phi")], "-0.65")
    # three means of the same five observations: one Type A ensemble with 4 dof
    assert r.effective_dof == 4


@pytest.mark.parametrize(("model", "value", "u", "u_tolerance"), [
    ("V / I * sin(phi)", "219.847", "0.295", 0.0015),
    ("V / I", "254.260", "0.236", 0.0005),
])
def test_gum_h2_reactance_and_impedance(model: str, value: str, u: str,
                                        u_tolerance: float) -> None:
    # X = 219.847 ohm, u = 0.295 ohm; Z = 254.260 ohm, u = 0.236 ohm (table H.4). The
    # published u(X) carries round-off of the GUM's own arithmetic (GTC's documentation
    # of this example notes the same); first-order propagation gives 0.2956 ohm, so u(X)
    # is checked to within 1.5 units of its last digit.
    samples = {
        "V": ([5.007, 4.994, 5.005, 4.990, 4.999], "V"),
        "I": ([19.663, 19.639, 19.640, 19.685, 19.678], "mA"),
        "phi": ([1.0456, 1.0438, 1.0468, 1.0428, 1.0433], "rad"),
    }
    names = [n for n in samples if n in model]
    inputs = {n: Input.samples(samples[n][0], unit=samples[n][1]) for n in names}
    pairs = [(a, b, "samples") for i, a in enumerate(names) for b in names[i + 1:]]
    r = Budget(model, inputs, measurand=("Y", "ohm"), correlations=pairs).evaluate()
    assert close(r.value, value)
    assert abs(r.standard_uncertainty - float(u)) <= u_tolerance


def test_gum_h2_with_published_correlations() -> None:
    # the same with table H.3's rounded means, s and r: 127.732(70) (as GTC's GUM_H2
    # example gets); the GUM prints 0.071, from unrounded data
    inputs = {"V": Input.standard(4.9990, 0.0032, unit="V"),
              "I": Input.standard(19.6610, 0.0095, unit="mA"),
              "phi": Input.standard(1.04446, 0.00075, unit="rad")}
    r = Budget("V / I * cos(phi)", inputs, measurand=("R", "ohm"),
               correlations={("V", "I"): -0.36, ("V", "phi"): 0.86,
                             ("I", "phi"): -0.65}).evaluate()
    assert close(r.value, "127.732") and close(r.standard_uncertainty, "0.070")


# --------------------------------------------------------------------------- EA-4/02


def test_ea_4_02_s2_weight_calibration() -> None:
    # EA-4/02 S2: m_X = 10 000.025 g; contributions 22.5, 8.66, 14.4, 5.77, 5.77 mg;
    # u(m_X) = 29.3 mg; U = 59 mg (k = 2)
    r = load_budget(EXAMPLES / "ea-4-02-s2-weight.yaml").budget.evaluate()
    assert r.unit == "g"
    assert close(r.value, "10 000.025")
    contributions = {c.name: c.contribution * 1e3 for c in r.components}  # mg
    assert close(contributions["m_S"], "22.5") and close(contributions["dm_D"], "8.66")
    assert close(contributions["dm"], "14.4") and close(contributions["dm_C"], "5.77")
    assert close(contributions["dB"], "5.77")
    assert close(r.standard_uncertainty, "29.3", scale=1e3)
    assert r.coverage_factor == 2 and close(r.expanded_uncertainty, "59", scale=1e3)
    assert r.decision is not None and r.decision.result == "pass"


# --------------------------------------------------------------------------- JCGM 101 9.2


@pytest.mark.parametrize(("file", "mc_low", "mc_high", "mc_tolerance", "validated"), [
    # JCGM 101 table 2 (normal inputs): Monte Carlo [-3.92, 3.92]
    ("jcgm101-9-2-2-normal.yaml", "-3.92", "3.92", 0.02, True),
    # table 3 (rectangular): [-3.88, 3.88]; the exact quantile is 3.8794
    ("jcgm101-9-2-3-rectangular.yaml", "-3.88", "3.88", 0.02, True),
    # table 4 (one dominant rectangular input): [-17.0, 17.0]; exact 17.016
    ("jcgm101-9-2-4-rectangular-dominant.yaml", "-17.0", "17.0", 0.05, False),
])
def test_jcgm101_additive_models(file: str, mc_low: str, mc_high: str, mc_tolerance: float,
                                 validated: bool) -> None:
    # GUM side: exact, to the publication's digits. Monte Carlo side: the published
    # end-points are themselves Monte Carlo estimates from 10^6 trials; with 10^6 trials
    # here, an end-point's standard error is about 0.005 (tables 2, 3) and 0.006
    # (table 4), so the tolerance is half a digit plus three standard errors.
    loaded = load_budget(EXAMPLES / file)
    r = loaded.budget.evaluate(monte_carlo=McmOptions(trials=1_000_000, seed=1))
    assert r.coverage_probability == 0.95
    u = "10.1" if "dominant" in file else "2.00"
    interval = "19.9" if "dominant" in file else "3.92"
    assert close(r.value, "0.00") and close(r.standard_uncertainty, u)
    assert close(r.interval[0], "-" + interval) and close(r.interval[1], interval)
    assert r.mcm is not None and r.mcm.trials == 1_000_000
    # the Monte Carlo u(y): for these linear models it converges to the GUM u_c exactly;
    # its standard error with 10^6 trials is below 0.005 (u = 10.1) and 0.0015 (u = 2)
    assert abs(r.mcm.standard_uncertainty - r.standard_uncertainty) \
        <= 3 * 0.005 * r.standard_uncertainty / 10
    assert close(r.mcm.value, "0.0" if "dominant" in file else "0.00")
    assert abs(r.mcm.interval[0] - float(mc_low)) <= mc_tolerance
    assert abs(r.mcm.interval[1] - float(mc_high)) <= mc_tolerance
    assert r.validation is not None and r.validation.passed is validated
