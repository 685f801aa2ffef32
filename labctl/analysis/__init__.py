"""The analyses a procedure can ask for, and ``analyse`` that runs them.

A procedure's ``analyses:`` list names an analysis, the steps it reads and its options::

    analyses:
      - {analysis: weighing_error, steps: [weighing], options: {rule: simple}}

Analyses are plug-ins (``labctl.analysis.registry``: the ``labctl.analyses`` entry-point
group); a family brings its own (the weighing family's are in
``labctl.analysis.weighing``). ``analyse`` folds the journal once
(``labctl.history.fold``), builds each analysis's context and options and runs the list
in order. Every point then says how many of its attempts were abandoned and why, and a
point whose indication did not follow the procedure's change fails as a gross error
(``labctl.analysis.run_faults``). Importing this package is light (no pint, numpy or
scipy).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from labctl.analysis.options import Options
from labctl.analysis.registry import ANALYSES, Analysis, AnalysisContext
from labctl.errors import ConfigError
from labctl.results import PointResult, QuantityValue, overall_decision

__all__ = [
    "ANALYSES", "Analysis", "AnalysisContext", "Options", "PointResult", "QuantityValue",
    "analyse", "analysis_names", "overall_decision",
]


def analysis_names() -> list[str]:
    """The names a procedure's ``analyses:`` may use."""
    return ANALYSES.names()


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def analyse(procedure: Any, events: Iterable[Mapping[str, Any]] | Any,
            standards: Any = None, data_plate: Any = None, *,
            category: str | None = None) -> list[PointResult]:
    """Run the procedure's ``analyses:`` on a journal's events (or its folded history):
    pure, no I/O. The data plate of the instrument under test and the certificate data of
    the standards come from the journal's ``run_started`` unless given. The category is,
    in order: the argument, the run's parameter ``category``, the procedure's
    ``category``."""
    from labctl.history import RunHistory, fold

    history = events if isinstance(events, RunHistory) else fold(events)
    started = history.run_started
    run_category = str(category or history.parameters.get("category")
                       or _get(procedure, "category") or "initial")
    data = _get(procedure, "data") or {}
    plate = data_plate if data_plate is not None else (
        ((started.get("dut") or {}).get("data_plate")) or {})
    if standards is None:
        standards = list(started.get("standards_data") or ())
    results: list[PointResult] = []
    for i, spec in enumerate(_get(procedure, "analyses") or ()):
        name = str(_get(spec, "analysis"))
        where = _where(procedure, "analyses", i)
        if name not in ANALYSES:
            raise ConfigError(f"unknown analysis {name!r}", where=where,
                              hint=f"the analyses are {', '.join(analysis_names())}")
        analysis = ANALYSES.get(name, where=where)
        options_at = _where(procedure, "analyses", i, "options")
        options = analysis.options(_get(spec, "options"), {"category": run_category},
                                   where=options_at)
        context = AnalysisContext(
            steps=tuple(str(s) for s in _get(spec, "steps") or ()), data_plate=plate,
            standards=standards,
            data=dict(data) if isinstance(data, Mapping) else {}, category=run_category,
            kind=str(_get(procedure, "kind") or "calibration"),
            where={"analysis": where, "options": options_at,
                   "data": _where(procedure, "data")})
        results.extend(analysis.run(history, context, options))
    from labctl.analysis.run_faults import annotate

    return annotate(results, history)


def _where(procedure: Any, *loc: Any) -> str | None:
    where = getattr(procedure, "where", None)
    if callable(where):
        try:
            return str(where(*loc))
        except (KeyError, IndexError, TypeError):
            return None
    return None
