"""The particulate family's drivers against transcripts of their command sets (the
module docstrings are the manuals)."""

from __future__ import annotations

from datetime import datetime

import pytest

from labctl.drivers.particulate.flowmeter import ReferenceFlowmeter
from labctl.drivers.particulate.generator import AerosolGenerator
from labctl.drivers.particulate.hj212_monitor import Hj212PmMonitor
from labctl.drivers.particulate.reference_monitor import ReferencePmMonitor
from labctl.drivers.particulate.zero_filter import ZeroFilterValve
from labctl.errors import ConfigError, InstrumentError, InstrumentTimeout
from labctl.protocols import hj212
from labctl.units import Q_

from .transcript import TIMEOUT, Transcript

OK = '0,"No error"'


def test_generator_sets_checks_the_error_queue_and_switches_the_output() -> None:
    t = Transcript([("*IDN?", "LABCTL-SIM,AG-1000,AG-22-0031,2.0.1"),
                    ("SOUR:CONC 150", None), ("SYST:ERR?", OK),
                    ("OUTP ON", None), ("SYST:ERR?", OK),
                    ("STAT:OPER:COND?", "0"), ("STAT:OPER:COND?", "1"),
                    ("OUTP OFF", None)], instrument="generator")
    g = AerosolGenerator(t, name="generator")
    assert g.identify().serial == "AG-22-0031"
    g.set_point("concentration", "150 ug/m^3")
    g.output(True)
    assert g.ready() is False and g.ready() is True
    g.safe_state()
    t.assert_done()


def test_generator_refuses_a_set_point_outside_its_range_before_sending() -> None:
    g = AerosolGenerator(Transcript([]), name="generator")
    with pytest.raises(ConfigError, match=r"1200 µg/m³ is outside the limits \[0, 1000\]"):
        g.set_point("concentration", "1200 ug/m^3")
    with pytest.raises(Exception, match="does not fit"):
        g.set_point("concentration", "4.6 m/s")


def test_generator_error_reply_names_the_command() -> None:
    t = Transcript([("SOUR:CONC 900", None), ("SYST:ERR?", '-222,"Data out of range"')])
    g = AerosolGenerator(t, name="generator")
    with pytest.raises(InstrumentError, match=r"refused the command: -222") as err:
        g.set_point("concentration", Q_(900, "ug/m^3"))
    assert err.value.instrument == "generator" and err.value.command == "set concentration"


def test_reference_monitor_reads_each_quantity_in_its_unit() -> None:
    t = Transcript([("MEAS:PM25?", "35.21"), ("MEAS:PM10?", "61.0"), ("MEAS:FLOW?", "16.670"),
                    ("MEAS:PRES?", "101.30")])
    m = ReferencePmMonitor(t, name="reference")
    assert m.measure("pm25").value == Q_(35.21, "ug/m^3")
    assert m.measure("pm10").value.m_as("ug/m^3") == pytest.approx(61.0)
    assert m.measure("flow").value.m_as("L/min") == pytest.approx(16.67)
    assert m.measure("pressure").value.m_as("kPa") == pytest.approx(101.3)
    with pytest.raises(InstrumentError, match="not 'velocity'"):
        m.measure("velocity")
    t.assert_done()


def test_flowmeter_line_protocol() -> None:
    t = Transcript([("ID", "LABCTL-SIM,FM-200,FM-23-0488,1.1"),
                    ("FLOW", "FLOW +16.672 L/min"), ("TEMP", "TEMP +23.1 C"),
                    ("FLOW", "FLOW +16.672 m3/h"), ("PRES", "ERR unknown command")],
                   instrument="flowmeter")
    f = ReferenceFlowmeter(t, name="flowmeter")
    assert f.identify().model == "FM-200"
    assert f.measure().value.m_as("L/min") == pytest.approx(16.672)
    assert f.measure("temperature").value.m_as("degC") == pytest.approx(23.1)
    with pytest.raises(InstrumentError, match="expected 'FLOW <number> L/min'"):
        f.measure("flow")                  # a reply in another unit is never taken
    with pytest.raises(InstrumentError, match="refused"):
        f.measure("pressure")
    t.assert_done()


def test_zero_filter_valve() -> None:
    t = Transcript([("VALV:FILT ON", None), ("SYST:ERR?", OK), ("VALV:FILT OFF", None)])
    v = ZeroFilterValve(t, name="zero_filter")
    v.set_point("filter", 1)
    v.safe_state()
    t.assert_done()


# -- HJ 212 ---------------------------------------------------------------------------

MN, PW = "LABCTL-PM-0001", "123456"
DATA = hj212.Cp(data_time=datetime(2026, 1, 1, 0, 10),
                pollutants={"a34004": {"Rtd": "35.2", "Flag": "N"},
                            "a34002": {"Rtd": "61.0", "Flag": "N"},
                            "a01002": {"Rtd": "45.0", "Flag": "N"},
                            "qflow": {"Rtd": "16.70", "Flag": "N"}})


def line(frame: hj212.Frame) -> str:
    return hj212.encode(frame)[:-2].decode("ascii")


def request(n: int, mn: str = MN, pw: str = PW) -> hj212.Frame:
    return hj212.Frame(st="22", cn="2011", pw=pw, mn=mn, qn=f"20260101000000{n:03d}",
                       flag=hj212.Flag(ack=True))


