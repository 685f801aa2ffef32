"""What every scale driver shares: the data plate and typed readings.

The data plate comes from the bench file's ``options`` (the marking of the instrument,
not what it claims over the wire)::

    options: {max: 15 kg, e: 5 g, d: 5 g, min: 100 g, class: III, unit: kg}

- ``max`` (Max, required), ``e`` and ``d`` (either one; the other defaults to it),
  ``min`` (Min; defaults to the minimum capacity of OIML R76-1 Table 3 for the class and
  e), ``class`` (I, II, III or IIII; optional),
  ``unit`` (the unit the scale indicates in; defaults to the unit of ``max``),
  ``stable_timeout`` (how long ``read_stable``, ``zero`` and ``tare`` wait for a stable
  value when the caller gives no timeout; default 30 s).
- Checked against OIML R76-1 (``labctl.metrology.weighing.data_plate``): all masses;
  d <= e; e of the form 1, 2 or 5 x 10^k;
  e = d for classes III and IIII, d < e <= 10 d allowed for I and II; e <= Max;
  Min < Max; with a class, e within the class's range and n = Max / e within the
  class's limits (the widest over the class's rows of Table 3).

The numbers (Table 3, the forms of e, the classes that need e = d, the 10 d) live in
``labctl/data/oiml-r76-1-2006.yaml``, read through ``labctl.metrology.weighing.scale_classes``;
the weighing analyses take Min from the same table.

Readings come back as ``WeighingReading`` in the scale's unit, whatever unit the wire
used (a line in g from a scale declared in kg is converted). Every reply is checked
against what the scale can indicate before it becomes a reading: a unit of mass a scale
indicates in (R 76-1 2.1: mg, g, kg, t), a value within +-(Max + 9 e) (4.2.3) and a
multiple of d; a reply that fails (a garbled ``kg`` read as ``Pg``, a changed digit) is
an ``InstrumentError`` naming the instrument, the command and the reply, never a reading.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from labctl.drivers.base import Instrument, option_quantity, option_seconds, quantity_maker
from labctl.drivers.weighing.capabilities import WeighingReading
from labctl.errors import ConfigError, InstrumentError, UnitError
from labctl.metrology.weighing.data_plate import check_data_plate
from labctl.metrology.weighing.indication import indication_limits
from labctl.protocols.numbers import decimals_for
from labctl.transport.base import Transport
from labctl.units import parse_unit

DEFAULT_STABLE_TIMEOUT = 30.0  # s


class ScaleInstrument(Instrument):
    """Base of scale drivers: the data plate options and typed readings."""

    option_names: ClassVar[frozenset[str]] = frozenset(
        {"max", "e", "d", "min", "class", "unit", "stable_timeout"})
    #: the dimension of each option, checked by the bench before anything opens
    option_units: ClassVar[dict[str, str]] = {"max": "kg", "min": "kg", "e": "kg", "d": "kg",
                                              "stable_timeout": "s"}
    measurements: ClassVar[tuple[str, ...]] = ("mass",)

    def __init__(self, transport: Transport | None, *, name: str, **options: Any) -> None:
        super().__init__(transport, name=name, **options)
        self._read_data_plate(self.options)
        self.stable_timeout: float = option_seconds(
            name, self.options, "stable_timeout", DEFAULT_STABLE_TIMEOUT) or \
            DEFAULT_STABLE_TIMEOUT
        self._wire_units: dict[str, tuple[float, Any]] = {}

    # -- the data plate ------------------------------------------------------------
    def _where(self, key: str) -> str:
        where = getattr(self.options, "where", None)
        if callable(where) and key in self.options:
            return where(key)
        return f"instrument {self.name!r}, option {key!r}"

    def _read_data_plate(self, options: dict[str, Any]) -> None:
        name = self.name
        if options.get("max") is None:
            raise ConfigError("a scale needs its capacity", where=f"instrument {name!r}",
                              hint="add options: {max: 15 kg, e: 5 g, d: 5 g, class: III}")
        unit_text = options.get("unit")
        declared = None
        if unit_text is not None:
            declared = parse_unit(str(unit_text), self._where("unit"))
            if declared.dimensionality != parse_unit("kg").dimensionality:
                raise UnitError(f"unit {unit_text!r} is not a unit of mass",
                                where=self._where("unit"), hint="use g or kg")
        bare = str(unit_text) if declared is not None else None  # bare numbers: in unit

        def mass(key: str) -> Any:
            return option_quantity(name, options, key, "kg", bare_unit=bare)

        capacity, e, d = mass("max"), mass("e"), mass("d")
        if e is None and d is None:
            raise ConfigError("a scale needs its scale interval", where=f"instrument {name!r}",
                              hint="add the option e (verification scale interval) and/or d")
        e = e if e is not None else d
        d = d if d is not None else e
        unit = declared if declared is not None else capacity.units
        self.unit = unit
        self.unit_symbol = f"{unit:~}"
        self._make = quantity_maker(unit)
        max_v, e_v, d_v = (float(q.m_as(unit)) for q in (capacity, e, d))
        for key, value in (("max", max_v), ("e", e_v), ("d", d_v)):
            if not (value > 0 and math.isfinite(value)):
                raise ConfigError(f"{key} must be a positive mass, got {value:g} {unit:~P}",
                                  where=self._where(key))
        min_q = mass("min")
        plate = check_data_plate(
            max_v, e_v, d_v, e_grams=float(e.m_as("g")), accuracy_class=options.get("class"),
            min_v=float(min_q.m_as(unit)) if min_q is not None else None, unit=unit,
            where=self._where)
        self.accuracy_class: str | None = plate.accuracy_class
        min_v = plate.min_load
        self.capacity = self._make(max_v)
        self.e = self._make(e_v)
        self.d = self._make(d_v)
        self.min_load = self._make(min_v) if min_v is not None else None
        self.decimals = decimals_for(d_v)
        limits = indication_limits()
        self._wire_unit_names = frozenset(limits.units)
        self._largest = max_v + limits.above_max_in_e * e_v  # Max + 9 e
        self._d_value = d_v

    def data_plate(self) -> dict[str, Any]:
        """Max, e, d, Min and the accuracy class (R 76-1 7.1 descriptive markings)."""
        plate: dict[str, Any] = {"max": self.capacity, "e": self.e, "d": self.d}
        if self.min_load is not None:
            plate["min"] = self.min_load
        if self.accuracy_class:
            plate["class"] = self.accuracy_class
        return plate

    # -- readings ------------------------------------------------------------------
    def measure(self, name: str | None = None, *, stable: bool = False,
                timeout: float | None = None) -> WeighingReading:
        """The ``meter`` capability: the indication (``mass``), stable or immediate."""
        if name not in (None, "mass"):
            raise InstrumentError(f"a scale measures mass, not {name!r}",
                                  instrument=self.name, command="measure",
                                  hint="read `mass` (or give no quantity)")
        return self.read_stable(timeout) if stable else self.read_immediate()

    def reading(self, value: float, wire_unit: str, *, stable: bool, raw: str,
                command: str, overload: bool = False, underload: bool = False,
                indication: bool = True) -> WeighingReading:
        """A ``WeighingReading`` in the scale's unit from a value in ``wire_unit``,
        checked against what the scale can indicate (``indication=False`` for a value
        that is no indication, such as the capacity in the type data)."""
        conv = self._wire_units.get(wire_unit)
        if conv is None:
            conv = self._wire_unit(wire_unit, raw, command)
        factor, make = conv
        if factor != 1.0:
            value = value * factor
        if indication:
            self._check_indication(value, raw, command)
        return WeighingReading(make(value), stable, overload, underload, raw)

    def _check_indication(self, value: float, raw: str, command: str) -> None:
        """Refuse a value the scale cannot indicate: beyond +-(Max + 9 e), or not a
        multiple of d (a digit changed on the line)."""
        largest = self._largest
        if not -largest <= value <= largest:
            raise InstrumentError(
                f"the reply says {value:g} {self.unit_symbol}, beyond what the scale can "
                f"indicate (+-{largest:g} {self.unit_symbol}: Max + 9 e)",
                instrument=self.name, command=command, reply=raw,
                hint="a corrupted reply (check the cable, baud rate and parity) or a "
                     "data plate in the bench file that is not this scale's")
        steps = value / self._d_value
        if abs(steps - round(steps)) > 1e-6 * max(1.0, abs(steps)):
            raise InstrumentError(
                f"the reply says {value:g} {self.unit_symbol}, not a multiple of "
                f"d = {self._d_value:g} {self.unit_symbol}",
                instrument=self.name, command=command, reply=raw,
                hint="a corrupted reply, or d in the bench file is not the scale's")

    def _wire_unit(self, wire_unit: str, raw: str, command: str) -> tuple[float, Any]:
        try:
            unit = parse_unit(wire_unit)
        except UnitError:
            unit = None
        if unit is None or unit.dimensionality != self.unit.dimensionality:
            raise InstrumentError(f"the scale indicates in {wire_unit!r}, not a unit of mass",
                                  instrument=self.name, command=command, reply=raw,
                                  hint="put the scale in weighing mode (not counting or %)")
        if wire_unit not in self._wire_unit_names:
            raise InstrumentError(
                f"the reply is in {wire_unit!r}, a unit no scale indicates in (R 76-1 2.1: "
                f"{', '.join(sorted(self._wire_unit_names))})", instrument=self.name,
                command=command, reply=raw,
                hint="a corrupted reply: check the cable, baud rate and parity")
        factor = 1.0 if unit == self.unit else float((1.0 * unit).m_as(self.unit))
        conv = (factor, self._make)
        self._wire_units[wire_unit] = conv
        return conv

    def overload_reading(self, raw: str, *, underload: bool = False) -> WeighingReading:
        """An overload (or underload) reading: its value is NaN, there is no indication."""
        return WeighingReading(self._make(math.nan), False, not underload, underload, raw)

