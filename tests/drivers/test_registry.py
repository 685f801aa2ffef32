"""Drivers by name through the labctl.drivers entry points."""

from __future__ import annotations

import pytest

from labctl.drivers.registry import driver_class, driver_names
from labctl.drivers.weighing.and_scale import AndScale
from labctl.drivers.weighing.mtsics_scale import MtSicsScale
from labctl.drivers.weighing.weights import AutoWeightLoader, ManualWeights
from labctl.errors import ConfigError


def test_weighing_drivers_are_registered():
    assert {"mtsics-scale", "and-scale", "weight-loader", "manual-weights"} <= \
        set(driver_names())
    assert driver_class("mtsics-scale") is MtSicsScale
    assert driver_class("and-scale") is AndScale
    assert driver_class("weight-loader") is AutoWeightLoader
    assert driver_class("manual-weights") is ManualWeights


def test_unknown_driver_lists_the_known_ones():
    with pytest.raises(ConfigError) as err:
        driver_class("mtsics-scael", where="bench.yaml:4:13")
    text = str(err.value)
    assert text.startswith("bench.yaml:4:13: unknown driver 'mtsics-scael'")
    assert "mtsics-scale" in text and "and-scale" in text


def test_simulators_share_the_driver_names():
    from labctl.sim.registry import simulator_names

    assert {"mtsics-scale", "and-scale", "weight-loader"} <= set(simulator_names())
