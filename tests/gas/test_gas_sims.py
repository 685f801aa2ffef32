"""The gas family's simulators: the gas line's delay and first-order response, the
calibrator's dilution and refusals, the detector's alarm hysteresis, drifts and
cross-sensitivity, the MFC's protocol."""

from __future__ import annotations

import math

import pytest

from labctl.clock import VirtualClock
from labctl.errors import ConfigError
from labctl.sim.gas import calibrator_sim, combustible_sim, mfc_sim
from labctl.sim.gas.line import FirstOrder, GasLine
from labctl.sim.world import World


def world() -> World:
    return World(VirtualClock(), 7)


def test_the_line_delays_and_the_cell_reaches_90_percent_at_t90() -> None:
    w = world()
    line = GasLine(w, delay=3.0)
    cell = FirstOrder(line, 45.0, lambda comp: comp.get("CH4", 0.0))
    assert cell.value(w.clock.now()) == 0.0
    line.feed({"CH4": 1.0})
    w.clock.sleep(3.0)
    assert cell.value(w.clock.now()) == pytest.approx(0.0)
    w.clock.sleep(45.0)
    assert cell.value(w.clock.now()) == pytest.approx(0.9, abs=1e-9)
    w.clock.sleep(45.0)
    assert cell.value(w.clock.now()) == pytest.approx(0.99, abs=1e-9)
    line.feed({})     # the outlet closed: 3 s later the fall follows the same law
    at_fall = 1.0 - 10 ** (-(93.0 + 3.0 - 3.0) / 45.0)
    w.clock.sleep(3.0 + 45.0 * math.log10(2))
    assert cell.value(w.clock.now()) == pytest.approx(at_fall / 2, rel=1e-9)


def make_calibrator(w: World, **params: object) -> calibrator_sim.GasCalibratorSim:
    base = {"source_full_scale": "1 L/min", "dilution_full_scale": "2 L/min",
            "flow_u": "0 %", "cylinder_true": {"component": "CH4", "c0": 0.04}}
    return calibrator_sim.create(w, {**base, **params})


def configure(cal: calibrator_sim.GasCalibratorSim) -> None:
    for command in ("CONF:CYL:CONC 40000", "CONF:CYL:LEL 50000", "SOUR:FLOW 1"):
        assert cal.handle(command) == []


def test_the_calibrator_dilutes_and_refuses_what_it_cannot_make() -> None:
    w = world()
    cal = make_calibrator(w)
    assert cal.handle("SOUR:CONC 10,PCTLEL") == []
    assert cal.handle("SYST:ERR?") == ['-221,"Settings conflict; configure the cylinder first"']
    configure(cal)
    cal.handle("SOUR:CONC 20000,UMOL")
    cal.handle("OUTP ON")
    assert cal.handle("MEAS:FLOW:SOUR?") == ["0.500000"]
    assert cal.handle("MEAS:FLOW:DIL?") == ["0.500000"]
    assert cal.true_fraction() == pytest.approx(0.02)
    assert cal.handle("STAT:OPER:COND?") == ["0"]
    w.clock.sleep(10.0)
    assert cal.handle("STAT:OPER:COND?") == ["1"]
    for bad in ("SOUR:CONC 90,PCTLEL", "SOUR:CONC 1,PCTLEL"):  # above c0; Qs below range
        cal.handle(bad)
        assert cal.handle("SYST:ERR?") == ['-222,"Data out of range"']
    cal.handle("CONF:CYL:COMP CO")
    assert cal.handle("SYST:ERR?")[0].startswith("-221")
    assert cal.handle("SOUR:CONC?") == ["20000,UMOL"]
    cal.handle("OUTP OFF")
    assert cal.true_flows() == (0.0, 0.0) and cal.line.compositions[-1] == {}


def test_the_mfcs_true_errors_move_the_true_concentration() -> None:
    w = world()
    cal = make_calibrator(w, source_flow_error=0.01, dilution_flow_error=-0.01)
    configure(cal)
    cal.handle("SOUR:CONC 40,PCTLEL")
    cal.handle("OUTP ON")
    qs, qd = 0.5 * 1.01, 0.5 * 0.99
    assert cal.true_fraction() == pytest.approx(0.04 * qs / (qs + qd))
    assert cal.handle("MEAS:CONC?") == ["20000"]   # what its indications say


def detector(w: World, **params: object) -> combustible_sim.CombustibleDetectorSim:
    return combustible_sim.create(w, {"t90": "0 s", "noise": "0 %LEL", **params})


def test_the_alarm_switches_with_hysteresis() -> None:
    w = world()
    cal = make_calibrator(w)
    det = detector(w, alarm="25 %LEL", hysteresis="2 %LEL")
    configure(cal)
    cal.handle("OUTP ON")
    states = []
    for level in (20, 26, 24, 23.5, 22.5, 24, 26):
        cal.handle(f"SOUR:CONC {level},PCTLEL")
        states.append(det.handle("MEAS?")[0].split(",")[2])
    assert states == ["0", "1", "1", "1", "0", "0", "1"]


def test_drifts_and_cross_sensitivity() -> None:
    w = world()
    cal = make_calibrator(w, cylinder_true={"component": "H2", "c0": 0.04})
    det = detector(w, zero_drift_per_h="0.5 %LEL/h", span_drift_per_h="1 %LEL/h",
                   cross={"H2": 0.5}, resolution="0 %LEL")
    configure(cal)
    w.clock.sleep(7200.0)
    assert det.model.true_indication() == pytest.approx(1.0)   # 2 h of zero drift
    cal.handle("SOUR:CONC 40,PCTLEL")      # 2 %vol of H2, seen at half sensitivity
    cal.handle("OUTP ON")
    y = 20.0
    assert det.model.true_indication() == pytest.approx(y + 1.0 + 2 * 1.0 * y / 100)


def test_a_detector_sim_refuses_a_bare_t90() -> None:
    with pytest.raises(ConfigError, match="t90: 45 has no unit"):
        combustible_sim.create(world(), {"t90": 45})


def test_the_mfc_sim_follows_its_set_point() -> None:
    w = world()
    mfc = mfc_sim.create(w, {"full_scale": "5 L/min", "tau": "1 s", "address": "c"})
    assert mfc.handle("AS1") == []          # another unit's address: silence
    assert mfc.handle("CS2.5") == ["C +0.00000 +2.50000 N2"]
    w.clock.sleep(10.0)
    assert mfc.handle("C") == ["C +2.49989 +2.50000 N2"]
    assert mfc.handle("CS6") == ["C ?ERR RANGE"]
    assert mfc.handle("CFS") == ["C 5.000 L/min"]
    assert mfc.handle("CX") == ["C ?ERR CMD"]
