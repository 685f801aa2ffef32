"""``labctl uncertainty FIT.yaml``: the report of a calibration fit file (ISO 6143)."""

from __future__ import annotations

import json
import math
import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from rich.console import Console

    from labctl.uncertainty.fit_file import FitFile
    from labctl.uncertainty.fit_result import CalibrationFit


def show_fit(loaded: FitFile, as_json: bool, rounding: str = "gum") -> None:
    """Print the fit: JSON (every digit) or text tables."""
    if as_json:
        click.echo(json.dumps(loaded.to_dict(), allow_nan=False))
        return
    from rich.console import Console

    console = Console(highlight=False, width=None if sys.stdout.isatty() else 110)
    _print(console, loaded, rounding)


def _sig(value: float, u: float) -> str:
    """``value`` with the digits its uncertainty makes meaningful, and one more."""
    if not math.isfinite(u) or u <= 0 or value == 0:
        return f"{value:.6g}"
    digits = math.floor(math.log10(abs(value))) - math.floor(math.log10(u)) + 3
    return f"{value:.{min(max(digits, 3), 15)}g}"


def _print(console: Console, loaded: FitFile, rounding: str) -> None:
    from rich import box
    from rich.table import Table

    fit = loaded.fit
    if loaded.title:
        console.print(f"[bold]{loaded.title}[/bold]")
    what = ("analysis function x = g(y), as ISO 6143 fits it" if fit.direction == "analysis"
            else "calibration function y = f(x)")
    console.print(f"{fit.equation()}   [{fit.function.name}; {what}]")
    n = len(fit.points)
    if fit.ordinary:
        method = (f"ordinary least squares, {n} points (uncertainties unknown and equal: "
                  "the covariance is scaled by s^2)")
    elif fit.points[0].u_x is None or fit.points[0].u_y is None:
        method = f"weighted least squares, {n} points (the {fit.independent} exact)"
    else:
        method = (f"generalized least squares, {n} points, uncertainties in x and y "
                  f"(ISO 6143; {fit.covariance_method} covariance)")
    console.print(method)

    table = Table(title="Coefficients", title_justify="left", box=box.SIMPLE_HEAD)
    for col, justify in (("", "left"), ("value", "right"), ("u", "right"),
                         ("u rel.", "right"), ("unit", "left")):
        table.add_column(col, justify=justify, no_wrap=True)
    units = fit.coefficient_units()
    for i, (b, u) in enumerate(zip(fit.coefficients, fit.standard_uncertainties,
                                   strict=True)):
        rel = f"{100 * u / abs(b):.2g} %" if b else ""
        table.add_row(f"b{i}", _sig(float(b), float(u)), f"{u:.3g}", rel, units[i])
    console.print(table)
    if len(fit.coefficients) > 1:
        corr = Table(title="Correlation", title_justify="left", box=box.SIMPLE_HEAD)
        corr.add_column("")
        for i in range(len(fit.coefficients)):
            corr.add_column(f"b{i}", justify="right")
        for i, row in enumerate(fit.correlation):
            corr.add_row(f"b{i}", *(f"{r:.3f}" for r in row))
        console.print(corr)
    _print_goodness(console, fit)
    _print_points(console, fit)
    if loaded.reads:
        _print_reads(console, loaded, rounding)
    for note in loaded.notes:
        console.print(f"note: {note}")


def _print_goodness(console: Console, fit: CalibrationFit) -> None:
    g = fit.goodness
    if g.residual_sd is not None:
        unit = fit.x_unit if fit.dependent == "x" else fit.y_unit
        console.print(
            f"Residual standard deviation s = {g.residual_sd:.3g}{' ' + unit if unit else ''} "
            f"({g.dof} dof); no goodness-of-fit test: the uncertainties were estimated "
            "from the residuals")
        return

    def mark(ok: bool | None) -> str:
        return "[green]ok[/green]" if ok else "[red]not met[/red]"

    verdict = ("[bold green]acceptable[/bold green]" if g.passed
               else "[bold red]not acceptable[/bold red]")
    p = "n/a (no dof)" if g.p_value is None else f"{g.p_value:.3g}"
    chi = "" if g.chi_square_ok is None else f": {mark(g.chi_square_ok)}"
    console.print(f"Goodness of fit: {verdict}")
    console.print(
        f"  gamma = {g.gamma:.3g} (<= {g.gamma_limit:g}, ISO 6143): {mark(g.gamma_ok)}; "
        f"chi-square S = {g.residual_sum:.4g} with {g.dof} dof, p = {p} "
        f"(>= {g.significance:g}){chi}")


