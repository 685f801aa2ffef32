"""The greenhouse-gas analyzer's and the stream selector's drivers against transcripts of
their command sets (as their docstrings give them), with the strict reply checks."""

from __future__ import annotations

import pytest

from labctl.drivers.gas.ghg import GhgAnalyzer, parse_data
from labctl.drivers.gas.selector import GasStreamSelector
from labctl.errors import ConfigError, InstrumentError
from labctl.sim.gas.ghg_sim import checksum
from tests.drivers.transcript import Transcript


def data(seq: int, co2: str, ch4: str, h2o: str, status: str = "0000") -> str:
    body = f"DATA,{seq:05d},{co2},{ch4},{h2o},{status}"
    return f"{body}*{checksum(body)}"


def analyzer(steps: list, **options: object) -> tuple[GhgAnalyzer, Transcript]:
    t = Transcript(steps, instrument="analyzer")
    return GhgAnalyzer(t, name="analyzer", **options), t


def test_a_reading_carries_co2_ch4_and_h2o_of_one_reply() -> None:
    line = data(412, "412.345", "1987.65", "0.0050")
    a, t = analyzer([("*IDN?", "LABCTL-SIM,GHG-2401,GHG-1,1.7"),
                     ("UNITS?", "UMOL/MOL,NMOL/MOL,%VOL"), ("MEAS?", line),
                     ("MEAS?", data(413, "412.350", "1987.70", "0.0050"))])
    assert a.identify().serial == "GHG-1"
    r = a.measure("co2")
    assert r.value.m_as("umol/mol") == pytest.approx(412.345)
    assert r.values["ch4"].m_as("nmol/mol") == pytest.approx(1987.65)
    assert r.values["h2o"].m_as("") == pytest.approx(5e-5)
    assert r.stable and not r.flags and r.raw == line
    assert a.measure("ch4").value.m_as("nmol/mol") == pytest.approx(1987.70)
    t.assert_done()


def test_a_repeated_measurement_and_warm_up_are_flagged() -> None:
    a, t = analyzer([("UNITS?", "UMOL/MOL,NMOL/MOL,%VOL"),
                     ("MEAS?", data(7, "400.000", "1900.00", "0.0000", "0001")),
                     ("MEAS?", data(7, "400.000", "1900.00", "0.0000", "0000"))])
    first = a.measure()
    assert first.flags == {"warming_up"} and first.stable is False
    assert a.measure().flags == {"repeated"}
    t.assert_done()


@pytest.mark.parametrize(("reply", "why"), [
    ("DATA,00001,400.000,1900.00,0.0000,0000", "no checksum"),
    ("DATA,00001,400.000,1900.00,0.0000,0000*00", "does not match"),
    ("DATA,00001,400.000,1900.00,0.0000,0000*ZZ", "two hex digits"),
    (data(1, "400.000", "1900.00", "0.0000").replace("DATA", "DATB", 1), "checksum"),
    (f"{'DATA,1,400.000,1900.00,0.0000,0000'}*{checksum('DATA,1,400.000,1900.00,0.0000,0000')}",
     "five digits"),
    (f"{'DATA,00001,400.0,x,0.0000,0000'}*{checksum('DATA,00001,400.0,x,0.0000,0000')}",
     "not a number"),
    (f"{'DATA,00001,400.0,1900.0,0000'}*{checksum('DATA,00001,400.0,1900.0,0000')}",
     "six fields"),
    (f"{'DATA,00001,nan,1900.0,0.0,0000'}*{checksum('DATA,00001,nan,1900.0,0.0,0000')}",
     "not finite"),
])
def test_every_malformed_data_line_is_refused(reply: str, why: str) -> None:
    with pytest.raises(InstrumentError, match=why):
        parse_data(reply, "analyzer")


def test_a_cell_fault_is_an_error_and_other_units_are_refused() -> None:
    a, _ = analyzer([("UNITS?", "UMOL/MOL,NMOL/MOL,%VOL"),
                     ("MEAS?", data(3, "400.000", "1900.00", "0.0000", "0002"))])
    with pytest.raises(InstrumentError, match="cell pressure"):
        a.measure()
    b, _ = analyzer([("UNITS?", "PPM,PPB,%VOL")])
    with pytest.raises(InstrumentError, match="reports in PPM,PPB"):
        b.measure()
    c, _ = analyzer([("UNITS?", "UMOL/MOL,NMOL/MOL,%VOL")])
    with pytest.raises(InstrumentError, match="not 'n2o'"):
        c.measure("n2o")


CYLINDERS = [{"id": f"CYL-{i}", "crm": "GBW(E)062301",
              "contents": {"CO2": 4e-4, "CH4": 1.9e-6}} for i in (1, 2, 3)]


def selector(steps: list, **options: object) -> tuple[GasStreamSelector, Transcript]:
    t = Transcript(steps, instrument="selector")
    given = {"ports": {1: "CYL-1", 2: "CYL-2", 3: "CYL-3"}, "cylinders": CYLINDERS,
             **options}
    return GasStreamSelector(t, name="selector", **given), t


def test_the_selector_moves_and_reports_its_port() -> None:
    s, t = selector([("ID", "ID=LABCTL-SIM,SSV-8,SSV-1,3.2"), ("NP", "NP=8"),
                     ("GO3", "GO=3"), ("CP", "CP=0"), ("CP", "CP=3"), ("GO9", "?ERR RANGE")],
                    positions=8)
    assert s.identify().model == "SSV-8"
    s.select(3)
    assert s.position() == 0
    assert s.position() == 3
    assert s.cylinder_at(3) == "CYL-3" and s.cylinder_at(4) is None
    with pytest.raises(ConfigError, match="ports 1..8"):
        s.select(9)
    s.positions = 10   # a valve bigger than the bench says: the valve's refusal comes back
    with pytest.raises(InstrumentError, match="refused"):
        s.select(9)
    t.assert_done()


def test_the_selector_checks_every_reply_strictly() -> None:
    s, _ = selector([("GO2", "GO=1"), ("CP", "XP=2"), ("CP", "CP=two"), ("NP", "NP=4")])
    with pytest.raises(InstrumentError, match="acknowledged port 1"):
        s.select(2)
    with pytest.raises(InstrumentError, match="not an answer to CP"):
        s.position()
    with pytest.raises(InstrumentError, match="not a whole number"):
        s.position()
    t = Transcript([("ID", "ID=A,B,C,D"), ("NP", "NP=4")])
    small = GasStreamSelector(t, name="selector", ports={1: "CYL-1"}, cylinders=CYLINDERS)
    with pytest.raises(InstrumentError, match="4 ports, the bench says 8"):
        small.identify()


def test_the_selector_parks_on_the_way_out_only_when_told() -> None:
    s, t = selector([("GO8", "GO=8")], park=8)
    s.safe_state()
    t.assert_done()
    quiet, t2 = selector([])
    quiet.safe_state()
    t2.assert_done()


@pytest.mark.parametrize(("options", "why"), [
    ({"ports": {1: "CYL-9"}}, "not among the bench's standards"),
    ({"ports": {0: "CYL-1"}}, "port 0"),
    ({"ports": {}}, "needs its ports"),
    ({"positions": 1}, "at least 2"),
    ({"park": 12}, "park 12"),
])
def test_the_selector_refuses_a_bad_plumbing(options: dict, why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        selector([], **options)
