"""The concentration analyses as plug-ins (``labctl.analyses`` entry points)."""

from __future__ import annotations

from labctl.analysis.concentration import drift, indication, repeatability, response_time, zero
from labctl.analysis.registry import Analysis

CONCENTRATION_ERROR = Analysis(
    "concentration_error", indication.concentration_error, indication.DEFAULTS,
    "relative indication error against a reference monitor, with its GUM budget",
    check_plan=indication.check_plan)
CONCENTRATION_REPEATABILITY = Analysis(
    "concentration_repeatability", repeatability.concentration_repeatability,
    repeatability.DEFAULTS, "relative standard deviation of repeated readings")
CONCENTRATION_ZERO = Analysis(
    "concentration_zero", zero.concentration_zero, zero.DEFAULTS,
    "reading of zero air (HEPA filter on the inlet)")
RESPONSE_TIME = Analysis(
    "response_time", response_time.response_time, response_time.DEFAULTS,
    "T90 from a step at the inlet")
CONCENTRATION_DRIFT = Analysis(
    "concentration_drift", drift.concentration_drift, drift.DEFAULTS,
    "zero or span drift between the first and the last measured point")
