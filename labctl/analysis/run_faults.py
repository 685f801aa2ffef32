"""What went wrong in a run, added to its analysed points (family-neutral).

- Abandoned attempts (``RunHistory.abandoned_attempts``): an attempt that ended in an
  error never contributes to a result (the analyses read finished attempts only); each
  point says how many of its attempts were abandoned and why, in
  ``details["abandoned_attempts"]`` ([{attempt, reason, instrument?, command?}]).
- Gross errors (``labctl.analysis.gross_errors``): a point at which an instrument's
  indication did not follow the procedure's change fails, whatever its analysis found,
  with the message first in its notes and ``details["gross_error"]``.

A result that stands for several points (a repeatability series) lists them in
``details["points"]``; it takes the abandoned attempts and gross errors of them all.
"""

from __future__ import annotations

from labctl.analysis.gross_errors import GrossError, gross_errors
from labctl.history import RunHistory
from labctl.results import PointResult


def annotate(points: list[PointResult], history: RunHistory) -> list[PointResult]:
    """``points`` with their abandoned attempts and gross errors (see the module doc)."""
    abandoned = history.abandoned_by_point()
    gross: dict[tuple[str, str], list[GrossError]] = {}
    for g in gross_errors(history):
        gross.setdefault((g.step, g.point), []).append(g)
    out = []
    for p in points:
        covered = [p.point] + [str(q) for q in (p.details or {}).get("points") or ()
                               if str(q) != p.point]
        keys = [(p.step, q) for q in covered]
        lost = [a for k in keys for a in abandoned.get(k, ())]
        stuck = [g for k in keys for g in gross.get(k, ())]
        if not lost and not stuck:
            out.append(p)
            continue
        details = dict(p.details)
        update: dict[str, object] = {}
        if lost:
            details["abandoned_attempts"] = [
                {k: v for k, v in a.as_json().items() if k != "step"} for a in lost]
        if stuck:
            details["gross_error"] = [g.as_json() for g in stuck]
            notes = "; ".join(dict.fromkeys(g.message for g in stuck))
            update["notes"] = f"{notes}; {p.notes}" if p.notes else notes
            update["decision"] = "fail"
        update["details"] = details
        out.append(p.model_copy(update=update))
    return out
