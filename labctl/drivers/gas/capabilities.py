"""The gas family's capability ``dilution_calibrator``: a ``source`` of gas mixtures that
is also a ``meter`` of what it makes (its flows and the concentration they give), so a
procedure's ``calibrator`` role can both set concentrations and read the flows the
dilution model needs."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from labctl.drivers.capabilities import Meter, Source


@runtime_checkable
class DilutionCalibrator(Source, Meter, Protocol):
    """A gas dilution calibrator (capability name ``dilution_calibrator``)."""
