"""The NDIR analyzer's driver against transcripts of its command set (each exchange as
the driver's docstring gives it): readings, and every reply check that turns a reply
into an instrument error instead of a reading."""

from __future__ import annotations

import pytest

from labctl.drivers.gas.ndir import NdirAnalyzer
from labctl.errors import ConfigError, InstrumentError
from tests.drivers.transcript import Transcript

PLATE = {"component": "CO2", "range": "2000 umol/mol", "resolution": "1 umol/mol",
         "accuracy_class": 2, "sampling": "pumped"}


def analyzer(steps: list, **options: object) -> tuple[NdirAnalyzer, Transcript]:
    t = Transcript(steps, instrument="analyzer")
    return NdirAnalyzer(t, name="analyzer", **{**PLATE, **options}), t


def test_identify_checks_the_range_and_read_gives_the_concentration() -> None:
    ndir, t = analyzer([("*IDN?", "LABCTL-SIM,NDIR-2,N-1,3.1"),
                        ("RANGE?", "CO2,2000,umol/mol"),
                        ("READ?", "CO2,412.3,umol/mol,OK"),
                        ("READ?", "CO2,-3,umol/mol,OK")])
    identity = ndir.identify()
    assert (identity.maker, identity.model, identity.serial) == ("LABCTL-SIM", "NDIR-2", "N-1")
    reading = ndir.measure("concentration")
    assert reading.value.m_as("umol/mol") == pytest.approx(412.3)
    assert reading.raw == "CO2,412.3,umol/mol,OK" and reading.flags == frozenset()
    assert ndir.measure().value.m_as("umol/mol") == pytest.approx(-3.0)
    t.assert_done()
    assert ndir.data_plate() == {"component": "CO2", "range": "2000 umol/mol",
                                 "resolution": "1 umol/mol", "sampling": "pumped",
                                 "accuracy_class": "2"}


def test_an_analyzer_in_percent_vol() -> None:
    ndir, t = analyzer([("RANGE?", "CO2,20,%vol"), ("READ?", "CO2,4.12,%vol,OK")],
                       range="20 %vol", resolution="0.01 %vol")
    ndir.check_range()
    assert ndir.measure().value.m_as("umol/mol") == pytest.approx(41200)
    t.assert_done()
    assert ndir.data_plate()["range"] == "20 %vol"


@pytest.mark.parametrize(("reply", "message"), [
    ("CO,412.3,umol/mol,OK", "answered for CO, its data plate says CO2"),
    ("CO2,0.04,%vol,OK", "answered in %vol, not umol/mol"),
    ("CO2,412.3,ppm,OK", "answered in ppm, not umol/mol"),
    ("CO2,2201,umol/mol,OK", r"2201 umol/mol is outside the range 0 \.\. 2000 umol/mol plus "
                             r"its margin \(-200 \.\. 2200\)"),
    ("CO2,-250,umol/mol,OK", "outside the range"),
    ("CO2,412.3,umol/mol,WARMUP", "is warming up"),
    ("CO2,2250,umol/mol,OVER", "is over its range"),
    ("CO2,0,umol/mol,FAULT", "reports a fault"),
    ("CO2,412.3,umol/mol", "cannot read component, value, unit and status"),
    ("CO2,412.3,umol/mol,OK,1", "cannot read component, value, unit and status"),
    ("CO2,41x.3,umol/mol,OK", "cannot read component, value, unit and status"),
    ("CO2, 412.3,umol/mol,OK", "cannot read component, value, unit and status"),
    ("CO2,nan,umol/mol,OK", "cannot read component, value, unit and status"),
    ("CO2,412.3,umol/mol,ok", "cannot read component, value, unit and status"),
    ("", "cannot read component, value, unit and status"),
    ("ERR,20,BUSY", "the analyzer refused the command"),
])
def test_a_reply_that_fails_a_check_is_an_instrument_error(reply: str, message: str) -> None:
    ndir, t = analyzer([("READ?", reply)])
    with pytest.raises(InstrumentError, match=message) as caught:
        ndir.measure()
    err = caught.value
    assert err.instrument == "analyzer" and err.command == "READ?" and err.reply == reply
    t.assert_done()


def test_the_margin_is_an_option() -> None:
    ndir, _ = analyzer([("READ?", "CO2,2201,umol/mol,OK")], margin=0.2)
    assert ndir.measure().value.m_as("umol/mol") == pytest.approx(2201)


@pytest.mark.parametrize(("reply", "message"), [
    ("CO2,5000,umol/mol", r"set to CO2, 0 \.\. 5000 umol/mol, its data plate says CO2, "
                          r"0 \.\. 2000 umol/mol"),
    ("CO,2000,umol/mol", "set to CO, 0 .. 2000 umol/mol"),
    ("CO2,0.2,%vol", r"set to CO2, 0 \.\. 0.2 %vol"),
    ("2000", "cannot read component, full scale and unit"),
    ("ERR,10,UNKNOWN COMMAND", "the analyzer refused the command"),
])
def test_identify_refuses_an_analyzer_other_than_its_data_plate(reply: str, message: str
                                                                ) -> None:
    ndir, _ = analyzer([("*IDN?", "LABCTL-SIM,NDIR-2,N-1,3.1"), ("RANGE?", reply)])
    with pytest.raises(InstrumentError, match=message) as caught:
        ndir.identify()
    assert caught.value.command == "RANGE?"


@pytest.mark.parametrize(("options", "message"), [
    ({"component": "CH4"}, "an NDIR CO/CO2 analyzer measures CO or CO2"),
    ({"component": None}, "component '\\(none\\)'"),
    ({"range": "100 %LEL"}, "range"),
    ({"range": "2000"}, "range"),
    ({"range": "5 %"}, "give it in umol/mol or %vol"),
    ({"accuracy_class": None}, "the analyzer's accuracy class is not given"),
    ({"accuracy_class": "two"}, "accuracy_class 'two'"),
    ({"accuracy_class": 0}, "a positive number"),
    ({"sampling": "sniffed"}, "diffusion or pumped"),
    ({"margin": 3}, "a fraction of the range"),
    ({"channel": 2}, "unknown option channel"),
])
def test_a_bad_data_plate_is_refused_before_anything_is_sent(options: dict,
                                                             message: str) -> None:
    t = Transcript([], instrument="analyzer")
    with pytest.raises(ConfigError, match=message):
        NdirAnalyzer(t, name="analyzer", **{**PLATE, **options})
    assert t.sent == []


def test_one_of_the_benchs_cylinders_must_hold_the_analyzers_component() -> None:
    cylinders = [{"id": "CYL-CO2-2000", "component": "CO2"}]
    analyzer([], cylinders=cylinders)
    analyzer([], component="CO", cylinders=[*cylinders, {"id": "CYL-CO-1", "component": "co"}])
    with pytest.raises(ConfigError, match=r"the analyzer measures CO but no cylinder of the "
                                          r"bench holds it: CYL-CO2-2000 \(CO2\)"):
        analyzer([], component="CO", cylinders=cylinders)


def test_a_class_written_as_a_decimal_is_the_same_class() -> None:
    ndir, _ = analyzer([], accuracy_class="2.0")
    assert ndir.data_plate()["accuracy_class"] == "2"
