"""Mettler Toledo balances and scales over MT-SICS (level 0 and 1), RS-232 or Ethernet.

Commands used (CR LF terminated), with the responses the driver accepts::

    @     reset, cancel pending commands   I4 A "<serial>"
    S     stable weight                    S S <value> <unit> | S I | S + | S -
    SI    weight now                       S S ... | S D <value> <unit> | S I | S + | S -
    Z     zero once stable                 Z A | Z I | Z + | Z -
    ZI    zero now                         ZI S | ZI D | ZI I | ZI + | ZI -
    T     tare once stable                 T S <value> <unit> | T I | T + | T -
    TAC   clear the tare                   TAC A | TAC I
    I2    type and capacity                I2 A "<type> <capacity> <unit>"
    I3    software version                 I3 A "<version>"
    I4    serial number                    I4 A "<serial>"
    any   ES (syntax) | ET (transmission) | EL (logical error)

Replies are matched to the command by their head (``S`` for ``S`` and ``SI``, ``I4``
for ``@``): a line with another head, such as the ``I4 A "..."`` a balance sends unasked
when switched on, is skipped (and kept in ``unsolicited``). A command that waits for
stability (``S``, ``Z``, ``T``) gets the timeout given to it or the ``stable_timeout``
option; when that passes, the pending command is cancelled with ``@`` (which also clears
the tare) so that its late reply cannot be taken for the next one's.

Driver options: the data plate (see ``labctl.drivers.weighing.scale``) and ``stable_timeout``.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from labctl.drivers.base import idempotent
from labctl.drivers.capabilities import Identity
from labctl.drivers.weighing.capabilities import WeighingReading
from labctl.drivers.weighing.line_scale import LineScale, timeout_cause
from labctl.errors import InstrumentError, InstrumentTimeout
from labctl.protocols import mtsics
from labctl.transport.base import Transport

RESET_TIMEOUT = 5.0  # s, for the @ that cancels a command that timed out


class MtSicsScale(LineScale):
    """A balance or scale speaking MT-SICS (Mettler Toledo and compatible indicators)."""

    maker = "Mettler Toledo"
    capabilities = ("scale",)
    error_replies = mtsics.ERRORS
    other_lines_hint = ("another program or a print-out setting is sending on this line; "
                        "switch the balance's interface to host (MT-SICS) mode")

    def __init__(self, transport: Transport | None, *, name: str, **options: Any) -> None:
        super().__init__(transport, name=name, **options)
        self.unsolicited: deque[str] = deque(maxlen=32)

    # -- the exchange ------------------------------------------------------------
    def query(self, command: str) -> str:
        """Send ``command``; return the first line whose head answers it. Error replies
        (``ES``, ``ET``, ``EL``) raise ``InstrumentError``."""
        head = mtsics.reply_head(command)
        with self.transport.lock:
            self.write(command)
            return self.read_reply(command, lambda line: line.split(" ", 1)[0] == head,
                                   self._check_error_line, self.unsolicited)

    def _check_error_line(self, command: str, line: str) -> None:
        if line.split(" ", 1)[0] in mtsics.ERRORS:
            self.check_reply(command, line)

    def error_hint(self, code: str) -> str | None:
        return {
            "ES": "the balance does not know this command: check its MT-SICS level",
            "ET": "check the baud rate, parity and cable",
            "EL": "the command's parameter is not allowed on this balance",
        }.get(code)

    def _waiting(self, command: str, timeout: float | None) -> mtsics.Response:
        """A command that waits for stability, with its timeout and the @ recovery."""
        seconds = self.stable_seconds(timeout)
        try:
            with self.timeout(seconds):
                line = self.query(command)
        except InstrumentTimeout as err:
            self._cancel_after_timeout(command, seconds, err)
            raise  # not reached: _cancel_after_timeout raises
        return self._response(command, line)

    def _cancel_after_timeout(self, command: str, seconds: float,
                              err: InstrumentTimeout) -> None:
        try:
            with self.timeout(min(RESET_TIMEOUT, max(seconds, 0.5))):
                self.query("@")
            done = "the command was cancelled with @, which also cleared the tare"
        except InstrumentError:
            done = "the balance does not answer @ either: is it connected and switched on?"
        raise InstrumentTimeout(
            f"no reply to {command} within {seconds:g} s", instrument=self.name,
            command=command, reply=err.reply, hint=f"{timeout_cause(err)}; {done}") from err

    def _response(self, command: str, line: str) -> mtsics.Response:
        try:
            return mtsics.parse_response(line)
        except ValueError as exc:
            raise InstrumentError(f"malformed MT-SICS reply ({exc})", instrument=self.name,
                                  command=command, reply=line) from exc

    def _refused(self, command: str, response: mtsics.Response) -> InstrumentError:
        text = {
            "I": "the balance cannot execute it now (busy, or no stable value within its "
                 "own timeout)",
            "+": "upper limit exceeded (overload, or above the zero-setting / tare range)",
            "-": "lower limit exceeded (underload, or below the zero-setting range)",
            "L": "the balance refused a parameter",
        }.get(response.status, f"unexpected status {response.status!r}")
        hint = {
            "I": "wait until the load is steady (no draught, no vibration) and try again",
            "+": "remove load; zero-setting works within a few % of Max",
            "-": "put the load receptor in place and zero the balance",
        }.get(response.status)
        return InstrumentError(text, instrument=self.name, command=command,
                               reply=response.raw, hint=hint)

    def _weight(self, command: str, response: mtsics.Response) -> WeighingReading:
        status = response.status
        if status in ("S", "D"):
            try:
                value, unit = mtsics.parse_weight(response)
            except ValueError as exc:
                raise InstrumentError(f"malformed weight reply ({exc})", instrument=self.name,
                                      command=command, reply=response.raw) from exc
            return self.reading(value, unit, stable=status == "S", raw=response.raw,
                                command=command)
        if status == "+":
            return self.overload_reading(response.raw)
        if status == "-":
            return self.overload_reading(response.raw, underload=True)
        raise self._refused(command, response)

    # -- Scale -----------------------------------------------------------------------
    @idempotent
    def read_stable(self, timeout: float | None = None) -> WeighingReading:
        """``S``: the next stable weight (overload and underload come back flagged)."""
        return self._weight("S", self._waiting("S", timeout))

    @idempotent
    def read_immediate(self) -> WeighingReading:
        """``SI``: the weight now, stable or dynamic."""
        line = self.query("SI")
        return self._weight("SI", self._response("SI", line))

    def zero(self, timeout: float | None = None) -> None:
        """``Z``: zero once the load is stable (within the zero-setting range). A lost or
        garbled reply is settled by reading the scale back (``zero_confirmed``)."""
        def z() -> None:
            response = self._waiting("Z", timeout)
            if response.status != "A":
                raise self._refused("Z", response)

        self.zero_confirmed(z, timeout)

    def zero_immediately(self) -> bool:
        """``ZI``: zero now; True if the balance was stable when it did."""
        response = self._response("ZI", self.query("ZI"))
        if response.status not in ("S", "D"):
            raise self._refused("ZI", response)
        return response.status == "S"

    def tare(self, timeout: float | None = None) -> WeighingReading:
        """``T``: tare once stable; returns the tare value. A lost or garbled reply is
        settled by reading the scale back (``tare_confirmed``)."""
        def t() -> WeighingReading:
            response = self._waiting("T", timeout)
            if response.status != "S":
                raise self._refused("T", response)
            return self._weight("T", response)

        return self.tare_confirmed(t, self.tare_value, timeout)

    @idempotent
    def tare_value(self) -> WeighingReading:
        """``TA``: the tare value in memory."""
        response = self._response("TA", self.query("TA"))
        if response.status != "A":
            raise self._refused("TA", response)
        try:
            value, unit = mtsics.parse_weight(response)
        except ValueError as exc:
            raise InstrumentError(f"malformed tare reply ({exc})", instrument=self.name,
                                  command="TA", reply=response.raw) from exc
        return self.reading(value, unit, stable=True, raw=response.raw, command="TA")

    @idempotent  # clearing twice leaves the same state
    def clear_tare(self) -> None:
        """``TAC``: clear the tare memory."""
        response = self._response("TAC", self.query("TAC"))
        if response.status != "A":
            raise self._refused("TAC", response)

    def reset(self) -> str:
        """``@``: reset (cancels pending commands, clears the tare); returns the serial."""
        response = self._response("@", self.query("@"))
        return self._text("@", response)

    # -- identity --------------------------------------------------------------------
    def _text(self, command: str, response: mtsics.Response) -> str:
        if response.status != "A" or not response.data:
            raise self._refused(command, response)
        return " ".join(response.data).strip()

    @idempotent
    def type_data(self) -> tuple[str, Any]:
        """``I2``: the balance type and its capacity as it reports them (None if absent)."""
        response = self._response("I2", self.query("I2"))
        if response.status != "A":
            raise self._refused("I2", response)
        model, capacity, unit = mtsics.parse_type_data(response)
        if capacity is None or unit is None:
            return model, None
        return model, self.reading(capacity, unit, stable=True, raw=response.raw,
                                   command="I2", indication=False).value

    @idempotent
    def identify(self) -> Identity:
        """Model (``I2``), serial number (``I4``) and software version (``I3``)."""
        model, _ = self.type_data()
        serial = self._text("I4", self._response("I4", self.query("I4")))
        firmware = self._text("I3", self._response("I3", self.query("I3")))
        return Identity(maker=self.maker, model=model, serial=serial, firmware=firmware)
