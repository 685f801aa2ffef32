"""Register-map drivers (``labctl.drivers.modbus``) against the register-map slave
simulators (``labctl.sim.modbus_slave``): readings, identity, exception replies naming
the instrument and the register, bad CRC, truncated and missing replies, writes, and
the slave's own answers to what a master may send."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labctl.clock import VirtualClock
from labctl.drivers.gas.modbus_detector import ModbusGasDetector
from labctl.drivers.particulate.modbus_monitor import ModbusFumeMonitor, ModbusPmMonitor
from labctl.errors import ConfigError, InstrumentError, InstrumentTimeout, LabctlError
from labctl.protocols import modbus
from labctl.protocols.registers import register_map
from labctl.sim.faults import FaultyDevice
from labctl.sim.modbus_slave import RegisterSlave
from labctl.sim.registry import simulator_factory
from labctl.sim.world import World
from labctl.transport.base import TransportOptions
from labctl.transport.sim import SimTransport


def world() -> World:
    w = World(VirtualClock(), 7)
    simulator_factory("aerosol-generator")(w, {})
    return w


def line(device, timeout: float = 1.0) -> SimTransport:
    return SimTransport(device, TransportOptions(instrument="monitor", timeout=timeout))


def test_a_pm_monitor_reads_its_registers_through_the_shipped_map() -> None:
    w = world()
    sim = simulator_factory("modbus-pm-monitor")(w, {"gain": 1.0, "noise": "0 ug/m^3",
                                                      "serial": 123})
    dut = ModbusPmMonitor(line(sim), name="monitor")
    ident = dut.identify()
    assert (ident.serial, ident.firmware) == ("123", "1.07")
    assert dut.measurements == ("pm25", "pm10", "temperature", "humidity", "pressure", "flow")
    reading = dut.measure("pm25")
    assert reading.value.units == dut.measure("pm10").value.units
    assert reading.value.magnitude == pytest.approx(sim.model.true_indication("pm25"), abs=0.06)
    assert f"{dut.measure('temperature').value:~P}" == "23.0 °C"
    # one 04 request of two registers for a float32, answered by the slave
    pm25 = [r for r in sim.requests if r.address == 0]
    assert pm25 and pm25[0] == modbus.ReadRequest(1, 4, 0, 2)


def test_the_int16_map_and_a_fume_monitor() -> None:
    w = world()
    sim = simulator_factory("modbus-pm-monitor")(w, {"register_map": "labctl-pm-int16"})
    dut = ModbusPmMonitor(line(sim), name="monitor", register_map="labctl-pm-int16")
    assert dut.identify().serial == "24010117"          # uint32 CDAB
    assert "pressure" not in dut.measurements
    with pytest.raises(InstrumentError, match="has no register 'pressure'"):
        dut.measure("pressure")
    simulator_factory("fume-generator")(w, {})
    fume = ModbusFumeMonitor(line(simulator_factory("modbus-fume-monitor")(w, {})),
                             name="fume")
    assert f"{fume.measure().value.units:~}" == "mg / m ** 3"
    assert f"{fume.measure('velocity').value.units:~}" == "m / s"
    assert fume.identify().serial == "24020031"


def test_a_gas_detector_raises_its_alarm_flag() -> None:
    w = world()
    simulator_factory("gas-dilution-calibrator")(w, {})
    sim = simulator_factory("modbus-gas-detector")(w, {"offset": "80 umol/mol",
                                                        "alarm": "50 umol/mol"})
    dut = ModbusGasDetector(line(sim), name="co", range="1000 umol/mol")
    reading = dut.measure()
    assert reading.value.magnitude == pytest.approx(80.0, abs=0.2)
    assert f"{reading.value.units:~}" == "µmol / mol"
    assert reading.flags == frozenset({"alarm"})
    assert dut.data_plate()["range"] == "1000 umol/mol"
    with pytest.raises(ConfigError, match="range"):
        ModbusGasDetector(line(sim), name="co")


def custom_map(tmp_path: Path, text: str) -> str:
    path = tmp_path / "map.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_an_exception_reply_names_the_instrument_and_the_register(tmp_path: Path) -> None:
    w = world()
    sim = simulator_factory("modbus-pm-monitor")(w, {})
    path = custom_map(tmp_path, "registers:\n  pm25: {address: 64, type: float32, "
                                "unit: ug/m^3, table: input}\n")
    dut = ModbusPmMonitor(line(sim), name="monitor", register_map=path)
    with pytest.raises(InstrumentError) as info:
        dut.measure("pm25")
    text = str(info.value)
    assert "instrument 'monitor'" in text
    assert "read register 'pm25' (input 64, float32, function 04)" in text
    assert "ILLEGAL_DATA_ADDRESS" in text and "does not match the instrument" in text


def test_bad_crc_truncated_and_missing_replies() -> None:
    w = world()
    sim = simulator_factory("modbus-pm-monitor")(w, {})
    garbled = FaultyDevice(sim, [{"kind": "bad_checksum", "count": 1}], rng=1)
    dut = ModbusPmMonitor(line(garbled), name="monitor")
    with pytest.raises(InstrumentError, match="bad Modbus reply: bad CRC") as info:
        dut.measure("pm25")
    assert not isinstance(info.value, InstrumentTimeout)
    assert dut.measure("pm25").value is not None         # the next exchange is clean
    cut = FaultyDevice(simulator_factory("modbus-pm-monitor")(w, {}),
                       [{"kind": "truncate", "bytes": 2, "count": 1}])
    dut = ModbusPmMonitor(line(cut), name="monitor")
    with pytest.raises(InstrumentTimeout, match=r"a truncated Modbus reply \(7 byte\(s\)"):
        dut.measure("pm25")
    assert dut.measure("pm25").value is not None
    other = ModbusPmMonitor(line(sim), name="monitor", unit=2)
    with pytest.raises(InstrumentTimeout, match="no Modbus reply from unit 2 within 1 s"):
        other.measure("pm25")


def test_writes_go_to_writable_registers_only(tmp_path: Path) -> None:
    regs = register_map({"registers": {
        "pm25": {"address": 0, "type": "float32", "unit": "ug/m^3", "table": "input"},
        "averaging": {"address": 10, "type": "uint16", "unit": "s", "writable": True},
        "span": {"address": 11, "type": "float32", "writable": True},
        "serial_number": {"address": 20, "type": "uint32"}}})
    slave = RegisterSlave(VirtualClock(), regs, unit=3, values={"pm25": lambda: 35.2,
                                                                "serial_number": lambda: 9})
    path = custom_map(tmp_path, """registers:
  pm25: {address: 0, type: float32, unit: ug/m^3, table: input}
  averaging: {address: 10, type: uint16, unit: s, writable: true}
  span: {address: 11, type: float32, writable: true}
  serial_number: {address: 20, type: uint32}
