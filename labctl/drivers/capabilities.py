"""Capability protocols: what a procedure may ask of the instrument bound to a role.

Procedures name capabilities (``meter``, ``source``, ``environment``, and a family's own
such as the weighing family's ``scale`` and ``weight_handler``), never driver classes. A
driver declares the capabilities it implements in ``capabilities``; the bench checks the
binding before anything moves. Capabilities are plug-ins: ``CAPABILITIES`` reads the
``labctl.capabilities`` entry-point group (name -> protocol class).

The core's generic capabilities, which every family can use:

- ``Meter``: one or more named measurements (``measurements``), each read with
  ``measure(name, stable=..., timeout=...)`` into a ``Reading``;
- ``Source``: a set point and an output (``set_point``, ``output``, ``ready``);
- ``Environment``: temperature, humidity, pressure, any of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from labctl.plugins import Plugins

if TYPE_CHECKING:
    from pint import Quantity


@dataclass(frozen=True)
class Identity:
    maker: str
    model: str
    serial: str
    firmware: str = ""


@dataclass(frozen=True)
class Reading:
    """One reading of a meter: the value of the measurement asked for, any other values
    the same reply carried (``values``, by name), the instrument's own stability flag
    where it has one (None where it does not), status flags (``overload``, ``underload``,
    ``out_of_range``, ...) and the reply as received."""

    value: Quantity | None
    stable: bool | None = None
    flags: frozenset[str] = frozenset()
    raw: str = ""
    values: Mapping[str, Quantity] = field(default_factory=dict)


@dataclass(frozen=True)
class EnvironmentReading:
    temperature: Quantity | None = None
    humidity: Quantity | None = None
    pressure: Quantity | None = None

    def quantities(self) -> dict[str, Quantity]:
        """The quantities read, by name (temperature, humidity, pressure)."""
        return {name: q for name in ("temperature", "humidity", "pressure")
                if (q := getattr(self, name)) is not None}


@dataclass(frozen=True)
class DataPlate:
    """What an instrument states about itself, for the journal and the analyses: its
    metrological data (ranges, resolution, class...) as quantities or words by name."""

    values: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class Instrument(Protocol):
    name: str

    def identify(self) -> Identity: ...

    def safe_state(self) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class Meter(Instrument, Protocol):
    """An instrument that measures (capability name ``meter``). ``measurements`` names
    what it can read; ``measure(None)`` reads the first."""

    measurements: ClassVar[tuple[str, ...]]

    def measure(self, name: str | None = None, *, stable: bool = False,
                timeout: float | None = None) -> Reading: ...


@runtime_checkable
class Source(Instrument, Protocol):
    """An instrument that makes a quantity (capability name ``source``): a set point
    per named setting, an output on/off, and whether what it makes is ready (stable)."""

    def set_point(self, name: str, value: Quantity) -> None: ...

    def output(self, on: bool) -> None: ...

    def ready(self) -> bool: ...


@runtime_checkable
class Environment(Instrument, Protocol):
    """A thermo-hygrometer or the like (capability name ``environment``)."""

    def read_environment(self) -> EnvironmentReading: ...


def _is_protocol(obj: Any) -> str | None:
    if isinstance(obj, type) and getattr(obj, "_is_protocol", False):
        return None
    return "is not a capability protocol class (a typing.Protocol)"


CAPABILITIES: Plugins[type] = Plugins("labctl.capabilities", "capability", _is_protocol)
"""Capability name -> protocol class (the ``labctl.capabilities`` entry-point group)."""


def capability(name: str, *, where: str | None = None) -> type:
    """The protocol class of capability ``name``; ``ConfigError`` for an unknown one."""
    return CAPABILITIES.get(name, where=where)


def provides(declared: tuple[str, ...] | list[str], wanted: str) -> bool:
    """Whether a driver declaring capabilities ``declared`` offers ``wanted``: one of
    them is it, or extends it (a ``scale`` is a ``meter``)."""
    if wanted in declared:
        return True
    proto = CAPABILITIES.get(wanted)
    return any(proto in CAPABILITIES.get(name).__mro__ for name in declared)
