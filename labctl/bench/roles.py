"""Drivers seen from the bench: capabilities, role bindings and option checks.

All of this works on driver classes, before any instrument is opened.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from labctl.errors import ConfigError, LabctlError, RunError


def driver_class_for(name: str, *, where: str | None = None) -> type:
    """The driver class registered as ``name``; ``ConfigError`` (at ``where``) if none."""
    from labctl.drivers.registry import driver_class

    try:
        return driver_class(name)
    except LabctlError as exc:
        raise ConfigError(exc.message, where=where, hint=exc.hint) from None
    except (LookupError, ImportError) as exc:
        raise ConfigError(f"unknown driver {name!r} ({exc})", where=where,
                          hint=f"installed drivers: {', '.join(known_drivers()) or 'none'}"
                          ) from None


def known_drivers() -> list[str]:
    from importlib.metadata import entry_points

    return sorted(ep.name for ep in entry_points(group="labctl.drivers"))


def driver_capabilities(name: str, *, where: str | None = None) -> tuple[str, ...]:
    """The capability names (``scale``, ``environment``...) the driver ``name`` declares."""
    return capability_names(getattr(driver_class_for(name, where=where), "capabilities", ()))


def capability_names(capabilities: Any) -> tuple[str, ...]:
    """Capability names from a driver's ``capabilities`` (names or protocol classes)."""
    from labctl.drivers.capabilities import CAPABILITIES

    by_class = {proto: n for n, proto in CAPABILITIES.items()}
    return tuple(c if isinstance(c, str) else by_class.get(c, repr(c)) for c in capabilities)


def check_binding(role: str, capability: str, driver: str, capabilities: tuple[str, ...],
                  *, where: str | None = None) -> None:
    """``RunError`` unless a driver with ``capabilities`` can serve ``capability``."""
    from labctl.drivers.capabilities import CAPABILITIES

    if capability not in CAPABILITIES:
        raise RunError(f"unknown capability {capability!r} asked for role {role!r}",
                       hint=f"capabilities: {', '.join(CAPABILITIES)}")
    from labctl.drivers.capabilities import provides

    if not provides(capabilities, capability):
        has = ", ".join(capabilities) or "none"
        raise RunError(
            f"role {role!r} needs capability {capability!r} but its driver {driver!r} "
            f"offers {has}",
            where=where, hint="bind the role to another instrument in the bench file",
        )


def check_options(driver: str, options: Mapping[str, Any],
                  place: Callable[..., str]) -> None:
    """Check a driver's options from the bench file: known names (when the driver's
    constructor lists them), and each quantity (data plate, timeouts) written with its
    unit and of the right dimension."""
    from labctl.units import parse_quantity, require_unit

    cls = driver_class_for(driver)
    accepted = _accepted_options(cls)
    for key in options:
        if accepted is not None and key not in accepted:
            raise ConfigError(
                f"unknown option {key!r} for driver {driver!r}", where=place("options", key),
                hint=f"its options: {', '.join(sorted(accepted)) or 'none'}; and the "
                     "transport's: timeout, read_termination, write_termination, encoding, "
                     "baud_rate, visa_backend",
            )
    for key, unit in _option_units(cls).items():
        if key in options and options[key] is not None:
            value = options[key]
            require_unit(value, unit, key=key, where=place("options", key),
                         example=_example_unit(options, unit))
            parse_quantity(value, where=place("options", key), expect=unit)


def _example_unit(options: Mapping[str, Any], unit: str) -> str:
    """The unit a bare number of ``unit``'s dimension most likely meant: the instrument's
    ``unit`` option when it is of that dimension (a scale's kg), else ``unit``."""
    from labctl.errors import UnitError
    from labctl.units import parse_unit

    stated = options.get("unit")
    try:
        if isinstance(stated, str) and \
                parse_unit(stated).dimensionality == parse_unit(unit).dimensionality:
            return stated
    except UnitError:
        pass
    return unit


def _option_units(cls: type) -> dict[str, str]:
    """The dimension of each option the driver class declares (``option_units``)."""
    declared = getattr(cls, "option_units", None)
    return dict(declared) if isinstance(declared, Mapping) else {}


def _accepted_options(cls: type) -> set[str] | None:
    """Option names the driver takes: its ``option_names`` if it declares them, else the
    keyword-only parameters of its constructor (None when it takes any ``**options``)."""
    declared = getattr(cls, "option_names", None)
    if declared is not None and not callable(declared):
        return set(declared)
    try:
        params = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return None
    names = set()
    for p in params:
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            return None
        if p.kind is inspect.Parameter.KEYWORD_ONLY:
            names.add(p.name)
    names.discard("name")
    return names
