"""Modbus register maps described in YAML, and quantities to and from register words.

A register map names each quantity a device keeps in its registers::

    # pm-sensor.yaml
    word_order: CDAB          # default for the 32-bit registers below (ABCD if absent)
    registers:
      pm25:        {address: 0x0000, type: float32, unit: ug/m^3, table: input}
      pm10:        {address: 0x0002, type: float32, unit: ug/m^3, table: input}
      temperature: {address: 0x0010, type: int16, scale: 0.1, unit: degC, table: input}
      flow_setpoint: {address: 0x0100, type: uint16, scale: 0.01, unit: L/min,
                      table: holding, writable: true}

Keys of a register: ``address`` (the 0-based address in the frame), ``type`` (``int16``,
``uint16``, ``int32``, ``uint32``, ``float32``; default ``uint16``), ``word_order`` of a
32-bit value (``ABCD``: high word first, at the lower address; ``CDAB``: low word first),
``scale`` (quantity = raw value x scale, in ``unit``), ``unit`` (any unit labctl.units
reads; empty for a plain number), ``table`` (``holding`` or ``4x``, read with function 03;
``input`` or ``3x``, read with 04; default ``holding``), ``writable`` (default false; input
registers never are) and ``description``. Errors name the file and line.

The word and byte layout: a 16-bit register travels high byte first; ABCD puts bytes
A B (the most significant) in the first register and C D in the next; CDAB swaps the two
registers (the "word-swapped" order many PLCs and sensors use). Bytes are never swapped
inside a register.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pint
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from labctl.errors import ConfigError, UnitError
from labctl.protocols.modbus import READ_HOLDING, READ_INPUT, ModbusValueError
from labctl.units import Q_, parse_unit

RegisterType = Literal["int16", "uint16", "int32", "uint32", "float32"]
WordOrder = Literal["ABCD", "CDAB"]

_FORMATS = {"int16": ">h", "uint16": ">H", "int32": ">i", "uint32": ">I", "float32": ">f"}
_RANGES = {"int16": (-0x8000, 0x7FFF), "uint16": (0, 0xFFFF),
           "int32": (-0x8000_0000, 0x7FFF_FFFF), "uint32": (0, 0xFFFF_FFFF)}
_TABLES = {"holding": "holding", "4x": "holding", "input": "input", "3x": "input"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


class Register(BaseModel):
    """One quantity in a device's registers (see the module's documentation)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    address: int = Field(ge=0, le=0xFFFF)
    type: RegisterType = "uint16"
    word_order: WordOrder | None = None
    scale: float = 1.0
    unit: str = ""
    table: Literal["holding", "input"] = "holding"
    writable: bool = False
    description: str = ""

    @field_validator("table", mode="before")
    @classmethod
    def _table(cls, value: Any) -> Any:
        key = str(value).lower()
        if key not in _TABLES:
            raise ValueError(f"table {value!r} is not holding (4x) or input (3x)")
        return _TABLES[key]

    @field_validator("scale")
    @classmethod
    def _scale(cls, value: float) -> float:
        if value == 0 or not math.isfinite(value):
            raise ValueError(f"scale {value} must be a finite number other than 0")
        return value

    @field_validator("unit")
    @classmethod
    def _unit(cls, value: str) -> str:
        try:
            parse_unit(value)
        except UnitError as exc:
            raise ValueError(exc.render()) from None
        return value

    @property
    def words(self) -> int:
        """How many 16-bit registers the value takes (1 or 2)."""
        return 1 if self.type in ("int16", "uint16") else 2

    @property
    def function(self) -> int:
        """The function code that reads this register: 03 (holding) or 04 (input)."""
        return READ_HOLDING if self.table == "holding" else READ_INPUT

    @property
    def pint_unit(self) -> pint.Unit:
        return parse_unit(self.unit)

    # raw values <-> words --------------------------------------------------------------

    def raw_from_words(self, words: Sequence[int]) -> int | float:
        """The raw value (before scaling) held in ``words``."""
        if len(words) != self.words:
            raise ModbusValueError(f"a {self.type} register takes {self.words} word(s), "
                                   f"got {len(words)}")
        for word in words:
            if not 0 <= word <= 0xFFFF:
                raise ModbusValueError(f"register word {word} is outside 0-65535")
        ordered = list(words) if self.word_order != "CDAB" else list(reversed(words))
        data = b"".join(w.to_bytes(2, "big") for w in ordered)
        return struct.unpack(_FORMATS[self.type], data)[0]

    def words_from_raw(self, raw: int | float) -> tuple[int, ...]:
        """The register words of a raw value (integers must fit the type)."""
        if self.type == "float32":
            try:
                data = struct.pack(">f", raw)
            except (OverflowError, struct.error):
                raise ModbusValueError(f"{raw!r} does not fit a float32") from None
        else:
            low, high = _RANGES[self.type]
            if not isinstance(raw, int) or not low <= raw <= high:
                raise ModbusValueError(f"raw value {raw!r} does not fit {self.type} "
                                       f"({low} to {high})", hint="check the scale factor")
            data = struct.pack(_FORMATS[self.type], raw)
        words = tuple(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
        return words if self.word_order != "CDAB" else words[::-1]

    # quantities <-> words ---------------------------------------------------------------

    def decode(self, words: Sequence[int]) -> pint.Quantity:
        """The quantity held in ``words``: raw value x scale, in the register's unit."""
        return Q_(self.raw_from_words(words) * self.scale, self.pint_unit)

    def encode(self, value: pint.Quantity | float) -> tuple[int, ...]:
        """The words that hold ``value`` (a quantity in a unit of the register's
        dimension, or a plain number in the register's unit). Integer types round to the
        nearest raw step; a value that does not fit raises ``ModbusValueError``."""
        if isinstance(value, pint.Quantity):
            try:
                magnitude = float(value.to(self.pint_unit).magnitude)
            except pint.errors.DimensionalityError:
                raise UnitError(f"{value:~P} cannot be written to a register in "
                                f"{self.unit or 'plain numbers (dimensionless)'}",
                                hint="give a quantity of the register's dimension") from None
        else:
            magnitude = float(value)
        raw = magnitude / self.scale
        if self.type == "float32":
            return self.words_from_raw(raw)
        if not math.isfinite(raw):
            raise ModbusValueError(f"{value!r} is not a finite value")
        return self.words_from_raw(round(raw))


class RegisterMap(BaseModel):
    """A device's registers by name; ``word_order`` is the default of 32-bit registers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    word_order: WordOrder = "ABCD"
    registers: dict[str, Register]

    def model_post_init(self, __context: Any) -> None:
        for name, reg in list(self.registers.items()):
            if reg.word_order is None and reg.words == 2:
                self.registers[name] = reg.model_copy(update={"word_order": self.word_order})

    def __getitem__(self, name: str) -> Register:
        try:
            return self.registers[name]
        except KeyError:
            raise ConfigError(f"no register {name!r} in the register map",
                              hint=f"registers: {', '.join(self.registers)}") from None

    def decode(self, name: str, words: Sequence[int]) -> pint.Quantity:
        return self[name].decode(words)

    def encode(self, name: str, value: pint.Quantity | float) -> tuple[int, ...]:
        reg = self[name]
        if not reg.writable:
            raise ModbusValueError(f"register {name!r} is read-only",
                                   hint="set writable: true in the register map if the "
                                        "device's manual allows writing it")
        return reg.encode(value)

    def span(self, names: Iterable[str]) -> tuple[int, int, int]:
        """(function, address, count) of one read that covers the named registers."""
        regs = [self[name] for name in names]
        if not regs:
            raise ConfigError("no register named to read")
        tables = {reg.table for reg in regs}
        if len(tables) > 1:
            raise ModbusValueError("one read covers one table: these registers are in "
                                   "both the holding and the input table")
        start = min(reg.address for reg in regs)
        end = max(reg.address + reg.words for reg in regs)
        if end - start > 125:
            raise ModbusValueError(f"the registers span {end - start} words; one read "
                                   "takes at most 125")
        return regs[0].function, start, end - start

    def decode_block(self, function: int, address: int,
                     words: Sequence[int]) -> dict[str, pint.Quantity]:
        """Every register of the table that ``function`` reads lying wholly inside the
        block of ``words`` read from ``address``, decoded, by name."""
        table = "holding" if function == READ_HOLDING else "input"
        found = {}
        for name, reg in self.registers.items():
            offset = reg.address - address
            if reg.table == table and offset >= 0 and offset + reg.words <= len(words):
                found[name] = reg.decode(words[offset:offset + reg.words])
        return found


def register_map(data: Mapping[str, Any], file: str = "<register map>") -> RegisterMap:
    """A register map from parsed YAML (located errors when ``data`` came from
    ``labctl.yamlio``): pydantic's checks, then the cross-checks (overlaps, 16-bit
    word orders, writable input registers)."""
    from labctl.yamlio import validation_error, where

    try:
        result = RegisterMap.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, data, file) from None
    regs = data.get("registers", {}) if isinstance(data, Mapping) else {}

    def place(name: str, key: str | None = None) -> str:
        return where(data, ("registers", name) + ((key,) if key else ()), default=file)

    taken: dict[tuple[str, int], str] = {}
    for name, reg in result.registers.items():
        if not _NAME.match(name):
            raise ConfigError(f"register name {name!r} is not a plain name", where=place(name),
                              hint="letters, digits, '_', '.', '-'; not starting with a digit")
        if reg.words == 1 and isinstance(regs.get(name), Mapping) and \
                regs[name].get("word_order") is not None:
            raise ConfigError(f"register {name!r}: word_order applies to 32-bit types, "
                              f"not {reg.type}", where=place(name, "word_order"))
        if reg.table == "input" and reg.writable:
            raise ConfigError(f"register {name!r}: input registers (3x) are read-only",
                              where=place(name, "writable"),
                              hint="a writable register is in the holding table (4x)")
        if reg.address + reg.words > 0x10000:
            raise ConfigError(f"register {name!r} runs past address 65535",
                              where=place(name, "address"))
        for offset in range(reg.words):
            key = (reg.table, reg.address + offset)
            if key in taken:
                raise ConfigError(
                    f"register {name!r} overlaps {taken[key]!r} at {reg.table} address "
                    f"{reg.address + offset}", where=place(name, "address"),
                    hint="a 32-bit type takes two addresses")
            taken[key] = name
    return result


def load_register_map(path: str | Path) -> RegisterMap:
    """Read a register map YAML file; every error names the file and line."""
    from labctl.yamlio import load_yaml

    data = load_yaml(path)
    if not isinstance(data, Mapping):
        raise ConfigError("a register map is a mapping with a 'registers' key", where=str(path))
    return register_map(data, str(path))
