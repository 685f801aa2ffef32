"""Driver options given as quantities: ``max: 15 kg``, ``stable_timeout: 30 s``."""

from __future__ import annotations

from typing import Any

from labctl.errors import ConfigError
from labctl.units import parse_quantity, require_unit


def option_quantity(instrument: str, options: dict[str, Any], key: str, expect: str,
                    default: Any = None, *, bare_unit: str | None = None) -> Any:
    """The option ``key`` parsed as a quantity of ``expect``'s dimension, written with its
    unit (``"15 kg"``, ``"30 s"``, or a pint quantity), or ``default`` when absent (a
    number there is in ``bare_unit``, else in ``expect``). A bare number given as the
    option is refused, naming the key and the dimension, with ``bare_unit`` (the unit it
    would most likely have meant) in the example. Errors name the file place when the
    options came from YAML, else the instrument and the option."""
    given = key in options and options[key] is not None
    value = options[key] if given else default
    if value is None:
        return None
    where = getattr(options, "where", None)
    place = where(key) if callable(where) and key in options else None
    place = place or f"instrument {instrument!r}, option {key!r}"
    if given:
        require_unit(value, expect, key=key, where=place, example=bare_unit)
    elif isinstance(value, int | float):
        return parse_quantity(value, bare_unit or expect, where=place, expect=expect)
    return parse_quantity(value, where=place, expect=expect)


def option_seconds(instrument: str, options: dict[str, Any], key: str,
                   default: float | None) -> float | None:
    """A duration option (``"30 s"``, ``"2 min"``) in seconds; ``default`` in seconds."""
    q = option_quantity(instrument, options, key, "s", default, bare_unit="s")
    if q is None:
        return None
    seconds = float(q.m_as("s"))
    if not seconds > 0:
        raise ConfigError(f"{key} must be a positive duration, got {q:~P}",
                          where=f"instrument {instrument!r}, option {key!r}")
    return seconds
