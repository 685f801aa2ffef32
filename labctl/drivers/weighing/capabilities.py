"""The weighing family's capabilities: ``scale`` (a non-automatic weighing instrument,
also a ``meter`` of mass) and ``weight_handler`` (puts standard weights on a load
receptor and takes them off), registered in the ``labctl.capabilities`` group."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from labctl.drivers.capabilities import Instrument, Meter

if TYPE_CHECKING:
    from pint import Quantity


@dataclass(frozen=True)
class WeighingReading:
    """One indication of a scale (a ``Reading`` of the ``meter`` capability)."""

    value: Quantity          # the indication, in the scale's unit
    stable: bool             # the scale's own stability flag
    overload: bool = False   # above Max + 9 e
    underload: bool = False  # below zero limit
    raw: str = ""            # the line as received, kept for the journal

    @property
    def flags(self) -> frozenset[str]:
        return frozenset(name for name, on in (("overload", self.overload),
                                               ("underload", self.underload)) if on)

    @property
    def values(self) -> Mapping[str, Quantity]:
        return {}


POSITIONS: tuple[str, ...] = ("centre", "front", "back", "left", "right")
"""Where a weight handler can put a load on the receptor."""


@dataclass(frozen=True)
class WeightLoad:
    """Standard weights placed together on the load receptor."""

    weights: tuple[str, ...]          # register ids of the individual weights
    position: str = "centre"          # one of POSITIONS
    extras: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class Scale(Meter, Protocol):
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


@runtime_checkable
class WeightHandler(Instrument, Protocol):
    """Puts named standard weights on a scale and takes them off
    (capability name ``weight_handler``)."""

    def place(self, load: WeightLoad) -> None: ...

    def add(self, load: WeightLoad) -> None: ...

    def remove(self, pieces: tuple[str, ...]) -> None:
        """Take ``pieces`` off the receptor, the rest staying on: the load changes
        without passing through zero (a decreasing load, R 76-1 A.4.4.1; one small
        piece off, A.4.8.2)."""
        ...

    def remove_all(self) -> None: ...
