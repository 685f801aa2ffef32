"""Rich tables of a record's results, shared by ``labctl run``, ``labctl reanalyse`` and
``labctl registry show``.

The points are shown one table a test (the analysis' result kind: ``weighing_error``,
``repeatability``...), each with its own units in the column heads, so that a table of
a run whose tests measure different quantities (a concentration, a time, a relative
spread) stays narrow and every number reads with its unit. What a test's ``error``
column holds, when it is not an error (the range of a repeatability series, an RSD, a
response time), is named by the analysis in the point's ``details["error_label"]``, and
what its ``nominal`` column holds (a reference value, a set point) in
``details["nominal_label"]`` (else the heading is ``nominal``).
Points whose ``details`` give a ``position`` or ``direction`` that varies within the
test get a column for it (the eccentricity test's positions). Numbers go through
``labctl.numbers``: U with two significant digits, the error to U's last digit, the
indication to the same resolution, no float noise, no ``-0``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from labctl.numbers import (
    counted,
    number_text,
    readable_units,
    uncertainty_text,
    unit_text,
    value_text,
)

if TYPE_CHECKING:
    from rich.console import RenderableType

DECISION_STYLES = {
    "pass": "green",
    "conditional_pass": "yellow",
    "conditional_fail": "red",
    "fail": "bold red",
}

_SHORT = {"conditional_pass": "pass (cond.)", "conditional_fail": "fail (cond.)"}

#: Details shown as a column when they vary within a test.
DETAIL_COLUMNS = ("position", "direction")


def decision_text(decision: str, *, short: bool = False) -> str:
    """The decision word with its colour markup; ``short`` abbreviates the ILAC-G8
    conditional cases for narrow tables."""
    style = DECISION_STYLES.get(decision, "")
    word = _SHORT.get(decision, decision) if short else decision
    return f"[{style}]{word}[/]" if style else word


def quantity_text(q: Any, *, bare: bool = False) -> str:
    """``{value, unit}`` as text; ``bare`` leaves the unit out (it is in the header)."""
    from labctl.numbers import quantity_text as text

    if q is None:
        return "-"
    return number_text(q.value) if bare else text(q)


def pretty_unit(unit: str) -> str:
    """A record's unit text as people write it (``µg/m**3`` -> ``µg/m³``)."""
    return unit_text(unit)


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
        parsed = parse_unit(unit)
        if Q_(1, parsed).dimensionless:  # %, mol/mol: no prefix reads better
            return unit
        compact = Q_(max(sizes), parsed).to_compact()
    except Exception:  # a unit pint cannot scale: keep it
        return unit
    return f"{compact.units:~}"


def _in(q: Any, unit: str | None) -> Any:
    if q is None or unit is None or q.unit == unit:
        return q
    from labctl.units import Q_, parse_unit

    return type(q)(value=Q_(q.value, parse_unit(q.unit)).m_as(parse_unit(unit)), unit=unit)


def _factor(from_unit: str, to_unit: str) -> float | None:
    """How many ``to_unit`` one ``from_unit`` is (None: they do not convert)."""
    if from_unit == to_unit:
        return 1.0
    from labctl.units import Q_, parse_unit

    try:
        return float(Q_(1.0, parse_unit(from_unit)).m_as(parse_unit(to_unit)))
    except Exception:
        return None


def _heading(name: str, unit: str | None) -> str:
    """A column head with its unit on a second line."""
    text = unit_text(unit) if unit else ""
    return f"{name}\n{text}" if text else name


def test_title(test: str, points: list[Any], steps: Mapping[str, Any] | None) -> str:
    """``Eccentricity, Max/3 at the centre... (eccentricity)``: the step's title when the
    record has it, with the test's name."""
    same_step = points and all(p.step == points[0].step and p.point.startswith(f"{p.step}/")
                               for p in points)
    step = (steps or {}).get(points[0].step) if same_step else None
    title = getattr(step, "en", None) or (step.get("en") if isinstance(step, Mapping)
                                          else None)
    return f"{title} ({test})" if title and title != test else test.replace("_", " ")


