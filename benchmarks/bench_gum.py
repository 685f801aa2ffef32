"""Time a GUM budget evaluation of a six-input nonlinear model (the end gauge of GUM H.1).

Run: ``python benchmarks/bench_gum.py``. Reports, measured in the same run:

* labctl: building a ``Budget`` (checks, cached unit plan) and evaluating it (value,
  sensitivities, contributions, Welch-Satterthwaite, k from t, expanded uncertainty);
  and evaluating an already built budget;
* baselines: a plain Python float evaluation of the same expression (one call), the
  same over numpy arrays of one element, the ``uncertainties`` package alone
  (propagation only), and GTC (``ureal`` inputs with dof, result, uncertainty,
  Welch-Satterthwaite dof, per-input components, coverage factor: the same budget).

The goal of issue 2 is <= 1 ms per GUM budget evaluation. Ratios are to the plain
float evaluation and to GTC.
"""

from __future__ import annotations

import math
import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "uncertainty"))  # the GUM H.1 budget of the tests

from gum_examples import H1_VALUES as VALUES  # noqa: E402
from gum_examples import h1_budget  # noqa: E402

GOAL_S = 1e-3
UNCS = {"l_s": 25e-6, "d": 9.7e-6, "delta_alpha": 1e-6 / math.sqrt(3), "theta": 0.41,
        "alpha_s": 2e-6 / math.sqrt(3), "delta_theta": 0.05 / math.sqrt(3)}
DOFS = {"l_s": 18, "d": 25, "delta_alpha": 50, "theta": math.inf, "alpha_s": math.inf,
        "delta_theta": 2}


def best(fn, number: int) -> float:
    """Best of 5 repeats, seconds per call."""
    return min(timeit.repeat(fn, number=number, repeat=5)) / number


def labctl_build_and_evaluate():
    def run():
        return h1_budget().evaluate()

    return run


def plain_float():
    def f(l_s, d, delta_alpha, theta, alpha_s, delta_theta):
        return l_s + d - l_s * (delta_alpha * theta + alpha_s * delta_theta)

    values = tuple(VALUES.values())
    return lambda: f(*values)


def plain_numpy():
    import numpy as np

    arrays = {k: np.array([v]) for k, v in VALUES.items()}

    def f(l_s, d, delta_alpha, theta, alpha_s, delta_theta):
        return l_s + d - l_s * (delta_alpha * theta + alpha_s * delta_theta)

    return lambda: f(**arrays)


def uncertainties_alone():
    from uncertainties import ufloat

    def run():
        x = {k: ufloat(v, UNCS[k], tag=k) for k, v in VALUES.items()}
        y = (x["l_s"] + x["d"] - x["l_s"] * (x["delta_alpha"] * x["theta"]
                                              + x["alpha_s"] * x["delta_theta"]))
        return y.std_dev, y.error_components()

    return run


def gtc_budget():
    from GTC import rp, ureal
    from scipy import stats

    def run():
        x = {k: ureal(v, UNCS[k], DOFS[k], label=k) for k, v in VALUES.items()}
        y = (x["l_s"] + x["d"] - x["l_s"] * (x["delta_alpha"] * x["theta"]
                                              + x["alpha_s"] * x["delta_theta"]))
        components = [rp.u_component(y, x[k]) for k in VALUES]
        nu = math.floor(y.df)
        k = stats.t.ppf(0.995, nu)
        return y.x, y.u, nu, k * y.u, components

    return run


def main() -> None:
    build_eval = labctl_build_and_evaluate()
    first = build_eval()  # warms the caches (parsed model, unit plan, t quantiles)
    prebuilt = h1_budget()  # an already built budget, evaluated again
    cases = [
        ("labctl Budget(...).evaluate()", build_eval, 2000),
        ("labctl budget.evaluate() (prebuilt)", prebuilt.evaluate, 2000),
        ("plain float expression", plain_float(), 200_000),
        ("numpy expression, 1-element arrays", plain_numpy(), 50_000),
        ("uncertainties alone (propagation only)", uncertainties_alone(), 5000),
    ]
    try:
        import GTC  # noqa: F401

        g = gtc_budget()
        _, u, nu, _, _ = g()  # the same budget: same u_c and nu_eff
        assert abs(u - first.standard_uncertainty) < 1e-12 and nu == first.effective_dof
        cases.append(("GTC ureal budget (same outputs)", g, 2000))
    except ImportError:
        print("GTC not installed (pip install 'labctl[bench]'): skipping that baseline")

    times = {name: best(fn, number) for name, fn, number in cases}
    ours = times["labctl Budget(...).evaluate()"]
    plain = times["plain float expression"]
    gtc = times.get("GTC ureal budget (same outputs)")
    print(f"GUM H.1 budget: l = {first.value:.6f} mm, "
          f"u_c = {first.standard_uncertainty * 1e6:.1f} nm, "
          f"nu_eff = {first.effective_dof:.0f}, U99 = "
          f"{first.expanded_uncertainty*1e6:.1f} nm\n")
    print(f"{'case':42s} {'time/call':>12s} {'x plain':>10s} {'x GTC':>8s}")
    for name, t in times.items():
        vs_gtc = f"{t / gtc:8.2f}" if gtc else "       -"
        print(f"{name:42s} {t * 1e6:9.1f} us {t / plain:10.0f} {vs_gtc}")
    verdict = "met" if ours <= GOAL_S else "NOT met"
    print(f"\ngoal: a GUM budget evaluation <= {GOAL_S * 1e3:.0f} ms: {verdict} "
          f"({ours * 1e6:.0f} us, build and evaluate)")


if __name__ == "__main__":
    main()
