"""The driver base: typed descriptors, errors that name things, options, capabilities."""

from __future__ import annotations

import math

import pytest

from labctl.drivers.base import Instrument, NullTransport, measurement, quantity_maker, setting
from labctl.drivers.capabilities import Identity
from labctl.errors import ConfigError, InstrumentError, InstrumentTimeout, TransportError, UnitError
from labctl.units import Q_, parse_unit

from .transcript import TIMEOUT, Transcript, TranscriptMismatch


class Generator(Instrument):
    """A SCPI-ish aerosol generator, as in the design document."""

    maker = "ACME"
    concentration = setting("SOUR:CONC", "SOUR:CONC?", unit="ug/m^3", limits=(0, 1000))
    flow = measurement("MEAS:FLOW?", unit="L/min")
    mode = setting("MODE {}", "MODE?", parser=str.strip, formatter=str)
    label = measurement("LAB?", parser=str)
    level = setting("LEV", limits=("0 %", "80 %"), unit="percent")
    error_replies = {"ERR": "the generator refused the command"}

    def identify(self) -> Identity:
        maker, model, serial, firmware = self.query("*IDN?").split(",")
        return Identity(maker, model, serial, firmware)


def gen(steps) -> tuple[Generator, Transcript]:
    t = Transcript(steps, instrument=None)
    return Generator(t, name="gen"), t


def test_measurement_returns_a_quantity_in_its_unit():
    g, t = gen([("MEAS:FLOW?", "1.25")])
    flow = g.flow
    assert flow == Q_(1.25, "L/min") and flow.units == parse_unit("L/min")
    assert flow.to("mL/s").magnitude == pytest.approx(1.25 * 1000 / 60)
    t.assert_done()


def test_measurement_without_unit_gives_the_parsed_value():
    g, _ = gen([("LAB?", "batch 7")])
    assert g.label == "batch 7"


def test_measurement_is_read_only():
    g, _ = gen([])
    with pytest.raises(AttributeError, match="cannot be set"):
        g.flow = 3


def test_garbage_reply_names_instrument_command_and_reply():
    g, _ = gen([("MEAS:FLOW?", "#!?")])
    with pytest.raises(InstrumentError) as err:
        _ = g.flow
    assert (err.value.instrument, err.value.command, err.value.reply) == \
        ("gen", "MEAS:FLOW?", "#!?")


def test_timeout_stays_a_timeout_and_names_the_command():
    g, _ = gen([("MEAS:FLOW?", TIMEOUT)])
    with pytest.raises(InstrumentTimeout) as err:
        _ = g.flow
    assert err.value.instrument == "gen" and err.value.command == "MEAS:FLOW?"


def test_setting_sends_the_value_in_its_unit():
    g, t = gen([("SOUR:CONC 35", None), ("SOUR:CONC 350", None), ("SOUR:CONC 12.5", None),
                ("SOUR:CONC?", "35.0")])
    g.concentration = 35
    g.concentration = Q_(0.35, "mg/m^3")
    g.concentration = "12.5 ug/m^3"
    assert g.concentration == Q_(35, "ug/m^3")
    t.assert_done()


def test_setting_with_placeholder_and_no_unit():
    g, t = gen([("MODE AUTO", None), ("MODE?", " AUTO ")])
    g.mode = "AUTO"
    assert g.mode == "AUTO"
    t.assert_done()


@pytest.mark.parametrize("value", [1000.5, -1, Q_(2, "mg/m^3"), math.nan])
def test_limits_are_checked_before_anything_is_sent(value):
    g, t = gen([])  # any command would fail the transcript
    with pytest.raises(ConfigError) as err:
        g.concentration = value
    text = str(err.value)
    assert "'gen'" in text and "'concentration'" in text and "[0, 1000]" in text
    assert "nothing was sent" in text
    assert t.sent == []


def test_limits_given_as_quantities():
    g, t = gen([("LEV 50", None)])
    g.level = 50
    with pytest.raises(ConfigError, match="80"):
        g.level = 0.9 * 100
    t.assert_done()


def test_a_value_of_the_wrong_dimension_is_refused():
    g, t = gen([])
    with pytest.raises(UnitError):
        g.concentration = Q_(3, "kg")
    with pytest.raises(UnitError):
        g.concentration = "3 L/min"
    assert t.sent == []


def test_write_only_setting_cannot_be_read():
    g, _ = gen([])
    with pytest.raises(AttributeError, match="set but not read"):
        _ = g.level


def test_error_replies_raise_with_everything_named():
    g, _ = gen([("*IDN?", "ERR 12")])
    with pytest.raises(InstrumentError, match="refused") as err:
        g.identify()
    assert (err.value.command, err.value.reply) == ("*IDN?", "ERR 12")


