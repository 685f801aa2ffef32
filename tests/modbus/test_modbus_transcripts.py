"""The Modbus drivers against exact byte transcripts: the exchanges their docstrings
show, replayed by a fake transport that checks every request frame byte for byte."""

from __future__ import annotations

from collections import deque

import pytest

from labctl.drivers.gas.modbus_detector import ModbusGasDetector
from labctl.drivers.particulate.modbus_monitor import ModbusPmMonitor
from labctl.errors import InstrumentError
from labctl.transport.base import Transport, TransportOptions


class ByteTranscript(Transport):
    """(request frame in hex, reply frame in hex) steps; anything else fails the test."""

    def __init__(self, steps: list[tuple[str, str]]) -> None:
        super().__init__("transcript://", TransportOptions(instrument="dut"))
        self.steps = deque((bytes.fromhex(a), bytes.fromhex(b)) for a, b in steps)
        self.pending = b""

    def write(self, command: str) -> None:
        raise AssertionError(f"a text line {command!r} on a Modbus line")

    def read(self) -> str:
        raise AssertionError("a text read on a Modbus line")

    def write_bytes(self, data: bytes, command: str | None = None) -> None:
        want, reply = self.steps.popleft()
        assert data == want, f"sent {data.hex(' ')}, the transcript says {want.hex(' ')}"
        self.pending = reply

    def read_bytes(self, count: int) -> bytes:
        data, self.pending = self.pending[:count], self.pending[count:]
        assert len(data) == count
        return data

    def close(self) -> None:
        pass


def test_the_pm_monitor_transcript() -> None:
    line = ByteTranscript([
        ("01 04 00 00 00 02 71 cb", "01 04 04 cc cd 42 0c 65 8e"),
    ])
    dut = ModbusPmMonitor(line, name="dut")
    assert dut.measure("pm25").value.magnitude == pytest.approx(35.2)
    assert not line.steps


def test_an_exception_reply_from_the_transcript(tmp_path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text("registers:\n  pm25: {address: 0x40, type: float32, unit: ug/m^3, "
                    "table: input}\n")
    line = ByteTranscript([("01 04 00 40 00 02 70 1f", "01 84 02 c2 c1")])
    dut = ModbusPmMonitor(line, name="dut", register_map=str(path))
    with pytest.raises(InstrumentError, match=r"instrument 'dut', command \"read register "
                                              r"'pm25' \(input 64, float32, function 04\)\""):
        dut.measure("pm25")


def test_the_gas_detector_transcript() -> None:
    line = ByteTranscript([
        ("01 04 00 00 00 01 31 ca", "01 04 02 01 5e 39 58"),
        ("01 04 00 01 00 01 60 0a", "01 04 02 00 00 b9 30"),
    ])
    dut = ModbusGasDetector(line, name="dut", range="1000 umol/mol")
    reading = dut.measure()
    assert reading.value.magnitude == pytest.approx(35.0) and reading.flags == frozenset()
    assert not line.steps
