"""Zero-setting accuracy (OIML R 76-1 4.5.2, A.4.2.3): after zero-setting, the effect of
the zero deviation on the result shall not exceed 0.25 e.

The scale is set to zero, a small load L0 (10 e, above the zero-tracking range) is put
on, and the zero error is E0 = I - L0, or P - L0 by the change-point method. The limit
0.25 e comes from the data file and is not doubled in service (it belongs to the
zero-setting device, not to the weighing range).

By change point, P is centred in the last step: P = I + d/2 - dL + s/2 (s = 0.1 e, the
step). R 76-1's P = I + d/2 - dL is the lower end of the step that holds the indication
before rounding, so the E0 it gives is on average s/2 = 0.05 e low, a fifth of the
limit, while its budget (dP, rectangular, half-width s/2) assumes it centred; labctl
corrects that known offset (GUM 3.2.4). The E0 that corrects the other tests
(``zero_step``) is the same centred value, so Ec = E - E0 does not change.

Read without the change point, the indication is rounded to d: a zero error below
d/2 cannot show, and the expanded uncertainty (rounding of the zero and of the
indication) is larger than the limit; the note says so. Use ``change_point: true``.

A step marked ``on_resume: redo`` is measured again when a run is resumed: each finished
attempt is reported, labelled with its attempt (``details.attempt``); the later one says
so in its notes. Each E0 corrects the points measured after it (``zero_step``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labctl.analysis.options import Options
from labctl.analysis.weighing.context import Context
from labctl.analysis.weighing.error_budget import Extras, error_budget
from labctl.analysis.weighing.journal_view import StepView
from labctl.analysis.weighing.results import error_point, unreadable_point
from labctl.analysis.weighing.summaries import noise_of, pool, repeatability_series
from labctl.analysis.weighing.weighing_mpe import MpeTable
from labctl.errors import ConfigError
from labctl.results import PointResult

NAME = "zero_setting"
DEFAULTS: dict[str, Any] = {"reading": "indication", "change_point_reading": "change_point",
                            "repeatability_step": None}


def zero_setting(view: StepView, dut: Any, standards: Mapping[str, Any], table: MpeTable,
                 options: Options) -> list[PointResult]:
    ctx = Context.create(view, dut, standards, table, options)
    if table.zero_setting_mpe != table.zero_setting_mpe:  # NaN
        raise ConfigError(f"{table.document}: the data file gives no zero-setting accuracy",
                          hint="add zero_setting: {mpe: ...} (in e)")
    limit = table.zero_setting_mpe * ctx.plate.e
    rep_view = ctx.other_step("repeatability_step")
    pooled = pool(repeatability_series(ctx, rep_view)) if rep_view is not None else None
    source = f"step {rep_view.step!r}" if rep_view is not None else "the run"
    results: list[PointResult] = []
    for point in view.points:
        ind = ctx.indication(point)
        details: dict[str, Any] = {"limit_in_e": table.zero_setting_mpe}
        if ind.value is None:
            results.append(unreadable_point(NAME, ind, limit, ctx.plate, options["rule"],
                                            details=details))
            continue
        cp = ind.change_point
        noise = noise_of(pooled, cp.step if cp is not None else None, ctx.plate.unit, source)
        budget = error_budget(ind, ctx.plate, limit, extras=Extras(repeatability=noise),
                              measurand="E0", reference="L0", **ctx.budget_options())
        notes = []
        decided = None
        if noise is not None:
            notes.append(f"noise of the search: {noise.basis}")
        if cp is not None:
            # R 76-1 A.4.4.3: P = I + e/2 - dL, the lower end of the step; decided on it
            decided = budget.value - cp.step / 2
            details.update({"E0_r76": decided, "E0_centred": budget.value,
                            "decided_on": "R 76-1 A.4.4.3 P = I + e/2 - dL"})
            notes.append(f"decided on R 76-1's E0 = {decided:.4g} {ctx.plate.unit} (P = I + "
                         f"e/2 - dL); the centred E0 {budget.value:.4g} {ctx.plate.unit} "
                         f"(+s/2, GUM 3.2.4) is reported as the error and corrects the "
                         f"other tests: a declared deviation from the method")
        if point.earlier_attempts:
            earlier = ", ".join(str(a) for a in point.earlier_attempts)
            details["remeasured_on_resume"] = True
            notes.append(f"measured again when the run was resumed (attempt "
                         f"{point.attempt}; attempt {earlier} before it is reported too): "
                         f"its E0 applies to the points measured after it")
        if ind.change_point is None:
            notes.append("rounded indication: zero errors below d/2 do not show; "
                         "use change_point: true for this test")
        results.append(error_point(NAME, ind, budget, limit, ctx.plate,
                                   fraction=ctx.table.test_load_fraction, notes=notes,
                                   details=details, verification=ctx.verification,
                                   standards=ctx.standards, value_decided=decided))
    return results
