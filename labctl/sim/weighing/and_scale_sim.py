"""A simulated scale speaking the A&D standard data format, on the shared weighing platform.

Commands (CR LF, or a bare LF or CR) and replies (CR LF), with the "AK, error code"
function on (``ack: true``, the default)::

    Q, SI   ST,+0012.345 kg | US,... | OL,+9999.999 kg | OL,-9999.999 kg
    S       ST,... once stable | OL,... | EC,E11 after the device's timeout
    C       <AK>; cancels a pending S
    Z, R    <AK> now, <AK> once stable and zeroed | EC,E07 (outside the zero-setting
            range) | EC,E11 (no stable load within the timeout)
    T       <AK> now, <AK> once stable and tared | EC,E07 (gross above Max or below zero)
            | EC,E11
    ?PT     PT,+0000.250 kg          the tare weight
    PT:<data><unit>  <AK> | EC,E06 (bad format) | EC,E07 (out of range)   set the tare
    ?SN     SN,<serial>
    ?TN     TN,<model>
    else    EC,E01 (undefined command); EC,E00 for a corrupted byte

<AK> is the byte 06h, sent as a line. With ``ack: false`` control commands (C, Z, R, T,
PT:) get no reply at all, errors included. Data: 9 characters with sign and decimal
point (the decimals of d), unit right-aligned in 3. Parameters: see
``labctl.sim.weighing.build``, plus ``ack``. Defaults: model ``"LABCTL-SIM AD 15"``, serial
``"T0000001"``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from labctl.protocols import and_line
from labctl.sim.device import Reply
from labctl.sim.params import ParamReader
from labctl.sim.weighing.build import SCALE_KEYS, build_scale
from labctl.sim.weighing.scale_front_sim import ScaleFront
from labctl.sim.weighing.scale_model import Indication, ScaleModel
from labctl.sim.world import World

NAME = "and-scale"
KEYS = (*SCALE_KEYS, "ack")


class AndScaleSim(ScaleFront):
    """The device: an A&D-format front on a ``ScaleModel``."""

    name = NAME
    corrupted_reply = and_line.format_error("E00")
    # A command longer than max_command_length (4096 bytes): E04, excess characters
    overlong_reply = and_line.format_error("E04")

    def __init__(self, clock: Any, model: ScaleModel, *, serial: str = "T0000001",
                 type_name: str = "LABCTL-SIM AD 15", ack: bool = True) -> None:
        self.ack = ack
        self._commands: dict[str, Callable[[float], list[str | Reply]]] = {
            "Q": self._immediate, "SI": self._immediate, "S": self._stable,
            "C": self._cancel, "Z": self._zero, "R": self._zero, "T": self._tare,
            "?PT": self._tare_weight, "?SN": self._serial, "?TN": self._model,
        }
        super().__init__(clock, model, serial=serial, type_name=type_name)

    # -- the protocol -----------------------------------------------------------------
    def dispatch(self, start: float, text: str) -> list[str | Reply]:
        if text.startswith("PT:"):
            return self._preset_tare(start, text)
        handler = self._commands.get(text)
        if handler is None:
            return [self.reply_at(start, and_line.format_error("E01"))]
        return handler(start)

    def _line(self, ind: Indication) -> str:
        m = self.model
        if ind.overload or ind.underload:
            return and_line.format_overload(m.unit, m.decimals, negative=ind.underload)
        header = "ST" if ind.stable else "US"
        return and_line.format_weight(header, ind.value, m.unit, m.decimals)

    def _control(self, replies: list[str | Reply]) -> list[str | Reply]:
        """Control commands answer only with the AK/error function on (the device stays
        busy for as long either way: ``reply_at`` has noted it)."""
        return replies if self.ack else []

    def _ak(self, t: float) -> Reply:
        return self.reply_at(t, and_line.AK)

    def _error(self, t: float, code: str) -> Reply:
        return self.reply_at(t, and_line.format_error(code))

    def _immediate(self, start: float) -> list[str | Reply]:
        return [self.reply_at(start, self._line(self.model.indicate(start)))]

    def _stable(self, start: float) -> list[str | Reply]:
        at = self.stable_time(start)
        out = self.out_of_range(start, at)
        if out is not None:  # out of range shows at once, stable or not
            m = self.model
            return [self.reply_at(out[0], and_line.format_overload(
                m.unit, m.decimals, negative=out[1] == "-"))]
        if at is None:
            return [self._error(self.timeout_at(start), "E11")]
        return [self.reply_at(at, self._line(self.model.indicate(at)))]

    def _cancel(self, start: float) -> list[str | Reply]:
        self.cancel_pending()
        return self._control([self._ak(self.clock.now())])

    def _zero(self, start: float) -> list[str | Reply]:
        return self._once_stable(start, lambda at: self.zero_at(at) == "A")

    def _tare(self, start: float) -> list[str | Reply]:
        return self._once_stable(start, lambda at: self.tare_at(at)[0] == "S")

    def _once_stable(self, start: float, done: Callable[[float], bool]) -> list[str | Reply]:
        """<AK> now; once the load is stable, <AK> if ``done(at)`` else ``EC,E07``
        (outside the range); ``EC,E11`` if the load does not settle in time."""
        first = self._ak(start)
        at = self.stable_time(start)
        if at is None:
            return self._control([first, self._error(self.timeout_at(start), "E11")])
        if not done(at):
            return self._control([first, self._error(at, "E07")])
        return self._control([first, self._ak(at)])

    def _tare_weight(self, start: float) -> list[str | Reply]:
        m = self.model
        m.indicate(start)  # apply a tare still pending
        return [self.reply_at(start, and_line.format_weight("PT", m.tare, m.unit, m.decimals))]

    def _preset_tare(self, start: float, text: str) -> list[str | Reply]:
        m = self.model
        try:
            value, unit = and_line.parse_preset_tare(text)
        except ValueError:
            return self._control([self._error(start, "E06")])
        if unit != m.unit:
            return self._control([self._error(start, "E06")])
        if value < 0 or value > m.p.max:
            return self._control([self._error(start, "E07")])
        tare = m.round(value)
        m.schedule(start, lambda: setattr(m, "tare", tare))
        return self._control([self._ak(start)])

    def _serial(self, start: float) -> list[str | Reply]:
        return [self.reply_at(start, and_line.format_info("SN", self.serial))]

    def _model(self, start: float) -> list[str | Reply]:
        return [self.reply_at(start, and_line.format_info("TN", self.type_name))]


def create(world: World, params: Mapping[str, Any]) -> AndScaleSim:
    """Simulator factory (entry point ``and-scale`` in ``labctl.simulators``)."""
    reader = ParamReader(params, NAME, KEYS)
    name = reader.text("name", NAME)
    model = build_scale(world, reader, name)
    return AndScaleSim(world.clock, model, serial=reader.text("serial", "T0000001"),
                       type_name=reader.text("model", "LABCTL-SIM AD 15"),
                       ack=reader.flag("ack", True))
