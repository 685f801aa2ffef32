"""The simulated NDIR analyzer: its protocol, the gas line's delay and the first-order
response, gain and offset, zero and span drift per hour, cross-interference of a second
component, water vapour (dilution and band overlap), noise, warm-up and over-range
status, parameters refused without their units; and the driver talking to it."""

from __future__ import annotations

import math

import pytest

from labctl.clock import VirtualClock
from labctl.drivers.gas.ndir import NdirAnalyzer
from labctl.errors import ConfigError, InstrumentError
from labctl.sim.gas import ndir_sim
from labctl.sim.gas.line import line_of
from labctl.sim.world import World
from labctl.transport.sim import SimTransport

QUIET = {"noise": "0 umol/mol", "resolution": "0.001 umol/mol"}


def setup(delay: float = 0.0, **params: object) -> tuple[World, ndir_sim.NdirAnalyzerSim]:
    w = World(VirtualClock(), 7)
    line_of(w, delay)
    return w, ndir_sim.create(w, {**QUIET, **params})


def value(sim: ndir_sim.NdirAnalyzerSim) -> float:
    (reply,) = sim.handle("READ?")
    return float(reply.split(",")[1])


def test_the_protocol() -> None:
    _, sim = setup(serial="N-7", firmware="3.2", resolution="1 umol/mol")
    assert sim.handle("*IDN?") == ["LABCTL-SIM,NDIR-2,N-7,3.2"]
    assert sim.handle("RANGE?") == ["CO2,2000,umol/mol"]
    assert sim.handle("read?") == ["CO2,0,umol/mol,OK"]
    assert sim.handle("ZERO") == ["ERR,10,UNKNOWN COMMAND"]
    _, co = setup(component="CO", unit="%vol", range="1 %vol", resolution="0.001 %vol")
    assert co.handle("RANGE?") == ["CO,1,%vol"]
    assert co.handle("READ?") == ["CO,0.000,%vol,OK"]


def test_a_step_arrives_after_the_delay_and_reaches_90_percent_at_t90() -> None:
    w, sim = setup(delay=2.0, t90="20 s")
    line = line_of(w)
    assert value(sim) == 0.0                   # zero gas in the cell
    line.feed({"CO2": 1000e-6})
    w.clock.sleep(1.9)
    assert value(sim) == pytest.approx(0.0, abs=1e-3)
    w.clock.sleep(20.1)
    assert value(sim) == pytest.approx(900.0, abs=1e-3)
    assert sim.model.true_t90() == pytest.approx(22.0)
    w.clock.sleep(10 * 20.0 / math.log(10))        # ten time constants
    assert value(sim) == pytest.approx(1000.0, abs=0.1)


def test_gain_offset_and_drifts_per_hour() -> None:
    w, sim = setup(gain=1.02, offset="5 umol/mol", zero_drift_per_h="10 umol/mol/h",
                   span_drift_per_h="20 umol/mol/h", t90="1 s")
    line_of(w).feed({"CO2": 1000e-6})
    w.clock.sleep(60.0)
    start = value(sim)
    assert start == pytest.approx(1.02 * 1000 + 5 + (10 + 20 * 1000 / 2000) / 60, abs=1e-3)
    w.clock.sleep(3600.0)
    hours = 3660.0 / 3600
    assert value(sim) == pytest.approx(1.02 * 1000 + 5 + 10 * hours + 20 * hours * 1000 / 2000,
                                       abs=1e-3)


def test_a_second_component_interferes_through_cross() -> None:
    w, sim = setup(component="CO", cross={"CO2": 0.002}, t90="1 s")
    line_of(w).feed({"CO": 100e-6, "CO2": 5000e-6})
    w.clock.sleep(60.0)
    assert value(sim) == pytest.approx(100 + 0.002 * 5000, abs=1e-3)


def test_water_vapour_dilutes_the_component_and_overlaps_its_band() -> None:
    w, dry = setup(t90="1 s")
    line_of(w).feed({"CO2": 1000e-6})
    _, wet = (w, ndir_sim.create(w, {**QUIET, "t90": "1 s", "h2o": "2 %vol"}))
    _, overlap = (w, ndir_sim.create(w, {**QUIET, "t90": "1 s", "h2o": "2 %vol",
                                         "cross": {"H2O": 0.001}}))
    w.clock.sleep(60.0)
    assert value(dry) == pytest.approx(1000.0, abs=1e-3)
    assert value(wet) == pytest.approx(980.0, abs=1e-3)                 # x (1 - h2o)
    assert value(overlap) == pytest.approx(980.0 + 0.001 * 0.02 * 1e6, abs=1e-3)
    line_of(w).feed({})           # zero gas is wet too: the overlap shows at zero
    w.clock.sleep(60.0)
    assert value(overlap) == pytest.approx(20.0, abs=1e-3)


def test_noise_is_seeded_and_has_the_given_spread() -> None:
    def readings(seed: int) -> list[float]:
        w = World(VirtualClock(), seed)
        line_of(w).feed({"CO2": 400e-6})
        sim = ndir_sim.create(w, {"noise": "2 umol/mol", "resolution": "0.01 umol/mol"})
        return [value(sim) for _ in range(400)]

    first = readings(3)
    assert first == readings(3) and first != readings(4)
    mean = sum(first) / len(first)
    sd = math.sqrt(sum((x - mean) ** 2 for x in first) / (len(first) - 1))
    assert mean == pytest.approx(400.0, abs=0.4) and sd == pytest.approx(2.0, rel=0.15)


def test_warm_up_and_over_range_status() -> None:
    w, sim = setup(warmup="10 min")
    assert sim.handle("READ?")[0].endswith(",WARMUP")
    w.clock.sleep(600.0)
    assert sim.handle("READ?")[0].endswith(",OK")
    line_of(w).feed({"CO2": 2300e-6})
    w.clock.sleep(600.0)
    assert sim.handle("READ?") == ["CO2,2300.000,umol/mol,OVER"]


@pytest.mark.parametrize(("params", "message"), [
    ({"t90": 20}, "t90: 20 has no unit"),
    ({"offset": 3}, "offset: 3 has no unit"),
    ({"zero_drift_per_h": "3 umol/mol"}, "zero_drift_per_h"),
    ({"h2o": "150 %vol"}, "an amount fraction below 1"),
    ({"unit": "%LEL"}, "umol/mol or %vol"),
    ({"component": "CH4"}, "measures CO or CO2"),
    ({"alarm": "50 umol/mol"}, "unknown ndir-analyzer simulator parameter 'alarm'"),
])
def test_bad_parameters_are_refused(params: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ndir_sim.create(World(VirtualClock(), 1), params)


def test_the_driver_reads_the_simulator() -> None:
    w, sim = setup(serial="N-9", resolution="0.1 umol/mol", t90="1 s")
    ndir = NdirAnalyzer(SimTransport(sim, clock=w.clock), name="analyzer", component="CO2",
                        range="2000 umol/mol", resolution="0.1 umol/mol", accuracy_class=2)
    assert ndir.identify().serial == "N-9"
    line_of(w).feed({"CO2": 412.34e-6})
    w.clock.sleep(30.0)
    assert ndir.measure().value.m_as("umol/mol") == pytest.approx(412.3)
    wrong = NdirAnalyzer(SimTransport(sim, clock=w.clock), name="analyzer", component="CO",
                         range="2000 umol/mol", accuracy_class=2)
    with pytest.raises(InstrumentError, match="answered for CO2, its data plate says CO"):
        wrong.measure()
