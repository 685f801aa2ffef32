"""The gas family's drivers against transcripts of their command sets (each exchange as
the driver's docstring gives it), and the calibrator's checks before gas flows."""

from __future__ import annotations

import pytest

from labctl.drivers.gas.calibrator import GasDilutionCalibrator
from labctl.drivers.gas.combustible import CombustibleGasDetector
from labctl.drivers.gas.mfc import MassFlowController
from labctl.errors import ConfigError, InstrumentError
from labctl.units import parse_quantity
from tests.drivers.transcript import Transcript

CH4 = {"id": "CYL-CH4-01", "crm": "GBW(E)061671", "component": "CH4", "balance": "air",
       "c0": 0.04, "U": 4e-4, "k": 2.0, "lel": 0.05}
OPTIONS = {"unit": "%LEL", "source_full_scale": "1 L/min", "dilution_full_scale": "2 L/min",
           "turndown": 50, "total_flow": "1 L/min"}


def calibrator(steps: list, cylinder: dict | None = CH4, **options: object
               ) -> tuple[GasDilutionCalibrator, Transcript]:
    t = Transcript(steps, instrument="calibrator")
    given = {**OPTIONS, **options}
    if cylinder is not None:
        given["cylinders"] = [cylinder]
    return GasDilutionCalibrator(t, name="calibrator", **given), t


def test_a_set_point_in_lel_configures_the_cylinder_then_sets_and_opens() -> None:
    cal, t = calibrator([
        ("CONF:CYL:CONC 40000", None), ("SYST:ERR?", '0,"No error"'),
        ("CONF:CYL:LEL 50000", None), ("SYST:ERR?", '0,"No error"'),
        ("SOUR:FLOW 1", None), ("SYST:ERR?", '0,"No error"'),
        ("SOUR:CONC 40,PCTLEL", None), ("SYST:ERR?", '0,"No error"'),
        ("OUTP ON", None), ("SYST:ERR?", '0,"No error"'),
        ("STAT:OPER:COND?", "1"),
        ("MEAS:FLOW:SOUR?", "0.500000"), ("MEAS:FLOW:DIL?", "0.500000"),
        ("MEAS:CONC?", "20000"),
        ("OUTP OFF", None),
    ])
    cal.set_point("concentration", parse_quantity("40 %LEL"))
    cal.output(True)
    assert cal.ready()
    assert cal.measure("source_flow").value == parse_quantity("0.5 L/min")
    assert cal.measure("dilution_flow").value.m_as("L/min") == pytest.approx(0.5)
    assert cal.measure().value.m_as("umol/mol") == pytest.approx(20000)
    cal.safe_state()
    t.assert_done()


def test_a_refused_set_point_raises_with_the_instruments_error() -> None:
    cal, _ = calibrator([
        ("CONF:CYL:CONC 40000", None), ("SYST:ERR?", '0,"No error"'),
        ("CONF:CYL:LEL 50000", None), ("SYST:ERR?", '0,"No error"'),
        ("SOUR:FLOW 1", None), ("SYST:ERR?", '0,"No error"'),
        ("SOUR:CONC 10,PCTLEL", None), ("SYST:ERR?", '-222,"Data out of range"'),
    ])
    with pytest.raises(InstrumentError, match="Data out of range"):
        cal.set_point("concentration", "10 %LEL")


def test_the_component_is_checked_and_sent() -> None:
    cal, t = calibrator([("CONF:CYL:COMP CH4", None), ("SYST:ERR?", '0,"No error"')])
    cal.set_point("component", "CH4")
    t.assert_done()
    with pytest.raises(ConfigError, match="expects CO but cylinder CYL-CH4-01"):
        type(cal).component.check(cal, "CO")