def test_the_first_request_frame_is_the_standard_s() -> None:
    assert line(request(0)) == ("##0077QN=20260101000000000;ST=22;CN=2011;PW=123456;"
                                "MN=LABCTL-PM-0001;Flag=5;CP=&&&&60C0")


def test_poll_cn_2011_reads_the_asked_code_and_keeps_the_others() -> None:
    req = request(0)
    t = Transcript([(line(req), [line(f) for f in hj212.replies(req, DATA)])])
    m = Hj212PmMonitor(t, name="monitor", mn=MN, pw=PW)
    r = m.measure("pm25")
    assert r.value == Q_(35.2, "ug/m^3")
    assert r.values["pm10"].m_as("ug/m^3") == pytest.approx(61.0)
    assert r.values["humidity"].m_as("percent") == pytest.approx(45.0)
    assert r.values["flow"].m_as("L/min") == pytest.approx(16.7)
    assert "a34004-Rtd=35.2" in r.raw
    t.assert_done()


@pytest.mark.parametrize(("rtn", "why"), [(3, "wrong password"), (4, "wrong MN")])
def test_a_refused_request_names_why(rtn: int, why: str) -> None:
    req = request(0)
    t = Transcript([(line(req), line(hj212.request_reply(req, rtn)))])
    m = Hj212PmMonitor(t, name="monitor", mn=MN, pw=PW)
    with pytest.raises(InstrumentError, match=rf"QnRtn={rtn} \({why}") as err:
        m.measure("pm25")
    assert err.value.instrument == "monitor"


def test_a_frame_with_a_bad_crc_is_refused() -> None:
    req = request(0)
    good = [line(f) for f in hj212.replies(req, DATA)]
    bad = good[1][:-4] + ("0000" if not good[1].endswith("0000") else "FFFF")
    t = Transcript([(line(req), [good[0], bad])])
    m = Hj212PmMonitor(t, name="monitor", mn=MN, pw=PW)
    with pytest.raises(InstrumentError, match="bad HJ 212 frame: bad CRC"):
        m.measure("pm25")


def test_a_silent_logger_is_a_timeout_naming_the_monitor() -> None:
    req = request(0)
    t = Transcript([(line(req), TIMEOUT)])
    m = Hj212PmMonitor(t, name="monitor", mn=MN, pw=PW)
    with pytest.raises(InstrumentTimeout, match="did not answer within 2 s") as err:
        m.measure("pm25")
    assert err.value.instrument == "monitor"


def test_listen_mode_takes_an_upload_and_acknowledges_it() -> None:
    upload = hj212.Frame(st="22", cn="2011", pw=PW, mn=MN, qn="20260101001000000",
                         flag=hj212.Flag(ack=True), cp=DATA)
    ack = line(hj212.data_reply(upload))
    t = Transcript([(ack, None)], unsolicited=[line(upload)])
    m = Hj212PmMonitor(t, name="monitor", mn=MN, pw=PW, mode="listen")
    assert m.measure("pm10").value.m_as("ug/m^3") == pytest.approx(61.0)
    t.assert_done()


def test_listen_mode_refuses_an_upload_from_another_logger() -> None:
    upload = hj212.Frame(st="22", cn="2011", pw=PW, mn="SOMEONE-ELSE", qn="20260101001000000",
                         flag=hj212.Flag(ack=False), cp=DATA)
    t = Transcript([], unsolicited=[line(upload)])
    m = Hj212PmMonitor(t, name="monitor", mn=MN, pw=PW, mode="listen")
    with pytest.raises(InstrumentError, match=r"upload with the wrong MN \(MN=SOMEONE-ELSE\)"):
        m.measure("pm25")


def test_fume_generator_sets_velocity_and_concentration_in_their_units() -> None:
    from labctl.drivers.particulate.fume import FumeGenerator, ReferenceFumeMonitor

    t = Transcript([("SOUR:VEL 4.6", None), ("SYST:ERR?", OK),
                    ("SOUR:CONC 2", None), ("SYST:ERR?", OK), ("OUTP OFF", None)])
    g = FumeGenerator(t, name="generator")
    g.set_point("velocity", "4.6 m/s")
    g.set_point("concentration", "2000 ug/m^3")           # converted to mg/m^3
    with pytest.raises(Exception, match="does not fit"):
        g.set_point("velocity", "4.6 mg/m^3")              # nothing sent
    g.safe_state()
    t.assert_done()
    r = ReferenceFumeMonitor(Transcript([("MEAS:CONC?", "2.113"), ("MEAS:VEL?", "6.20")]),
                             name="reference")
    assert r.measure("fume").value.m_as("mg/m^3") == pytest.approx(2.113)
    assert r.measure("velocity").value.m_as("m/s") == pytest.approx(6.2)


def test_a_fume_monitor_needs_the_platform_s_code() -> None:
    from labctl.drivers.particulate.fume import Hj212FumeMonitor

    with pytest.raises(ConfigError, match="no HJ 212 code for 'fume'"):
        Hj212FumeMonitor(Transcript([]), name="monitor")
    m = Hj212FumeMonitor(Transcript([]), name="monitor", codes={"fume": "ofume"})
    assert m.st == "31" and m.codes == {"fume": "ofume"}
