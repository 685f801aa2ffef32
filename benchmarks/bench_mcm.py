"""Monte Carlo benchmark: a six-input nonlinear model with 10^6 trials.

Model: GUM H.1 end gauge, l = l_s + d - l_s*(delta_alpha*theta + alpha_s*delta_theta), with
t inputs (l_s, d), a normal input (theta) and rectangular inputs (delta_alpha, alpha_s,
delta_theta), all in mm and K.

Timed, each as the median of a few repeats in this one run:

- ``run_mcm`` with the model as a Python lambda over the dict of arrays;
- ``run_mcm`` with the model compiled by ``labctl.uncertainty.expression`` (numpy backend),
  when that module is there;
- baseline: the same expression in plain numpy on arrays drawn beforehand (evaluation only);
- reference: a hand-written numpy Monte Carlo (draw, evaluate, mean, std, np.quantile).

The goal (issue 2) is run_mcm <= 0.3 s on the project's 2-core machine. Run:
``python benchmarks/bench_mcm.py [--trials N] [--repeats R]``.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from collections.abc import Callable, Mapping

import numpy as np

from labctl.uncertainty.mcm import InputDistribution, run_mcm

GOAL_SECONDS = 0.3
EXPRESSION = "l_s + d - l_s*(delta_alpha*theta + alpha_s*delta_theta)"

INPUTS: dict[str, InputDistribution] = {
    "l_s": InputDistribution("t", 50.000623, 0.000075 / 3, dof=18),
    "d": InputDistribution("t", 0.000215, 0.0000097, dof=25),
    "delta_alpha": InputDistribution("rectangular", 0.0, 1e-6 / math.sqrt(3)),
    "theta": InputDistribution("normal", -0.1, 0.41),
    "alpha_s": InputDistribution("rectangular", 11.5e-6, 2e-6 / math.sqrt(3)),
    "delta_theta": InputDistribution("rectangular", 0.0, 0.05 / math.sqrt(3)),
}


def model(x: Mapping[str, np.ndarray]) -> np.ndarray:
    return x["l_s"] + x["d"] - x["l_s"] * (
        x["delta_alpha"] * x["theta"] + x["alpha_s"] * x["delta_theta"]
    )


def median_time(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up (imports, caches)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def handwritten_mcm(trials: int, seed: int) -> tuple[float, float, float, float]:
    rng = np.random.default_rng(seed)
    x = {name: dist.sample(rng, trials) for name, dist in INPUTS.items()}
    y = model(x)
    low, high = np.quantile(y, [0.022750, 0.977250])
    return float(y.mean()), float(y.std(ddof=1)), float(low), float(high)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    m, repeats = args.trials, args.repeats

    rng = np.random.default_rng(1)
    predrawn = {name: dist.sample(rng, m) for name, dist in INPUTS.items()}

    t_lambda = median_time(lambda: run_mcm(model, INPUTS, trials=m, seed=1), repeats)
    t_baseline = median_time(lambda: model(predrawn), repeats)
    t_hand = median_time(lambda: handwritten_mcm(m, 1), repeats)
    result = run_mcm(model, INPUTS, trials=m, seed=1)

    t_compiled = None
    try:
        from labctl.uncertainty.expression import compile_expression
    except ImportError:
        compile_expression = None
    if compile_expression is not None:
        fn = compile_expression(EXPRESSION).function("numpy")
        t_compiled = median_time(lambda: run_mcm(fn, INPUTS, trials=m, seed=1), repeats)
        t_compiled_eval = median_time(lambda: fn(predrawn), repeats)

    cores = os.cpu_count()
    print(f"Monte Carlo benchmark: GUM H.1 end gauge, six inputs, {m:,} trials, "
          f"median of {repeats} (cpu_count={cores}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '-')})")
    print(f"  result: l = {result.value:.7f} mm, u = {result.standard_uncertainty * 1e6:.1f} nm, "
          f"95.45 % interval [{result.interval[0]:.7f}, {result.interval[1]:.7f}] mm")
    print(f"  baseline, numpy expression on pre-drawn arrays : {t_baseline * 1e3:8.1f} ms")
    print(f"  reference, hand-written numpy Monte Carlo      : {t_hand * 1e3:8.1f} ms")
    print(f"  run_mcm, Python lambda model                   : {t_lambda * 1e3:8.1f} ms"
          f"   ratio to baseline {t_lambda / t_baseline:5.1f}x, "
          f"to hand-written {t_lambda / t_hand:4.2f}x")
    if t_compiled is not None:
        print(f"  expression numpy backend, on pre-drawn arrays  : {t_compiled_eval * 1e3:8.1f} ms"
              f"   ratio to baseline {t_compiled_eval / t_baseline:5.1f}x")
        print(f"  run_mcm, compiled expression (numpy backend)   : {t_compiled * 1e3:8.1f} ms"
              f"   ratio to baseline {t_compiled / t_baseline:5.1f}x")
    else:
        print("  labctl.uncertainty.expression not available: compiled model not timed")
    worst = max(t for t in (t_lambda, t_compiled) if t is not None)
    verdict = "met" if worst <= GOAL_SECONDS else "NOT met"
    print(f"  goal run_mcm <= {GOAL_SECONDS} s for {m:,} trials: {verdict} "
          f"(slowest variant {worst:.3f} s)")


if __name__ == "__main__":
    main()
