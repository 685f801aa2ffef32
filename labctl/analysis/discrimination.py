"""Discrimination (OIML R 76-1 3.8, A.4.8): an extra load of 1.4 d, gently put on a load
at rest, shall change the indication by at least one actual scale interval d.

A pass/fail check of a count of scale intervals: no uncertainty budget is evaluated (the
indications are whole multiples of d and the extra load's own uncertainty is far below
0.4 d), and the notes say so. Each point reads ``before`` and ``after`` (the options
name the two readings); the extra load is taken from the weights added between them and
checked against the data file's 1.4 d.

Simplification, stated in the notes: R 76-1 first puts ten 0.1 d weights on and takes
them off until the indication just drops, so that the 1.4 d lands next to a change
point; here the 1.4 d is added to the load as it stands.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labctl.analysis.context import Context
from labctl.analysis.indication import reading_value
from labctl.analysis.journal_view import StepView, weights_added
from labctl.analysis.options import Options
from labctl.analysis.points import PointResult, QuantityValue
from labctl.analysis.reference import reference_load
from labctl.analysis.weighing_mpe import MpeTable
from labctl.errors import ConfigError

NAME = "discrimination"
DEFAULTS: dict[str, Any] = {"before": "before", "after": "after"}
_TOL = 1e-6


def discrimination(view: StepView, dut: Any, standards: Mapping[str, Any], table: MpeTable,
                   options: Options) -> list[PointResult]:
    ctx = Context.create(view, dut, standards, table, options)
    plate = ctx.plate
    unit = plate.unit
    added_d, change_d = table.discrimination_added, table.discrimination_change
    if added_d != added_d or change_d != change_d:  # NaN: the table has no discrimination
        raise ConfigError(f"{table.document}: the data file gives no discrimination test",
                          hint="add discrimination: {added: ..., required_change: ...}")
    required = change_d * plate.d
    results: list[PointResult] = []
    for point in view.points:
        before = point.reading(options["before"])
        after = point.reading(options["after"])
        base_load = reference_load(before.weights, standards, unit, ctx.correlation)
        extra = reference_load(weights_added(before, after), standards, unit, ctx.correlation)
        b, a = reading_value(before, plate), reading_value(after, plate)
        notes = ["pass/fail on the change of indication, without uncertainty (no U: the "
                 "U <= MPE/3 condition does not apply)",
                 "1.4 d added to the load as it stood (without the 0.1 d approach of "
                 "R 76-1 A.4.8)"]
        details: dict[str, Any] = {
            "before": b, "after": a, "added": extra.nominal, "added_weights": list(extra.weights),
            "added_in_d": extra.nominal / plate.d, "required_change": required,
        }
        if abs(extra.nominal - added_d * plate.d) > _TOL * plate.d:
            notes.append(f"the extra load was {extra.nominal:g} {unit}, not {added_d:g} d = "
                         f"{added_d * plate.d:g} {unit}")
        if a is None or b is None:
            decision = "fail"
            notes.insert(0, "overload: no indication")
        else:
            change = a - b
            details["change"] = change
            details["change_in_d"] = change / plate.d
            decision = "pass" if change >= required * (1 - _TOL) else "fail"
            notes.insert(0, f"indication changed by {change / plate.d:.3g} d "
                            f"(at least {change_d:g} d required)")
        results.append(PointResult(
            test=NAME, step=point.step, point=point.point,
            nominal=QuantityValue.of(base_load.nominal, unit),
            indication=None if a is None else QuantityValue.of(a, unit),
            decision=decision, rule="simple",  # type: ignore[arg-type]
            notes="; ".join(notes), details=details,
        ))
    return results