""")
    dut = ModbusPmMonitor(line(slave), name="monitor", register_map=path, unit=3)
    assert dut.measure().value.magnitude == pytest.approx(35.2)
    dut.write_register("averaging", "2 min")              # 06
    dut.write_register("span", 1.025)                     # 16, two words
    assert slave.written == {"averaging": 120.0, "span": pytest.approx(1.025)}
    assert dut.read_register("averaging").magnitude == 120
    with pytest.raises(InstrumentError, match="read-only"):
        dut.write_register("serial_number", 5)            # refused before sending
    # what the slave answers to other masters' requests
    slave.write(modbus.write_single_request(3, 20, 1))    # not writable
    with pytest.raises(modbus.ModbusExceptionReply, match="ILLEGAL_DATA_ADDRESS"):
        modbus.parse_reply(slave.read())
    slave.write(modbus.read_request(3, 4, 1, 1))          # half of a float32
    with pytest.raises(modbus.ModbusExceptionReply, match="ILLEGAL_DATA_ADDRESS"):
        modbus.parse_reply(slave.read())
    slave.write(modbus.with_crc(bytes((3, 3, 0, 10, 0, 0))))   # count 0
    with pytest.raises(modbus.ModbusExceptionReply, match="ILLEGAL_DATA_VALUE"):
        modbus.parse_reply(slave.read())
    slave.write(modbus.write_single_request(0, 10, 30))   # broadcast: done, no reply
    assert slave.read() == b"" and slave.written["averaging"] == 30.0
    slave.write(modbus.read_request(4, 4, 0, 2))          # another unit: silence
    assert slave.read() == b""


def test_a_simulator_refuses_a_map_with_a_register_it_cannot_fill(tmp_path: Path) -> None:
    path = custom_map(tmp_path, "registers:\n  pm25: {address: 0, type: float32, "
                                "table: input}\n  ozone: {address: 2}\n")
    with pytest.raises(ConfigError, match=r"map\.yaml:3:\d+: register 'ozone': the "
                                          r"modbus-pm-monitor simulator has no such"):
        simulator_factory("modbus-pm-monitor")(world(), {"register_map": path})


def test_a_map_without_the_main_register_or_with_a_wrong_unit(tmp_path: Path) -> None:
    sim = simulator_factory("modbus-pm-monitor")(world(), {})
    with pytest.raises(ConfigError, match="has no register 'pm25'"):
        ModbusPmMonitor(line(sim), name="m", register_map=custom_map(
            tmp_path, "registers:\n  pm10: {address: 0, unit: ug/m^3}\n"))
    with pytest.raises(ConfigError, match="register 'pm25' is in m/s, not a unit of pm25"):
        ModbusPmMonitor(line(sim), name="m", register_map=custom_map(
            tmp_path, "registers:\n  pm25: {address: 0, unit: m/s}\n"))
    with pytest.raises(ConfigError, match="unit .* must be 1-247"):
        ModbusPmMonitor(line(sim), name="m", unit=0)
    with pytest.raises(ConfigError, match=r"register map .*map\.yaml:2:\d+: registers\.pm25"
                                          r"\.type"):
        ModbusPmMonitor(line(sim), name="m", register_map=custom_map(
            tmp_path, "registers:\n  pm25: {address: 0, type: int64}\n"))


class _Replay:
    """A line whose device answers every request with the same bytes."""

    def __init__(self, reply: bytes) -> None:
        from labctl.protocols import framing
        from labctl.sim.frame_device import FrameDevice

        class Echo(FrameDevice):
            frame_parser = framing.modbus_rtu("request")

            def handle_frame(self, frame: bytes) -> list:
                return [reply] if reply else []

        self.device = Echo(VirtualClock())


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.binary(max_size=24), st.booleans())
def test_a_driver_fed_arbitrary_replies_raises_only_instrument_errors(reply, fix_crc) -> None:
    data = modbus.with_crc(reply) if fix_crc and reply else reply
    dut = ModbusPmMonitor(line(_Replay(data).device, timeout=0.5), name="monitor")
    try:
        value = dut.measure("pm25").value
    except InstrumentError:
        return
    assert value is not None


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(st.integers(0, 0xFFFF), max_size=20), st.integers(0, 20))
def test_decoding_arbitrary_words_raises_only_labctl_errors(words, address) -> None:
    from labctl.protocols.register_maps import find_register_map

    regs = find_register_map("labctl-pm-100m", "particulate/modbus").registers
    try:
        values = regs.decode_block(modbus.READ_INPUT, address, words)
    except LabctlError:
        return
    assert all(v.magnitude == v.magnitude or regs[k].type == "float32"
               for k, v in values.items())


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(st.binary(max_size=12), max_size=6), st.booleans())
def test_a_slave_fed_arbitrary_bytes_answers_only_whole_frames(chunks, with_crc) -> None:
    w = world()
    sim = simulator_factory("modbus-pm-monitor")(w, {})
    for chunk in chunks:
        sim.write(modbus.with_crc(chunk) if with_crc and len(chunk) >= 2 else chunk)
    out = sim.read()
    from labctl.protocols import framing

    frames, rest = framing.split(out, framing.modbus_rtu("reply"))
    assert rest == b""
    for frame in frames:
        try:
            modbus.parse_reply(frame)
        except modbus.ModbusExceptionReply as exc:
            assert exc.code in (1, 2, 3)
