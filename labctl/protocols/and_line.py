"""The A&D standard data format (A&D balances and the many market indicators that copy
it): line formats, as pure functions.

Facts from A&D instruction manuals (FX-i / FZ-i, GX, EK-i, GC series):

- A weight line is ``ST,+00123.45  g`` + CR LF: a two-character header, a comma,
  the data (9 characters including the polarity sign and the decimal point, padded
  with leading zeros; zero has the plus sign), the unit (3 characters, right-aligned:
  ``  g``, `` kg``, `` PC``, ``  %``), then CR LF.
- Headers: ``ST`` stable weight, ``US`` unstable weight, ``OL`` out of the weighing
  range (the data is then all nines, ``+`` above, ``-`` below), ``QT`` stable count.
- Commands (ended by CR LF): ``Q`` and ``SI`` weight data immediately, ``S`` weight data
  once stable, ``R`` and ``Z`` re-zero, ``T`` tare, ``?SN`` serial number, ``?TN``
  model name, ``?PT`` tare weight, ``PT:`` change the tare weight.
- With the "AK, error code" function on, a control command is answered by the
  acknowledge code <AK> (06h) + CR LF, and ``R``/``Z``/``T`` send <AK> a second time when
  done; a command that cannot be done is answered ``EC,Exx``.

Our dialect's choices, where manuals differ between models: ``?SN`` answers
``SN,<serial>``, ``?TN`` answers ``TN,<model>``, ``?PT`` answers a weight line with the
header ``PT``, and ``PT:`` takes data and unit in the weight-line format
(``PT:+00000.00  g``); ``EC,E11`` (stability error) answers ``S``, ``Z`` or ``T`` when no
stable value came within the balance's own timeout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TERMINATION = "\r\n"
AK = "\x06"          # the acknowledge code, sent as a line of its own
DATA_FIELD = 9       # sign + digits + decimal point
UNIT_FIELD = 3       # right-aligned

HEADERS: dict[str, str] = {
    "ST": "stable weight",
    "US": "unstable weight",
    "OL": "out of the weighing range",
    "QT": "stable count",
}
COMPARISON = ("LO", "OK", "HI", "--")  # an optional second header, comparator result

ERRORS: dict[str, str] = {
    "E00": "communications error (check baud rate, parity, format)",
    "E01": "undefined command",
    "E02": "not ready (the balance cannot process the command now)",
    "E03": "timeout (the command was not completed in time)",
    "E04": "excess characters in the command",
    "E06": "format error in the command",
    "E07": "setting value out of range",
    "E11": "stability error (no stable value, zero or tare not done)",
}


@dataclass(frozen=True)
class WeightLine:
    """A parsed data line: header, value, unit text (stripped), comparator result."""

    header: str
    value: float
    unit: str
    raw: str
    comparison: str = ""

    @property
    def stable(self) -> bool:
        return self.header in ("ST", "QT")

    @property
    def out_of_range(self) -> bool:
        return self.header == "OL"


def format_data(value: float, decimals: int) -> str:
    """The 9-character data field: ``+00123.45``, ``-0012.346``, ``+00012345``."""
    digits = DATA_FIELD - 1
    body = f"{abs(value):0{digits}.{decimals}f}" if decimals else f"{abs(round(value)):0{digits}d}"
    if len(body) > digits:
        raise ValueError(f"value {value} does not fit the {DATA_FIELD}-character data field")
    sign = "-" if value < 0 and float(body) != 0.0 else "+"
    return sign + body


def overload_data(decimals: int, negative: bool = False) -> str:
    """The data of an ``OL`` line: all nines with the decimal point where it stands."""
    digits = DATA_FIELD - 1
    body = "9" * (digits - 1 - decimals) + "." + "9" * decimals if decimals else "9" * digits
    return ("-" if negative else "+") + body


def format_unit(unit: str) -> str:
    if len(unit) > UNIT_FIELD:
        raise ValueError(f"unit {unit!r} is longer than {UNIT_FIELD} characters")
    return unit.rjust(UNIT_FIELD)


def format_weight(header: str, value: float, unit: str, decimals: int) -> str:
    """``ST,+00123.45  g`` from its parts."""
    return f"{header},{format_data(value, decimals)}{format_unit(unit)}"


def format_overload(unit: str, decimals: int, negative: bool = False) -> str:
    """``OL,+99999.99  g`` (above the range) or ``OL,-99999.99  g`` (below)."""
    return f"OL,{overload_data(decimals, negative)}{format_unit(unit)}"


# The data field: a sign, digits and at most one decimal point (the out-of-range data
# 9E+19 lines are told apart before this, by their header); nothing else.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)")


def parse_weight(line: str) -> WeightLine:
    """Parse a data line such as ``ST,+00123.45  g``. Raises ``ValueError`` if it is not one."""
    text = line.rstrip("\r\n")
    if len(text) < 4 or text[2] != ",":
        raise ValueError(f"not an A&D data line: {text!r}")
    header, rest, comparison = text[:2], text[3:], ""
    if rest[:2] in COMPARISON and rest[2:3] == ",":
        comparison, rest = rest[:2], rest[3:]
    if header not in HEADERS and header != "PT":
        raise ValueError(f"unknown A&D header {header!r} in {text!r}")
    if len(rest) <= UNIT_FIELD:
        raise ValueError(f"A&D data line without data: {text!r}")
    # The unit is the last 3 characters; the data is what stands before it (9 characters
    # in the standard format; some indicators put a blank after the comma).
    data, unit = rest[:-UNIT_FIELD], rest[-UNIT_FIELD:]
    number = data.replace(" ", "")
    if not _NUMBER.fullmatch(number):
        raise ValueError(f"bad A&D data field {data!r} in {text!r}")
    unit_text = unit.strip()
    if unit_text and unit_text != "%" and not (unit_text.isascii() and unit_text.isalpha()):
        raise ValueError(f"bad A&D unit field {unit!r} in {text!r}")
    return WeightLine(header, float(number), unit_text, text, comparison)


def format_error(code: str) -> str:
    """``EC,E11`` from ``E11``."""
    return f"EC,{code}"


def parse_error(line: str) -> str | None:
    """The code of an ``EC,Exx`` line (``"E11"``), or None if the line is not an error."""
    text = line.strip("\r\n ")
    if text.startswith("EC,") and len(text) > 3:
        return text[3:].strip()
    return None


def is_ack(line: str) -> bool:
    """True for the acknowledge line (<AK>, 06h)."""
    return line.strip("\r\n ") == AK


def format_preset_tare(value: float, unit: str, decimals: int) -> str:
    """The command that sets the tare weight: ``PT:+00000.00  g``."""
    return f"PT:{format_data(value, decimals)}{format_unit(unit)}"


def parse_preset_tare(command: str) -> tuple[float, str]:
    """(value, unit) from a ``PT:`` command. Raises ``ValueError`` on a bad format."""
    if not command.startswith("PT:"):
        raise ValueError(f"not a PT: command: {command!r}")
    rest = command[3:]
    data, unit = rest[:DATA_FIELD], rest[DATA_FIELD:].strip()
    if len(data) != DATA_FIELD or data[0] not in "+-" or not unit:
        raise ValueError(f"bad PT: command {command!r}: expected e.g. 'PT:+00000.00  g'")
    return float(data), unit


def format_info(key: str, text: str) -> str:
    """``SN,T1234567`` / ``TN,FX-300i``."""
    return f"{key},{text}"


def parse_info(line: str, key: str) -> str:
    """The text of an ``SN,...`` / ``TN,...`` line. Raises ``ValueError`` on another key."""
    text = line.strip("\r\n")
    if not text.startswith(key + ","):
        raise ValueError(f"expected a {key}, line, got {text!r}")
    return text[len(key) + 1 :].strip()
