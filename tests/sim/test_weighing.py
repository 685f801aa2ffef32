"""The physics of weighing: platform steps, settling, stability, metrological errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labctl.clock import VirtualClock
from labctl.errors import ConfigError, UnitError
from labctl.sim.weighing.build import (
    ParamReader,
    ScaleModel,
    ScaleParams,
    WeighingPlatform,
    build_scale,
    read_scale_params,
)
from labctl.sim.world import World

#: what a unit of another dimension than mass is refused with
NOT_A_MASS = r"quantity in \w+ does not fit: expected a unit of \[mass\]"


def model(**kw) -> tuple[ScaleModel, WeighingPlatform, VirtualClock]:
    clock = VirtualClock()
    platform = WeighingPlatform(clock)
    params = ScaleParams(**{"max": 15.0, "e": 0.001, "d": 0.001, "unit": "kg", **kw})
    return ScaleModel(platform, clock, params, np.random.default_rng(1)), platform, clock


# -- the platform ---------------------------------------------------------------------
def test_platform_steps_in_time():
    clock = VirtualClock()
    p = WeighingPlatform(clock)
    assert p.mass_kg() == 0
    p.place({"A": 2.0}, "front", at=5.0)
    assert p.mass_kg(4.9) == 0 and p.mass_kg(5.0) == 2.0
    assert p.state(6).position == "front"
    p.add({"B": 1.0}, at=7.0)
    assert p.state(8).weights == {"A": 2.0, "B": 1.0} and p.state(8).position == "front"
    p.remove_all(at=9.0)
    assert p.mass_kg(10) == 0 and p.last.time == 9.0
    assert p.next_change_after(5.5).time == 7.0 and p.next_change_after(9) is None


@pytest.mark.parametrize("call", [
    lambda p: p.place({"A": 1.0}, "top"),
    lambda p: p.place({"A": -1.0}),
    lambda p: (p.place({"A": 1.0}, at=5), p.place({"B": 1.0}, at=4)),
    lambda p: (p.place({"A": 1.0}), p.add({"A": 1.0})),
])
def test_platform_refusals(call):
    with pytest.raises(ValueError):
        call(WeighingPlatform(VirtualClock()))


# -- indication ----------------------------------------------------------------------
def test_gain_offset_and_rounding():
    m, p, clock = model(gain=3e-4, offset=0.0021, settling_time=0)
    p.place({"W": 10.0})
    ind = m.indicate()
    assert ind.value == pytest.approx(round(10 * (1 + 3e-4) + 0.0021, 3))
    assert abs(ind.value / 0.001 - round(ind.value / 0.001)) < 1e-6


def test_eccentricity_per_position():
    m, p, _ = model(eccentricity={"front": 2e-4, "left": -1e-4}, settling_time=0)
    p.place({"W": 5.0}, "front")
    assert m.indicate().value == pytest.approx(5.001)
    p.place({"W": 5.0}, "left")
    assert m.indicate().value == pytest.approx(4.9995, abs=0.0006)
    p.place({"W": 5.0}, "centre")
    assert m.indicate().value == 5.0


def test_nonlinearity_is_quadratic():
    m, p, _ = model(nonlinearity=1e-4, settling_time=0)
    p.place({"W": 15.0})
    assert m.raw(0, noise=False) == pytest.approx(15.0 + 1e-4 * 15.0)
    p.place({"W": 7.5})
    assert m.raw(0, noise=False) == pytest.approx(7.5 + 1e-4 * 7.5 / 2)


def test_first_order_settling():
    m, p, clock = model(settling_time=2.0)
    p.place({"W": 10.0}, at=0.0)
    assert m.raw(0.0, noise=False) == pytest.approx(0.0)
    assert m.raw(2.0, noise=False) == pytest.approx(10 * (1 - math.exp(-1)))
    assert m.raw(60.0, noise=False) == pytest.approx(10.0)


def test_stable_only_after_settling_within_the_band_for_the_period():
    m, p, _ = model(settling_time=1.0, stable_band=0.5, stable_period=0.5)
    p.place({"W": 10.0}, at=0.0)
    enter = math.log(10.0 / 0.0005)  # transient of 10 kg down to 0.5 d
    assert m.stable_from(0.0) == pytest.approx(enter + 0.5)
    assert not m.is_stable(enter + 0.4) and m.is_stable(enter + 0.51)
    assert not m.indicate(enter).stable and m.indicate(enter + 1).stable


def test_noise_larger_than_the_band_is_never_stable():
    m, p, _ = model(noise=0.0006)
    p.place({"W": 1.0}, at=0.0)
    assert m.never_stable() and m.next_stable(0.0, 1e6) is None


def test_next_stable_waits_for_a_scheduled_change():
    m, p, _ = model(settling_time=0.5)
    p.place({"W": 1.0}, at=0.0)
    alone = m.stable_from(0.0)  # about 4.3 s without the next move
    p.place({"W": 2.0}, at=3.0)  # the loader will move again at t = 3, before that
    later = m.next_stable(0.0, 100.0)
    assert alone > 3.0 and later > alone
    assert later == pytest.approx(m.stable_from(3.0))
    assert m.next_stable(0.0, later - 0.1) is None
    assert m.next_stable(50.0, 100.0) == 50.0  # long settled: stable at once


def test_overload_above_max_plus_9e():
    m, p, _ = model(settling_time=0)
    p.place({"W": 15.009})
    assert not m.indicate().overload
    p.place({"W": 15.0101})
    assert m.indicate().overload


def test_underload():
    m, p, _ = model(settling_time=0, offset=-0.021)
    assert m.indicate().underload


def test_zero_setting_range_and_tare():
    m, p, clock = model(settling_time=0, offset=0.005)
    assert m.indicate().value == 0.005
    assert m.zero_check(0) == "A"
    m.set_zero(0)
    assert m.indicate().value == 0.0
    p.place({"W": 0.4})  # 2.7 % of Max
    assert m.zero_check(0) == "+"
    p.place({"W": 0.2})
    assert m.tare_check(0) == "S"
    assert m.set_tare(0) == pytest.approx(0.2)
    p.place({"W": 0.2, "V": 1.0})
    ind = m.indicate()
    assert ind.value == pytest.approx(1.0) and ind.gross == pytest.approx(1.2)
    m.set_zero(0)
    assert m.tare == 0.0


def test_tare_refused_above_max_and_below_zero():
    m, p, _ = model(settling_time=0)
    p.place({"W": 16.0})
    assert m.tare_check(0) == "+"
    m2, _, _ = model(settling_time=0, offset=-0.01)
    assert m2.tare_check(0) == "-"


def test_zero_drift_and_creep():
    m, p, clock = model(settling_time=0, zero_drift=0.002, creep=1e-4, creep_time=600)
    p.place({"W": 10.0}, at=0.0)
    assert m.raw(3600.0, noise=False) == pytest.approx(
        10.0 + 0.002 + 10 * 1e-4 * (1 - math.exp(-6)), rel=1e-12)
    assert m.raw(600.0, noise=False) == pytest.approx(
        10.0 + 0.002 / 6 + 10 * 1e-4 * (1 - math.exp(-1)))


def test_zero_tracking_follows_a_small_drift():
    drift = 0.0003 * 3600  # kg per hour: 0.3 d per second
    m, p, clock = model(settling_time=0, zero_tracking=True, zero_drift=drift)
    for _ in range(10):
        clock.advance(1.0)
        assert m.indicate().value == 0.0
    m2, _, clock2 = model(settling_time=0, zero_drift=drift)
    clock2.advance(10.0)
    assert m2.indicate().value == pytest.approx(0.003)


def test_initial_zero_cancels_the_offset():
    m, _, _ = model(offset=0.02, initial_zero=True)
    assert m.indicate().value == 0.0


def test_noise_is_seeded_and_has_its_standard_deviation():
    m1, p1, _ = model(noise=0.002, settling_time=0)
    m2, p2, _ = model(noise=0.002, settling_time=0)
    a = [m1.raw(0) for _ in range(2000)]
    b = [m2.raw(0) for _ in range(2000)]
    assert a == b
    assert np.std(a) == pytest.approx(0.002, rel=0.1)


def test_scheduled_actions_and_cancel():
    m, p, _ = model(settling_time=0, offset=0.003)
    m.schedule(5.0, lambda: m.set_zero(5.0))
    assert m.indicate(4.0).value == 0.003
    assert m.indicate(5.0).value == 0.0
    m.schedule(9.0, lambda: setattr(m, "tare", 1.0))
    m.cancel_pending()
    assert m.indicate(10.0).value == 0.0


# -- parameters -------------------------------------------------------------------------
def test_params_with_units_are_converted():
    params = read_scale_params(ParamReader(
        {"max": "15 kg", "e": "5 g", "d": "5 g", "unit": "g", "offset": "2 g", "noise": "0.5 g",
         "zero_drift": "1 g/h", "settling_time": "500 ms", "eccentricity": {"front": 2e-4},
         "gain": 3e-4}, "scale", ("max", "e", "d", "unit", "offset", "noise", "zero_drift",
                                  "settling_time", "eccentricity", "gain")))
    assert (params.max, params.e, params.d, params.unit) == (15000.0, 5.0, 5.0, "g")
    assert params.offset == 2.0 and params.noise == 0.5 and params.zero_drift == 1.0
    assert params.settling_time == 0.5 and params.eccentricity == {"front": 2e-4}


@pytest.mark.parametrize("params, error, words", [
    ({"colour": "red"}, ConfigError, "colour"),
    ({"eccentricity": {"top": 1e-4}}, ConfigError, "top"),
    ({"eccentricity": [1e-4]}, ConfigError, "eccentricity"),
    ({"noise": -1}, ConfigError, "noise"),
    ({"offset": "2 s"}, UnitError, NOT_A_MASS),
    ({"unit": "L"}, UnitError, "mass"),
    ({"d": "10 g", "e": "5 g"}, ConfigError, "d <= e"),
    ({"zero_tracking": "yes"}, ConfigError, "true or false"),
    ({"seed": -3}, ConfigError, "seed"),
])
def test_bad_params_are_refused(params, error, words):
    world = World(VirtualClock(), seed=1)
    keys = ("max", "e", "d", "unit", "eccentricity", "noise", "offset", "zero_tracking", "seed")
    with pytest.raises(error, match=words):
        build_scale(world, ParamReader(params, "scale", keys), "scale")


def test_the_platform_is_shared_through_the_world():
    world = World(VirtualClock(), seed=1)
    keys = ("platform",)
    a = build_scale(world, ParamReader({}, "a", keys), "a")
    b = build_scale(world, ParamReader({}, "b", keys), "b")
    c = build_scale(world, ParamReader({"platform": "other"}, "c", keys), "c")
    assert a.platform is b.platform is world.get("weighing_platform")
    assert c.platform is not a.platform
