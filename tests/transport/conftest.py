"""The shared test meter (``tests/simdevices_for_tests.py``) and transports on it."""

from __future__ import annotations

import pytest
from simdevices_for_tests import Meter

from labctl.clock import VirtualClock
from labctl.transport import TransportOptions
from labctl.transport.sim import SimTransport


@pytest.fixture
def meter_cls() -> type[Meter]:
    """The test device class (a fixture, so tests need not import this conftest)."""
    return Meter


@pytest.fixture
def vclock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def meter(vclock: VirtualClock) -> Meter:
    return Meter(vclock)


@pytest.fixture
def options() -> TransportOptions:
    return TransportOptions(instrument="dmm", timeout=2.0)


@pytest.fixture
def sim(meter: Meter, options: TransportOptions, vclock: VirtualClock) -> SimTransport:
    return SimTransport(meter, options, vclock, resource="sim://meter")
