"""Weighing after tare (OIML R 76-1 3.5.3.3, A.4.6): a tare load is put on and tared, then
a net load on top; the net indication's error E = I_net - L_net is judged against the
MPE for the net load.

L_net is the conventional mass of the weights put on after the tare reading (the one
named by the option ``tare_reading``, ``tare`` by default, as the ``tare`` action
journals it). The rounding of the net zero after taring takes the place of the rounding
of zero in the budget; the change-point method applies as in the weighing test.

With the change-point method, the net zero the tare device set is found the same way
(R 76-1 A.4.4.3 applied after taring): a small net load L0 (10 e, above any
zero-tracking range) is put on the tare, and a change-point search named by the option
``tare_zero_reading`` (``tare_zero``) gives E0t = P0 - L0. P0 is centred in the last
step like every P (``P0 = I + d/2 - dL + s/2``; R 76-1's ``I + d/2 - dL`` is the lower
end of the step that holds the net zero's indication before rounding, s/2 low on
average), so E0t is reported without that offset; in Ec the s/2 of P and of P0 cancel.
The net error is then corrected, Ec = E - E0t, as the weighing test's is by the zero
error E0. E0t is reported in ``details.tare_zero`` with the data file's limit for the
tare device (0.25 e).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from labctl.analysis.options import Options
from labctl.analysis.weighing.context import WEIGHING_DEFAULTS, Context
from labctl.analysis.weighing.error_budget import Extras, ZeroCorrection, error_budget
from labctl.analysis.weighing.indication import (
    Indication,
    centring_note,
    change_point_of,
    change_point_value,
    reading_value,
)
from labctl.analysis.weighing.journal_view import PointView, Reading, StepView, weights_added
from labctl.analysis.weighing.reference import reference_load
from labctl.analysis.weighing.results import error_point, unreadable_point
from labctl.analysis.weighing.summaries import Borrowed
from labctl.analysis.weighing.weighing_mpe import MpeTable
from labctl.results import PointResult

NAME = "tare"
DEFAULTS: dict[str, Any] = {**WEIGHING_DEFAULTS, "tare_reading": "tare",
                            "tare_zero_reading": "tare_zero"}


def tare_zero(ctx: Context, point: PointView, tared: Reading, borrowed: Borrowed
              ) -> tuple[ZeroCorrection | None, PointResult | None, dict[str, Any] | None,
                         list[str]]:
    """E0t, the error of the net zero after taring, by the point's change-point search
    named ``tare_zero_reading`` (None when the point has none, or it was not found), and
    the tare-setting point (R 76-1 4.6, limit from the data file) decided on it."""
    plate = ctx.plate
    cp = change_point_of(point, plate, ctx.standards, name=ctx.options["tare_zero_reading"],
                         correlation=ctx.correlation, after=tared)
    if cp is None:
        return None, None, None, []
    if not cp.found:
        return None, None, None, [f"the change point at the net zero was not found within "
                                  f"{cp.additions} additions: E0t is not subtracted"]
    start = reading_value(cp.start, plate)
    assert start is not None  # found implies a value
    load = reference_load(weights_added(tared, cp.start), ctx.standards, plate.unit,
                          ctx.correlation)
    ind = Indication(point, cp.start, change_point_value(start, plate, cp), load, cp)
    limit = ctx.table.tare_setting_mpe * plate.e
    known = not math.isnan(limit)  # a data file may give no limit for the tare device
    noise = borrowed.noise(cp.step)
    budget = error_budget(ind, plate, limit if known else plate.e, measurand="E0t",
                          extras=Extras(repeatability=noise), reference="L0",
                          **ctx.budget_options())
    zero = ZeroCorrection(budget.value, budget.standard_uncertainty, budget.effective_dof,
                          f"{point.point} (net zero after the tare)", ind, suffix="0t",
                          label="net zero after the tare by change point")
    r76 = budget.value - cp.step / 2
    within = abs(r76) <= limit * (1 + 1e-9) if known else None
    details = {"value": budget.value, "value_r76": r76, "u": budget.standard_uncertainty,
               "net_load": load.nominal, "limit": limit if known else None,
               "within_limit": within, "additions": cp.additions}
    notes = [f"net zero after taring E0t = {budget.value:.4g} {plate.unit} by change point "
             f"at {load.nominal:g} {plate.unit}, subtracted (Ec = E - E0t); "
             f"{centring_note(start, plate, cp, 'its P0')}"]
    setting = None
    if known:
        setting_notes = [
            f"tare-setting accuracy (R 76-1 4.6, A.4.6.2): net zero after a tare of "
            f"{reference_load(tared.weights, ctx.standards, plate.unit).nominal:g} "
            f"{plate.unit}, limit {ctx.table.tare_setting_mpe:g} e",
            f"decided on R 76-1's E0t = {r76:.4g} {plate.unit} (P = I + e/2 - dL); the "
            f"centred value {budget.value:.4g} {plate.unit} corrects the net error: a "
            f"declared deviation from the method"]
        if noise is not None:
            setting_notes.append(f"noise of the search: {noise.basis}")
        point_result = error_point("tare_setting", ind, budget, limit, plate,
                                   fraction=ctx.table.test_load_fraction,
                                   notes=setting_notes,
                                   details={"limit_in_e": ctx.table.tare_setting_mpe,
                                            "E0t_r76": r76, "E0t_centred": budget.value,
                                            "decided_on": "R 76-1 A.4.4.3 P = I + e/2 - dL"},
                                   verification=ctx.verification, standards=ctx.standards,
                                   value_decided=r76)
        setting = point_result
        notes.append(f"tare setting: {point_result.decision} (see test tare_setting)")
    return zero, setting, details, notes


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
        by_cp = ind.change_point is not None
        extras, notes = borrowed.extras(net.nominal, change_point=by_cp,
                                        finished_seq=point.finished_seq,
                                        step=ind.change_point.step if by_cp else None)
        setting = None
        if by_cp:
            zero, setting, zero_details, zero_notes = tare_zero(ctx, point, tared, borrowed)
            if zero is not None:
                # the net zero of this tare replaces any zero error borrowed from a step
                extras = dataclasses.replace(extras, zero=zero)
                notes = [n for n in notes if not n.startswith("zero error E0")]
                details["tare_zero"] = zero_details
            notes = [*notes, *zero_notes]
        budget = error_budget(ind, ctx.plate, mpe, extras=extras, reference="Lnet",
                              **ctx.budget_options())
        results.append(error_point(NAME, ind, budget, mpe, ctx.plate,
                                   fraction=ctx.table.test_load_fraction,
                                   notes=["net load after a tare of "
                                          f"{tare_load.nominal:g} {unit}", *notes],
                                   details=details, verification=ctx.verification,
                                   standards=ctx.standards))
        if setting is not None:
            results.append(setting)
    return results
