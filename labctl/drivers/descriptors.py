"""``setting`` and ``measurement``: typed values a driver declares like its manual.

    class AerosolGenerator(Instrument):
        concentration = setting("SOUR:CONC", "SOUR:CONC?", unit="ug/m^3", limits=(0, 1000))
        flow = measurement("MEAS:FLOW?", unit="L/min")

Units are parsed once, when the class is created (``quantity_maker``); reading a
``measurement`` costs a query, the parser and a fraction of a microsecond to build the
pint Quantity. A ``setting`` checks the value against its limits before anything is sent.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from labctl.errors import ConfigError, InstrumentError
from labctl.units import Q_, Unit, parse_quantity, parse_unit, ureg

if TYPE_CHECKING:
    from labctl.drivers.base import Instrument


# -- quantities, fast ---------------------------------------------------------
def quantity_maker(unit: Unit | str | None) -> Callable[[Any], Any]:
    """A function ``value -> Quantity(value, unit)`` with the unit parsed now.

    pint's ``Quantity(value, unit)`` costs a few microseconds per call; this builds the
    same object (same class, magnitude and units container) in a fraction of that. At
    creation the result is compared with pint's own constructor and, should a pint
    release ever change its internals, pint's constructor is used instead.
    ``unit=None`` gives the value back unchanged (a bare number or text).
    """
    if unit is None:
        return _unchanged
    unit_obj = parse_unit(unit) if isinstance(unit, str) else unit
    template = Q_(1.5, unit_obj)
    cls, units = type(template), template._units
    new = object.__new__

    def make(value: Any) -> Any:
        q = new(cls)
        q._magnitude = value
        q._units = units
        return q

    probe = make(1.5)
    if vars(probe) != vars(template) or probe != template:  # pragma: no cover - pint changed
        return lambda value: Q_(value, unit_obj)
    return make


def _unchanged(value: Any) -> Any:
    return value


def _format_number(value: float) -> str:
    return f"{value:.12g}"


_INF = math.inf


def number(text: str) -> float:
    """The default parser of a reply: a finite decimal number (``float`` without
    ``nan``, ``inf`` or ``1_000``: an instrument never sends those)."""
    value = float(text)
    if value != value or value == _INF or value == -_INF or "_" in text:
        raise ValueError(f"{text!r} is not a finite number")
    return value


# -- descriptors ---------------------------------------------------------------
class _Typed:
    """What ``setting`` and ``measurement`` share: a name, a parser and a unit."""

    def __init__(self, unit: str | None, parser: Callable[[str], Any], doc: str | None):
        self.unit: Unit | None = parse_unit(unit) if unit is not None else None
        self.parser = parser
        self._make = quantity_maker(self.unit)
        self.name = "?"
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def _parse(self, obj: Instrument, command: str, reply: str) -> Any:
        try:
            value = self.parser(reply)
        except (ValueError, TypeError, IndexError) as exc:
            raise InstrumentError(
                f"cannot read {self.name} from the reply", instrument=obj.name,
                command=command, reply=reply,
                hint="the instrument answered something else than a value; check the "
                     "command set and the line settings") from exc
        return self._make(value)


class measurement(_Typed):  # noqa: N801 - a descriptor reads like a keyword in a driver
    """A read-only typed value: ``flow = measurement("MEAS:FLOW?", unit="L/min")``.

    Reading ``instrument.flow`` sends ``get_cmd``, parses the reply with ``parser``
    (``number`` by default: a finite decimal number) and returns a pint Quantity in
    ``unit`` (the bare parsed value when ``unit`` is None). ``range=(low, high)`` (in
    ``unit``; numbers or quantity texts; None for an open end) is what the instrument
    can indicate: a reply outside it is an ``InstrumentError``, never a reading.
    """

    def __init__(self, get_cmd: str, *, unit: str | None = None,
                 parser: Callable[[str], Any] = number, range: tuple[Any, Any] | None = None,
                 doc: str | None = None):
        super().__init__(unit, parser, doc)
        self.get_cmd = get_cmd
        self.range = None if range is None else (_bound(range[0], self.unit),
                                                 _bound(range[1], self.unit))

    def __get__(self, obj: Instrument | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        if obj.retries <= 0:
            return self._read(obj)
        # a reading is idempotent: tried again after a transient error
        return obj.retrying(self.get_cmd, lambda: self._read(obj))

    def _read(self, obj: Instrument) -> Any:
        reply = obj.query(self.get_cmd)
        try:
            value = self.parser(reply)
        except (ValueError, TypeError, IndexError):
            return self._parse(obj, self.get_cmd, reply)  # raises the named error
        if self.range is not None:
            self._check_range(obj, value, reply)
        return self._make(value)

    def _check_range(self, obj: Instrument, value: Any, reply: str) -> None:
        low, high = self.range  # type: ignore[misc]
        if (low is not None and not value >= low) or (high is not None and not value <= high):
            unit = f" {self.unit:~P}" if self.unit is not None else ""
            span = f"[{'-inf' if low is None else f'{low:g}'}, " \
                   f"{'inf' if high is None else f'{high:g}'}]{unit}"
            raise InstrumentError(
                f"{value:g}{unit} is outside the range the instrument can indicate "
                f"{span}", instrument=obj.name, command=self.get_cmd, reply=reply,
                hint="a corrupted reply, or the instrument is not the one the driver "
                     "was written for")

    def __set__(self, obj: Instrument, value: Any) -> None:
        raise AttributeError(f"{self.name} is a measurement of {obj.name!r}: it cannot be set")


class setting(_Typed):  # noqa: N801
    """A typed value that can be set and (with ``get_cmd``) read back.

    ``concentration = setting("SOUR:CONC", "SOUR:CONC?", unit="ug/m^3", limits=(0, 1000))``

    Setting accepts a Quantity of a compatible unit, a text like ``"35 ug/m^3"`` or a
    bare number taken in ``unit``. The value is checked against ``limits`` (in ``unit``;
    numbers or quantity texts; None for an open end) before anything is sent, then
    ``set_cmd`` is sent with the value formatted by ``formatter``: appended after a
    space, or in place of ``{}`` if ``set_cmd`` holds one.
    """

    def __init__(self, set_cmd: str, get_cmd: str | None = None, *, unit: str | None = None,
                 limits: tuple[Any, Any] | None = None, parser: Callable[[str], Any] = number,
                 formatter: Callable[[Any], str] = _format_number, doc: str | None = None):
        super().__init__(unit, parser, doc)
        self.set_cmd = set_cmd
        self.get_cmd = get_cmd
        self.formatter = formatter
        self.limits = None if limits is None else (self._limit(limits[0]),
                                                   self._limit(limits[1]))

    def _limit(self, value: Any) -> float | None:
        return _bound(value, self.unit)

    def __get__(self, obj: Instrument | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        if self.get_cmd is None:
            raise AttributeError(f"{self.name} of {obj.name!r} can be set but not read back")
        reply = obj.query(self.get_cmd)
        return self._parse(obj, self.get_cmd, reply)

    def __set__(self, obj: Instrument, value: Any) -> None:
        number = self._number(obj, value)
        self._check_limits(obj, number)
        text = self.formatter(number)
        command = self.set_cmd.replace("{}", text) if "{}" in self.set_cmd \
            else f"{self.set_cmd} {text}"
        obj.write(command)

    def check(self, obj: Instrument, value: Any) -> Any:
        """The number ``value`` would be sent as, checked against the unit and the
        limits, with nothing sent (a plan checks its set points this way)."""
        number = self._number(obj, value)
        self._check_limits(obj, number)
        return number

    def holds(self, obj: Instrument, value: Any, reply: str) -> bool | None:
        """Whether ``reply`` (to ``get_cmd``) shows the instrument holds ``value``: equal
        within half a unit of the reply's last digit; None when this setting cannot tell
        (a value that is not a number)."""
        sent = self.check(obj, value)
        try:
            held = self.parser(reply)
        except (ValueError, TypeError, IndexError):
            return False  # not a value at all: not what was sent
        if isinstance(sent, bool) or not isinstance(sent, int | float) \
                or not isinstance(held, int | float):
            return None
        return abs(float(held) - float(sent)) <= 0.5 * _last_digit(reply) + 1e-9 * abs(sent)

    def _number(self, obj: Instrument, value: Any) -> Any:
        where = f"instrument {obj.name!r}, setting {self.name!r}"
        if self.unit is None:
            if hasattr(value, "units"):
                return float(parse_quantity(value, where=where, expect=ureg.dimensionless))
            return value
        if isinstance(value, bool):
            raise ConfigError(f"expected a quantity in {self.unit:~P}, got {value!r}",
                              where=where)
        if isinstance(value, int | float):
            return float(value)
        q = parse_quantity(value, where=where, expect=self.unit)
        return float(q.m_as(self.unit))

    def _check_limits(self, obj: Instrument, number: Any) -> None:
        if self.limits is None or not isinstance(number, int | float):
            return
        low, high = self.limits
        bad = math.isnan(number) or (low is not None and number < low) or (
            high is not None and number > high)
        if bad:
            unit = f" {self.unit:~P}" if self.unit is not None else ""
            span = f"[{'-inf' if low is None else f'{low:g}'}, " \
                   f"{'inf' if high is None else f'{high:g}'}]{unit}"
            raise ConfigError(
                f"{number:g}{unit} is outside the limits {span}",
                where=f"instrument {obj.name!r}, setting {self.name!r}",
                hint="nothing was sent to the instrument; choose a value within the limits")


_NUMBER = re.compile(r"\s*[+-]?\d*(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*")


def _last_digit(text: str) -> float:
    """The value of one unit in the last digit of a number's text (``"33.33"``: 0.01);
    0 for a text that is not a plain number."""
    match = _NUMBER.fullmatch(text)
    if match is None:
        return 0.0
    return 10.0 ** (int(match.group(2) or 0) - len(match.group(1) or ""))


def _bound(value: Any, unit: Unit | None) -> float | None:
    """A limit or range end in ``unit``: a number, a quantity text, or None (open)."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    q = parse_quantity(value, expect=unit if unit is not None else None)
    return float(q.m_as(unit)) if unit is not None else float(q.magnitude)
