"""Eccentricity (OIML R 76-1 3.6.2, A.4.7): the same load (about Max/3) at the centre
and on each quarter of the load receptor.

R 76-1 asks that the indications for the different positions meet the MPE for the load,
so each position's error E = I - L (or P - L by change point) is decided against the
MPE at that load. The difference to the error at the centre, the eccentricity effect
itself, is reported with each point (``details.difference_to_centre``).
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

NAME = "eccentricity"
DEFAULTS: dict[str, Any] = dict(WEIGHING_DEFAULTS)


def eccentricity(view: StepView, dut: Any, standards: Mapping[str, Any], table: MpeTable,
                 options: Options) -> list[PointResult]:
    ctx = Context.create(view, dut, standards, table, options)
    # the step measures the eccentricity: no eccentricity component in its own budgets
    borrowed = Borrowed.create(ctx, eccentricity=False)
    indications = [ctx.indication(p) for p in view.points]
    centre = next((i for i in indications
                   if i.reading.position == "centre" and i.value is not None), None)
    centre_error = None if centre is None else centre.value - centre.load.mass  # type: ignore[operator]
    results: list[PointResult] = []
    for ind in indications:
        load = ind.load.nominal
        mpe = ctx.mpe(load)
        position = ind.reading.position or "centre"
        details: dict[str, Any] = {"position": position}
        if ind.value is None:
            results.append(unreadable_point(NAME, ind, mpe, ctx.plate, options["rule"],
                                            details=details))
            continue
        error = ind.value - ind.load.mass
        notes = []
        if centre_error is not None:
            diff = error - centre_error
            details["difference_to_centre"] = diff
            if position != "centre":
                notes.append(f"difference to the centre {diff:+.4g} {ctx.plate.unit}")
        else:
            notes.append("no centre reading: no difference to the centre")
        extras, borrowed_notes = borrowed.extras(
            load, change_point=ind.change_point is not None, finished_seq=ind.point.finished_seq,
            step=ind.change_point.step if ind.change_point else None)
        budget = error_budget(ind, ctx.plate, mpe, extras=extras, **ctx.budget_options())
        results.append(error_point(NAME, ind, budget, mpe, ctx.plate,
                                   fraction=ctx.table.test_load_fraction,
                                   verification=ctx.verification, standards=ctx.standards,
                                   notes=[*notes, *borrowed_notes], details=details))
    return results
