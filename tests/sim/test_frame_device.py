"""FrameDevice (frame-based simulators) and fault plans on frames; line devices'
command length limit and linear-time cutting."""

from __future__ import annotations

from framedevices_for_tests import Hj212Logger, ModbusSlave, hj212_request
from simdevices_for_tests import Meter

from labctl.clock import VirtualClock
from labctl.protocols import framing, hj212, modbus
from labctl.sim.faults import FaultyDevice


def test_a_frame_device_answers_whole_frames_cut_from_any_chunks() -> None:
    dev = Hj212Logger(VirtualClock())
    req = hj212_request()
    for i in range(0, len(req), 7):  # arriving in pieces
        dev.write(req[i:i + 7])
    frames, rest = framing.split(dev.read(), framing.HJ212)
    assert rest == b""
    assert [hj212.decode(f).cn for f in frames] == ["9011", "2011", "9012"]
    assert hj212.decode(frames[1]).cp.value("a34004") == 35.0


def test_line_noise_before_a_frame_is_skipped() -> None:
    dev = ModbusSlave(VirtualClock())
    dev.write(b"\x07\x2b" + modbus.read_request(1, modbus.READ_HOLDING, 2, 3))
    reply = modbus.parse_reply(dev.read())
    assert reply.registers == (2, 3, 4)
    hj = Hj212Logger(VirtualClock())
    hj.write(b"noise#" + hj212_request())
    assert len(framing.split(hj.read(), framing.HJ212)[0]) == 3


def test_bad_checksum_on_a_frame_garbles_its_crc() -> None:
    dev = FaultyDevice(Hj212Logger(VirtualClock()), [{"kind": "bad_checksum", "count": 1}],
                       rng=3)
    dev.write(hj212_request())
    frames, rest = framing.split(dev.read(), framing.HJ212)
    assert rest == b"" and len(frames) == 3  # still frames: only a data byte changed
    errors = 0
    for frame in frames:
        try:
            hj212.decode(frame)
        except hj212.Hj212CrcError:
            errors += 1
    assert errors == 1
    assert [e.kind for e in dev.events] == ["bad_checksum"]


def test_bad_checksum_on_a_binary_frame() -> None:
    dev = FaultyDevice(ModbusSlave(VirtualClock()), [{"kind": "bad_checksum"}], rng=1)
    dev.write(modbus.read_request(1, modbus.READ_HOLDING, 0, 4))
    raw = dev.read()
    assert len(raw) == 13
    try:
        modbus.parse_reply(raw)
    except modbus.ModbusError:
        pass
    else:
        raise AssertionError("a garbled Modbus frame passed its CRC")


def test_truncated_dropped_and_delayed_frames() -> None:
    clock = VirtualClock()
    request = modbus.read_request(1, modbus.READ_HOLDING, 0, 2)
    write = modbus.write_single_request(1, 1, 9)
    late = modbus.read_request(1, modbus.READ_INPUT, 0, 1)
    assert request.hex(" ") == "01 03 00 00 00 02 c4 0b"  # binary frames are named in hex
    dev = FaultyDevice(ModbusSlave(clock), [
        {"kind": "truncate", "commands": [request.hex(" ")], "bytes": 3},
        {"kind": "drop", "commands": [write.hex(" ")]},
        {"kind": "delay", "seconds": "2 s", "commands": [late.hex(" ")]},
    ])
    dev.write(request)
    assert dev.read() == modbus.read_reply(1, 3, [0, 1])[:-3]  # truncated: 3 bytes short
    dev.write(write)
    assert dev.read() == b""  # dropped, but carried out
    assert dev.inner.registers[1] == 9
    dev.write(late)
    assert dev.read() == b"" and dev.next_due() == 2.0
    clock.advance(2.0)
    assert modbus.parse_reply(dev.read()).registers == (0,)
    assert [e.kind for e in dev.events] == ["truncate", "drop", "delay"]


def test_truncate_and_delay_on_lines() -> None:
    clock = VirtualClock()
    dev = FaultyDevice(Meter(clock), [{"kind": "truncate", "count": 1},
                                      {"kind": "delay", "seconds": 0.5, "count": 1}])
    dev.write(b"ECHO abcdef\r\n")
    assert dev.read() == b"abcd"  # half of "abcdef\r\n" (8 bytes) lost
    dev.write(b"ECHO x\r\n")
    assert dev.read() == b""
    clock.advance(0.5)
    assert dev.read() == b"x\r\n"


def test_an_overlong_command_gets_the_error_reply_and_is_discarded() -> None:
    dev = Meter(VirtualClock())  # at most 64 bytes per command
    chunk = b"x" * 65536
    dev.write(b"ECHO ")
    for _ in range(128):  # 8 MiB without a terminator
        dev.write(chunk)
        assert len(dev._inputs[None].buf) <= 64  # the input stays bounded
    dev.write(b"tail\r\nECHO after\r\n")
    assert dev.read() == b"ERR too long\r\nafter\r\n"


def test_a_left_over_half_command_goes_with_its_session() -> None:
    dev = Meter(VirtualClock())
    dev.write(b"I", session=1)
    dev.write(b"SLOW? 1\r\n", session=1)
    dev.close_session(1)
    dev.write(b"ECHO 4\r\n", session=2)
    assert dev.read(session=2) == b"4\r\n"
    dev.clock.advance(2)
    assert dev.read(session=2) == b""  # the first session's late reply went with it


def test_a_cr_lf_cut_in_two_is_one_ending() -> None:
    dev = Meter(VirtualClock())
    dev.write(b"ECHO a\r")
    dev.write(b"\nECHO b\r\n")
    assert dev.read() == b"a\r\nb\r\n"
