"""The weighing family's analyses as ``labctl.analyses`` plug-ins.

Each wraps a function ``(step_view, dut, standards, mpe_table, options) -> points`` of
this package: the run is viewed once as the weighing family sees it (the weights on the
receptor at every reading, ``journal_view.JournalView``), the MPE table is the one the
procedure's ``data: {mpe: ...}`` names, the data plate and the standards are the
journal's, and the function runs on each step the procedure names for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labctl.analysis.options import Options
from labctl.analysis.registry import Analysis, AnalysisContext
from labctl.errors import ConfigError
from labctl.history import RunHistory
from labctl.results import PointResult

#: Options every weighing analysis accepts besides ``labctl.analysis.options.COMMON``.
WEIGHING_COMMON: dict[str, Any] = {
    "weight_correlation": 1.0,  # correlation between the pieces of one load
    # Monte Carlo trials validating each GUM interval (JCGM 101 8); the Monte Carlo
    # interval is used where the GUM one fails. 0: GUM only.
    "monte_carlo_trials": 50_000,
}


def view_of(history: RunHistory) -> Any:
    """The weighing view of a run (made once per history)."""
    from labctl.analysis.weighing.journal_view import JournalView

    view = history.__dict__.get("_weighing_view")
    if view is None:
        view = history.__dict__["_weighing_view"] = JournalView(history)
    return view


def standards_by_id(standards: Any) -> dict[str, Any]:
    """Standards as ``register id -> certificate data``: from such a mapping, or from a
    list of weights (objects or ``as_record()`` mappings with an ``id``); a weight set
    stands for its weights."""
    def get(obj: Any, name: str) -> Any:
        return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)

    items = standards.items() if isinstance(standards, Mapping) else (
        (get(s, "id"), s) for s in standards or ())
    out: dict[str, Any] = {}
    for key, value in items:
        pieces = get(value, "weights")
        if pieces and not isinstance(pieces, str | bytes):
            for w in pieces:
                out[str(get(w, "id"))] = w
        elif key is not None:
            out[str(key)] = value
    return out


def weighing_analysis(name: str, function: Any, defaults: Mapping[str, Any],
                      description: str) -> Analysis:
    def run(history: RunHistory, context: AnalysisContext,
            options: Options) -> list[PointResult]:
        from labctl.analysis.weighing.weighing_mpe import load_mpe_table

        key = context.data.get("mpe")
        if not key:
            raise ConfigError(f"analysis {name!r} needs an MPE table",
                              where=context.where.get("data") or context.where.get("analysis"),
                              hint="add `data: {mpe: jjg539-2016}` to the procedure")
        table = load_mpe_table(str(key))
        options = Options(options.analysis, {**options.values,
                                             "procedure_kind": context.kind})
        view = view_of(history)
        dut = context.data_plate
        standards = standards_by_id(context.standards)
        points: list[PointResult] = []
        for step_id in context.steps:
            step = view.step(step_id)
            if step:  # a step not measured (an aborted run) has nothing to analyse
                points.extend(function(step, dut, standards, table, options))
        return points

    return Analysis(name, run, {**WEIGHING_COMMON, **defaults}, description)


def raw_analysis(name: str) -> tuple[Any, dict[str, Any]]:
    """The function ``(step_view, dut, standards, mpe_table, options) -> points`` of the
    weighing analysis ``name`` and the options it accepts (tests, tools)."""
    import importlib

    mod = importlib.import_module(f"labctl.analysis.weighing.{name}")
    return getattr(mod, name), {**WEIGHING_COMMON, **mod.DEFAULTS}


def _make(name: str, module: str, description: str) -> Analysis:
    function, defaults = raw_analysis(module)
    return weighing_analysis(name, function, defaults, description)


ZERO_SETTING = _make("zero_setting", "zero_setting", "zero-setting accuracy (R 76-1 A.4.2.3)")
WEIGHING_ERROR = _make("weighing_error", "weighing_error", "weighing test (R 76-1 A.4.4)")
ECCENTRICITY = _make("eccentricity", "eccentricity", "eccentricity test (R 76-1 A.4.7)")
REPEATABILITY = _make("repeatability", "repeatability", "repeatability (R 76-1 A.4.10)")
DISCRIMINATION = _make("discrimination", "discrimination",
                       "discrimination (R 76-1 A.4.8.2)")
TARE = _make("tare", "tare", "tare weighing and tare-setting accuracy (R 76-1 A.4.6)")


def _conditions(history: RunHistory, context: AnalysisContext,
                options: Options) -> list[PointResult]:
    from labctl.analysis.weighing.conditions import test_conditions
    from labctl.analysis.weighing.weighing_mpe import load_mpe_table

    key = context.data.get("mpe")
    if not key:
        raise ConfigError("analysis 'test_conditions' needs the data table",
                          where=context.where.get("data") or context.where.get("analysis"),
                          hint="add `data: {mpe: jjg539-2016}` to the procedure")
    return test_conditions(history.events, context.steps, load_mpe_table(str(key)),
                           verification=context.kind == "verification",
                           rule=str(options["rule"]))


TEST_CONDITIONS = Analysis("test_conditions", _conditions, {},
                           "steady temperature and humidity during the tests "
                           "(R 76-1 A.4.1.2)")
