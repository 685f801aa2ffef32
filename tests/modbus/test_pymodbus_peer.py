"""pymodbus as the independent peer of labctl's Modbus instruments:

- labctl's driver (``modbus-pm-monitor``) reads a slave built from pymodbus's own RTU
  framer, PDU classes and register conversions (in process: pymodbus decodes each
  request frame, answers from registers it encoded itself, and builds the reply frame);
- pymodbus's framer as a master against labctl's simulator, in process;
- over TCP (real time): ``labctl sim serve benches/sim-pm25-modbus.yaml`` and a pymodbus
  ``ModbusTcpClient`` speaking RTU frames, and labctl's driver on ``socket://``.

Written against the pymodbus 3.x API of the versions pinned in pyproject.toml."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pymodbus.client.mixin import ModbusClientMixin
from pymodbus.framer import FramerRTU
from pymodbus.pdu import DecodePDU, ExceptionResponse
from pymodbus.pdu.register_message import (
    ReadHoldingRegistersRequest,
    ReadHoldingRegistersResponse,
    ReadInputRegistersRequest,
    ReadInputRegistersResponse,
    WriteSingleRegisterRequest,
    WriteSingleRegisterResponse,
)

from labctl.clock import VirtualClock
from labctl.drivers.particulate.modbus_monitor import ModbusPmMonitor
from labctl.errors import InstrumentError
from labctl.protocols import framing
from labctl.sim.device import Reply
from labctl.sim.frame_device import FrameDevice
from labctl.sim.registry import simulator_factory
from labctl.sim.world import World
from labctl.transport.base import TransportOptions
from labctl.transport.sim import SimTransport

ROOT = Path(__file__).resolve().parents[2]
DT = ModbusClientMixin.DATATYPE


def words(value: float | int, datatype, order: str = "big") -> list[int]:
    return list(ModbusClientMixin.convert_to_registers(value, datatype, word_order=order))


class PymodbusSlave(FrameDevice):
    """A Modbus RTU slave made of pymodbus parts: its framer decodes the request, the
    registers hold what pymodbus's conversions made, its PDU classes and framer build
    the reply. Addresses it does not hold get pymodbus's exception 02."""

    name = "pymodbus-slave"
    frame_parser = framing.modbus_rtu("request")

    def __init__(self, unit: int, inputs: dict[int, int], holding: dict[int, int]) -> None:
        self.unit = unit
        self.tables = {3: holding, 4: inputs, 6: holding}
        super().__init__(VirtualClock())

    def handle_frame(self, frame: bytes) -> list[bytes | Reply]:
        used, pdu = FramerRTU(DecodePDU(is_server=True)).handleFrame(frame, 0, 0)
        if pdu is None or pdu.dev_id != self.unit:
            return []
        table = self.tables[pdu.function_code]
        reply: object
        if isinstance(pdu, ReadHoldingRegistersRequest | ReadInputRegistersRequest):
            wanted = range(pdu.address, pdu.address + pdu.count)
            if any(a not in table for a in wanted):
                reply = ExceptionResponse(pdu.function_code, 2, device_id=self.unit)
            else:
                cls = (ReadHoldingRegistersResponse if pdu.function_code == 3
                       else ReadInputRegistersResponse)
                reply = cls(registers=[table[a] for a in wanted], dev_id=self.unit)
        elif isinstance(pdu, WriteSingleRegisterRequest):
            table[pdu.address] = pdu.registers[0]
            reply = WriteSingleRegisterResponse(address=pdu.address, registers=pdu.registers,
                                                dev_id=self.unit)
        else:
            reply = ExceptionResponse(pdu.function_code, 1, device_id=self.unit)
        return [FramerRTU(DecodePDU(is_server=True)).buildFrame(reply)]


def pm_slave() -> PymodbusSlave:
    """The layout of labctl-pm-100m, the values encoded by pymodbus."""
    inputs: dict[int, int] = {}
    for address, value in ((0, 35.2), (2, 61.5)):          # float32 CDAB
        inputs.update(zip(range(address, address + 2), words(value, DT.FLOAT32, "little"),
                          strict=True))
    inputs[16] = words(-35, DT.INT16)[0]                   # -3.5 degC (scale 0.1)
    inputs[17] = words(455, DT.UINT16)[0]                  # 45.5 %
    inputs[18] = words(10130, DT.UINT16)[0]                # 101.30 kPa
    inputs[19] = words(1667, DT.UINT16)[0]                 # 16.67 L/min
    holding = dict(zip((256, 257), words(24010117, DT.UINT32), strict=True))
    holding[258] = 107
    return PymodbusSlave(17, inputs, holding)


def test_labctl_driver_reads_a_pymodbus_slave() -> None:
    slave = pm_slave()
    dut = ModbusPmMonitor(SimTransport(slave, TransportOptions(instrument="monitor")),
                          name="monitor", unit=17)
    ident = dut.identify()
    assert (ident.serial, ident.firmware) == ("24010117", "1.07")
    got = {name: dut.measure(name).value for name in dut.measurements}
    assert got["pm25"].magnitude == pytest.approx(35.2, abs=1e-6)
    assert got["pm10"].magnitude == pytest.approx(61.5)
    assert got["temperature"].magnitude == pytest.approx(-3.5)
    assert got["humidity"].magnitude == pytest.approx(45.5)
    assert got["pressure"].magnitude == pytest.approx(101.3)
    assert got["flow"].magnitude == pytest.approx(16.67)


