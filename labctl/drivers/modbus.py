"""``ModbusInstrument``: the base of drivers for instruments that keep their values in
Modbus RTU registers described by a register map (``labctl.protocols.registers``).

A family's driver names the quantities it reads and where its register maps live::

    class ModbusPmMonitor(ModbusInstrument):
        capabilities = ("meter",)
        map_folder = "particulate/modbus"        # labctl/data/particulate/modbus/*.yaml
        default_map = "labctl-pm-100m"

The bench gives (``options:``):

- ``register_map``: the name of a map shipped in ``labctl/data/<map_folder>/``
  (``labctl-pm-100m``), or the path of a map file (``maps/my-monitor.yaml``, relative to
  the bench file); default ``default_map``. The map is read when the driver is built,
  so a map with an unknown type or overlapping registers refuses the bench, naming the
  map's file and line, before any instrument moves (a dry run too).
- ``unit``: the slave (unit) address, 1-247; default 1.

One exchange is one request frame and one reply frame, under the transport's lock, with
the input cleared first (a late reply never answers the next request). Errors name the
instrument and the register: an exception reply (``ILLEGAL_DATA_ADDRESS`` ...) is an
``InstrumentError`` saying which register of which table was asked for; a reply with a
bad CRC or that does not answer the request is an ``InstrumentError`` with the bytes; no
reply, or a truncated one, is an ``InstrumentTimeout`` (the bytes that came, if any).
Register reads are idempotent and retried (the bench's ``retries:``); writes are not.
"""

from __future__ import annotations

from typing import Any, ClassVar

from labctl.drivers.base import Instrument, idempotent
from labctl.errors import ConfigError, InstrumentError, InstrumentTimeout, LabctlError
from labctl.protocols import framing, modbus
from labctl.protocols.register_maps import find_register_map

_REPLY_PARSER = framing.modbus_rtu("reply")


class ModbusInstrument(Instrument):
    """Base of register-map drivers (see the module's documentation)."""

    #: folder of ``labctl/data`` holding the family's shipped register maps
    map_folder: ClassVar[str] = ""
    #: the map used when the bench names none
    default_map: ClassVar[str] = ""
    #: registers the map must have (the quantities this driver cannot do without)
    required_registers: ClassVar[tuple[str, ...]] = ()
    option_names: ClassVar[frozenset[str]] = frozenset({"register_map", "unit"})
    #: options that are file paths: the bench makes a relative one relative to its file
    path_options: ClassVar[tuple[str, ...]] = ("register_map",)

    def __init__(self, transport: Any, *, name: str, **options: Any) -> None:
        super().__init__(transport, name=name, **options)
        where_fn = getattr(options, "where", None)

        def place(key: str) -> str:
            located = where_fn(key) if callable(where_fn) and key in options else None
            return located or f"instrument {name!r}, option {key!r}"

        choice = self.options.get("register_map", self.default_map)
        try:
            self.registers, self.map_source, _ = find_register_map(
                choice, self.map_folder, options=options, where=place("register_map"))
        except ConfigError as exc:
            if exc.where and exc.where != place("register_map"):
                # an error inside the map file: keep its file:line in the message
                raise ConfigError(f"register map {exc.where}: {exc.message}",
                                  where=place("register_map"), hint=exc.hint) from None
            raise
        missing = [r for r in self.required_registers if r not in self.registers.registers]
        if missing:
            raise ConfigError(f"register map {self.map_source} has no register "
                              f"{missing[0]!r}, which {type(self).__name__} reads",
                              where=place("register_map"),
                              hint=f"its registers: {', '.join(self.registers.registers)}")
        unit = self.options.get("unit", 1)
        if isinstance(unit, bool) or not isinstance(unit, int) or not 1 <= unit <= 247:
            raise ConfigError(f"unit (the Modbus slave address) must be 1-247, got {unit!r}",
                              where=place("unit"))
        self.unit = unit

    # -- registers ---------------------------------------------------------------------
    def has_register(self, name: str) -> bool:
        return name in self.registers.registers

    def describe_register(self, name: str) -> str:
        reg = self.registers[name]
        return (f"register {name!r} ({reg.table} {reg.address}, {reg.type}, "
                f"function {reg.function:02d})")

    @idempotent
    def read_register(self, name: str) -> Any:
        """The quantity held in register ``name`` (one 03/04 request)."""
        reg = self.registers[name]
        label = f"read {self.describe_register(name)}"
        request = modbus.ReadRequest(self.unit, reg.function, reg.address, reg.words)
        reply = self._exchange(request, label, name)
        assert isinstance(reply, modbus.ReadReply)
        try:
            return reg.decode(reply.registers)
        except LabctlError as exc:
            raise InstrumentError(f"register {name!r} holds no {reg.type} value: "
                                  f"{exc.message}", instrument=self.name, command=label,
                                  reply=" ".join(f"{w:04x}" for w in reply.registers)
                                  ) from None

    def write_register(self, name: str, value: Any) -> None:
        """Write ``value`` (a quantity, or a number in the register's unit) into the
        writable register ``name`` (06 for one word, 16 for two). Not retried."""
        from labctl.units import parse_quantity

        try:
            if isinstance(value, str):
                value = parse_quantity(value, where=f"instrument {self.name!r}, {name}")
            words = self.registers.encode(name, value)
        except LabctlError as exc:
            raise InstrumentError(exc.message, instrument=self.name,
                                  command=f"write {name}", hint=exc.hint) from None
        reg = self.registers[name]
        request: modbus.Request = (
            modbus.WriteSingleRequest(self.unit, reg.address, words[0]) if len(words) == 1
            else modbus.WriteMultipleRequest(self.unit, reg.address, tuple(words)))
        self._exchange(request, f"write {self.describe_register(name)}", name)

    # -- one exchange ------------------------------------------------------------------
    def _exchange(self, request: modbus.Request, label: str, register: str) -> modbus.Reply:
        frame = modbus.encode_request(request)
        with self.transport.lock:
            self.clear_input()
            self.write_bytes(frame, label)
            try:
                raw = self.read_frame(_REPLY_PARSER, command=label)
            except InstrumentTimeout as exc:
                got = exc.reply if isinstance(exc.reply, bytes | bytearray) else b""
                what = (f"a truncated Modbus reply ({len(got)} byte(s): {bytes(got).hex(' ')})"
                        if got else "no Modbus reply")
                raise InstrumentTimeout(
                    f"{what} from unit {self.unit} within "
                    f"{self.transport.options.timeout:g} s", instrument=self.name,
                    command=label, reply=bytes(got) or None,
                    hint="check the unit address, the baud rate and parity, and the "
                         "wiring (RS-485 A/B)") from None
        try:
            return modbus.parse_reply(raw, request)
        except modbus.ModbusExceptionReply as exc:
            raise InstrumentError(
                f"{exc.message} ({self.describe_register(register)})",
                instrument=self.name, command=label, reply=raw.hex(" "),
                hint=_exception_hint(exc.code, self.map_source)) from None
        except modbus.ModbusError as exc:
            raise InstrumentError(f"bad Modbus reply: {exc.message}", instrument=self.name,
                                  command=label, reply=raw.hex(" "), hint=exc.hint) from None


