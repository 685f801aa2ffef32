"""Weighing test (OIML R 76-1 A.4.4): the error of indication at each test load.

E = I - L, with L the conventional mass of the weights on the receptor (certificate:
nominal + correction; class only: nominal); with the change-point method E = P - L, and
E - E0 when a zero step found E0 by change point (P centred in the last step, P = I +
d/2 - dL + s/2, in E and E0 alike: see labctl.analysis.weighing.indication). The MPE is that of
the load (nominal, in e) for the scale's class and the run's category. Each point also
says whether the load was increasing or decreasing (from the plan; else from the order
of the loads).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labctl.analysis.options import Options
from labctl.analysis.weighing.context import WEIGHING_DEFAULTS, Context
from labctl.analysis.weighing.error_budget import error_budget
from labctl.analysis.weighing.journal_view import StepView
from labctl.analysis.weighing.results import error_point, unreadable_point
from labctl.analysis.weighing.summaries import Borrowed
from labctl.analysis.weighing.weighing_mpe import MpeTable
from labctl.results import PointResult

NAME = "weighing_error"
DEFAULTS: dict[str, Any] = dict(WEIGHING_DEFAULTS)


def weighing_error(view: StepView, dut: Any, standards: Mapping[str, Any], table: MpeTable,
                   options: Options) -> list[PointResult]:
    ctx = Context.create(view, dut, standards, table, options)
    borrowed = Borrowed.create(ctx)
    results: list[PointResult] = []
    previous: float | None = None
    for point in view.points:
        ind = ctx.indication(point)
        load = ind.load.nominal
        direction = point.direction or (
            "up" if previous is None or load >= previous else "down")
        previous = load
        mpe = ctx.mpe(load)
        details = {"direction": direction, "load_in_e": load / ctx.plate.e}
        if ind.value is None:
            results.append(unreadable_point(NAME, ind, mpe, ctx.plate, options["rule"],
                                            details=details))
            continue
        extras, notes = borrowed.extras(load, change_point=ind.change_point is not None,
                                         finished_seq=point.finished_seq,
                                         step=ind.change_point.step if ind.change_point else None)
        budget = error_budget(ind, ctx.plate, mpe, extras=extras, **ctx.budget_options())
        results.append(error_point(NAME, ind, budget, mpe, ctx.plate,
                                   fraction=ctx.table.test_load_fraction,
                                   verification=ctx.verification, standards=ctx.standards,
                                   notes=notes,
                                   details=details))
    return results
