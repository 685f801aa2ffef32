"""``RegisterSlave``: a Modbus RTU slave simulator whose registers are laid out by a
register map (``labctl.protocols.registers``), its values given by a device model.

A family's simulator says which register names it can fill (``values``: name -> a
function giving the value now, in the register's unit) and builds on this class::

    device = RegisterSlave(world.clock, regs, unit=1, values={
        "pm25": lambda: model.indication("pm25"), "serial_number": lambda: 24010117})

What it answers (Modbus Application Protocol V1.1b3, sections 6 and 7):

- 03 / 04 (holding / input table): the registers from ``address`` to ``address + count``.
  Every address asked for must belong to a register of that table, and no register may
  be cut in two (half of a 32-bit value): else ``ILLEGAL_DATA_ADDRESS`` (02). Values are
  encoded by the map (scale, type, word order); an integer type saturates at its range,
  as instruments do.
- 06 / 16: writes into registers marked ``writable`` (whole registers only; a 32-bit
  one with 16); anything else is ``ILLEGAL_DATA_ADDRESS``. A written value is kept and
  read back (``written``), and ``on_write(name, value)`` may act on it.
- A count outside the specification's range: ``ILLEGAL_DATA_VALUE`` (03).
- A frame for another unit, or one whose CRC fails: no reply (a slave stays silent). A
  broadcast (unit 0) write is carried out without a reply.

The register names a map uses must all be ones the simulator fills (or writable ones):
``check_map`` refuses a map naming another, with the map's file and line.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from labctl.errors import ConfigError
from labctl.protocols import framing, modbus
from labctl.protocols.register_maps import FoundMap, find_register_map
from labctl.protocols.registers import Register, RegisterMap
from labctl.sim.device import Reply
from labctl.sim.frame_device import FrameDevice

_INT_RANGES = {"int16": (-0x8000, 0x7FFF), "uint16": (0, 0xFFFF),
               "int32": (-0x8000_0000, 0x7FFF_FFFF), "uint32": (0, 0xFFFF_FFFF)}
_TABLES = {modbus.READ_HOLDING: "holding", modbus.READ_INPUT: "input"}


def register_words(reg: Register, value: float) -> tuple[int, ...]:
    """The words of ``value`` (in the register's unit) as the device stores it: scaled,
    rounded to the type's step and saturated at its range (float32: as it is)."""
    raw = value / reg.scale
    if reg.type == "float32":
        return reg.words_from_raw(raw)
    low, high = _INT_RANGES[reg.type]
    if not math.isfinite(raw):
        raw = high if raw > 0 else low
    return reg.words_from_raw(min(high, max(low, round(raw))))


def check_map(regs: RegisterMap, known: set[str] | frozenset[str], device: str,
              source: str, data: Any = None) -> None:
    """Refuse a map naming a register ``device`` cannot fill (writable ones excepted)."""
    from labctl.yamlio import where

    for name, reg in regs.registers.items():
        if name not in known and not reg.writable:
            place = where(data, ("registers", name), default=source) if data is not None \
                else source
            raise ConfigError(f"register {name!r}: the {device} simulator has no such "
                              "quantity", where=place,
                              hint=f"it fills {', '.join(sorted(known))}")


def slave_params(r: Any, device: str, default_map: str, folder: str,
                 default_serial: int) -> tuple[FoundMap, int, int, float]:
    """The register map (``FoundMap``), unit, serial and firmware of a ``sim:``
    block (shared by the family's register-map simulators)."""
    found = find_register_map(r.get("register_map", default_map), folder,
                                     options=r.params, where=r.where("register_map"))
    unit = r.get("unit", 1)
    if isinstance(unit, bool) or not isinstance(unit, int) or not 1 <= unit <= 247:
        raise ConfigError(f"unit (the Modbus slave address) must be 1-247, got {unit!r}",
                          where=r.where("unit"))
    serial = r.get("serial", default_serial)
    if isinstance(serial, bool) or not isinstance(serial, int) or not 0 <= serial < 2**32:
        raise ConfigError(f"serial must be a whole number (the {device}'s serial-number "
                          f"register holds a 32-bit integer), got {serial!r}",
                          where=r.where("serial"))
    return found, unit, serial, r.number("firmware", 1.07, minimum=0)


class RegisterSlave(FrameDevice):
    """A Modbus RTU slave over a register map (see the module's documentation)."""

    name = "modbus-slave"
    frame_parser: ClassVar[framing.FrameParser] = framing.modbus_rtu("request")
    binary = True

    def __init__(self, clock: Any, registers: RegisterMap, *, unit: int,
                 values: Mapping[str, Callable[[], float]]) -> None:
        self.registers = registers
        self.unit = unit
        self.values = dict(values)
        self.written: dict[str, float] = {}
        self.requests: list[modbus.Request] = []   # what the master asked (for tests)
        # (table, address) -> (register name, offset of the word in the register)
        self._at: dict[tuple[str, int], tuple[str, int]] = {}
        for name, reg in registers.registers.items():
            for offset in range(reg.words):
                self._at[(reg.table, reg.address + offset)] = (name, offset)
        super().__init__(clock)

    # -- the model ---------------------------------------------------------------------
    def value(self, name: str) -> float:
        """The value of register ``name`` now, in its unit."""
        if name in self.values:
            return float(self.values[name]())
        return self.written.get(name, 0.0)

    def on_write(self, name: str, value: float) -> None:
        """Called after a master wrote ``value`` (in the register's unit) into ``name``."""

    # -- the protocol ------------------------------------------------------------------
    def handle_frame(self, frame: bytes) -> list[bytes | Reply]:
        try:
            body = modbus.check_crc(frame)
        except modbus.ModbusError:
            return []                       # garbled: a slave stays silent
        unit, function = body[0], body[1]
        if unit not in (self.unit, modbus.BROADCAST):
            return []
        try:
            request = modbus.parse_request(frame)
        except modbus.ModbusError:
            # a count out of range or disagreeing with the byte count: the value is
            # illegal; a function code not handled here: the function is
            code = (modbus.ExceptionCode.ILLEGAL_DATA_VALUE if function in modbus.FUNCTIONS
                    else modbus.ExceptionCode.ILLEGAL_FUNCTION)
            return self._answer(unit, [modbus.exception_reply(
                self.unit, function & 0x7F or 1, code)])
        self.requests.append(request)
        if isinstance(request, modbus.ReadRequest):
            return self._answer(unit, [self._read(request)])
        return self._answer(unit, [self._write(request)])

    def _answer(self, unit: int, replies: list[bytes | Reply]) -> list[bytes | Reply]:
        return [] if unit == modbus.BROADCAST else replies

    def _exception(self, function: int, code: modbus.ExceptionCode) -> bytes:
        return modbus.exception_reply(self.unit, function, code)

    def _read(self, request: modbus.ReadRequest) -> bytes:
        table = _TABLES[request.function]
        words: list[int] = []
        address, end = request.address, request.address + request.count
        while address < end:
            found = self._at.get((table, address))
            if found is None or found[1] != 0:
                return self._exception(request.function,
                                       modbus.ExceptionCode.ILLEGAL_DATA_ADDRESS)
            name = found[0]
            reg = self.registers.registers[name]
            if address + reg.words > end:
                return self._exception(request.function,
                                       modbus.ExceptionCode.ILLEGAL_DATA_ADDRESS)
            words.extend(register_words(reg, self.value(name)))
            address += reg.words
        return modbus.read_reply(self.unit, request.function, words)

    def _write(self, request: modbus.WriteSingleRequest | modbus.WriteMultipleRequest
               ) -> bytes:
        values = ((request.value,) if isinstance(request, modbus.WriteSingleRequest)
                  else request.values)
        done: list[tuple[str, float]] = []
        address, end = request.address, request.address + len(values)
        while address < end:
            found = self._at.get(("holding", address))
            if found is None or found[1] != 0:
                return self._exception(request.function,
                                       modbus.ExceptionCode.ILLEGAL_DATA_ADDRESS)
            name = found[0]
            reg = self.registers.registers[name]
            if not reg.writable or address + reg.words > end:
                return self._exception(request.function,
                                       modbus.ExceptionCode.ILLEGAL_DATA_ADDRESS)
            offset = address - request.address
            raw = reg.raw_from_words(values[offset:offset + reg.words])
            if not math.isfinite(raw):
                return self._exception(request.function,
                                       modbus.ExceptionCode.ILLEGAL_DATA_VALUE)
            done.append((name, raw * reg.scale))
            address += reg.words
        for name, value in done:
            self.written[name] = value
            self.on_write(name, value)
        if isinstance(request, modbus.WriteSingleRequest):
            return modbus.write_single_reply(self.unit, request.address, request.value)
        return modbus.write_multiple_reply(self.unit, request.address, len(values))