def test_unknown_option_is_refused():
    with pytest.raises(ConfigError, match="unknown option colour") as err:
        Generator(Transcript([]), name="gen", colour="red")
    assert "'gen'" in str(err.value)


def test_transport_options_are_left_to_the_transport():
    g = Generator(Transcript([]), name="gen", timeout=5, read_termination="\n")
    assert g.options["timeout"] == 5


def test_a_driver_that_needs_a_connection_gets_one():
    with pytest.raises(ConfigError, match="needs a connection"):
        Generator(None, name="gen")


def test_null_transport_refuses_io():
    t = NullTransport("op")
    with pytest.raises(TransportError, match="no connection"):
        t.write("X")
    with pytest.raises(TransportError):
        t.read()
    t.close()
    assert t.closed


def test_timeout_context_sets_and_restores():
    g, t = gen([("MEAS:FLOW?", "1")])
    with g.timeout(9.0):
        _ = g.flow
    assert t.timeouts_seen == [9.0] and t.options.timeout == 2.0
    with pytest.raises(ConfigError), g.timeout(-1):
        pass


def test_close_closes_the_transport():
    g, t = gen([])
    with g:
        pass
    assert t.closed


def test_capabilities_are_names_and_are_checked():
    with pytest.raises(TypeError, match="unknown capability"):
        type("Bad", (Instrument,), {"capabilities": ("teleporter",),
                                    "identify": lambda self: None})
    with pytest.raises(TypeError, match="lacks"):
        type("Half", (Instrument,), {"capabilities": ("scale",),
                                     "identify": lambda self: None})


def test_capability_protocols_are_turned_into_names():
    from labctl.drivers.capabilities import Environment, EnvironmentReading

    cls = type("Env", (Instrument,), {"capabilities": (Environment,),
                                      "identify": lambda self: None,
                                      "read_environment": lambda self: EnvironmentReading()})
    assert cls.capabilities == ("environment",)


@pytest.mark.parametrize("unit", ["kg", "L/min", "ug/m^3", "degC", "percent", "umol/mol"])
def test_quantity_maker_builds_what_pint_builds(unit):
    make = quantity_maker(unit)
    fast, slow = make(21.5), Q_(21.5, unit)
    assert type(fast) is type(slow) and vars(fast) == vars(slow)
    assert fast == slow
    assert fast.to_base_units().magnitude == pytest.approx(slow.to_base_units().magnitude)
    assert f"{fast:~P}" == f"{slow:~P}"


def test_quantity_maker_without_unit():
    assert quantity_maker(None)(3.5) == 3.5


def test_transcript_itself_fails_on_extra_commands():
    g, _ = gen([])
    with pytest.raises(TranscriptMismatch, match="after the transcript ended"):
        _ = g.flow


def test_an_abstract_intermediate_class_is_checked_in_its_subclasses():
    import abc

    class ScaleBase(Instrument):
        capabilities = ("scale",)

        @abc.abstractmethod
        def read_stable(self, timeout=None): ...

    with pytest.raises(TypeError, match="lacks read_immediate"):
        type("Still", (ScaleBase,), {"identify": lambda self: None,
                                     "read_stable": lambda self, timeout=None: None})


def test_the_driver_clears_the_line_before_its_first_command():
    from simdevices_for_tests import Meter

    from labctl.clock import VirtualClock
    from labctl.transport.sim import SimTransport

    clock = VirtualClock()
    # a reply a previous program left unread waits on the line
    device = Meter(clock, power_on_lines=("LABCTL,OTHER,9,0.1",))
    g = Generator(SimTransport(device, clock=clock), name="gen")
    assert g.identify() == Identity("LABCTL", "METER", "1234", "1.0")
    device.write(b"ECHO late\r\n")  # cleared once only: later lines are the driver's
    assert g.read() == "late"


def test_bytes_and_frames_through_the_driver():
    from framedevices_for_tests import ModbusSlave

    from labctl.clock import VirtualClock
    from labctl.protocols import framing, modbus
    from labctl.transport.sim import SimTransport

    clock = VirtualClock()
    g = Generator(SimTransport(ModbusSlave(clock), clock=clock), name="gen")
    g.write_bytes(modbus.read_request(1, modbus.READ_HOLDING, 0, 2), command="read 0-1")
    assert modbus.parse_reply(g.read_frame(framing.modbus_rtu())).registers == (0, 1)
    g.write_bytes(modbus.read_request(5, modbus.READ_HOLDING, 0, 2), command="read unit 5")
    with pytest.raises(InstrumentTimeout) as err:
        g.read_frame(framing.modbus_rtu(), timeout=0.2, command="read unit 5")
    assert err.value.instrument == "gen" and err.value.command == "read unit 5"
    assert clock.now() == pytest.approx(0.2)