#: Significant digits of a nominal value or an indication without an uncertainty, and of
#: a stated value without one (an RSD, a range of a series).
NOMINAL_DIGITS = 5
CHECK_DIGITS = 3


def column_label(points: Iterable[Any], column: str, default: str) -> str:
    """The heading the analyses give a column in the points' ``details``
    (``details["nominal_label"]``, ``details["error_label"]``) when they all give the
    same one, else ``default``."""
    labels = {str((p.details or {}).get(f"{column}_label") or default) for p in points}
    return labels.pop() if len(labels) == 1 else default


def error_label(points: Iterable[Any]) -> str:
    """What the ``error`` column of these points holds: the analyses' common
    ``details["error_label"]`` (``range``, ``RSD``, ``T90``...), else ``error``."""
    return column_label(points, "error", "error")


def nominal_label(points: Iterable[Any]) -> str:
    """What the ``nominal`` column of these points holds: the analyses' common
    ``details["nominal_label"]`` (``reference value``, ``set point``...), else
    ``nominal``."""
    return column_label(points, "nominal", "nominal")


def test_table(test: str, points: list[Any], steps: Mapping[str, Any] | None = None) -> Any:
    """One test's points: point, the details that vary (position, direction), nominal
    (as the analysis names it), indication, error (or what the test states), U, k, MPE,
    decision; the columns no point of the test has are left out."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    units = {name: common_unit(getattr(p, name) for p in points)
             for name in ("nominal", "indication", *_SMALL)}
    shared = {units[name] for name in _SMALL if units[name] is not None}
    small = _small_unit(points, shared.pop()) if len(shared) == 1 else None
    if small is not None:
        units.update({name: small for name in _SMALL if units[name] is not None})
    present = {name: any(getattr(p, name) is not None for p in points)
               for name in ("nominal", "indication", *_SMALL)}
    details = [key for key in DETAIL_COLUMNS
               if len({str((p.details or {}).get(key)) for p in points}) > 1]
    no_numbers = not any(present.values())
    title = test_title(test, points, steps)
    shown = {units[name] for name in units if present[name]}
    if len(shown) == 1 and None not in shown:  # one unit for every column: said once
        title += f", in {unit_text(shown.pop())}"
        heading_units: dict[str, str | None] = dict.fromkeys(units)
    else:
        heading_units = dict(units)
    table = Table(title=escape(title), title_justify="left",
                  title_style="bold", box=box.SIMPLE_HEAD, pad_edge=False,
                  collapse_padding=True, show_edge=False)
    table.add_column("point", no_wrap=True)
    for key in details:
        table.add_column(key, no_wrap=True)
    heads = {"nominal": nominal_label(points), "indication": "indication",
             "error": error_label(points), "expanded_uncertainty": "U", "mpe": "MPE"}
    for name, head in heads.items():
        if present[name]:
            table.add_column(escape(_heading(head, heading_units[name])), justify="right",
                             no_wrap=True)
        if name == "expanded_uncertainty" and present[name]:
            table.add_column("k", justify="right", no_wrap=True)
    table.add_column("decision", no_wrap=True)
    if no_numbers:
        table.add_column("result", overflow="fold", ratio=1)
    for p in points:
        row = [escape(p.point)]
        row += [escape(str((p.details or {}).get(key) or "-")) for key in details]
        err = _in(p.error, units["error"])
        big_u = _in(p.expanded_uncertainty, units["expanded_uncertainty"])
        u_value = big_u.value if big_u is not None else None
        for name in heads:
            if not present[name]:
                continue
            q = _in(getattr(p, name), units[name]) if name in _SMALL else getattr(p, name)
            if q is None:
                text = "-"
            elif name == "error":
                text = value_text(q.value, u_value) if u_value else \
                    number_text(q.value, digits=CHECK_DIGITS)
            elif name == "expanded_uncertainty":
                text = uncertainty_text(q.value)
            elif name == "indication":
                step = _indication_step(q, err, u_value)
                text = number_text(q.value, resolution=step) if step else \
                    number_text(q.value, digits=NOMINAL_DIGITS)
            elif name == "nominal":
                text = number_text(q.value, digits=NOMINAL_DIGITS)
            else:
                text = number_text(q.value)
            if units[name] is None and q is not None:  # units differ: each cell has its own
                text = f"{text} {unit_text(q.unit)}"
            row.append(escape(text))
            if name == "expanded_uncertainty":
                row.append(number_text(p.coverage_factor, digits=3)
                           if p.coverage_factor else "-")
        row.append(decision_text(p.decision, short=True))
        if no_numbers:
            row.append(escape(readable_units(p.notes or "")))
        table.add_row(*row)
    return table


def _indication_step(indication: Any, error: Any, u: float | None) -> float | None:
    """The indication's last digit: that of the error (the last digit of its U), in the
    indication's unit; None (significant digits) when there is no U to go by."""
    if error is None or not u:
        return None
    factor = _factor(error.unit, indication.unit)
    if factor is None:
        return None
    return 10.0 ** math.floor(math.log10(abs(u))) / 10 * factor