def _print_points(console: Console, fit: CalibrationFit) -> None:
    from rich import box
    from rich.table import Table

    pts = fit.points
    # units under the names: the heads take two lines and the table fits 80 columns
    xu = f"\n{fit.x_unit}" if fit.x_unit else ""
    yu = f"\n{fit.y_unit}" if fit.y_unit else ""
    has_ux, has_uy = pts[0].u_x is not None, pts[0].u_y is not None
    dep = fit.dependent
    columns: list[tuple[str, object]] = [
        (f"{fit.x_name}{xu}", lambda p: f"{p.x:.8g}"),
        *([("u(x)", lambda p: f"{p.u_x:.3g}")] if has_ux else []),
        (f"{fit.y_name}{yu}", lambda p: f"{p.y:.8g}"),
        *([("u(y)", lambda p: f"{p.u_y:.3g}")] if has_uy else []),
    ]
    # the fitted values: both when the independent variable was adjusted too
    for q in ("x", "y"):
        if q == dep or (has_ux if q == "x" else has_uy):
            name = fit.x_name if q == "x" else fit.y_name
            columns.append((f"fitted\n{name}",
                            lambda p, q=q: f"{getattr(p, f'adjusted_{q}'):.6g}"))
    if fit.ordinary:
        columns.append(("residual",
                         lambda p: f"{getattr(p, dep) - getattr(p, f'adjusted_{dep}'):.3g}"))
    for q in ("x", "y"):
        if getattr(pts[0], f"weighted_{q}") is not None:
            columns.append((f"({q}-{q.upper()})\n/u({q})",
                            lambda p, q=q: f"{getattr(p, f'weighted_{q}'):.3f}"))
    table = Table(title="Points", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  show_edge=False)
    table.add_column("#", justify="right")
    for header, _ in columns:
        table.add_column(header, justify="right", no_wrap=True)
    for i, pt in enumerate(pts):
        table.add_row(str(i), *(cell(pt) for _, cell in columns))  # type: ignore[operator]
    console.print(table)


def _print_reads(console: Console, loaded: FitFile, rounding: str) -> None:
    from labctl.uncertainty.rounding import state

    fit = loaded.fit
    console.print("[bold]Values read through the fitted function[/bold]")
    for r in loaded.reads:
        given_name, given_unit = ((fit.y_name, fit.y_unit) if r.quantity == "x"
                                  else (fit.x_name, fit.x_unit))
        gu = f" {given_unit}" if given_unit else ""
        given = f"{given_name} = {r.given:.8g}{gu}"
        if r.u_given_value:
            given += f" (u = {r.u_given_value:.3g}{gu})"
        s = state(r.value, r.standard_uncertainty, r.unit, mode=rounding)
        unit = f" {r.unit}" if r.unit else ""
        u_unit = f" {s['uncertainty_unit']}" if s["uncertainty_unit"] else ""
        mark = " [yellow](extrapolated)[/yellow]" if r.extrapolated else ""
        dof = "inf" if math.isinf(r.dof) else f"{r.dof:.0f}"
        console.print(f"  {given}  ->  [bold]{r.name} = {s['value']}{unit}[/bold], "
                      f"u = {s['uncertainty']}{u_unit}{mark}")
        console.print(f"      u from the given value {r.u_given:.3g}{unit}, from the "
                      f"coefficients {r.u_coefficients:.3g}{unit}; dof {dof}")
