"""Discrimination (OIML R 76-1 3.8, A.4.8): an extra load of 1.4 d, gently put on a load
at rest, shall change the indication by at least one actual scale interval d.

A pass/fail check of a count of scale intervals: no uncertainty budget is evaluated (the
indications are whole multiples of d and the extra load's own uncertainty is far below
0.4 d), and the notes say so.

The procedure's ``discrimination`` action (R 76-1 A.4.8.2, digital indication) journals,
per point, the readings ``<reading>_start`` (I, with the N small pieces of 0.1 d on the
load), ``<reading>_step`` (after each piece taken off, ``discrimination_pieces`` giving
how many are left on) and ``<reading>_extra`` (one piece put back and 1.4 d added). The
point passes when the indication fell to I - d while pieces were taken off and the final
indication is at least I + required_change x d (the data file's 1 d). More than I + d
passes too (R 76-1: the indication "shall be increased by one actual scale interval"; a
rise of 2 d still shows the 1.4 d, and is noted). A point whose indication never fell with
every piece off fails, as does an overload or a missing final reading. The extra load
is the last ``load`` before the final reading, checked against the data file's 1.4 d.

A point without ``<reading>_start`` is analysed the older way (readings ``before`` and
``after``, 1.4 d added to the load as it stood, without the 0.1 d approach): journals of
procedures written before the action still analyse, and the notes say so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from labctl.analysis.options import Options
from labctl.analysis.weighing.context import Context
from labctl.analysis.weighing.indication import reading_value
from labctl.analysis.weighing.journal_view import PointView, StepView, weights_added
from labctl.analysis.weighing.reference import reference_load
from labctl.analysis.weighing.results import LOAD_LABEL
from labctl.analysis.weighing.weighing_mpe import MpeTable
from labctl.errors import ConfigError
from labctl.results import PointResult, QuantityValue

NAME = "discrimination"
DEFAULTS: dict[str, Any] = {"before": "before", "after": "after",
                            "reading": "discrimination"}
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
        if point.has_reading(f"{options['reading']}_start"):
            results.append(_r76_point(point, ctx, standards, added_d, change_d,
                                      options["reading"]))
            continue
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
            **LOAD_LABEL,
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


def _r76_point(point: PointView, ctx: Context, standards: Mapping[str, Any], added_d: float,
               change_d: float, name: str) -> PointResult:
    """One point of the ``discrimination`` action (R 76-1 A.4.8.2)."""
    plate = ctx.plate
    unit, d = plate.unit, plate.d
    start = point.reading(f"{name}_start")
    steps = [r for r in point.readings_named(f"{name}_step") if r.seq > start.seq]
    finals = [r for r in point.readings_named(f"{name}_extra") if r.seq > start.seq]
    # the load: the weights at I less the pieces added just before it
    loads_before = [ev for ev in point.loads if ev.seq < start.seq]
    pieces_on = Counter(loads_before[-1].weights) if loads_before else Counter()
    base_ids = tuple((Counter(start.weights) - pieces_on).elements())
    base = reference_load(base_ids, standards, unit, ctx.correlation)
    i0 = reading_value(start, plate)
    notes = ["pass/fail on the change of indication, without uncertainty (no U: the "
             "U <= MPE/3 condition does not apply)",
             "R 76-1 A.4.8.2: the 0.1 d pieces were taken off one at a time by unloading "
             "and placing the load again with one piece fewer (the weight handler only "
             "places, adds or takes all off)"]
    details: dict[str, Any] = {
        "method": "R 76-1 A.4.8.2", "start": i0,
        "pieces": start.discrimination_pieces,
        "steps": [{"pieces": r.discrimination_pieces, "indication": reading_value(r, plate)}
                  for r in steps],
        "required_change": change_d * d,
        **LOAD_LABEL,
    }
    decision, final = "fail", None
    fell = None
    if i0 is not None:
        fell = next((r for r in steps if (v := reading_value(r, plate)) is not None
                     and v <= i0 - d * (1 - _TOL)), None)
    final_reading = next((r for r in finals if fell is not None and r.seq > fell.seq), None)
    if i0 is None or any(r.overload for r in (*steps, *finals)):
        notes.insert(0, "overload: no indication")
    elif fell is None:
        off = start.discrimination_pieces
        notes.insert(0, f"the indication never fell to I - d = {i0 - d:g} {unit} with the "
                        f"pieces taken off ({off if off is not None else 'all'} of them)")
    elif final_reading is None:
        details["fell_at_pieces"] = fell.discrimination_pieces
        notes.insert(0, "no reading with the extra load after the indication fell")
    else:
        details["fell_at_pieces"] = fell.discrimination_pieces
        final = reading_value(final_reading, plate)
        between = [ev for ev in point.loads if fell.seq < ev.seq < final_reading.seq]
        if between:
            extra = reference_load(between[-1].weights, standards, unit, ctx.correlation)
            details.update(added=extra.nominal, added_weights=list(extra.weights),
                           added_in_d=extra.nominal / d)
            if abs(extra.nominal - added_d * d) > _TOL * d:
                notes.append(f"the extra load was {extra.nominal:g} {unit}, not "
                             f"{added_d:g} d = {added_d * d:g} {unit}")
        if final is None:
            notes.insert(0, "overload: no indication")
        else:
            change = final - i0
            details.update(final=final, change=change, change_in_d=change / d)
            decision = "pass" if change >= change_d * d * (1 - _TOL) else "fail"
            notes.insert(0, f"indication fell to I - d with {fell.discrimination_pieces} "
                            f"pieces on; with one back and the extra it rose to I "
                            f"{'+' if change >= 0 else '-'} {abs(change) / d:.3g} d "
                            f"(I + {change_d:g} d required)")
            if change > change_d * d * (1 + _TOL) + d * _TOL:
                notes.append("the indication rose by more than d: passes (R 76-1 asks "
                             "for an increase of at least one scale interval)")
    return PointResult(
        test=NAME, step=point.step, point=point.point,
        nominal=QuantityValue.of(base.nominal, unit),
        indication=None if final is None else QuantityValue.of(final, unit),
        decision=decision, rule="simple",  # type: ignore[arg-type]
        notes="; ".join(notes), details=details,
    )
