"""Run one named analysis on a synthetic journal (shared by the analysis tests)."""

from __future__ import annotations

from typing import Any

from weighing_journal import PLATE, STANDARDS, Journal

from labctl.analysis.options import Options
from labctl.analysis.weighing.journal_view import JournalView
from labctl.analysis.weighing.plugins import raw_analysis
from labctl.analysis.weighing.weighing_mpe import load_mpe_table
from labctl.results import PointResult


def run(name: str, j: Journal, step: str, *, plate: dict[str, Any] | None = None,
        category: str = "initial", **options: Any) -> list[PointResult]:
    function, defaults = raw_analysis(name)
    opts = Options.build(name, defaults, options, {"category": category})
    return function(JournalView(j.events).step(step), plate or dict(PLATE), STANDARDS,
                          load_mpe_table("jjg539-2016"), opts)
