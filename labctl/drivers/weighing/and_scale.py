"""Scales and indicators speaking the A&D standard data format (A&D FX-i/GX/EK-i and the
many market indicators that copy it), over RS-232 or a serial-to-LAN adapter.

Commands used (CR LF terminated), with the replies the driver accepts::

    Q      weight now                  ST,+00123.45  g | US,... | OL,...
    S      weight once stable          ST,... | OL,... | EC,E11 (no stable value)
    C      cancel a pending S          <AK>
    Z      zero                        <AK> at receipt, <AK> when done | EC,Exx
    T      tare                        <AK> at receipt, <AK> when done | EC,Exx
    ?PT    tare weight                 PT,+00012.34  g
    PT:... set the tare weight         <AK> | EC,Exx          (clear tare: PT: with zero)
    ?TN    model name                  TN,<model>
    ?SN    serial number               SN,<serial>

<AK> is the acknowledge code 06h sent as a line of its own; it needs the balance's
"AK, error code" function on (``erCd 1``). With ``acknowledge: false`` the driver sends
``Z``, ``T`` and ``PT:`` without waiting for anything (and cannot tell a failure).
Replies carry no command name: the driver takes the first line of the kind it waits
for (a data line, <AK>, ``EC,..``) and skips others.

Driver options: the data plate (see ``labctl.drivers.weighing.scale``), ``stable_timeout``,
``acknowledge`` (default true), ``firmware`` (the A&D format has no firmware query).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar

from labctl.drivers.base import idempotent
from labctl.drivers.capabilities import Identity
from labctl.drivers.weighing.capabilities import WeighingReading
from labctl.drivers.weighing.line_scale import LineScale, timeout_cause
from labctl.drivers.weighing.scale import ScaleInstrument
from labctl.errors import ConfigError, InstrumentError, InstrumentTimeout
from labctl.protocols import and_line
from labctl.transport.base import Transport

CANCEL_TIMEOUT = 2.0  # s, for the C that cancels an S that timed out


def _is_data(line: str) -> bool:
    return len(line) > 3 and line[2] == "," and line[:2] in and_line.HEADERS


def _is_ack(line: str) -> bool:
    return and_line.is_ack(line)


class AndScale(LineScale):
    """A scale or indicator speaking the A&D standard data format."""

    maker = "A&D"
    capabilities = ("scale",)
    option_names: ClassVar[frozenset[str]] = ScaleInstrument.option_names | {
        "acknowledge", "firmware"}
    other_lines_hint = "set the balance's data output mode to command mode (not stream)"

    def __init__(self, transport: Transport | None, *, name: str, **options: Any) -> None:
        super().__init__(transport, name=name, **options)
        ack = self.options.get("acknowledge", True)
        if not isinstance(ack, bool):
            raise ConfigError(f"acknowledge must be true or false, got {ack!r}",
                              where=f"instrument {name!r}, option 'acknowledge'")
        self.acknowledge = ack
        self.firmware = str(self.options.get("firmware", ""))
        self.skipped: deque[str] = deque(maxlen=32)

    # -- the exchange ---------------------------------------------------------------
    def _expect(self, command: str, wanted: Callable[[str], bool]) -> str:
        """Read lines until one is ``wanted``; an ``EC,Exx`` line raises."""
        return self.read_reply(command, wanted, self._check_error_line, self.skipped)

    def _check_error_line(self, command: str, line: str) -> None:
        code = and_line.parse_error(line)
        if code is not None:
            raise self._error(command, code, line)

    def _error(self, command: str, code: str, line: str) -> InstrumentError:
        meaning = and_line.ERRORS.get(code, f"error {code}")
        hint = {
            "E00": "check baud rate, parity and data bits against the balance's function table",
            "E01": "this model does not know the command",
            "E02": "wait until the balance is in weighing mode with the display on",
            "E11": "the load did not settle: draught, vibration, or a weight still moving",
            "E07": "the value is outside what the balance accepts (zero or tare range)",
        }.get(code)
        return InstrumentError(meaning, instrument=self.name, command=command, reply=line,
                               hint=hint)

    def query(self, command: str) -> str:
        """Send ``command`` and return its data line (``Q``, ``S``, ``?PT``, ``?SN``...)."""
        with self.transport.lock:
            self.write(command)
            return self._expect(command, _wants(command))

    def _control(self, command: str, completions: int, timeout: float | None) -> None:
        """A control command answered by <AK> (and a second <AK> once done)."""
        with self.transport.lock:
            self.write(command)
            if not self.acknowledge:
                return
            self._expect(command, _is_ack)
            if completions:
                seconds = self.stable_seconds(timeout)
                try:
                    with self.timeout(seconds):
                        self._expect(command, _is_ack)
                except InstrumentTimeout as err:
                    raise InstrumentTimeout(
                        f"{command} not completed within {seconds:g} s",
                        instrument=self.name, command=command, reply=err.reply,
                        hint="the load did not settle or the timeout is too short") from err

    def _weight(self, command: str, line: str) -> WeighingReading:
        try:
            parsed = and_line.parse_weight(line)
        except ValueError as exc:
            raise InstrumentError(f"malformed A&D data line ({exc})", instrument=self.name,
                                  command=command, reply=line) from exc
        if parsed.out_of_range:
            return self.overload_reading(line, underload=parsed.value < 0)
        if parsed.header == "QT":
            raise InstrumentError("the balance is counting pieces, not weighing",
                                  instrument=self.name, command=command, reply=line,
                                  hint="switch the balance to a mass unit")
        return self.reading(parsed.value, parsed.unit, stable=parsed.header in ("ST", "PT"),
                            raw=line, command=command)

    # -- Scale -----------------------------------------------------------------------
    @idempotent
    def read_stable(self, timeout: float | None = None) -> WeighingReading:
        """``S``: the weight once stable (``EC,E11`` if the balance gives up)."""
        seconds = self.stable_seconds(timeout)
        try:
            with self.timeout(seconds):
                line = self.query("S")
        except InstrumentTimeout as err:
            self._cancel(seconds, err)
            raise  # not reached
        return self._weight("S", line)

    def _cancel(self, seconds: float, err: InstrumentTimeout) -> None:
        done = "the pending S was cancelled with C"
        try:
            with self.timeout(CANCEL_TIMEOUT):
                self._control("C", 0, None)
        except InstrumentError:
            done = "the balance does not answer C either: is it connected and switched on?"
        raise InstrumentTimeout(
            f"no stable weight within {seconds:g} s", instrument=self.name, command="S",
            reply=err.reply, hint=f"{timeout_cause(err)}; {done}") from err

    @idempotent
    def read_immediate(self) -> WeighingReading:
        """``Q``: the weight now, stable (ST) or not (US)."""
        return self._weight("Q", self.query("Q"))

    def zero(self, timeout: float | None = None) -> None:
        """``Z``: re-zero (the balance waits for stability). A lost or garbled reply is
        settled by reading the scale back (``zero_confirmed``)."""
        self.zero_confirmed(lambda: self._control("Z", 1, timeout), timeout)

    def tare(self, timeout: float | None = None) -> WeighingReading:
        """``T``: tare once stable; returns the tare weight (``?PT``). A lost or garbled
        acknowledgement is settled by reading the scale back (``tare_confirmed``)."""
        def t() -> WeighingReading:
            self._control("T", 1, timeout)
            return self.tare_weight()

        return self.tare_confirmed(t, self.tare_weight, timeout)

    @idempotent
    def tare_weight(self) -> WeighingReading:
        """``?PT``: the tare weight in memory."""
        return self._weight("?PT", self.query("?PT"))

    @idempotent  # clearing twice leaves the same state
    def clear_tare(self) -> None:
        """``PT:`` with a zero tare weight."""
        command = and_line.format_preset_tare(0.0, self.unit_symbol, self.decimals)
        self._control(command, 0, None)

    # -- identity --------------------------------------------------------------------
    @idempotent
    def identify(self) -> Identity:
        """Model (``?TN``) and serial number (``?SN``); firmware from the options."""
        model = self._info("?TN", "TN")
        serial = self._info("?SN", "SN")
        return Identity(maker=self.maker, model=model, serial=serial, firmware=self.firmware)

    def _info(self, command: str, key: str) -> str:
        line = self.query(command)
        return and_line.parse_info(line, key)


def _wants(command: str) -> Callable[[str], bool]:
    if command in ("?SN", "?TN", "?ID"):
        prefix = command[1:] + ","
        return lambda line: line.startswith(prefix)
    if command == "?PT":
        return lambda line: line.startswith("PT,")
    return _is_data