def test_a_pymodbus_exception_reply_names_the_register(tmp_path: Path) -> None:
    slave = pm_slave()
    del slave.tables[4][18]                                # no pressure register
    dut = ModbusPmMonitor(SimTransport(slave, TransportOptions(instrument="monitor")),
                          name="monitor", unit=17)
    with pytest.raises(InstrumentError, match=r"read register 'pressure' \(input 18, uint16, "
                                              r"function 04\).*ILLEGAL_DATA_ADDRESS"):
        dut.measure("pressure")


def test_labctl_driver_writes_to_a_pymodbus_slave(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text("registers:\n  pm25: {address: 0, type: uint16, scale: 0.1, "
                    "unit: ug/m^3}\n  averaging: {address: 5, unit: s, writable: true}\n")
    slave = PymodbusSlave(1, {}, {0: 352, 5: 60})
    dut = ModbusPmMonitor(SimTransport(slave, TransportOptions(instrument="m")), name="m",
                          register_map=str(path))
    assert dut.measure().value.magnitude == pytest.approx(35.2)
    dut.write_register("averaging", "5 min")
    assert slave.tables[3][5] == 300


def pymodbus_master(device, pdu) -> object:
    """One exchange with ``device``, pymodbus's framer building the request and
    decoding the reply."""
    device.write(FramerRTU(DecodePDU(is_server=False)).buildFrame(pdu))
    raw = device.read()
    used, reply = FramerRTU(DecodePDU(is_server=False)).handleFrame(raw, 0, 0)
    assert used == len(raw) and reply is not None, raw.hex(" ")
    return reply


def test_pymodbus_master_reads_labctls_simulator() -> None:
    world = World(VirtualClock(), 3)
    simulator_factory("aerosol-generator")(world, {})
    sim = simulator_factory("modbus-pm-monitor")(
        world, {"unit": 9, "serial": 31337, "noise": "0 ug/m^3", "offset": "12.5 ug/m^3"})
    reply = pymodbus_master(sim, ReadInputRegistersRequest(address=0, count=4, dev_id=9))
    assert isinstance(reply, ReadInputRegistersResponse)
    pm25 = ModbusClientMixin.convert_from_registers(reply.registers[:2], DT.FLOAT32,
                                                    word_order="little")
    assert pm25 == pytest.approx(round(sim.model.true_indication("pm25"), 1), abs=1e-5)
    serial = pymodbus_master(sim, ReadHoldingRegistersRequest(address=256, count=2, dev_id=9))
    assert ModbusClientMixin.convert_from_registers(serial.registers, DT.UINT32) == 31337
    temp = pymodbus_master(sim, ReadInputRegistersRequest(address=16, count=1, dev_id=9))
    assert ModbusClientMixin.convert_from_registers(temp.registers, DT.INT16) == 230
    refused = pymodbus_master(sim, ReadInputRegistersRequest(address=1, count=2, dev_id=9))
    assert isinstance(refused, ExceptionResponse) and refused.exception_code == 2
    write = pymodbus_master(sim, WriteSingleRegisterRequest(address=258, registers=[1],
                                                            dev_id=9))
    assert isinstance(write, ExceptionResponse) and write.exception_code == 2


@pytest.mark.realtime
def test_pymodbus_tcp_client_and_labctl_driver_on_the_served_modbus_bench(
        tmp_path: Path) -> None:
    from pymodbus import FramerType
    from pymodbus.client import ModbusTcpClient
    from simserve_for_tests import serve, served_addresses, stop

    shutil.copy(ROOT / "benches" / "register.yaml", tmp_path / "register.yaml")
    bench = tmp_path / "sim-pm25-modbus.yaml"
    shutil.copy(ROOT / "benches" / "sim-pm25-modbus.yaml", bench)
    proc = serve(bench, cwd=tmp_path)
    try:
        url = served_addresses(proc, 5, timeout=15)["monitor"][1]
        host, port = url.removeprefix("socket://").rsplit(":", 1)
        client = ModbusTcpClient(host, port=int(port), framer=FramerType.RTU, timeout=3)
        assert client.connect()
        try:
            serial = client.read_holding_registers(256, count=2, device_id=1)
            assert client.convert_from_registers(serial.registers, DT.UINT32) == 24010117
            pm = client.read_input_registers(0, count=4, device_id=1)
            assert not pm.isError() and len(pm.registers) == 4
            bad = client.read_input_registers(40, count=1, device_id=1)
            assert bad.isError() and bad.exception_code == 2
        finally:
            client.close()
        from labctl.transport import open_transport

        transport = open_transport(url, TransportOptions(instrument="monitor", timeout=3))
        with ModbusPmMonitor(transport, name="monitor") as dut:
            assert dut.identify().serial == "24010117"
            assert dut.measure("flow").value.magnitude == pytest.approx(16.8, abs=0.2)
    finally:
        stop(proc)
