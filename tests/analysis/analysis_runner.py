"""Run one named analysis on a synthetic journal (shared by the analysis tests)."""

from __future__ import annotations

from typing import Any

from weighing_journal import PLATE, STANDARDS, Journal

from labctl.analysis import ANALYSES, OPTION_DEFAULTS, load_mpe_table
from labctl.analysis.journal_view import JournalView
from labctl.analysis.options import Options
from labctl.analysis.points import PointResult


def run(name: str, j: Journal, step: str, *, plate: dict[str, Any] | None = None,
        category: str = "initial", **options: Any) -> list[PointResult]:
    opts = Options.build(name, OPTION_DEFAULTS[name], options, {"category": category})
    return ANALYSES[name](JournalView(j.events).step(step), plate or dict(PLATE), STANDARDS,
                          load_mpe_table("jjg539-2016"), opts)
