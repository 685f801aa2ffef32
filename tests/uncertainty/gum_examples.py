"""GUM H.1, the end gauge calibration, as a budget: shared by the tests of published
examples and of expressions and by ``benchmarks/bench_gum.py``.

Tests import it as ``from gum_examples import ...`` (pytest puts this folder on
``sys.path``, as it has no ``__init__.py``); the benchmark puts the folder there itself.
"""

from __future__ import annotations

from typing import Any

from labctl.uncertainty import Budget, Coverage, Input

H1_MODEL = "l_s + d - l_s*(delta_alpha*theta + alpha_s*delta_theta)"
"""The measurement model of GUM H.1.2: the length of the end gauge, in mm."""

H1_VALUES = {"l_s": 50.000623, "d": 0.000215, "delta_alpha": 0.0, "theta": -0.1,
             "alpha_s": 11.5e-6, "delta_theta": 0.0}
"""The estimates of the inputs (GUM H.1.3 to H.1.5; the units of ``h1_budget``)."""


def h1_budget(**kw: Any) -> Budget:
    """The budget of GUM H.1 (table H.1), with a 99 % coverage probability; ``kw`` goes
    to ``Budget`` (``second_order=True``, for example)."""
    return Budget(
        H1_MODEL,
        {
            "l_s": Input.expanded(50.000623, 0.000075, k=3, dof=18, unit="mm"),
            "d": Input.standard(0.000215, 0.0000097, dof=25, unit="mm"),
            "delta_alpha": Input.rectangular(0, 1e-6, reliability=0.10, unit="1/K"),
            "theta": Input.standard(-0.1, 0.41, unit="K"),
            "alpha_s": Input.rectangular(11.5e-6, 2e-6, unit="1/K"),
            "delta_theta": Input.rectangular(0, 0.05, reliability=0.5, unit="K"),
        },
        measurand=("l", "mm"), coverage=Coverage(probability=0.99), **kw)