def _exception_hint(code: int, source: str) -> str:
    if code == modbus.ExceptionCode.ILLEGAL_DATA_ADDRESS:
        return (f"the register map ({source}) does not match the instrument: check the "
                "address, the table (holding/input) and the type against its manual")
    if code == modbus.ExceptionCode.ILLEGAL_FUNCTION:
        return f"the instrument does not read this table: check 'table:' in {source}"
    if code in (modbus.ExceptionCode.SERVER_DEVICE_BUSY, modbus.ExceptionCode.ACKNOWLEDGE):
        return "the instrument is busy; retry later"
    return "see the instrument's manual for this exception code"


class ModbusMeter(ModbusInstrument):
    """A ``meter`` whose measurements are registers of its map.

    ``measurement_units`` maps each measurement a family reads to the unit its readings
    are given in (the map's unit is converted; a register of another dimension refuses
    the map). ``flag_registers`` maps a register to the reading flag it raises when not
    zero (a gas detector's ``alarm``). ``identify()`` reads ``serial_number`` and
    ``firmware`` when the map has them; maker and model are the bench's ``maker`` and
    ``model`` options (Modbus has no identification in the functions used here); with no
    serial register the serial is the bench's ``serial_number`` option, as on the plate.
    """

    capabilities = ("meter",)
    measurement_units: ClassVar[dict[str, str]] = {}
    main_quantity: ClassVar[str] = ""
    flag_registers: ClassVar[dict[str, str]] = {}
    default_model: ClassVar[str] = "Modbus RTU instrument"
    option_names: ClassVar[frozenset[str]] = ModbusInstrument.option_names | {
        "maker", "model", "serial_number"}

    def __init__(self, transport: Any, *, name: str, **options: Any) -> None:
        from labctl.units import parse_unit

        super().__init__(transport, name=name, **options)
        self._convert: dict[str, Any] = {}
        for quantity, unit in self.measurement_units.items():
            if not self.has_register(quantity):
                continue
            reg = self.registers[quantity]
            target = parse_unit(unit)
            if reg.pint_unit == target:
                self._convert[quantity] = _same
                continue
            try:
                (1.0 * reg.pint_unit).to(target)   # noqa: B018 (the dimension check)
            except Exception:  # pint's DimensionalityError
                raise ConfigError(f"register map {self.map_source}: register {quantity!r} is "
                                  f"in {reg.unit or 'plain numbers'}, not a unit of "
                                  f"{quantity} ({unit})", where=f"instrument {name!r}",
                                  hint="correct the register's unit in the map") from None
            self._convert[quantity] = lambda q, t=target: q.to(t)

    @property
    def measurements(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(self._convert)

    def measure(self, name: str | None = None, *, stable: bool = False,
                timeout: float | None = None) -> Any:
        from labctl.drivers.capabilities import Reading

        name = name or self.main_quantity
        if name not in self._convert:
            raise InstrumentError(
                f"the instrument reports {', '.join(self._convert)}, not {name!r}"
                + (f" (its register map {self.map_source} has no register {name!r})"
                   if name in self.measurement_units else ""),
                instrument=self.name, command="measure")
        q = self.read_register(name)
        if self.registers[name].type == "float32":   # 24-bit mantissa: 7 digits, not 17
            q = type(q)(float(f"{q.magnitude:.7g}"), q.units)
        value = self._convert[name](q)
        flags = frozenset(flag for reg, flag in self.flag_registers.items()
                          if self.has_register(reg) and self.read_register(reg).magnitude)
        return Reading(value=value, stable=None, flags=flags, raw=f"{q.magnitude:.6g}")

    def identify(self) -> Any:
        from labctl.drivers.capabilities import Identity

        if self.has_register("serial_number"):
            serial = f"{int(self.read_register('serial_number').magnitude)}"
        else:
            serial = str(self.options.get("serial_number", ""))
            self.measure(self.main_quantity)      # it answers at this address
        firmware = (f"{self.read_register('firmware').magnitude:.2f}"
                    if self.has_register("firmware") else "")
        return Identity(str(self.options.get("maker", "unknown maker")),
                        str(self.options.get("model", self.default_model)), serial, firmware)


def _same(q: Any) -> Any:
    return q
