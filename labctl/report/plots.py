"""One plot per test: the error at each point with its expanded uncertainty, inside the
MPE envelope, as a PNG (base64) for the certificate.

The x axis is the nominal value, named as the analysis names its column
(``details["nominal_label"]``, as in the result tables); a test whose points share one
nominal value (the positions of an eccentricity test, a repeated series) is plotted point
by point instead. Points are drawn per direction (increasing/decreasing
loads) when the analysis gives one. The MPE is drawn at the test points, as a step that
holds each point's MPE back to the point before (the MPE tables change at the points), with
a bar at each point for the MPE it was decided against.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

from labctl.report.tables import _in, _small_unit, common_unit, error_label, nominal_label

_MARKERS = {"up": ("^", "increasing"), "down": ("v", "decreasing")}


def test_plot_png(title: str, points: Sequence[Any], *, dpi: int = 110) -> str:
    """The plot of one test as base64 PNG text (for a ``data:image/png`` URL)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    pts = [p for p in points if p.error is not None]
    units = {common_unit(p.error for p in pts), common_unit(p.mpe for p in pts if p.mpe),
             common_unit(p.expanded_uncertainty for p in pts if p.expanded_uncertainty)}
    units.discard(None)
    unit = _small_unit(pts, units.pop()) if len(units) == 1 else None
    nominal_unit = common_unit(p.nominal for p in pts)
    nominals = {p.nominal.value for p in pts if p.nominal is not None}
    numeric = nominal_unit is not None and len(nominals) > 1

    def val(q: Any) -> float | None:
        if q is None:
            return None
        return (_in(q, unit) if unit else q).value

    fig = Figure(figsize=(6.4, 2.6), dpi=dpi)
    ax = fig.add_subplot()
    xs = [p.nominal.value if numeric else i for i, p in enumerate(pts)]
    span = (max(nominals) - min(nominals)) if numeric else 0.0
    if numeric:
        order = sorted({(p.nominal.value, val(p.mpe)) for p in pts if p.mpe is not None})
        mpe_x: list[float] = []
        mpe_y: list[float] = []
        for x, m in order:
            if mpe_x and mpe_x[-1] == x:
                mpe_y[-1] = max(mpe_y[-1], m or 0.0)
            else:
                mpe_x.append(x)
                mpe_y.append(m or 0.0)
        if mpe_x:
            # between the points the MPE is drawn as a step held back to the point before
            # (the MPE tables change at the change points, which are test points); the
            # bars at the points are the MPE each point was decided against
            ax.fill_between(mpe_x, [-y for y in mpe_y], mpe_y, step="pre", color="#2e7d32",
                            alpha=0.08)
            ax.step(mpe_x, mpe_y, where="pre", color="#2e7d32", lw=0.8, ls=":")
            ax.step(mpe_x, [-y for y in mpe_y], where="pre", color="#2e7d32", lw=0.8, ls=":")
            half = max(span * 0.015, 1e-12)
            ax.hlines(mpe_y + [-y for y in mpe_y], [x - half for x in mpe_x] * 2,
                      [x + half for x in mpe_x] * 2, color="#2e7d32", lw=2,
                      label="±MPE at the points")
    else:
        for x, p in zip(xs, pts, strict=True):
            m = val(p.mpe)
            if m is not None:
                ax.fill_between([x - 0.35, x + 0.35], [-m, -m], [m, m], color="#2e7d32",
                                alpha=0.10, label="±MPE" if x == 0 else None)
                ax.hlines([-m, m], x - 0.35, x + 0.35, color="#2e7d32", lw=1)
    series: dict[str, list[int]] = {}
    for i, p in enumerate(pts):
        series.setdefault(str((p.details or {}).get("direction") or ""), []).append(i)
    for s, (direction, idx) in enumerate(series.items()):
        marker, label = _MARKERS.get(direction, ("o", "error ± U"))
        shift = (s - (len(series) - 1) / 2) * span * 0.012
        ax.errorbar([xs[i] + shift for i in idx], [val(pts[i].error) for i in idx],
                    yerr=[val(pts[i].expanded_uncertainty) or 0.0 for i in idx],
                    fmt=marker, ms=5, capsize=3, lw=1, color="#1a237e" if s == 0 else "#b71c1c",
                    label=label if direction else "error ± U")
    ax.axhline(0, color="#555", lw=0.6)
    heading, error_heading = nominal_label(pts), error_label(pts)
    if numeric:
        ax.set_xlabel(f"{heading} / {nominal_unit}")
    else:
        ax.set_xticks(range(len(pts)))
        ax.set_xticklabels([str((p.details or {}).get("position") or p.point.split("/")[-1])
                            for p in pts], fontsize=8)
        ax.set_xlabel("point" + (f" ({heading} {pts[0].nominal.value:g} {nominal_unit})"
                                 if nominal_unit and pts[0].nominal else ""))
    ax.set_ylabel(f"{error_heading} / {unit}" if unit else error_heading)
    ax.set_title(title, fontsize=10)
    ax.grid(True, lw=0.3, alpha=0.6)
    ax.legend(fontsize=7, loc="best", framealpha=0.8)
    fig.subplots_adjust(left=0.11, right=0.98, bottom=0.2, top=0.89)  # no extra draw
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")
