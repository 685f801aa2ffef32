"""Time a calibration fit with uncertainties in x and y (ISO 6143 generalized least
squares) of six points: a CO2 analyzer calibrated with six cylinders
(``examples/budgets/co2-analyzer-fit.yaml``).

Run: ``python benchmarks/bench_fit.py [--quick]``. Reports, measured in the same run:

* labctl: ``fit_calibration`` of the straight line (the minimisation over the
  coefficients and the six adjusted responses, the ISO 6143 covariance, gamma and the
  chi-square p-value, the points' weighted deviations); the same for the quadratic; a
  value read through the fitted line with its uncertainty;
* the fit as ``analysis_function_fit`` makes it for the greenhouse-gas calibration
  (``procedures/ghg-multipoint.yaml``): the straight line and five values read through
  it with their covariance;
* baselines: ``numpy.polyfit`` of the same points (weighted by 1/u(x), no adjustment of
  y: the fit ISO 6143 improves on), with and without its covariance, and ODRPACK through
  ``scipy.odr`` (the same problem, deprecated in SciPy 1.17; skipped where absent).

The goal of issue 10 is <= 5 ms for the GLS fit of 6 points. Ratios are to
``numpy.polyfit`` with its covariance.
"""

from __future__ import annotations

import argparse
import sys
import timeit
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from labctl.uncertainty import fit_calibration  # noqa: E402

GOAL_S = 5e-3
# examples/budgets/co2-analyzer-fit.yaml: x the cylinders, y the readings (umol/mol)
X = np.array([0.00, 350.00, 379.96, 409.89, 450.07, 499.97])
U_X = np.array([0.02, 0.05, 0.05, 0.05, 0.06, 0.07])
Y = np.array([1.19, 349.42, 379.28, 409.11, 448.95, 498.70])
U_Y = np.full(6, 0.04)


def best(fn, number: int, repeat: int) -> float:
    """Best of ``repeat`` repeats, seconds per call."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def labctl_fit(function: str = "linear"):
    return lambda: fit_calibration(X, Y, u_x=U_X, u_y=U_Y, function=function)


def labctl_read():
    fit = fit_calibration(X, Y, u_x=U_X, u_y=U_Y)
    return lambda: fit.read(415.3, 0.04)


def labctl_ghg_analysis():
    """The fit and the values read as analysis_function_fit does it."""
    def run():
        fit = fit_calibration(X, Y, u_x=U_X, u_y=U_Y, x_unit="umol/mol", y_unit="umol/mol")
        fit.read_values([("y", y, u) for y, u in zip(Y, U_Y, strict=True)])
        return fit.read_values([("y", y, 0.0) for y in (390.0, 410.0, 430.0, 450.0, 470.0)])
    return run


def numpy_polyfit(cov: bool):
    if cov:
        return lambda: np.polyfit(Y, X, 1, w=1 / U_X, cov="unscaled")
    return lambda: np.polyfit(Y, X, 1, w=1 / U_X)


def scipy_odr():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from scipy import odr

    def run():
        data = odr.RealData(Y, X, sx=U_Y, sy=U_X)
        return odr.ODR(data, odr.unilinear, beta0=[1.0, 0.0]).run()

    return run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (smoke test)")
    args = parser.parse_args(argv)
    number, repeat = (50, 2) if args.quick else (300, 5)

    first = labctl_fit()()  # pays scipy's imports once, outside the timing
    cases = [
        ("labctl fit_calibration, line (GLS)", labctl_fit(), number),
        ("labctl fit_calibration, quadratic", labctl_fit("quadratic"), number),
        ("labctl fit.read(y, u) (one value)", labctl_read(), number * 10),
        ("labctl fit + 11 values (ghg analysis)", labctl_ghg_analysis(), number),
        ("numpy.polyfit (weighted, no cov)", numpy_polyfit(False), number * 10),
        ("numpy.polyfit (weighted, cov)", numpy_polyfit(True), number * 10),
    ]
    try:
        odr_run = scipy_odr()
        out = odr_run()
        slope = out.beta[0]  # unilinear: y = beta[0] x + beta[1]
        assert abs(slope - first.coefficients[1]) < 1e-6 * abs(slope)  # the same line
        cases.append(("scipy.odr, line (same problem)", odr_run, number))
    except ImportError:
        print("scipy.odr not available: skipping that baseline")

    times = {name: best(fn, n, repeat) for name, fn, n in cases}
    ours = times["labctl fit_calibration, line (GLS)"]
    base = times["numpy.polyfit (weighted, cov)"]
    g = first.goodness
    print(f"CO2 analyzer, 6 points: x = {first.coefficients[0]:.4f} + "
          f"{first.coefficients[1]:.6f} y, u(b1) = {first.standard_uncertainties[1]:.2g}, "
          f"gamma = {g.gamma:.2f}, S = {g.residual_sum:.2f} ({g.dof} dof), "
          f"{first.evaluations} evaluations\n")
    print(f"{'case':40s} {'time/call':>12s} {'x polyfit':>10s}")
    for name, t in times.items():
        print(f"{name:40s} {t * 1e6:9.1f} us {t / base:10.1f}")
    verdict = "met" if ours <= GOAL_S else "NOT met"
    print(f"\ngoal: a GLS fit of 6 points <= {GOAL_S * 1e3:.0f} ms: {verdict} "
          f"({ours * 1e3:.2f} ms, {ours / base:.0f}x numpy.polyfit)")


if __name__ == "__main__":
    main()
