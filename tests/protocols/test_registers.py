"""Register maps in YAML and quantities to and from register words.

The float32 words are hand-checked: 35.2 is 0x420CCCCD in IEEE 754 single precision
(sign 0, exponent 0x84, mantissa 0x0CCCCD), so ABCD sends 0x420C then 0xCCCD and CDAB
the other way round; pymodbus checks the same conversions in test_pymodbus_interop.py.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labctl.errors import ConfigError, UnitError
from labctl.protocols.modbus import READ_HOLDING, READ_INPUT, ModbusValueError
from labctl.protocols.registers import Register, load_register_map, register_map
from labctl.units import Q_
from labctl.yamlio import loads_yaml

MAP = """\
# a PM sensor's registers
word_order: CDAB
registers:
  pm25:        {address: 0x0000, type: float32, unit: ug/m^3, table: input}
  pm10:        {address: 0x0002, type: float32, unit: ug/m^3, table: 3x, word_order: ABCD}
  temperature: {address: 0x0010, type: int16, scale: 0.1, unit: degC, table: input}
  counts:      {address: 0x0011, type: uint32, table: input}
  flow_setpoint:
    address: 0x0100
    type: uint16
    scale: 0.01
    unit: L/min
    table: 4x
    writable: true
    description: sampling flow set point
  offset:      {address: 0x0101, type: int32, unit: ug/m^3, writable: true}
