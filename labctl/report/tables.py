"""Rich tables of a record's results, shared by ``labctl run`` and ``labctl registry show``."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.table import Table

DECISION_STYLES = {
    "pass": "green",
    "conditional_pass": "yellow",
    "conditional_fail": "red",
    "fail": "bold red",
}

_COLUMNS = {"nominal": "nominal", "indication": "indication", "error": "error",
            "expanded_uncertainty": "U", "mpe": "MPE"}


_SHORT = {"conditional_pass": "pass (cond.)", "conditional_fail": "fail (cond.)"}


def decision_text(decision: str, *, short: bool = False) -> str:
    """The decision word with its colour markup; ``short`` abbreviates the ILAC-G8
    conditional cases for narrow tables."""
    style = DECISION_STYLES.get(decision, "")
    word = _SHORT.get(decision, decision) if short else decision
    return f"[{style}]{word}[/]" if style else word


def quantity_text(q: Any, *, bare: bool = False) -> str:
    """``{value, unit}`` as text; ``bare`` leaves the unit out (it is in the header)."""
    if q is None:
        return "-"
    return f"{q.value:.5g}" if bare else f"{q.value:.5g} {pretty_unit(q.unit)}"


def pretty_unit(unit: str) -> str:
    """A record's unit text as people write it (``µg/m**3`` -> ``µg/m³``)."""
    if "**" not in unit:
        return unit
    from labctl.units import parse_unit

    try:
        return f"{parse_unit(unit):~P}"
    except Exception:  # a unit pint cannot read: as it is
        return unit


def _nominal_heading(unit: str | None) -> str:
    """``load`` when the nominal values are masses (what a weighing test puts on), else
    ``nominal`` (a reference value)."""
    if unit is None:
        return "nominal"
    from labctl.units import parse_unit

    try:
        return "load" if parse_unit(unit).dimensionality == {"[mass]": 1} else "nominal"
    except Exception:
        return "nominal"


def _shared_points(points: list[Any]) -> set[str]:
    """Points that carry several results (their rows name the test too)."""
    seen: set[str] = set()
    shared: set[str] = set()
    for p in points:
        (shared if p.point in seen else seen).add(p.point)
    return shared


def common_unit(values: Iterable[Any]) -> str | None:
    """The unit every given quantity of a column shares, or None."""
    units = {q.unit for q in values if q is not None}
    return units.pop() if len(units) == 1 else None


_SMALL = ("error", "expanded_uncertainty", "mpe")


def _small_unit(points: list[Any], unit: str | None) -> str | None:
    """A unit in which errors, U and MPE read as ordinary numbers (g, not 0.0025 kg)."""
    if unit is None:
        return None
    sizes = [abs(getattr(p, name).value) for p in points for name in _SMALL
             if getattr(p, name) is not None and getattr(p, name).value]
    if not sizes:
        return unit
    from labctl.units import Q_, parse_unit

    try:
        compact = Q_(max(sizes), parse_unit(unit)).to_compact()
    except Exception:  # a unit pint cannot scale: keep it
        return unit
    return f"{compact.units:~}"


def _in(q: Any, unit: str | None) -> Any:
    if q is None or unit is None or q.unit == unit:
        return q
    from labctl.units import Q_, parse_unit

    return type(q)(value=Q_(q.value, parse_unit(q.unit)).m_as(parse_unit(unit)), unit=unit)


def points_table(points: list[Any], title: str = "Points") -> Table:
    """test/point, load (or nominal), indication, error, U (k), MPE, decision: one row a
    point (a point with several results, one row a result, named by its test).

    Errors, U and MPE share one unit chosen so that they read as plain numbers."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  collapse_padding=True)
    units = {name: common_unit(getattr(p, name) for p in points) for name in _COLUMNS}
    shared = {units[name] for name in _SMALL if units[name] is not None}
    small = _small_unit(points, shared.pop()) if len(shared) == 1 else None
    if small is not None:
        units.update({name: small for name in _SMALL if units[name] is not None})
    table.add_column("test / point", no_wrap=True)
    headings = {**_COLUMNS, "nominal": _nominal_heading(units["nominal"])}
    shared_points = _shared_points(points)
    for name, heading in headings.items():
        table.add_column(escape(heading), justify="right", no_wrap=True)
        if name == "expanded_uncertainty":
            table.add_column("k", justify="right", no_wrap=True)
    table.add_column("decision", no_wrap=True)
    for p in points:
        cells = []
        big_u = _in(p.expanded_uncertainty, units["expanded_uncertainty"])
        for name in _COLUMNS:
            q = getattr(p, name)
            if name in _SMALL:
                q = _in(q, units[name])
            text = quantity_text(q, bare=units[name] is not None)
            if name == "error" and q is not None and big_u is not None and big_u.value > 0:
                # GUM 7.2.6: the value to the last digit of its two-digit uncertainty
                decimals = max(0, 1 - math.floor(math.log10(big_u.value)))
                text = f"{q.value:.{decimals}f}" + ("" if units[name] else
                                                    f" {pretty_unit(q.unit)}")
            if name == "expanded_uncertainty":
                # GUM 7.2.6: an uncertainty is stated with at most two significant digits
                if q is not None:
                    text = (f"{q.value:.2g}" if units[name]
                            else f"{q.value:.2g} {pretty_unit(q.unit)}")
                cells.append(escape(text))
                text = f"{p.coverage_factor:.3g}" if p.coverage_factor else "-"
            cells.append(escape(text))
        label = f"{p.point} {p.test}" if p.point in shared_points else p.point
        table.add_row(escape(label), *cells, decision_text(p.decision, short=True))
    groups: dict[str, list[str]] = {}
    for name, heading in headings.items():
        if units[name] is not None:
            groups.setdefault(units[name], []).append(heading)
    if groups:
        table.caption = escape("; ".join(f"{', '.join(h)} in {pretty_unit(u)}"
                                         for u, h in groups.items()))
        table.caption_justify = "left"
    return table
