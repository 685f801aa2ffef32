"""The particulate simulators: the chamber's lag and non-uniformity, the monitor model
(gain, humidity growth, T90, drift), and the HJ 212 logger speaking to plain clients
and to the driver on a virtual clock."""

from __future__ import annotations

import math

import pytest

from labctl.clock import VirtualClock
from labctl.drivers.particulate.hj212_monitor import Hj212PmMonitor
from labctl.errors import ConfigError
from labctl.protocols import hj212
from labctl.sim.particulate import generator_sim, hj212_monitor_sim, reference_sim
from labctl.sim.particulate.chamber import Chamber
from labctl.sim.particulate.monitor_model import MonitorErrors, MonitorModel
from labctl.sim.world import World
from labctl.transport.base import TransportOptions
from labctl.transport.sim import SimTransport


def world() -> World:
    return World(VirtualClock(), seed=5)


def test_the_chamber_follows_the_generator_with_its_time_constant() -> None:
    w = world()
    gen = generator_sim.create(w, {"tau": "60 s", "non_uniformity": "0 %"})
    gen.write(b"SOUR:CONC 200\nOUTP ON\n")
    chamber = gen.chamber
    w.clock.sleep(60.0)
    assert chamber.mixed(w.clock.now()) == pytest.approx(200 * (1 - math.exp(-1)))
    assert gen.handle("STAT:OPER:COND?") == ["0"]
    w.clock.sleep(600.0)
    assert gen.handle("STAT:OPER:COND?") == ["1"]
    gen.write(b"SOUR:CONC 2000\n")                 # above its max: refused, queued error
    assert gen.handle("SYST:ERR?") == ['-222,"Data out of range"']
    assert gen.handle("SOUR:CONC?") == ["200"]
    gen.write(b"OUTP OFF\n")
    w.clock.sleep(3600.0)
    assert chamber.mixed(w.clock.now()) < 1e-6


def test_each_inlet_sees_the_chamber_within_its_non_uniformity() -> None:
    w = world()
    chamber = Chamber(w, non_uniformity=0.01)
    factors = [chamber.port_factor(f"port{i}") for i in range(50)]
    assert all(0.99 <= f <= 1.01 for f in factors)
    assert len(set(factors)) == 50
    assert chamber.port_factor("port3") == factors[3]          # fixed per port


def test_the_humidity_growth_of_an_optical_monitor() -> None:
    w = world()
    chamber = w.get("particulate-chamber", lambda: Chamber(w, humidity=85.0))
    optical = MonitorModel(chamber, w, "a", MonitorErrors(kappa=0.3), w.rng("a"))
    dried = MonitorModel(chamber, w, "b", MonitorErrors(kappa=0.3, dried=True), w.rng("b"))
    assert optical.humidity_factor() == pytest.approx(1 + (0.3 / 1.65) / (1 / 0.85 - 1))
    assert dried.humidity_factor() == 1.0


def test_the_monitor_s_t90_and_its_step_response() -> None:
    w = world()
    chamber = Chamber(w, non_uniformity=0.0)
    model = MonitorModel(chamber, w, "dut", MonitorErrors(t90=120.0, resolution=0.0), w.rng("m"))
    chamber.drive(100.0)
    chamber.tau = 1e-6                       # an instant step at the inlet
    model.advance()
    chamber.set_filtered("dut", True)
    w.clock.sleep(1200.0)
    assert model.true_indication() == pytest.approx(0.0, abs=1e-3)
    chamber.set_filtered("dut", False)
    w.clock.sleep(120.0)
    assert model.true_indication() == pytest.approx(90.0, abs=1.0)
    assert model.true_t90() == pytest.approx(120.0, abs=1.0)
    averaged = MonitorModel(chamber, w, "x", MonitorErrors(t90=120.0, averaging=60.0), w.rng("x"))
    assert averaged.true_t90() > 140.0                     # averaging delays the response


def test_a_drift_per_day_adds_to_the_reading() -> None:
    w = world()
    model = MonitorModel(Chamber(w), w, "dut", MonitorErrors(drift=2.0), w.rng("d"))
    w.clock.sleep(86400.0 / 2)
    assert model.true_indication() == pytest.approx(1.0)


def test_a_dimensional_sim_parameter_needs_its_unit() -> None:
    with pytest.raises(ConfigError, match="noise: 0.5 has no unit"):
        reference_sim.create(world(), {"noise": 0.5})
    with pytest.raises(ConfigError, match="unknown reference-pm-monitor simulator parameter"):
        reference_sim.create(world(), {"noize": "0.5 ug/m^3"})


def test_a_plain_client_gets_the_logger_s_uploads_and_can_acknowledge_them() -> None:
    w = world()
    sim = hj212_monitor_sim.create(w, {"upload_interval": "30 s", "ack": True})
    assert sim.read() == b"" and sim.next_due() == pytest.approx(30.0)
    w.clock.sleep(30.0)
    raw = sim.read()
    frame = hj212.decode(raw)
    assert frame.cn == "2011" and frame.wants_ack and frame.mn == "LABCTL-PM-0001"
    assert "a34004" in frame.cp.pollutants and frame.cp.data_time.minute == 0
    sim.write(hj212.encode(hj212.data_reply(frame)))        # the 9014: taken silently
    assert sim.received[-1].cn == "9014" and sim.read() == b""
    w.clock.sleep(95.0)                                      # a reader that fell behind
    assert len(sim.read().split(b"\r\n")) == 2               # gets the latest upload only


def test_the_driver_listens_to_uploads_on_a_virtual_clock() -> None:
    w = world()
    sim = hj212_monitor_sim.create(w, {"upload_interval": "60 s"})
    transport = SimTransport(sim, TransportOptions(timeout=90.0, instrument="monitor"),
                             w.clock)
    monitor = Hj212PmMonitor(transport, name="monitor", mode="listen")
    reading = monitor.measure("pm25")
    assert w.clock.now() == pytest.approx(60.0)
    assert reading.value.m_as("ug/m^3") == pytest.approx(0.0, abs=5.0)
    assert sim.received[-1].cn == "9014"                     # acknowledged


def test_a_logger_that_stops_sends_nothing() -> None:
    w = world()
    sim = hj212_monitor_sim.create(w, {"upload_interval": "10 s", "stop_after": "25 s"})
    w.clock.sleep(20.0)
    assert sim.read()
    w.clock.sleep(20.0)
    assert sim.read() == b"" and sim.next_due() is None
