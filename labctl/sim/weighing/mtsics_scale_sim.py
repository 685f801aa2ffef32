"""A simulated balance speaking MT-SICS (level 0 and 1), on the shared weighing platform.

Commands (CR LF, or a bare LF or CR) and replies (CR LF)::

    @      I4 A "<serial>"        reset: cancels pending commands, clears the tare
    S      S S <value> <unit>     once stable; S I after the device's timeout; S + / S -
    SI     S S | S D <value> <unit>, S + / S -
    Z      Z A once stable (zero set then); Z I after the timeout; Z + / Z - out of range
    ZI     ZI S | ZI D (zero set now); ZI + / ZI -
    T      T S <tare> <unit> once stable; T I; T + (above Max) / T - (below zero)
    TI     TI S | TI D <tare> <unit>
    TA     TA A <tare> <unit>
    TAC    TAC A
    I2     I2 A "<model> <Max> <unit>"
    I3     I3 A "<firmware>"
    I4     I4 A "<serial>"
    else   ES (unknown command), EL (a parameter where none is allowed), ET (a corrupted byte)

The weight value stands right-aligned in 10 characters with the decimals of d. At power
on the balance sends ``I4 A "<serial>"`` unasked (``power_on_message: false`` stops it).
A reply that needs a stable load comes when the load has settled (``Reply`` delay), so
on a virtual clock ``S`` costs no wall time. Parameters: see ``labctl.sim.weighing.build``,
plus ``power_on_message``. Defaults: model ``"LABCTL-SIM MT 15"``, serial ``"B000000001"``,
firmware ``"1.00"``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from labctl.protocols import mtsics
from labctl.sim.device import Reply
from labctl.sim.params import ParamReader
from labctl.sim.weighing.build import SCALE_KEYS, build_scale
from labctl.sim.weighing.scale_front_sim import ScaleFront
from labctl.sim.weighing.scale_model import ScaleModel
from labctl.sim.world import World

NAME = "mtsics-scale"
KEYS = (*SCALE_KEYS, "power_on_message")


class MtSicsScaleSim(ScaleFront):
    """The device: an MT-SICS front on a ``ScaleModel``."""

    name = NAME
    corrupted_reply = "ET"
    overlong_reply = "ES"  # a command longer than max_command_length: a syntax error

    def __init__(self, clock: Any, model: ScaleModel, *, serial: str = "B000000001",
                 type_name: str = "LABCTL-SIM MT 15", firmware: str = "1.00",
                 power_on_message: bool = True) -> None:
        self.firmware = firmware
        self.power_on_message = power_on_message
        self._commands: dict[str, Callable[[float], list[str | Reply]]] = {
            "@": self._reset, "S": self._stable, "SI": self._immediate, "Z": self._zero,
            "ZI": self._zero_now, "T": self._tare, "TI": self._tare_now, "TA": self._tare_value,
            "TAC": self._clear_tare, "I2": self._i2, "I3": self._i3, "I4": self._i4,
        }
        super().__init__(clock, model, serial=serial, type_name=type_name)

    def power_on(self) -> list[str]:
        return [mtsics.text_response("I4", "A", self.serial)] if self.power_on_message else []

    # -- the protocol -----------------------------------------------------------------
    def dispatch(self, start: float, text: str) -> list[str | Reply]:
        name, _, args = text.partition(" ")
        handler = self._commands.get(name)
        if handler is None:
            return [self.reply_at(start, "ES")]
        if args.strip():
            return [self.reply_at(start, "EL")]
        return handler(start)

    def _weight(self, head: str, status: str, value: float) -> str:
        return mtsics.weight_response(head, status, value, self.model.unit, self.model.decimals)

    def _reset(self, start: float) -> list[str | Reply]:
        self.cancel_pending()
        self.model.cancel_pending()
        self.model.tare = 0.0
        return [self.reply_at(self.clock.now(), mtsics.text_response("I4", "A", self.serial))]

    def _stable(self, start: float) -> list[str | Reply]:
        at = self.stable_time(start)
        out = self.out_of_range(start, at)
        if out is not None:  # overload shows at once, stable or not
            return [self.reply_at(out[0], f"S {out[1]}")]
        if at is None:
            return [self.reply_at(self.timeout_at(start), "S I")]
        ind = self.model.indicate(at)
        if ind.overload or ind.underload:
            return [self.reply_at(at, "S +" if ind.overload else "S -")]
        return [self.reply_at(at, self._weight("S", "S", ind.value))]

    def _immediate(self, start: float) -> list[str | Reply]:
        ind = self.model.indicate(start)
        if ind.overload or ind.underload:
            return [self.reply_at(start, "S +" if ind.overload else "S -")]
        return [self.reply_at(start, self._weight("S", "S" if ind.stable else "D", ind.value))]

    def _zero(self, start: float) -> list[str | Reply]:
        at = self.stable_time(start)
        if at is None:
            return [self.reply_at(self.timeout_at(start), "Z I")]
        return [self.reply_at(at, f"Z {self.zero_at(at)}")]

    def _zero_now(self, start: float) -> list[str | Reply]:
        status = self.model.zero_check(start)
        if status != "A":
            return [self.reply_at(start, f"ZI {status}")]
        stable = self.model.is_stable(start)
        self.model.set_zero(start)
        return [self.reply_at(start, "ZI S" if stable else "ZI D")]

    def _tare(self, start: float) -> list[str | Reply]:
        at = self.stable_time(start)
        if at is None:
            return [self.reply_at(self.timeout_at(start), "T I")]
        status, value = self.tare_at(at)
        if status != "S":
            return [self.reply_at(at, f"T {status}")]
        return [self.reply_at(at, self._weight("T", "S", value))]

    def _tare_now(self, start: float) -> list[str | Reply]:
        status = self.model.tare_check(start)
        if status != "S":
            return [self.reply_at(start, f"TI {status}")]
        stable = self.model.is_stable(start)
        value = self.model.set_tare(start)
        return [self.reply_at(start, self._weight("TI", "S" if stable else "D", value))]

    def _tare_value(self, start: float) -> list[str | Reply]:
        self.model.indicate(start)  # apply a tare still pending
        return [self.reply_at(start, self._weight("TA", "A", self.model.tare))]

    def _clear_tare(self, start: float) -> list[str | Reply]:
        model = self.model
        model.schedule(start, lambda: setattr(model, "tare", 0.0))
        return [self.reply_at(start, "TAC A")]

    def _i2(self, start: float) -> list[str | Reply]:
        p = self.model.p
        text = f"{self.type_name} {p.max:.{self.model.decimals}f} {p.unit}"
        return [self.reply_at(start, mtsics.text_response("I2", "A", text))]

    def _i3(self, start: float) -> list[str | Reply]:
        return [self.reply_at(start, mtsics.text_response("I3", "A", self.firmware))]

    def _i4(self, start: float) -> list[str | Reply]:
        return [self.reply_at(start, mtsics.text_response("I4", "A", self.serial))]


def create(world: World, params: Mapping[str, Any]) -> MtSicsScaleSim:
    """Simulator factory (entry point ``mtsics-scale`` in ``labctl.simulators``)."""
    reader = ParamReader(params, NAME, KEYS)
    name = reader.text("name", NAME)
    model = build_scale(world, reader, name)
    return MtSicsScaleSim(world.clock, model,
                          serial=reader.text("serial", "B000000001"),
                          type_name=reader.text("model", "LABCTL-SIM MT 15"),
                          firmware=reader.text("firmware", "1.00"),
                          power_on_message=reader.flag("power_on_message", True))
