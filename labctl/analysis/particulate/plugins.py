"""The particulate family's analyses as plug-ins (``labctl.analyses`` entry points)."""

from __future__ import annotations

from labctl.analysis.particulate import flow
from labctl.analysis.registry import Analysis

SAMPLING_FLOW = Analysis("sampling_flow", flow.sampling_flow, flow.DEFAULTS,
                         "sampling-flow tests of HJ 655-2013 6.2.3")
