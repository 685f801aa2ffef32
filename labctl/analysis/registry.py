"""Analyses as plug-ins: ``Analysis`` (a name, a function, the options it accepts) and
``ANALYSES``, the ``labctl.analyses`` entry-point group (analysis name -> ``Analysis``).

An analysis is ``run(history, context, options) -> list[PointResult]``: pure, no I/O.
``history`` is the run as ``labctl.history.fold`` tells it; ``context`` is an
``AnalysisContext`` (the steps the procedure names for it, the data plate of the
instrument under test and the certificate data of the standards, both journaled at run
start, the procedure's ``data`` keys, the run's category); ``options`` its options,
checked. Each analysis loads the data tables it needs itself (from ``context.data``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from labctl.plugins import Plugins

if TYPE_CHECKING:
    from labctl.analysis.options import Options
    from labctl.history import RunHistory
    from labctl.results import PointResult


@dataclass(frozen=True)
class AnalysisContext:
    """What an analysis works with besides the history and its options."""

    steps: tuple[str, ...]                     # the steps the procedure names for it
    data_plate: Any                            # of the instrument under test (journaled)
    standards: Any                             # certificate data of the standards used
    data: Mapping[str, str] = field(default_factory=dict)  # the procedure's ``data:``
    category: str = "initial"                  # initial | subsequent | in_service
    kind: str = "calibration"                  # the procedure's kind
    where: Mapping[str, str | None] = field(default_factory=dict)  # "data", "options"


AnalysisFunction = Callable[["RunHistory", AnalysisContext, "Options"], list["PointResult"]]


@dataclass(frozen=True)
class PlanCheck:
    """What an analysis's ``check_plan`` sees before anything moves: the run's plan
    (``labctl.procedures.plan_data.Plan``), the steps the procedure gives the analysis,
    its options, the register entry of the instrument bound to each role (``entry_of``,
    None for an instrument without one), the analysis's place in the procedure, the
    declared data plate of the instrument under test and the procedure's ``data:``."""

    plan: Any
    steps: tuple[str, ...]
    options: Options
    entry_of: Callable[[str], Any]
    where: str | None = None
    #: the data plate of the instrument under test as the bench file declares it
    #: (empty when the bench has no ``dut`` or the plate needs the instrument)
    data_plate: Mapping[str, Any] = field(default_factory=dict)
    #: where the bench file states that data plate (the instrument's ``options``)
    data_plate_where: str | None = None
    #: the procedure's ``data:`` (the data tables it names) and where it stands
    data: Mapping[str, Any] = field(default_factory=dict)
    data_where: str | None = None


PlanCheckFunction = Callable[[PlanCheck], None]


@dataclass(frozen=True)
class Analysis:
    """A named analysis: its function and the options it accepts (with defaults)."""

    name: str
    run: AnalysisFunction
    defaults: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    #: refuses, before anything moves, what the analysis could not evaluate from the
    #: run the plan describes (a set point outside a reference's certified range);
    #: raises ``ConfigError``
    check_plan: PlanCheckFunction | None = None

    def options(self, given: Mapping[str, Any] | None, run: Mapping[str, Any] | None = None,
                *, where: str | None = None) -> Options:
        """Its options: the common ones and its own defaults, then the procedure's
        ``given``, then the run's (the category); an unknown option is refused."""
        from labctl.analysis.options import Options

        return Options.build(self.name, self.defaults, given, run, where=where)


def _is_analysis(obj: Any) -> str | None:
    return None if isinstance(obj, Analysis) else "is not a labctl.analysis.registry.Analysis"


ANALYSES: Plugins[Analysis] = Plugins("labctl.analyses", "analysis", _is_analysis)
"""Analysis name -> ``Analysis`` (the ``labctl.analyses`` entry-point group)."""
