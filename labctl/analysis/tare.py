"""Weighing after tare (OIML R 76-1 3.5.3.3, A.4.6): a tare load is put on and tared, then
a net load on top; the net indication's error E = I_net - L_net is judged against the
MPE for the net load.

L_net is the conventional mass of the weights put on after the tare reading (the one
named by the option ``tare_reading``, ``tare`` by default, as the ``tare`` action
journals it). The rounding of the net zero after taring takes the place of the rounding
of zero in the budget; the change-point method applies as in the weighing test.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from labctl.analysis.context import WEIGHING_DEFAULTS, Context
from labctl.analysis.error_budget import error_budget
from labctl.analysis.indication import reading_value
from labctl.analysis.journal_view import StepView, weights_added
from labctl.analysis.options import Options
from labctl.analysis.points import PointResult
from labctl.analysis.reference import reference_load
from labctl.analysis.results import error_point, unreadable_point
from labctl.analysis.summaries import Borrowed
from labctl.analysis.weighing_mpe import MpeTable

NAME = "tare"
DEFAULTS: dict[str, Any] = {**WEIGHING_DEFAULTS, "tare_reading": "tare"}


def tare(view: StepView, dut: Any, standards: Mapping[str, Any], table: MpeTable,
         options: Options) -> list[PointResult]:
    ctx = Context.create(view, dut, standards, table, options)
    borrowed = Borrowed.create(ctx)
    unit = ctx.plate.unit
    results: list[PointResult] = []
    for point in view.points:
        tared = point.reading(options["tare_reading"])
        ind = ctx.indication(point, after=tared)
        net = reference_load(weights_added(tared, ind.reading), standards, unit,
                             ctx.correlation)
        tare_load = reference_load(tared.weights, standards, unit, ctx.correlation)
        ind = dataclasses.replace(ind, load=net)
        mpe = ctx.mpe(net.nominal)
        details = {"tare_load": tare_load.nominal, "tare_weights": list(tare_load.weights),
                   "tare_indication": reading_value(tared, ctx.plate),
                   "gross_load": tare_load.nominal + net.nominal}
        if ind.value is None:
            results.append(unreadable_point(NAME, ind, mpe, ctx.plate, options["rule"],
                                            details=details))
            continue
        extras, notes = borrowed.extras(net.nominal, change_point=ind.change_point is not None)
        budget = error_budget(ind, ctx.plate, mpe, extras=extras, reference="Lnet",
                              **ctx.budget_options())
        results.append(error_point(NAME, ind, budget, mpe, ctx.plate,
                                   fraction=ctx.table.test_load_fraction,
                                   notes=["net load after a tare of "
                                          f"{tare_load.nominal:g} {unit}", *notes],
                                   details=details))
    return results
