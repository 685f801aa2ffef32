"""The named analyses a procedure can ask for, and ``analyse`` that runs them.

A procedure's ``analyses:`` list names an analysis, the steps it reads and its options::

    analyses:
      - {analysis: weighing_error, steps: [weighing], options: {rule: simple}}

Each analysis is a pure function ``(step_view, dut, standards, mpe_table, options) ->
list[PointResult]`` (see ``labctl.analysis.context.AnalysisFunction``), registered by
name in ``ANALYSES`` with its option defaults in ``OPTION_DEFAULTS``. ``analyse`` groups
the journal per step and point (only each point's finished attempt counts), loads the
MPE table the procedure's ``data: {mpe: ...}`` names, and runs the list in order. How
each weighing analysis works: docs/procedures.md.

Importing this package is light (no pint, numpy or scipy): the procedure loader imports
it to check analysis names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from labctl.analysis.context import AnalysisFunction
from labctl.analysis.journal_view import JournalView
from labctl.analysis.options import Options
from labctl.analysis.points import PointResult, QuantityValue, overall_decision
from labctl.analysis.weighing.discrimination import DEFAULTS as _DISCRIMINATION
from labctl.analysis.weighing.discrimination import discrimination
from labctl.analysis.weighing.eccentricity import DEFAULTS as _ECCENTRICITY
from labctl.analysis.weighing.eccentricity import eccentricity
from labctl.analysis.weighing.repeatability import DEFAULTS as _REPEATABILITY
from labctl.analysis.weighing.repeatability import repeatability
from labctl.analysis.weighing.tare import DEFAULTS as _TARE
from labctl.analysis.weighing.tare import tare
from labctl.analysis.weighing.weighing_error import DEFAULTS as _WEIGHING_ERROR
from labctl.analysis.weighing.weighing_error import weighing_error
from labctl.analysis.weighing.weighing_mpe import MpeTable, load_mpe_table
from labctl.analysis.weighing.zero_setting import DEFAULTS as _ZERO_SETTING
from labctl.analysis.weighing.zero_setting import zero_setting
from labctl.errors import ConfigError

__all__ = [
    "ANALYSES", "OPTION_DEFAULTS", "AnalysisFunction", "JournalView", "MpeTable", "Options",
    "PointResult", "QuantityValue", "analyse", "analysis_names", "load_mpe_table",
    "overall_decision", "register",
]

ANALYSES: dict[str, AnalysisFunction] = {
    "zero_setting": zero_setting,
    "weighing_error": weighing_error,
    "eccentricity": eccentricity,
    "repeatability": repeatability,
    "discrimination": discrimination,
    "tare": tare,
}
"""Analysis name -> function."""

OPTION_DEFAULTS: dict[str, dict[str, Any]] = {
    "zero_setting": _ZERO_SETTING,
    "weighing_error": _WEIGHING_ERROR,
    "eccentricity": _ECCENTRICITY,
    "repeatability": _REPEATABILITY,
    "discrimination": _DISCRIMINATION,
    "tare": _TARE,
}
"""Analysis name -> the options it accepts besides ``options.COMMON``, with defaults."""


def analysis_names() -> list[str]:
    """The names a procedure's ``analyses:`` may use."""
    return sorted(ANALYSES)


def register(name: str, function: AnalysisFunction,
             defaults: Mapping[str, Any] | None = None) -> None:
    """Add an analysis (another instrument family's). A name is registered once."""
    if name in ANALYSES:
        raise ValueError(f"analysis {name!r} is already registered")
    ANALYSES[name] = function
    OPTION_DEFAULTS[name] = dict(defaults or {})


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def standards_by_id(standards: Any) -> dict[str, Any]:
    """Standards as ``register id -> certificate data``: from such a mapping, or from a
    list of weights (objects or ``as_record()`` mappings with an ``id``); a weight set
    stands for its weights."""
    items: Iterable[tuple[Any, Any]]
    if isinstance(standards, Mapping):
        items = standards.items()
    else:
        items = ((_get(s, "id"), s) for s in standards or ())
    out: dict[str, Any] = {}
    for key, value in items:
        pieces = _get(value, "weights")
        if pieces and not isinstance(pieces, str | bytes):
            for w in pieces:
                out[str(_get(w, "id"))] = w
        elif key is not None:
            out[str(key)] = value
    return out


def analyse(procedure: Any, events: Iterable[Mapping[str, Any]], standards: Any, dut: Any,
            *, category: str | None = None) -> list[PointResult]:
    """Run the procedure's ``analyses:`` on a journal's events: pure, no I/O.

    ``procedure`` is a ``labctl.procedures.schema.Procedure`` (or anything with
    ``analyses``, ``data`` and ``category``); ``standards`` maps register id -> the
    certificate data of each weight (see ``standards_by_id``); ``dut`` is the data plate
    of the scale (capacity, e, d, min_load, accuracy_class). The category is, in order:
    the argument, the run's parameter ``category``, the procedure's ``category``.
    """
    view = JournalView(events)
    run_category = (category or view.parameters.get("category")
                    or _get(procedure, "category") or "initial")
    data = _get(procedure, "data") or {}
    table_key = data.get("mpe") if isinstance(data, Mapping) else None
    table = load_mpe_table(str(table_key)) if table_key else None
    weights = standards_by_id(standards)
    results: list[PointResult] = []
    for i, spec in enumerate(_get(procedure, "analyses") or ()):
        name = str(_get(spec, "analysis"))
        where = _where(procedure, "analyses", i)
        function = ANALYSES.get(name)
        if function is None:
            raise ConfigError(f"unknown analysis {name!r}", where=where,
                              hint=f"the analyses are {', '.join(analysis_names())}")
        if table is None:
            raise ConfigError(f"analysis {name!r} needs an MPE table",
                              where=_where(procedure, "data"),
                              hint="add `data: {mpe: jjg539-2016}` to the procedure")
        options = Options.build(name, OPTION_DEFAULTS.get(name, {}), _get(spec, "options"),
                                {"category": run_category},
                                where=_where(procedure, "analyses", i, "options"))
        for step_id in _get(spec, "steps") or ():
            step = view.step(str(step_id))
            if not step:
                continue  # not measured (an aborted run): nothing to analyse
            results.extend(function(step, dut, weights, table, options))
    return results


def _where(procedure: Any, *loc: Any) -> str | None:
    where = getattr(procedure, "where", None)
    if callable(where):
        try:
            return str(where(*loc))
        except (KeyError, IndexError, TypeError):
            return None
    return None
