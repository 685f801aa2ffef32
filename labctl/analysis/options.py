"""The options an analysis receives: its own ``options:`` from the procedure, checked
against what it accepts, plus the run's context (category, decision rule...)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from labctl.errors import ConfigError

#: Options every analysis understands; ``analyse`` fills ``category`` from the run.
COMMON: dict[str, Any] = {
    "category": "initial",     # initial | subsequent | in_service (MPE factor)
    "rule": "simple",          # decision rule, see labctl.uncertainty.decision.RULES
    "r": 1.0,                  # guard-band multiplier for rule guard_band_rU
    "coverage_probability": 0.9545,  # coverage of the expanded uncertainty (k = 2 normal)
}


@dataclass(frozen=True)
class Options:
    """Options of one analysis: ``COMMON`` plus the analysis's own ``defaults``."""

    analysis: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    @classmethod
    def build(cls, analysis: str, defaults: Mapping[str, Any], given: Mapping[str, Any] | None,
              context: Mapping[str, Any] | None = None, *, where: str | None = None) -> Options:
        """``COMMON`` and ``defaults``, then ``given`` (the procedure's options), then the
        run ``context`` (the run's category wins). An unknown option is refused."""
        known = {**COMMON, **defaults}
        given = dict(given or {})
        if "category" in given:
            raise ConfigError(
                f"analysis {analysis!r}: the category is the run's, not an option",
                where=where, hint="drop it here; run with --param category=in_service")
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise ConfigError(
                f"analysis {analysis!r} has no option {unknown[0]!r}", where=where,
                hint=f"its options: {', '.join(sorted(known))}",
            )
        values = {**known, **given, **{k: v for k, v in (context or {}).items() if k in known}}
        from labctl.uncertainty.decision import RULES

        if values["rule"] not in RULES:
            raise ConfigError(f"analysis {analysis!r}: unknown decision rule {values['rule']!r}",
                              where=where, hint=f"use one of {', '.join(RULES)}")
        return cls(analysis, values)
