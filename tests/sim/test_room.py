"""The simulated room: base conditions, slow cycle, scripted excursions, parameters."""

from __future__ import annotations

import pytest

from labctl.errors import ConfigError, UnitError
from labctl.sim.room import Excursion, Room
from labctl.yamlio import loads_yaml


def room(text: str) -> Room:
    return Room.from_params(loads_yaml(text, "bench.yaml"), "bench.yaml")


def test_defaults_and_base_values() -> None:
    r = room("{}")
    assert (r.temperature(0), r.humidity(1e6)) == (20.0, 50.0)
    r = room("{temperature: 22.5 degC, humidity: 40 %}")
    assert (r.temperature(123), r.humidity(456)) == (22.5, 40.0)
    assert room("{temperature: 295.15 K}").temperature(0) == pytest.approx(22.0)
    with pytest.raises(UnitError, match=r"temperature: 21 has no unit: expected a temperature"):
        room("{temperature: 21, humidity: 45 %}")  # a bench file writes every unit
    with pytest.raises(UnitError, match=r"humidity: 45 has no unit"):
        room("{temperature: 21 degC, humidity: 45}")  # 45 %? 0.45? a bare number cannot say


def test_slow_cycle() -> None:
    r = room("{temperature: 21 degC, temperature_swing: 0.5 degC, humidity_swing: 4 %, "
             "period: 2 h}")
    assert r.temperature(1800) == pytest.approx(21.5)      # a quarter period: the top
    assert r.temperature(5400) == pytest.approx(20.5)
    assert r.humidity(1800) == pytest.approx(54.0)
    assert r.temperature(7200) == pytest.approx(21.0)


def test_step_excursion() -> None:
    r = room("""
        temperature: 21 degC
        excursions: [{start: 600 s, duration: 300 s, temperature: 35 degC}]
    """)
    assert r.temperature(599.9) == 21.0
    assert r.temperature(600) == 35.0
    assert r.temperature(899.9) == 35.0
    assert r.temperature(900) == 21.0
    assert r.humidity(700) == 50.0  # only the temperature moves


def test_ramped_excursion_and_later_wins() -> None:
    r = room("""
        humidity: 45 %
        excursions:
          - {start: 1 h, duration: 10 min, humidity: 90 %, ramp: 60 s}
          - {start: 3630 s, duration: 10 s, humidity: 20 %}
    """)
    assert r.humidity(3600) == 45.0
    assert r.humidity(3615) == pytest.approx(56.25)        # a quarter of the way up
    assert r.humidity(3635) == 20.0                          # the later excursion wins
    assert r.humidity(3700) == 90.0
    assert r.humidity(4200 + 30) == pytest.approx(67.5)      # half way back down
    assert r.humidity(4260) == 45.0


def test_humidity_stays_within_0_and_100() -> None:
    r = Room(base_humidity=95.0, humidity_swing=10.0, period=100.0)
    assert r.humidity(25) == 100.0 and r.humidity(75) == 85.0
    assert Room(excursions=(Excursion(0, 10, humidity=-5.0),)).humidity(5) == 0.0


@pytest.mark.parametrize(("text", "error", "pattern", "line"), [
    ("temperature: 21 kg", UnitError, r"does not fit: expected a unit of \[temperature\]", 1),
    ("period: 0 s", ConfigError, r"period must be positive", 1),
    ("excursions: {start: 1 s}", ConfigError, r"excursions must be a list", 1),
    ("excursions:\n  - {start: 1 s}", ConfigError, r"an excursion needs 'duration'", 2),
    ("excursions:\n  - {start: 1 s, duration: 2 s}", ConfigError,
     r"needs a temperature or a humidity", 2),
    ("excursions:\n  - {start: 1 s, duration: 2 s, temp: 3}", ConfigError,
     r"unknown excursion key 'temp'", 2),
    ("excursions:\n  -\n    start: 1 s\n    duration: 2 kg\n    humidity: 80 %", UnitError,
     r"expected a unit of \[time\]", 4),
    ("excursions:\n  - {start: 1 s, duration: 2 s, ramp: -1 s, humidity: 80 %}", ConfigError,
     r"cannot be negative", 2),
])
def test_bad_parameters_name_their_place(text: str, error: type, pattern: str,
                                         line: int) -> None:
    with pytest.raises(error, match=rf"^bench.yaml:{line}:\d+: .*{pattern}"):
        room(text)
