"""What a non-automatic weighing instrument can indicate: the units of mass it may show
and how far above Max its indication goes, from the ``indication`` section of the class
table's data file (``labctl/data/oiml-r76-1-2006.yaml``, clauses cited there). The scale
drivers check every reply against it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from labctl.errors import ConfigError
from labctl.metrology.weighing.scale_classes import DEFAULT


@dataclass(frozen=True)
class IndicationLimits:
    """The units of mass a scale may indicate in, and the largest indication in e above
    Max (``above_max_in_e``: 9 for Max + 9 e)."""

    document: str
    units: tuple[str, ...]
    above_max_in_e: float


@lru_cache(maxsize=4)
def indication_limits(key: str = DEFAULT) -> IndicationLimits:
    """The ``indication`` section of ``labctl/data/<key>.yaml``, read once per process."""
    from labctl.metrology.datafiles import load_data_file

    data = load_data_file("", key, what="class table", hint="name a file in labctl/data/")
    try:
        section = data["indication"]
        return IndicationLimits(str(data["document"]),
                                tuple(str(u) for u in section["units"]),
                                float(section["above_max_in_e"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"malformed indication limits: {exc}",
                          where=f"labctl/data/{key}.yaml") from exc
