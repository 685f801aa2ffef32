"""Propagation of distributions by the Monte Carlo method (JCGM 101:2008).

``run_mcm(model, inputs)`` draws every input (see :mod:`labctl.uncertainty.distributions`),
evaluates the model on whole arrays of draws, and summarises the output draws: estimate
(mean, 7.6), standard uncertainty (standard deviation, ddof = 1), the probabilistically
symmetric and the shortest coverage intervals (7.7, :mod:`labctl.uncertainty.intervals`).

Draws are made in blocks of ``block_size`` trials (default 2^16: the temporary arrays of a
block stay in cache, which is faster than one 10^6 block and bounds memory to a few MB per
input); only the output values of all trials are kept, 8 bytes a trial. The same ``seed``,
``trials`` and ``block_size`` give the same result, bit for bit (PCG64 generator).

``adaptive=True`` runs the adaptive procedure of 7.9.4: blocks of M = max(J, 10^4) trials,
J = ceil(100/(1 - p)), until twice the standard deviation of the mean of the block values
of y, u(y) and the end-points of the probabilistically symmetric interval is at most the
numerical tolerance (7.9.2) of u(y) at ``significant_digits``; then every trial made is
used for the result. The shortest interval is left out of the criterion: for a symmetric
output its *position* is ill-determined (any window near the centre is almost as short),
so its end-points wander far more than quantiles do and the procedure would not stop.
If ``max_trials`` is reached first, the result says ``converged=False`` and a
``RuntimeWarning`` is issued.

``validate_gum`` compares a GUM interval y +/- U_p with the Monte Carlo interval (8.1).

Memory bounds the number of trials: the output values of all trials are held at once,
8 bytes a trial, twice over when the draws are kept (``keep_draws``, for a plot) or the
adaptive procedure joins its blocks, three times with both. ``trial_limit`` allows at
most half of the memory available now (``MemAvailable`` of /proc/meminfo, else the free
physical pages of ``os.sysconf``, else half the physical memory, else 1 GiB assumed);
the rest is left to the sorting of the interval tails, the blocks of input draws (a few
MB) and everything else. ``run_mcm`` refuses more trials than that before allocating.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from labctl.uncertainty.distributions import (
    CorrelatedGroup,
    InputDistribution,
    correlation_factor,
    t_correlation_attenuation,
)
from labctl.uncertainty.intervals import coverage_intervals, coverage_ranks, numerical_tolerance

__all__ = [
    "BLOCK_SIZE",
    "TooManyTrials",
    "GumValidation",
    "InputDistribution",
    "McmResult",
    "Model",
    "correlation_factor",
    "coverage_intervals",
    "numerical_tolerance",
    "check_trials",
    "run_mcm",
    "t_correlation_attenuation",
    "trial_limit",
    "validate_gum",
]

BLOCK_SIZE = 1 << 16
ADAPTIVE_MIN_BLOCK = 10_000
BYTES_PER_VALUE = 8  # one float64 output value per trial
MEMORY_FRACTION = 0.5  # of the memory available, for the output values
ASSUMED_MEMORY = 1 << 30  # when the system does not say how much memory is available


class TooManyTrials(ValueError):
    """More Monte Carlo trials than the memory available can hold."""


def available_memory() -> tuple[int, str]:
    """The memory available now, in bytes, and where the figure comes from: Linux's
    ``MemAvailable`` (free plus reclaimable), else ``os.sysconf``'s free physical pages,
    else half of its physical pages, else ``ASSUMED_MEMORY``."""
    import os

    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024, "available"
    except (OSError, ValueError, IndexError):
        pass
    try:
        page = os.sysconf("SC_PAGE_SIZE")
        try:
            return int(os.sysconf("SC_AVPHYS_PAGES")) * page, "free"
        except (ValueError, OSError):
            return int(os.sysconf("SC_PHYS_PAGES")) * page // 2, "half the physical"
    except (ValueError, OSError, AttributeError):
        return ASSUMED_MEMORY, "assumed"


def bytes_per_trial(*, adaptive: bool = False, keep_draws: bool = False) -> int:
    """Bytes held per trial: the output value, once more for kept draws (a copy is
    sorted) and once more for the adaptive blocks (joined at the end)."""
    return BYTES_PER_VALUE * (1 + int(bool(keep_draws)) + int(bool(adaptive)))


def trial_limit(*, adaptive: bool = False, keep_draws: bool = False) -> int:
    """The most trials whose output values fit in ``MEMORY_FRACTION`` of the memory
    available now."""
    memory, _ = available_memory()
    return int(memory * MEMORY_FRACTION) // bytes_per_trial(adaptive=adaptive,
                                                             keep_draws=keep_draws)


def check_trials(trials: int, *, adaptive: bool = False, keep_draws: bool = False) -> None:
    """``TooManyTrials`` (a ``ValueError``) stating the limit, and how it was derived,
    when ``trials`` output values would not fit (see ``trial_limit``)."""
    per = bytes_per_trial(adaptive=adaptive, keep_draws=keep_draws)
    memory, source = available_memory()
    limit = int(memory * MEMORY_FRACTION) // per
    if trials > limit:
        raise TooManyTrials(
            f"{trials:,} trials would hold {_bytes(trials * per)} of draws; at most "
            f"{limit:,} fit here ({per} bytes a trial in {MEMORY_FRACTION:.0%} of the "
            f"{_bytes(memory)} of memory {source})")


def _bytes(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} TiB"

Model = Callable[[Mapping[str, np.ndarray]], Any]


@dataclass(frozen=True)
class McmResult:
    """Summary of the Monte Carlo output draws."""

    value: float
    standard_uncertainty: float
    interval: tuple[float, float]
    shortest_interval: tuple[float, float]
    coverage_probability: float
    trials: int
    draws: np.ndarray | None = field(default=None, compare=False, repr=False)
    converged: bool | None = None  # set by the adaptive procedure only
    numerical_tolerance: float | None = None  # delta of u(y), adaptive procedure only

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "value": self.value,
            "standard_uncertainty": self.standard_uncertainty,
            "interval": list(self.interval),
            "shortest_interval": list(self.shortest_interval),
            "trials": self.trials,
            "coverage_probability": self.coverage_probability,
        }
        if self.converged is not None:
            out["converged"] = self.converged
            out["numerical_tolerance"] = self.numerical_tolerance
        return out


@dataclass(frozen=True)
class GumValidation:
    """JCGM 101 8.1: the GUM interval is validated when both end-point differences are
    within the numerical tolerance of u(y)."""

    d_low: float
    d_high: float
    tolerance: float
    passed: bool
    interval: str = "symmetric"  # which Monte Carlo interval was compared

    def to_dict(self) -> dict[str, Any]:
        return {
            "d_low": self.d_low,
            "d_high": self.d_high,
            "tolerance": self.tolerance,
            "passed": self.passed,
            "interval": self.interval,
        }


class _Sampler:
    """Draws blocks of input values: the correlated group first, then the others in order."""

    def __init__(
        self,
        inputs: Mapping[str, InputDistribution],
        correlations: Mapping[tuple[str, str], float] | None,
    ) -> None:
        for name, dist in inputs.items():
            if not isinstance(dist, InputDistribution):
                raise ValueError(
                    f"input {name!r} must be an InputDistribution, got {type(dist).__name__}"
                )
        self.names = list(inputs)
        self.group = CorrelatedGroup(inputs, correlations) if correlations else None
        grouped = set(self.group.names) if self.group else set()
        self.independent = [(n, d) for n, d in inputs.items() if n not in grouped]

    def draw(self, rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
        drawn = self.group.sample(rng, size) if self.group else {}
        for name, dist in self.independent:
            drawn[name] = dist.sample(rng, size)
        return {name: drawn[name] for name in self.names}


def _evaluate(model: Model, draws: Mapping[str, np.ndarray], size: int) -> np.ndarray:
    with np.errstate(all="ignore"):  # non-finite results are reported below, clearly
        out = model(draws)
    try:
        y = np.asarray(out, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"the model must return an array of numbers, got {type(out).__name__}"
        ) from exc
    if y.ndim == 0:  # a model that does not depend on its inputs
        y = np.full(size, float(y))
    if y.shape != (size,):
        raise ValueError(
            f"the model returned shape {y.shape} for {size} trials; it must return one "
            f"number per trial, shape ({size},) (does it reduce or reshape its inputs?)"
        )
    finite = np.isfinite(y)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        i = int(bad[0])
        at = ", ".join(f"{name}={values[i]:.6g}" for name, values in draws.items())
        raise ValueError(
            f"the model gave a non-finite value ({y[i]}) in {bad.size} of {size} trials, "
            f"first at {at}: check for division by zero, log or sqrt of negative values, "
            "or inputs whose distributions reach outside the model's domain"
        )
    return y


def _generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.Generator(np.random.PCG64(seed))


def _summarise(
    y: np.ndarray, coverage_probability: float, keep_draws: bool
) -> tuple[float, float, tuple[float, float], tuple[float, float]]:
    mean = float(np.mean(y))
    std = float(np.std(y, ddof=1)) if y.size > 1 else 0.0
    symmetric, shortest = coverage_intervals(y, coverage_probability, overwrite=not keep_draws)
    return mean, std, symmetric, shortest


def _result(y: np.ndarray, coverage_probability: float, keep_draws: bool) -> McmResult:
    """The summary of the output draws ``y`` of every trial."""
    mean, std, symmetric, shortest = _summarise(y, coverage_probability, keep_draws)
    return McmResult(
        value=mean,
        standard_uncertainty=std,
        interval=symmetric,
        shortest_interval=shortest,
        coverage_probability=coverage_probability,
        trials=int(y.size),
        draws=y if keep_draws else None,
    )


def _run_fixed(
    model: Model, sampler: _Sampler, rng: np.random.Generator, trials: int, block_size: int
) -> np.ndarray:
    y = np.empty(trials)
    for start in range(0, trials, block_size):
        size = min(block_size, trials - start)
        y[start : start + size] = _evaluate(model, sampler.draw(rng, size), size)
    return y


def run_mcm(
    model: Model,
    inputs: Mapping[str, InputDistribution],
    *,
    correlations: Mapping[tuple[str, str], float] | None = None,
    trials: int = 1_000_000,
    coverage_probability: float = 0.9545,
    seed: int | np.random.Generator | None = None,
    adaptive: bool = False,
    significant_digits: int = 2,
    max_trials: int = 10_000_000,
    keep_draws: bool = False,
    block_size: int = BLOCK_SIZE,
) -> McmResult:
    """Monte Carlo evaluation of ``model`` (a function of a dict of arrays, one array of
    draws per input, returning one output value per trial).

    ``correlations`` maps pairs of input names to correlation coefficients; only normal
    and t inputs may be correlated (ValueError otherwise). ``trials`` is ignored when
    ``adaptive`` is true (the adaptive procedure picks its own block size and stops by
    itself, or at ``max_trials``).
    """
    p = float(coverage_probability)
    if isinstance(trials, bool) or not isinstance(trials, int | np.integer) or trials < 2:
        raise ValueError(f"trials must be an integer >= 2, got {trials!r}")
    if not isinstance(block_size, int | np.integer) or block_size < 1:
        raise ValueError(f"block_size must be a positive integer, got {block_size!r}")
    if not 0.0 < p < 1.0:
        raise ValueError(f"coverage probability must be in (0, 1), got {p}")
    check_trials(int(max_trials) if adaptive else int(trials), adaptive=adaptive,
                 keep_draws=keep_draws)  # before anything is allocated
    sampler = _Sampler(inputs, correlations)
    rng = _generator(seed)
    if adaptive:
        return _run_adaptive(
            model, sampler, rng, p, significant_digits, int(max_trials), keep_draws, block_size
        )
    coverage_ranks(int(trials), p)  # enough trials for this coverage?
    y = _run_fixed(model, sampler, rng, int(trials), int(block_size))
    return _result(y, p, keep_draws)


def _run_adaptive(
    model: Model,
    sampler: _Sampler,
    rng: np.random.Generator,
    p: float,
    significant_digits: int,
    max_trials: int,
    keep_draws: bool,
    block_size: int,
) -> McmResult:
    numerical_tolerance(1.0, significant_digits)  # validates the digit count
    j = math.ceil(100.0 / (1.0 - p))
    m = max(j, ADAPTIVE_MIN_BLOCK)
    if max_trials < 2 * m:
        raise ValueError(
            f"max_trials = {max_trials} leaves room for fewer than two adaptive blocks of "
            f"{m} trials: raise it to at least {2 * m}"
        )
    blocks: list[np.ndarray] = []
    stats: list[tuple[float, float, float, float]] = []
    converged = False
    delta = math.nan
    pooled_mean, pooled_m2 = 0.0, 0.0  # running mean and sum of squared deviations (Chan)
    while len(blocks) * m + m <= max_trials:
        y = _run_fixed(model, sampler, rng, m, block_size)
        blocks.append(y)
        mean, std, (lo, hi), _ = _summarise(y, p, keep_draws=True)
        stats.append((mean, std, lo, hi))
        h = len(blocks)
        n_before = (h - 1) * m
        shift = mean - pooled_mean
        pooled_m2 += std**2 * (m - 1) + shift**2 * n_before * m / (n_before + m)
        pooled_mean += shift * m / (n_before + m)
        if h < 2:
            continue
        # 7.9.4 g), h): standard deviation of the average of the h block values
        spread = np.std(np.asarray(stats), axis=0, ddof=1) / math.sqrt(h)
        u_all = math.sqrt(pooled_m2 / (h * m - 1))  # 7.9.4 i): u(y) from all h M values
        delta = numerical_tolerance(u_all, significant_digits)
        if np.all(2.0 * spread <= delta):
            converged = True
            break
    if not converged:
        warnings.warn(
            f"adaptive Monte Carlo did not stabilise within max_trials = {max_trials} "
            f"(numerical tolerance {delta:.3g} for {significant_digits} significant digits "
            "of u(y)); the result uses every trial made",
            RuntimeWarning,
            stacklevel=3,
        )
    result = _result(np.concatenate(blocks), p, keep_draws)
    return replace(
        result,
        converged=converged,
        numerical_tolerance=numerical_tolerance(result.standard_uncertainty, significant_digits),
    )


def validate_gum(
    y: float,
    expanded_uncertainty: float,
    mcm: McmResult,
    significant_digits: int = 2,
    *,
    interval: str = "symmetric",
) -> GumValidation:
    """JCGM 101 8.1: d_low = |y - U_p - y_low|, d_high = |y + U_p - y_high| against the
    numerical tolerance (7.9.2) of the Monte Carlo u(y) at ``significant_digits``.

    ``interval`` picks the Monte Carlo interval to compare with: "symmetric" (the
    probabilistically symmetric one, as in JCGM 101 9.2) or "shortest" (as in 9.3).
    """
    if not math.isfinite(y):
        raise ValueError(f"the GUM estimate must be finite, got {y}")
    if not math.isfinite(expanded_uncertainty) or expanded_uncertainty < 0:
        raise ValueError(
            f"the expanded uncertainty must be finite and >= 0, got {expanded_uncertainty}"
        )
    if interval == "symmetric":
        low, high = mcm.interval
    elif interval == "shortest":
        low, high = mcm.shortest_interval
    else:
        raise ValueError(f"interval must be 'symmetric' or 'shortest', got {interval!r}")
    tolerance = numerical_tolerance(mcm.standard_uncertainty, significant_digits)
    d_low = abs(y - expanded_uncertainty - low)
    d_high = abs(y + expanded_uncertainty - high)
    return GumValidation(
        d_low=d_low,
        d_high=d_high,
        tolerance=tolerance,
        passed=bool(d_low <= tolerance and d_high <= tolerance),
        interval=interval,
    )