@pytest.mark.parametrize(("value", "message"), [
    ("90 %LEL", r"above what cylinder CYL-CH4-01 \(40000 umol/mol CH4\) can make"),
    ("1 %LEL", r"source flow 0.0125 L/min is outside its MFC's range 0.02 .. 1 L/min"),
    ("2 kg", "is not a gas concentration"),
])
def test_set_points_the_cylinder_and_flows_cannot_make_are_refused(value: str,
                                                                   message: str) -> None:
    cal, t = calibrator([])
    with pytest.raises(ConfigError, match=message):
        type(cal).concentration.check(cal, value)
    assert t.sent == []   # nothing was sent


def test_lel_and_ppm_need_the_cylinders_lel() -> None:
    no_lel = {**CH4, "lel": None}
    cal, _ = calibrator([], cylinder=no_lel)
    with pytest.raises(ConfigError, match="asks for %LEL but cylinder CYL-CH4-01 gives no LEL"):
        type(cal).concentration.check(cal, "40 %LEL")
    with pytest.raises(ConfigError, match="amount fraction where this calibrator works in %LEL"):
        type(cal).concentration.check(cal, "20000 ppm")
    ppm, _ = calibrator([], cylinder=no_lel, unit="umol/mol")
    assert type(ppm).concentration.check(ppm, "20000 ppm")[:2] == (pytest.approx(20000), "UMOL")
    with_lel, _ = calibrator([])
    number, word, flows = type(with_lel).concentration.check(with_lel, "20000 ppm")
    assert (number, word) == (pytest.approx(40.0), "PCTLEL")
    assert flows == (pytest.approx(0.5), pytest.approx(0.5))


def test_without_a_cylinder_among_the_standards_the_calibrator_says_so() -> None:
    cal, _ = calibrator([], cylinder=None)
    with pytest.raises(ConfigError, match="no cylinder among the bench's standards"):
        type(cal).concentration.check(cal, "10 %LEL")


def test_the_detector_reads_value_unit_and_alarm() -> None:
    t = Transcript([("*IDN?", "LABCTL-SIM,CGD-100,CGD-1,2.3"), ("MEAS?", "23.4,%LEL,0"),
                    ("MEAS?", "27.9,%LEL,1"), ("MEAS?", "120,ppm,0")])
    det = CombustibleGasDetector(t, name="detector", range="100 %LEL", alarm="25 %LEL")
    assert det.identify().serial == "CGD-1"
    first = det.measure()
    assert first.value.m_as("%LEL") == pytest.approx(23.4) and first.flags == frozenset()
    assert det.measure().flags == {"alarm"}
    with pytest.raises(InstrumentError, match="answered in ppm, not %LEL"):
        det.measure()
    assert det.data_plate() == {"range": "100 %LEL", "resolution": "0.1 %LEL",
                                "sampling": "diffusion", "alarm": "25 %LEL"}


def test_the_detector_refuses_a_range_in_ppm() -> None:
    with pytest.raises(ConfigError):
        CombustibleGasDetector(Transcript([]), name="detector", range="1000 ppm")


def test_the_mfc_polls_sets_and_refuses_above_full_scale() -> None:
    t = Transcript([("BID", "B LABCTL-SIM,MFC-5,M-7,5.1"),
                    ("BS0.25000", "B +0.00000 +0.25000 N2"),
                    ("B", "B +0.24990 +0.25000 N2"), ("B", "B +0.24990 +0.25000 N2"),
                    ("BS9.00000", "B ?ERR RANGE"), ("BS0", "B +0.24000 +0.00000 N2")],
                   instrument="mfc")
    mfc = MassFlowController(t, name="mfc", address="B", full_scale="5 L/min")
    assert mfc.identify().model == "MFC-5"
    mfc.set_point("flow", "0.25 L/min")
    assert mfc.measure().value.m_as("L/min") == pytest.approx(0.2499)
    assert mfc.ready()
    with pytest.raises(ConfigError, match="above the full scale 5 L/min"):
        mfc.set_point("flow", "6 L/min")
    with pytest.raises(InstrumentError, match="refused the command"):
        mfc._ask("S9.00000")
    mfc.output(False)
    t.assert_done()
