"""Capability protocols: what a procedure may ask of the instrument bound to a role.

Procedures name capabilities (``scale``, ``weight_handler``, ``environment``), never
driver classes. A driver declares the capabilities it implements in ``capabilities``;
the bench checks the binding before anything moves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from pint import Quantity


@dataclass(frozen=True)
class Identity:
    maker: str
    model: str
    serial: str
    firmware: str = ""


@dataclass(frozen=True)
class WeighingReading:
    """One indication of a scale."""

    value: Quantity          # the indication, in the scale's unit
    stable: bool             # the scale's own stability flag
    overload: bool = False   # above Max + 9 e
    underload: bool = False  # below zero limit
    raw: str = ""            # the line as received, kept for the journal


@dataclass(frozen=True)
class EnvironmentReading:
    temperature: Quantity | None = None
    humidity: Quantity | None = None
    pressure: Quantity | None = None


@runtime_checkable
class Instrument(Protocol):
    name: str

    def identify(self) -> Identity: ...

    def safe_state(self) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class Scale(Instrument, Protocol):
    """A non-automatic weighing instrument (capability name ``scale``)."""

    capacity: Quantity   # Max
    d: Quantity          # actual scale interval
    e: Quantity          # verification scale interval
    min_load: Quantity | None     # Min (None when neither given nor implied by a class)
    accuracy_class: str | None    # I, II, III, IIII (None for a scale without one)

    def read_stable(self, timeout: float | None = None) -> WeighingReading: ...

    def read_immediate(self) -> WeighingReading: ...

    def zero(self) -> None: ...

    def tare(self) -> WeighingReading: ...

    def clear_tare(self) -> None: ...


@dataclass(frozen=True)
class WeightLoad:
    """Standard weights placed together on the load receptor."""

    weights: tuple[str, ...]          # register ids of the individual weights
    position: str = "centre"          # centre, front, back, left, right
    extras: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class WeightHandler(Instrument, Protocol):
    """Puts named standard weights on a scale and takes them off
    (capability name ``weight_handler``)."""

    def place(self, load: WeightLoad) -> None: ...

    def add(self, load: WeightLoad) -> None: ...

    def remove_all(self) -> None: ...


@runtime_checkable
class Environment(Instrument, Protocol):
    """A thermo-hygrometer or the like (capability name ``environment``)."""

    def read_environment(self) -> EnvironmentReading: ...


CAPABILITIES: dict[str, type] = {
    "scale": Scale,
    "weight_handler": WeightHandler,
    "environment": Environment,
}