"""


def load(text: str, tmp_path: Path):
    path = tmp_path / "map.yaml"
    path.write_text(text, encoding="utf-8")
    return load_register_map(path)


def test_load_a_map(tmp_path):
    regs = load(MAP, tmp_path)
    assert regs["pm25"].word_order == "CDAB"            # the map's default
    assert regs["pm10"].word_order == "ABCD"            # its own
    assert regs["pm10"].table == "input" and regs["pm10"].function == READ_INPUT
    assert regs["flow_setpoint"].table == "holding" and regs["flow_setpoint"].writable
    assert regs["flow_setpoint"].function == READ_HOLDING
    assert regs["offset"].table == "holding"            # the default table
    assert regs["temperature"].word_order is None and regs["temperature"].words == 1
    assert regs["counts"].words == 2


def test_float32_word_orders(tmp_path):
    regs = load(MAP, tmp_path)
    assert regs["pm10"].encode(Q_(35.2, "ug/m^3")) == (0x420C, 0xCCCD)
    assert regs["pm25"].encode(Q_(35.2, "ug/m^3")) == (0xCCCD, 0x420C)
    value = regs.decode("pm25", [0xCCCD, 0x420C])
    assert value.to("ug/m^3").magnitude == pytest.approx(35.2, rel=1e-7)
    assert value.units == Q_(1, "ug/m^3").units
    # a quantity in another unit of the same dimension is converted first
    assert regs["pm10"].encode(Q_(0.0352, "mg/m^3")) == (0x420C, 0xCCCD)


def test_scaled_integers(tmp_path):
    regs = load(MAP, tmp_path)
    assert regs["temperature"].encode(Q_(-12.3, "degC")) == (0xFF85,)   # -123
    assert regs.decode("temperature", [0xFF85]).magnitude == pytest.approx(-12.3)
    assert regs.encode("flow_setpoint", Q_(16.7, "L/min")) == (1670,)
    assert regs.encode("flow_setpoint", Q_(1.002, "m^3/h")) == (1670,)   # 16.7 L/min
    assert regs.encode("flow_setpoint", 2.5) == (250,)                  # plain: in L/min
    assert regs["counts"].encode(0x12345678) == (0x5678, 0x1234)        # CDAB
    assert regs.encode("offset", Q_(-2, "ug/m^3")) == (0xFFFE, 0xFFFF)  # CDAB, -2
    assert regs.decode("offset", [0xFFFE, 0xFFFF]).magnitude == -2


def test_encode_refuses(tmp_path):
    regs = load(MAP, tmp_path)
    with pytest.raises(ModbusValueError, match="read-only"):
        regs.encode("pm25", Q_(1, "ug/m^3"))
    with pytest.raises(UnitError, match="cannot be written to a register in L/min"):
        regs.encode("flow_setpoint", Q_(1, "m/s"))
    with pytest.raises(ModbusValueError, match="does not fit uint16"):
        regs.encode("flow_setpoint", Q_(700, "L/min"))
    with pytest.raises(ModbusValueError, match="does not fit uint16"):
        regs.encode("flow_setpoint", -1)
    with pytest.raises(ModbusValueError, match="not a finite value"):
        regs.encode("flow_setpoint", math.inf)
    with pytest.raises(ModbusValueError, match="does not fit a float32"):
        regs["pm25"].encode(1e39)
    with pytest.raises(ModbusValueError, match="takes 2 word"):
        regs.decode("pm25", [1])
    with pytest.raises(ModbusValueError, match="outside 0-65535"):
        regs.decode("temperature", [70000])
    with pytest.raises(ConfigError, match="no register 'pm1'.*pm25, pm10"):
        regs["pm1"]


def test_span_and_block_decoding(tmp_path):
    regs = load(MAP, tmp_path)
    function, address, count = regs.span(["pm25", "pm10", "temperature", "counts"])
    assert (function, address, count) == (READ_INPUT, 0, 0x13)
    words = [0] * count
    words[0:2] = regs["pm25"].encode(Q_(35.2, "ug/m^3"))
    words[2:4] = regs["pm10"].encode(Q_(60.5, "ug/m^3"))
    words[0x10] = 215
    values = regs.decode_block(function, address, words)
    assert set(values) == {"pm25", "pm10", "temperature", "counts"}
    assert values["pm10"].magnitude == pytest.approx(60.5)
    assert values["temperature"].magnitude == pytest.approx(21.5)
    partial = regs.decode_block(function, 2, words[2:4])
    assert set(partial) == {"pm10"}
    assert regs.decode_block(READ_HOLDING, 0, words) == {}
    with pytest.raises(ModbusValueError, match="one table"):
        regs.span(["pm25", "offset"])
    with pytest.raises(ConfigError, match="no register named"):
        regs.span([])


def test_a_span_longer_than_one_read(tmp_path):
    text = "registers:\n  a: {address: 0}\n  b: {address: 200}\n"
    with pytest.raises(ModbusValueError, match="201 words"):
        load(text, tmp_path).span(["a", "b"])


@pytest.mark.parametrize("text, place, words", [
    ("registers:\n  a: {address: 0, type: float64}\n", ":2:", "registers.a.type"),
    ("registers:\n  a: {address: 70000}\n", ":2:", "registers.a.address"),
    ("registers:\n  a: {address: 0, unit: furlongs_per_fortnightx}\n", ":2:",
     "unknown unit 'furlongs_per_fortnightx'"),
    ("registers:\n  a: {address: 0, scale: 0}\n", ":2:", "scale 0.0 must be"),
    ("registers:\n  a: {address: 0, table: coils}\n", ":2:", "holding \\(4x\\) or input"),
    ("registers:\n  a: {address: 0, colour: red}\n", ":2:", "registers.a.colour"),
    ("word_order: BADC\nregisters: {}\n", ":1:", "word_order"),
    ("registers:\n  a: {address: 0, type: uint16, word_order: CDAB}\n", ":2:",
     "word_order applies to 32-bit"),
    ("registers:\n  a:\n    address: 0\n    table: input\n    writable: true\n", ":5:",
     "input registers \\(3x\\) are read-only"),
    ("registers:\n  a: {address: 0, type: int32}\n  b:\n    address: 1\n", ":4:",
     "'b' overlaps 'a' at holding address 1"),
    ("registers:\n  a: {address: 65535, type: float32}\n", ":2:", "past address 65535"),
    ("registers:\n  9a: {address: 0}\n", ":2:", "not a plain name"),
    ("- a\n- b\n", "map.yaml", "a mapping with a 'registers' key"),
])
def test_map_errors_name_file_and_line(tmp_path, text, place, words):
    with pytest.raises(ConfigError, match=words) as info:
        load(text, tmp_path)
    assert "map.yaml" in str(info.value) and place in str(info.value)


def test_same_address_in_two_tables_is_fine():
    data = loads_yaml("registers:\n  a: {address: 0, table: input}\n  b: {address: 0}\n")
    regs = register_map(data)
    assert regs["a"].function == READ_INPUT and regs["b"].function == READ_HOLDING


_TYPES = {"int16": (-0x8000, 0x7FFF), "uint16": (0, 0xFFFF), "int32": (-0x8000_0000, 0x7FFF_FFFF),
          "uint32": (0, 0xFFFF_FFFF)}


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.sampled_from(sorted(_TYPES)), st.sampled_from(["ABCD", "CDAB"]), st.data())
def test_integer_round_trip(kind, order, data):
    reg = Register(address=0, type=kind, word_order=order if kind.endswith("32") else None)
    raw = data.draw(st.integers(*_TYPES[kind]))
    words = reg.words_from_raw(raw)
    assert len(words) == reg.words and all(0 <= w <= 0xFFFF for w in words)
    assert reg.raw_from_words(words) == raw


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.floats(width=32, allow_nan=False), st.sampled_from(["ABCD", "CDAB"]))
def test_float_round_trip(value, order):
    reg = Register(address=0, type="float32", word_order=order, unit="ug/m^3")
    assert reg.decode(reg.encode(Q_(value, "ug/m^3"))).magnitude == value
