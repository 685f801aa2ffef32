"""The thermo-hygrometer driver against its simulator in the simulated room, on a
virtual clock: identity, readings that follow the room, noise, protocol details."""

from __future__ import annotations

from typing import Any

import pytest

from labctl.clock import VirtualClock
from labctl.drivers.capabilities import CAPABILITIES, Environment, EnvironmentReading
from labctl.drivers.registry import driver_class
from labctl.drivers.thermohygrometer import ThermoHygrometer
from labctl.errors import ConfigError, InstrumentError
from labctl.sim.devices.thermohygrometer import ThermoHygrometerSim
from labctl.sim.registry import simulator_factory
from labctl.sim.world import World
from labctl.transport import open_transport
from labctl.transport.base import TransportOptions
from labctl.yamlio import loads_yaml

PARAMS = """
serial: TH-42
temperature: 21.5 degC
humidity: 46 %
temperature_offset: 0.1 degC
humidity_offset: -1 %
excursions:
  - {start: 600 s, duration: 300 s, temperature: 35 degC}
  - {start: 1200 s, duration: 60 s, humidity: 92 %}
"""


def make(params: str = PARAMS, seed: int = 1) -> tuple[ThermoHygrometer, VirtualClock, Any]:
    clock = VirtualClock()
    world = World(clock, seed)
    device = simulator_factory("thermohygrometer")(world, loads_yaml(params, "bench.yaml"))
    transport = open_transport("sim://thermohygrometer", TransportOptions(instrument="thermo"),
                               device=device, clock=clock)
    return driver_class("thermohygrometer")(transport, name="thermo"), clock, device


def test_registered_by_name_with_the_environment_capability() -> None:
    assert driver_class("thermohygrometer") is ThermoHygrometer
    assert ThermoHygrometer.capabilities == ("environment",)
    assert CAPABILITIES["environment"] is Environment
    driver, _, device = make()
    assert isinstance(driver, Environment) and isinstance(device, ThermoHygrometerSim)


def test_identify() -> None:
    driver, _, _ = make()
    identity = driver.identify()
    assert (identity.maker, identity.model, identity.serial, identity.firmware) == (
        "LABCTL-SIM", "TH-100", "TH-42", "1.2.0")


def test_readings_follow_the_room_with_the_sensor_offsets() -> None:
    driver, clock, _ = make()
    reading = driver.read_environment()
    assert isinstance(reading, EnvironmentReading)
    assert reading.temperature.m_as("degC") == pytest.approx(21.6)
    assert reading.humidity.m_as("percent") == pytest.approx(45.0)
    clock.sleep(700)
    assert driver.temperature.m_as("degC") == pytest.approx(35.1)
    clock.sleep(300)
    assert driver.temperature.m_as("degC") == pytest.approx(21.6)
    clock.sleep(230)
    assert driver.humidity.m_as("percent") == pytest.approx(91.0)


def test_each_reply_takes_the_response_time_of_virtual_time() -> None:
    driver, clock, _ = make(PARAMS + "response_time: 0.5 s\n")
    driver.read_environment()
    assert clock.now() == pytest.approx(1.0)


def test_noise_is_seeded() -> None:
    noisy = PARAMS + "temperature_noise: 0.05 degC\nhumidity_noise: 0.3 %\n"

    def series(seed: int) -> list[float]:
        driver, clock, _ = make(noisy, seed)
        out = []
        for _ in range(20):
            out.append(driver.temperature.m_as("degC"))
            clock.sleep(1)
        return out

    a, b, c = series(3), series(3), series(4)
    assert a == b and a != c
    assert max(a) - min(a) > 0 and all(abs(x - 21.6) < 0.3 for x in a)


def test_unknown_command_gets_no_reply_and_queues_an_error() -> None:
    driver, clock, device = make()
    driver.write("MEAS:PRES?")
    assert device.read() == b"" and device.next_due() is None
    assert driver.error() == '-113,"Undefined header"'
    assert driver.error() == '0,"No error"'


def test_garbled_reply_is_an_instrument_error() -> None:
    driver, _, device = make()
    device.handle = lambda line: ["not a number"]  # type: ignore[method-assign]
    with pytest.raises(InstrumentError, match="cannot read temperature"):
        driver.read_environment()


def test_bad_simulator_parameter_names_its_place() -> None:
    with pytest.raises(ConfigError, match=r"^bench.yaml:2:1: unknown thermohygrometer "
                                          r"simulator parameter 'colour'"):
        make("serial: X\ncolour: blue\n")
