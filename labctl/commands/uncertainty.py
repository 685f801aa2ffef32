"""``labctl uncertainty BUDGET.yaml``: evaluate a budget file (GUM and Monte Carlo), or
fit a calibration fit file (``labctl.commands.uncertainty_fit``)."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from labctl.errors import ConfigError

if TYPE_CHECKING:
    from rich.console import Console

    from labctl.uncertainty.budget import BudgetResult


@click.command("uncertainty")
@click.argument("budget_file", metavar="BUDGET.yaml", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object (value, unit, components, mcm, decision...).")
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False), default=None,
              metavar="FILE", help="Write a PNG histogram of the Monte Carlo draws with "
                                   "the GUM distribution and both coverage intervals.")
@click.option("--trials", type=click.FloatRange(min=2), default=None, metavar="N",
              help="Monte Carlo trials, e.g. 1e6 (overrides the file's monte_carlo.trials; "
                   "at most what half the memory available holds).")
@click.option("--seed", type=int, default=None, metavar="N",
              help="Seed of the Monte Carlo draws (overrides monte_carlo.seed).")
@click.option("--no-mc", is_flag=True, help="GUM only: skip the Monte Carlo evaluation.")
@click.option("--rounding", type=click.Choice(["gum", "up", "nearest"]), default="gum",
              show_default=True,
              help="How the stated uncertainties are rounded to two significant digits "
                   "(gum: up, unless the dropped digits are below a tenth, GUM 7.2.6).")
def uncertainty(budget_file: str, as_json: bool, plot_file: str | None, trials: float | None,
                seed: int | None, no_mc: bool, rounding: str) -> None:
    """Evaluate an uncertainty budget file by the GUM law of propagation and by Monte
    Carlo (JCGM 101), validate the one by the other, and decide conformity when the
    file has a specification. A calibration fit file (with points) is fitted by
    generalized least squares (ISO 6143). The formats are in docs/uncertainty-budgets.md.
    """
    from labctl.uncertainty.budgetfile import BudgetFile, load_uncertainty_file

    loaded = load_uncertainty_file(budget_file)
    if not isinstance(loaded, BudgetFile):  # a calibration fit file
        from labctl.commands.uncertainty_fit import show_fit

        given = {"--plot": plot_file, "--trials": trials, "--seed": seed, "--no-mc": no_mc}
        for option, value in given.items():
            if value not in (None, False):
                raise ConfigError("applies to budget files, not to a fit file",
                                  where=option, hint=f"remove {option}")
        show_fit(loaded, as_json, rounding)
        return
    if trials is not None:
        trials = _trial_count(trials, keep_draws=bool(plot_file))
    options = None
    if plot_file and no_mc:
        raise ConfigError("--plot needs the Monte Carlo draws", where="--plot",
                          hint="remove --no-mc")
    if not no_mc:
        options = loaded.monte_carlo
        if trials is not None:
            options = replace(options, trials=trials)
        if seed is not None:
            options = replace(options, seed=seed)
        if plot_file:
            options = replace(options, keep_draws=True)
    result = loaded.evaluate(monte_carlo=options)
    if plot_file:
        _plot(result, Path(plot_file))
    if as_json:
        click.echo(json.dumps(result.to_dict(), allow_nan=False))
        return
    import sys

    from rich.console import Console

    # a pipe or a file gets a width that fits the tables; a terminal keeps its own
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 110)
    _print(console, loaded.title, result, rounding)
    if plot_file:
        console.print(f"histogram written to {plot_file}")


def _trial_count(trials: float, *, keep_draws: bool) -> int:
    """``--trials`` as a whole number (1e6 is accepted) that fits in memory."""
    from labctl.uncertainty.mcm import TooManyTrials, check_trials

    if not float(trials).is_integer():
        raise ConfigError(f"not a whole number of trials: {trials:g}", where="--trials")
    try:
        check_trials(int(trials), keep_draws=keep_draws)
    except TooManyTrials as exc:
        raise ConfigError(str(exc), where="--trials", hint="ask for fewer trials") from None
    return int(trials)


# --------------------------------------------------------------------------- text


def _print(console: Console, title: str, r: BudgetResult, rounding: str = "gum") -> None:
    from rich import box
    from rich.table import Table

    from labctl.uncertainty.rounding import compact, fixed, round_up, state

    u_disp, u_unit = compact(r.standard_uncertainty, r.unit)
    factor = u_disp / r.standard_uncertainty if r.standard_uncertainty else 1.0

    def in_u_unit(x: float) -> str:
        return f"{x * factor:.3g}"

    if title:
        console.print(f"[bold]{title}[/bold]")
    console.print(f"{r.measurand} = {r.model}" + (f"   [{r.unit}]" if r.unit else ""))

    from labctl.numbers import unit_text

    # narrow enough for 80 columns: the units in a column of their own, the heads on
    # two lines where they are long
    table = Table(title="Uncertainty budget (GUM)", title_justify="left", box=box.SIMPLE_HEAD,
                  pad_edge=False, show_edge=False, padding=0)
    for col, justify in (("input", "left"), ("value", "right"), ("u(x)", "right"),
                         ("unit", "left"), ("distribution", "left"), ("dof", "right"),
                         ("sensitivity\nc_i", "right"), (f"u_i(y)\n{u_unit or '1'}", "right"),
                         ("share\n%", "right")):
        table.add_column(col, justify=justify, no_wrap=True)
    for c in r.components:
        table.add_row(c.name, f"{c.value:.10g}", f"{c.standard_uncertainty:.3g}",
                      unit_text(c.unit), c.distribution, _dof(c.dof), f"{c.sensitivity:.3g}",
                      in_u_unit(c.contribution), f"{100 * c.share:.1f}")
    console.print(table)

    stated = state(r.value, r.standard_uncertainty, r.unit, mode=rounding)
    big_u, big_u_decimals = round_up(r.expanded_uncertainty * factor, mode=rounding)
    p = 100 * r.coverage_probability
    unit, uu = (f" {r.unit}" if r.unit else ""), (f" {u_unit}" if u_unit else "")
    console.print(
        f"[bold]{r.measurand} = {stated['value']}{unit}[/bold], "
        f"u_c = {stated['uncertainty']}{uu}, nu_eff = {_dof(r.effective_dof)}, "
        f"U({p:.4g} %) = {fixed(big_u, big_u_decimals)}{uu} (k = {r.coverage_factor:.3g})")

    side = Table(title="GUM and Monte Carlo", title_justify="left", box=box.SIMPLE_HEAD,
                 pad_edge=False, collapse_padding=True, show_edge=False)
    side.add_column("")
    side.add_column("GUM", justify="right")
    if r.mcm is not None:
        side.add_column(f"Monte Carlo,\n{r.mcm.trials:,} trials", justify="right")
    # one digit more than the stated value, so GUM and Monte Carlo can be compared
    digits = len(stated["value"].replace(" ", "").partition(".")[2]) + 1

    def v(x: float) -> str:
        return fixed(x, digits)

    rows = [
        ("estimate", v(r.value), v(r.mcm.value) if r.mcm else None),
        (f"standard uncertainty, {u_unit or '1'}", in_u_unit(r.standard_uncertainty),
         in_u_unit(r.mcm.standard_uncertainty) if r.mcm else None),
        ("effective dof", _dof(r.effective_dof), "" if r.mcm else None),
        ("coverage factor k", f"{r.coverage_factor:.3f}", "" if r.mcm else None),
        (f"expanded uncertainty, {u_unit or '1'}", in_u_unit(r.expanded_uncertainty),
         "" if r.mcm else None),
        # an interval's ends on two rows: 80 columns hold them
        (f"{p:.4g} % interval, low", v(r.interval[0]),
         v(r.mcm.interval[0]) if r.mcm else None),
        ("  high", v(r.interval[1]), v(r.mcm.interval[1]) if r.mcm else None),
    ]
    if r.mcm is not None:
        rows += [(f"{p:.4g} % shortest interval, low", "", v(r.mcm.shortest_interval[0])),
                 ("  high", "", v(r.mcm.shortest_interval[1]))]
    for label, gum, mc in rows:
        side.add_row(label, gum, *([mc] if r.mcm is not None else []))
    console.print(side)

    if r.validation is not None:
        val = r.validation
        verdict = "[green]passed[/green]" if val.passed else "[red]not validated[/red]"
        console.print(
            f"JCGM 101 validation of GUM: d_low = {in_u_unit(val.d_low)}{uu}, "
            f"d_high = {in_u_unit(val.d_high)}{uu}, tolerance = "
            f"{in_u_unit(val.tolerance)}{uu}: {verdict}")
    if r.decision is not None:
        _print_decision(console, r, v)
    for note in r.notes:
        console.print(f"note: {note}")


def _print_decision(console: Console, r: BudgetResult, v) -> None:
    d = r.decision
    assert d is not None
    spec = r.specification
    colour = {"pass": "green", "fail": "red"}.get(d.result, "yellow")
    limits = "" if spec is None else (
        f" limits [{'-inf' if spec.lower is None else v(spec.lower)}, "
        f"{'+inf' if spec.upper is None else v(spec.upper)}] {r.unit},")
    low, high = d.acceptance_interval
    console.print(
        f"Conformity ({d.rule}):{limits} acceptance "
        f"[{'-inf' if low is None else v(low)}, {'+inf' if high is None else v(high)}]: "
        f"[bold {colour}]{d.result}[/bold {colour}] (probability of conformity "
        f"{d.probability_of_conformity:.3g}, risk {d.risk:.3g})")


def _dof(nu: float) -> str:
    if math.isinf(nu):
        return "inf"
    return f"{nu:.0f}" if float(nu).is_integer() else f"{nu:.3g}"


def _interval(bounds: tuple[float, float], v) -> str:
    return f"[{v(bounds[0])}, {v(bounds[1])}]"


# --------------------------------------------------------------------------- plot


def _plot(r: BudgetResult, path: Path) -> None:
    """Histogram of the Monte Carlo draws, GUM's normal or t density, both intervals."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from scipy import stats

    from labctl.uncertainty.rounding import compact

    if r.mcm is None or r.mcm.draws is None:
        raise ConfigError("no Monte Carlo draws to plot", where=str(path))
    _, unit = compact(r.standard_uncertainty, r.unit)
    factor = (compact(r.standard_uncertainty, r.unit)[0] / r.standard_uncertainty
              if r.standard_uncertainty else 1.0)
    centre = r.value
    x = (np.asarray(r.mcm.draws) - centre) * factor
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.hist(x, bins=200, density=True, color="0.75", label="Monte Carlo draws")
    u = r.standard_uncertainty * factor
    if u > 0:
        grid = np.linspace(float(x.min()), float(x.max()), 600)
        if math.isinf(r.effective_dof):
            pdf = stats.norm.pdf(grid, scale=u)
            label = "GUM: normal"
        else:
            pdf = stats.t.pdf(grid / u, r.effective_dof) / u
            label = f"GUM: t, {r.effective_dof:.0f} dof"
        ax.plot(grid, pdf, color="C0", label=label)
    big_u = r.expanded_uncertainty * factor
    for edge in (-big_u, big_u):
        ax.axvline(edge, color="C0", linestyle="--")
    for i, edge in enumerate(r.mcm.interval):
        ax.axvline((edge - centre) * factor, color="C3",
                   label="Monte Carlo, symmetric" if i == 0 else None)
    for i, edge in enumerate(r.mcm.shortest_interval):
        ax.axvline((edge - centre) * factor, color="C2", linestyle=":",
                   label="Monte Carlo, shortest" if i == 0 else None)
    ax.plot([], [], color="C0", linestyle="--", label="GUM interval")
    p = 100 * r.coverage_probability
    ax.set_title(f"{r.measurand}: {p:.4g} % coverage intervals")
    ax.set_xlabel(f"{r.measurand} - {centre:.10g} {r.unit}  /  {unit or '1'}")
    ax.set_ylabel("probability density")
    ax.legend(fontsize="small")
    try:
        fig.savefig(path, format="png", dpi=120)
    except OSError as exc:
        raise ConfigError(f"cannot write the plot: {exc.strerror or exc}",
                          where=str(path)) from exc
