"""The family of a record (weighing, particulates, ...), read from the entry points that
provide its analyses and its DUT's driver, without importing them.

An entry point ``labctl.analysis.weighing.plugins:WEIGHING_ERROR`` belongs to family
``weighing``; one from another package (``voltfam.analysis:DC``) to that package's name.
A record whose analyses and driver no installed entry point names has family ``unknown``.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any

UNKNOWN = "unknown"

_CORE_PREFIXES = {"labctl.analyses": "labctl.analysis.", "labctl.drivers": "labctl.drivers."}


@lru_cache(maxsize=4)
def _families(group: str) -> dict[str, str]:
    prefix = _CORE_PREFIXES[group]
    found: dict[str, str] = {}
    for ep in entry_points(group=group):
        module = ep.value.partition(":")[0]
        if module.startswith(prefix):
            parts = module[len(prefix):].split(".")
            if len(parts) < 2:  # a core module (labctl.drivers.thermohygrometer)
                continue
            family = parts[0]
        else:
            family = module.split(".")[0]
        found.setdefault(ep.name, family)
    return found


def family_of(doc: dict[str, Any]) -> str:
    """The family of the record document ``doc``: of its first point's analysis that a
    family provides, else of its DUT's driver, else ``unknown``."""
    analyses = _families("labctl.analyses")
    for point in doc.get("points") or []:
        if isinstance(point, dict) and point.get("test") in analyses:
            return analyses[point["test"]]
    dut = doc.get("dut")
    driver = dut.get("driver") if isinstance(dut, dict) else None
    return _families("labctl.drivers").get(str(driver), UNKNOWN)
