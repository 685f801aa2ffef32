"""Driver options given as quantities: ``max: 15 kg``, ``stable_timeout: 30 s``."""

from __future__ import annotations

from typing import Any

from labctl.errors import ConfigError
from labctl.units import parse_quantity


def option_quantity(instrument: str, options: dict[str, Any], key: str, expect: str,
                    default: Any = None, *, bare_unit: str | None = None) -> Any:
    """The option ``key`` parsed as a quantity of ``expect``'s dimension (or ``default``
    when absent). A bare number is taken in ``bare_unit`` (refused when that is None).
    Errors name the file place when the options came from YAML, else the instrument."""
    value = options.get(key, default)
    if value is None:
        return None
    where = getattr(options, "where", None)
    place = where(key) if callable(where) and key in options else None
    place = place or f"instrument {instrument!r}, option {key!r}"
    if isinstance(value, int | float) and not isinstance(value, bool) and bare_unit is None:
        raise ConfigError(f"{key}: {value!r} has no unit", where=place,
                          hint=f"write it with its unit, e.g. '{value} {expect}'")
    return parse_quantity(value, bare_unit if isinstance(value, int | float) else None,
                          where=place, expect=expect)


def option_seconds(instrument: str, options: dict[str, Any], key: str,
                   default: float | None) -> float | None:
    """A duration option (``30``, ``"30 s"``, ``"2 min"``) in seconds."""
    q = option_quantity(instrument, options, key, "s", default, bare_unit="s")
    if q is None:
        return None
    seconds = float(q.m_as("s"))
    if not seconds > 0:
        raise ConfigError(f"{key} must be a positive duration, got {q:~P}",
                          where=f"instrument {instrument!r}, option {key!r}")
    return seconds
