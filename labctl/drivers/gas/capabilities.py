"""The gas family's capability ``dilution_calibrator``: a ``source`` of gas mixtures that
is also a ``meter`` of what it makes (its flows and the concentration they give), so a
procedure's ``calibrator`` role can both set concentrations and read the flows the
dilution model needs."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from labctl.drivers.capabilities import Identity, Meter, Source


@runtime_checkable
class DilutionCalibrator(Source, Meter, Protocol):
    """A gas dilution calibrator (capability name ``dilution_calibrator``)."""


@runtime_checkable
class StreamSelector(Protocol):
    """A multi-port stream-selection valve feeding one cylinder at a time to an
    analyzer (capability name ``stream_selector``): ``select(port)`` starts the move,
    ``position()`` is the port in place (0 while moving), ``cylinder_at(port)`` the
    register id of the cylinder plumbed to a port (None: no cylinder)."""

    name: str

    def identify(self) -> Identity: ...

    def safe_state(self) -> None: ...

    def close(self) -> None: ...

    def select(self, port: int) -> None: ...

    def position(self) -> int: ...

    def cylinder_at(self, port: int) -> str | None: ...
