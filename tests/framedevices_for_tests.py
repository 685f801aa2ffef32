"""Two small frame-based test devices (``FrameDevice``), shared by the transport and
simulator tests: an HJ 212 data logger and a Modbus RTU slave. Import as
``from framedevices_for_tests import Hj212Logger, ModbusSlave`` (``tests/`` is on
``sys.path``)."""

from __future__ import annotations

from datetime import datetime

from labctl.clock import Clock
from labctl.protocols import framing, hj212, modbus
from labctl.sim.device import Reply
from labctl.sim.frame_device import FrameDevice


class Hj212Logger(FrameDevice):
    """Answers a platform request (CN 2011) with 9011, the real-time PM2.5 value (one
    more each time, from 35.0) and 9012; a request it cannot decode gets no reply."""

    name = "hj212-logger"
    frame_parser = framing.HJ212
    frame_start = b"##"
    binary = False

    def __init__(self, clock: Clock) -> None:
        self.value = 35.0
        super().__init__(clock)

    def checked_span(self, frame: bytes) -> tuple[int, int]:
        return 6, len(frame) - 6  # the data segment: a changed byte there fails the CRC

    def handle_frame(self, frame: bytes) -> list[bytes | Reply]:
        try:
            request = hj212.decode(frame)
        except hj212.Hj212Error:
            return []
        cp = hj212.Cp(data_time=datetime(2026, 3, 15, 10, 15),
                      pollutants={"a34004": {"Rtd": f"{self.value:.1f}", "Flag": "N"}})
        self.value += 1.0
        return [hj212.encode(f) for f in hj212.replies(request, cp)]


def hj212_request(qn: str = "20260315101500123") -> bytes:
    """A platform's CN 2011 request (real-time data), asking for an answer."""
    return hj212.encode(hj212.Frame(st="22", cn=hj212.CN_REALTIME_DATA, pw="123456",
                                    mn="LABCTL0001", qn=qn, flag=hj212.Flag(ack=True),
                                    cp=hj212.Cp()))


class ModbusSlave(FrameDevice):
    """Unit 1 with 16 holding registers (0, 1, 2, ...): reads 03/04 and writes 06/16; an
    address out of range gets the ILLEGAL_DATA_ADDRESS exception."""

    name = "modbus-slave"
    frame_parser = framing.modbus_rtu("request")

    def __init__(self, clock: Clock, unit: int = 1) -> None:
        self.unit = unit
        self.registers = list(range(16))
        super().__init__(clock)

    def handle_frame(self, frame: bytes) -> list[bytes | Reply]:
        try:
            request = modbus.parse_request(frame)
        except modbus.ModbusError:
            return []  # a slave ignores a frame with a bad CRC
        if request.unit != self.unit:
            return []
        regs = self.registers
        if isinstance(request, modbus.ReadRequest):
            if request.address + request.count > len(regs):
                return [modbus.exception_reply(self.unit, request.function,
                                               modbus.ExceptionCode.ILLEGAL_DATA_ADDRESS)]
            return [modbus.read_reply(self.unit, request.function,
                                      regs[request.address:request.address + request.count])]
        if isinstance(request, modbus.WriteSingleRequest):
            regs[request.address] = request.value
            return [modbus.write_single_reply(self.unit, request.address, request.value)]
        regs[request.address:request.address + len(request.values)] = request.values
        return [modbus.write_multiple_reply(self.unit, request.address, len(request.values))]
