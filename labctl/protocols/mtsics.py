"""MT-SICS, the Mettler Toledo Standard Interface Command Set: line formats.

Facts from the MT-SICS reference manuals (level 0 and 1):

- A command is upper-case ASCII, parameters separated by one space, ended by CR LF.
- A response starts with the command's name (the *head*), then a status, then data:
  ``S S     100.00 g``: head ``S``, status ``S`` (stable), the weight value
  right-aligned in a 10-character field, one space, the unit.
- Statuses: ``A`` command executed, ``S`` stable value, ``D`` dynamic (not stable)
  value, ``I`` command understood but not executable now (busy, or the balance timed
  out waiting for stability), ``+`` overload / upper limit, ``-`` underload / lower limit,
  ``L`` logical error in a parameter.
- Errors not tied to a command: ``ES`` syntax error (command not recognised),
  ``ET`` transmission error (parity, break...), ``EL`` logical error (cannot execute).
- ``@`` (reset) answers like ``I4``: ``I4 A "serial number"``; a balance may send that
  line unasked when it is switched on.
- ``SI`` answers with head ``S`` (``S S`` or ``S D``); ``I2`` gives the type and the
  capacity in one quoted text, e.g. ``I2 A "PG5002-S 5100.0 g"`` (the type may hold
  spaces: read it from the right).

Everything here is a pure function over strings; no I/O.
"""

from __future__ import annotations

from typing import NamedTuple

TERMINATION = "\r\n"
WEIGHT_FIELD = 10  # width of the right-aligned weight value

ERRORS: dict[str, str] = {
    "ES": "syntax error: the balance did not recognise the command",
    "ET": "transmission error: the balance received a corrupted command (parity, framing)",
    "EL": "logical error: the balance cannot execute the command (bad or missing parameter)",
}

STATUS_TEXT: dict[str, str] = {
    "A": "executed",
    "S": "stable",
    "D": "dynamic (not stable)",
    "I": "not executable now (busy, or no stable value within the balance's timeout)",
    "+": "overload (above the weighing or zero/tare range)",
    "-": "underload (below the weighing or zero/tare range)",
    "L": "logical error in a parameter",
}

# Commands whose response does not start with their own name.
_REPLY_HEADS: dict[str, str] = {"@": "I4", "SI": "S", "SIR": "S", "SR": "S"}


def command_name(command: str) -> str:
    """The name of a command line (``"D \\"Hello\\""`` -> ``"D"``)."""
    return command.split(" ", 1)[0].strip()


def reply_head(command: str) -> str:
    """The head a response to ``command`` starts with (``S`` -> ``S``, ``@`` -> ``I4``)."""
    name = command_name(command)
    return _REPLY_HEADS.get(name, name)


def split_fields(line: str) -> list[str]:
    """Split a response at blanks, keeping quoted texts whole (quotes removed)."""
    if '"' not in line:
        return line.split()
    fields: list[str] = []
    i, n = 0, len(line)
    while i < n:
        if line[i] == " ":
            i += 1
        elif line[i] == '"':
            j = line.find('"', i + 1)
            if j < 0:
                raise ValueError(f"unterminated quoted text in MT-SICS line {line!r}")
            fields.append(line[i + 1 : j])
            i = j + 1
        else:
            j = line.find(" ", i)
            j = n if j < 0 else j
            fields.append(line[i:j])
            i = j
    return fields


class Response(NamedTuple):
    """One response line, split: ``head`` (command name or error code), ``status``
    (``A``, ``S``, ``D``, ``I``, ``+``, ``-``, ``L`` or ``""``) and the data fields."""

    head: str
    status: str
    data: tuple[str, ...]
    raw: str

    @property
    def is_error(self) -> bool:
        """True for the command-independent error replies ``ES``, ``ET``, ``EL``."""
        return self.head in ERRORS


def parse_response(line: str) -> Response:
    """Split a response line (without its CR LF). Raises ``ValueError`` on an empty line."""
    text = line.strip("\r\n")
    fields = split_fields(text)
    if not fields:
        raise ValueError("empty MT-SICS response")
    head = fields[0]
    if head in ERRORS or len(fields) == 1:
        return Response(head, "", tuple(fields[1:]), text)
    return Response(head, fields[1], tuple(fields[2:]), text)


_DIGITS = frozenset("0123456789")


def parse_weight(response: Response) -> tuple[float, str]:
    """The (value, unit) of a weight response such as ``S S     100.00 g``, read
    strictly: a sign, digits and one decimal point in the 10-character field, then one
    space and a unit of letters. Anything else (a garbled character, ``nan``, an
    exponent) raises ``ValueError``."""
    if len(response.data) != 2:
        raise ValueError(f"expected a weight value and a unit in {response.raw!r}")
    value, unit = response.data
    body = value[1:] if value[:1] == "-" else value
    whole, _, frac = body.partition(".")
    if (not whole or not _DIGITS.issuperset(whole) or not _DIGITS.issuperset(frac)
            or (body.endswith(".")) or len(value) > WEIGHT_FIELD):
        raise ValueError(f"weight value {value!r} is not a decimal number of at most "
                         f"{WEIGHT_FIELD} characters")
    if not unit.isascii() or not unit.isalpha():
        raise ValueError(f"weight unit {unit!r} is not a unit symbol")
    return float(value), unit


def format_weight_value(value: float, decimals: int) -> str:
    """A weight value right-aligned in the 10-character field (``'    100.00'``)."""
    text = f"{value:.{decimals}f}"
    if text.startswith("-") and float(text) == 0.0:
        text = text[1:]  # a balance shows 0.00, never -0.00
    if len(text) > WEIGHT_FIELD:
        raise ValueError(f"weight value {text} does not fit the {WEIGHT_FIELD}-character field")
    return text.rjust(WEIGHT_FIELD)


def weight_response(head: str, status: str, value: float, unit: str, decimals: int) -> str:
    """``S S     100.00 g`` from its parts."""
    return f"{head} {status} {format_weight_value(value, decimals)} {unit}"


def status_response(head: str, status: str) -> str:
    """A response without data: ``Z A``, ``S I``, ``S +``."""
    return f"{head} {status}"


def text_response(head: str, status: str, *texts: str) -> str:
    """A response with quoted texts: ``I4 A "B123456789"``."""
    for text in texts:
        if '"' in text:
            raise ValueError(f"MT-SICS texts cannot hold a double quote: {text!r}")
    return " ".join([head, status, *(f'"{t}"' for t in texts)])


def parse_type_data(response: Response) -> tuple[str, float | None, str | None]:
    """(type, capacity, unit) from an ``I2 A "..."`` response, read from the right:
    ``I2 A "PG5002-S DeltaRange 5100.0 g"`` -> ("PG5002-S DeltaRange", 5100.0, "g").
    Capacity and unit are None when the text does not end in a value and a unit."""
    words = " ".join(response.data).split()
    if len(words) >= 2:
        try:
            capacity = float(words[-2])
        except ValueError:
            return " ".join(words), None, None
        return " ".join(words[:-2]), capacity, words[-1]
    return " ".join(words), None, None

