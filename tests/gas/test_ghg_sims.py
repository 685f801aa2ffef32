"""The greenhouse-gas simulators: the stream selector feeds the line the true contents of
the cylinder on the port; the analyzer's data line (sequence, checksum, warm-up) and its
physics (gain, offset, nonlinearity, water-vapour dilution, drift), against
``channel_truth``; bad parameters refused at their place."""

from __future__ import annotations

import pytest

from labctl.clock import VirtualClock
from labctl.drivers.gas.ghg import parse_data
from labctl.errors import ConfigError
from labctl.sim.gas import ghg_sim, selector_sim
from labctl.sim.gas.analyzer_model import AnalyzerErrors
from labctl.sim.gas.line import line_of
from labctl.sim.world import World

TRUTH = {"CYL-1": {"CO2": 380e-6, "CH4": 1800e-9}, "CYL-2": {"CO2": 480e-6, "CH4": 2600e-9}}


def world() -> World:
    return World(VirtualClock(), 11)


def selector(w: World, **params: object) -> selector_sim.StreamSelectorSim:
    return selector_sim.create(w, {"ports": {1: "CYL-1", 2: "CYL-2"},
                                   "cylinders_true": TRUTH, "delay": "5 s",
                                   "move_time": "0.5 s", **params})


def test_the_selector_feeds_the_cylinder_on_its_port_after_the_line_delay() -> None:
    w = world()
    s = selector(w)
    line = line_of(w)
    assert s.handle("CP") == ["CP=1"]
    assert line.at_inlet(w.clock.now()) == {}               # not arrived yet
    w.clock.sleep(5.0)
    assert line.at_inlet(w.clock.now()) == TRUTH["CYL-1"]
    assert s.handle("GO2") == ["GO=2"]
    assert s.handle("CP") == ["CP=0"]          # moving: one port stepped, 0.5 s
    w.clock.sleep(0.5)
    assert s.handle("CP") == ["CP=2"]
    assert line.at_inlet(w.clock.now()) == TRUTH["CYL-1"]   # still the old gas
    w.clock.sleep(5.0)
    assert line.at_inlet(w.clock.now()) == TRUTH["CYL-2"]
    assert s.handle("GO3") == ["GO=3"]          # a port with nothing plumbed: no gas
    w.clock.sleep(6.0)
    assert line.at_inlet(w.clock.now()) == {}
    assert s.handle("GO0") == ["?ERR RANGE"] and s.handle("XX") == ["?ERR CMD"]
    assert s.handle("NP") == ["NP=8"] and s.handle("ID")[0].startswith("ID=LABCTL-SIM,SSV-8")


def test_the_selector_sim_refuses_a_cylinder_it_does_not_have() -> None:
    with pytest.raises(ConfigError, match="CYL-7"):
        selector(world(), ports={1: "CYL-7"})


def analyzer(w: World, **params: object) -> ghg_sim.GhgAnalyzerSim:
    base: dict[str, object] = {"t90": "10 s", "seed": 3,
                               "co2": {"noise": "0 umol/mol"}, "ch4": {"noise": "0 nmol/mol"}}
    base.update(params)
    return ghg_sim.create(w, base)


def test_the_data_line_parses_and_one_period_is_one_measurement() -> None:
    w = world()
    selector(w)
    a = analyzer(w, co2={"noise": "0.05 umol/mol"}, warmup="2 s")
    first = a.handle("MEAS?")[0]
    seq, values, status = parse_data(first)
    assert (seq, status) == (0, 1)              # warming up
    assert a.handle("MEAS?")[0] == first        # the same measurement within the period
    w.clock.sleep(3.0)
    seq, values, status = parse_data(a.handle("MEAS?")[0])
    assert (seq, status) == (3, 0)
    assert a.handle("UNITS?") == ["UMOL/MOL,NMOL/MOL,%VOL"]
    assert a.handle("RANGE?") == ["1000,5000"]
    assert a.handle("FOO") == ["ERR,UNKNOWN COMMAND"]


def test_the_response_follows_gain_offset_nonlinearity_and_water() -> None:
    w = world()
    s = selector(w, delay="0 s")
    co2 = {"gain": 1.002, "offset": "-0.4 umol/mol", "noise": "0 umol/mol",
           "nonlinearity": "1e-4 mol/umol", "nonlinearity_centre": "430 umol/mol"}
    a = analyzer(w, co2=co2, h2o="0.5 %vol", water_correction=0.9)
    for port, cylinder in ((1, "CYL-1"), (2, "CYL-2")):
        s.handle(f"GO{port}")
        w.clock.sleep(300.0)   # 30 T90: settled
        _, values, _ = parse_data(a.handle("MEAS?")[0])
        x = TRUTH[cylinder]["CO2"] * 1e6
        y = x * (1 - 0.005) / (1 - 0.9 * 0.005)
        expected = 1.002 * y - 0.4 + 1e-4 * (y - 430) ** 2
        assert values["co2"] == pytest.approx(expected, abs=6e-4)   # resolution 0.001
        errors = a.channels["CO2"].errors
        truth = ghg_sim.channel_truth(errors, 1e-4, 430.0, a.water, x, 0.0)
        assert truth == pytest.approx(expected, rel=1e-12)
        assert values["h2o"] == pytest.approx(0.5)


def test_drift_and_the_truth_function_agree() -> None:
    errors = AnalyzerErrors(component="CH4", gain=1.0, offset=0.0, zero_drift_per_h=0.5,
                            span_drift_per_h=2.0, full_scale=5000.0)
    water = ghg_sim.Water()
    assert ghg_sim.channel_truth(errors, 0.0, 0.0, water, 2000.0, 2.0) == pytest.approx(
        2000.0 + 0.5 * 2 + 2.0 * 2 * 2000.0 / 5000.0)


@pytest.mark.parametrize(("params", "why"), [
    ({"co2": {"offset": 0.3}}, "no unit"),
    ({"co2": {"slope": 1.0}}, "unknown ghg-analyzer co2 simulator parameter 'slope'"),
    ({"co2": "fast"}, "a mapping"),
    ({"h2o": "12 %vol"}, "at most a few"),
    ({"ch4": {"nonlinearity": "1e-4 mol/umol"}}, None),
    ({"n2o": {}}, "unknown ghg-analyzer simulator parameter 'n2o'"),
])
def test_bad_simulator_parameters_are_refused(params: dict, why: str | None) -> None:
    w = world()
    if why is None:       # a coefficient per umol/mol is accepted for CH4 and converted
        a = analyzer(w, **params)
        assert a.channels["CH4"].nonlinearity == pytest.approx(1e-7)
        return
    with pytest.raises(ConfigError, match=why):
        analyzer(w, **params)
