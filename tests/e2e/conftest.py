"""Fixtures of the end-to-end tests that several families' test modules use."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_support import watch_outputs


@pytest.fixture
def calibrator(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The bench opened by the run (``bench``) and every output command the gas dilution
    calibrator's simulator received (``outputs``: True / False in order)."""
    from labctl.sim.gas.calibrator_sim import GasCalibratorSim

    return watch_outputs(monkeypatch, GasCalibratorSim)


@pytest.fixture
def generator(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The bench opened by the run (``bench``) and every output command the aerosol
    generator's simulator received (``outputs``: True / False in order)."""
    from labctl.sim.particulate.generator_sim import AerosolGeneratorSim

    return watch_outputs(monkeypatch, AerosolGeneratorSim)