def group_by_test(points: Iterable[Any]) -> dict[str, list[Any]]:
    """The points by test, tests in the order of their first point."""
    groups: dict[str, list[Any]] = {}
    for p in points:
        groups.setdefault(p.test, []).append(p)
    return groups


def points_table(points: list[Any], title: str = "Points",
                 steps: Mapping[str, Any] | None = None) -> RenderableType:
    """The results, one table a test under ``title``, and how many there are."""
    from rich.console import Group
    from rich.text import Text

    parts: list[Any] = [Text(title, style="bold underline")]
    for test, group in group_by_test(points).items():
        parts += [Text(""), test_table(test, group, steps)]
    return Group(*parts)


def _times(name: str, n: int) -> str:
    """``name``, ``name twice``, ``name 3 times``."""
    return name if n == 1 else f"{name} twice" if n == 2 else f"{name} {n} times"


def _first_three(names: list[str]) -> str:
    """``a, b, c``; of more, the first three and how many in all: ``a, b, c ... (11)``."""
    return ", ".join(names[:3]) + (f" ... ({len(names)})" if len(names) > 3 else "")


def results_count(points: list[Any], measured: list[str] | None = None) -> str:
    """How the results relate to the points the progress bar counted (``measured``, the
    journal's finished points): ``31 results from the 30 points measured: tare/01 gives
    2 (tare, tare_setting); warm_up/01 gives none; test_conditions is of the whole run``."""
    by_point: dict[str, list[str]] = {}
    for p in points:
        by_point.setdefault(p.point, []).append(p.test)
    if measured is None:
        return counted(len(points), "result")
    text = f"{counted(len(points), 'result')} from the {counted(len(measured), 'point')} measured"
    notes = []
    several = next((pt for pt, tests in by_point.items() if len(tests) > 1), None)
    if several is not None:
        tests = Counter(by_point[several])  # in order; a test twice: "test twice"
        notes.append(f"{several} gives {len(by_point[several])} ("
                     + ", ".join(_times(test, n) for test, n in tests.items()) + ")")
    none = [pt for pt in measured if pt not in by_point]
    if none:
        notes.append(f"{_first_three(none)} give{'s' if len(none) == 1 else ''} none")
    whole = [pt for pt in by_point if pt not in set(measured)]
    if whole:
        notes.append(f"{_first_three(whole)} {'is' if len(whole) == 1 else 'are'} of the "
                     "whole run")
    return text + (": " + "; ".join(notes) if notes else "")
