"""Rich tables of a record's results, shared by ``labctl run`` and ``labctl registry show``."""

from __future__ import annotations

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


def decision_text(decision: str) -> str:
    """The decision word with its colour markup."""
    style = DECISION_STYLES.get(decision, "")
    return f"[{style}]{decision}[/]" if style else decision


def quantity_text(q: Any, *, bare: bool = False) -> str:
    """``{value, unit}`` as text; ``bare`` leaves the unit out (it is in the header)."""
    if q is None:
        return "-"
    return f"{q.value:.5g}" if bare else f"{q.value:.5g} {q.unit}"


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
    """test/point, load, indication, error, U (k), MPE, decision: one row a point.

    Errors, U and MPE share one unit chosen so that they read as plain numbers."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    units = {name: common_unit(getattr(p, name) for p in points) for name in _COLUMNS}
    shared = {units[name] for name in _SMALL if units[name] is not None}
    small = _small_unit(points, shared.pop()) if len(shared) == 1 else None
    if small is not None:
        units.update({name: small for name in _SMALL if units[name] is not None})
    table.add_column("test / point", overflow="fold")
    headings = {**_COLUMNS, "nominal": "load"}
    for name, heading in headings.items():
        unit = f" [{units[name]}]" if units[name] is not None else ""
        suffix = " (k)" if name == "expanded_uncertainty" else ""
        table.add_column(escape(f"{heading}{unit}{suffix}"), justify="right", overflow="fold")
    table.add_column("decision", no_wrap=True)
    for p in points:
        cells = []
        for name in _COLUMNS:
            q = getattr(p, name)
            if name in _SMALL:
                q = _in(q, units[name])
            text = quantity_text(q, bare=units[name] is not None)
            if name == "expanded_uncertainty" and q is not None and p.coverage_factor:
                text = f"{text} ({p.coverage_factor:.3g})"
            cells.append(escape(text))
        label = p.point if p.point.startswith(p.test) else f"{p.test} {p.point}"
        table.add_row(escape(label), *cells, decision_text(p.decision))
    return table
