"""Mass-flow controller with an ASCII poll/set-point protocol in the style of common
laboratory MFCs (RS-232/RS-485; capabilities ``source`` and ``meter``).

Every command begins with the unit's address letter (option ``address``, default
``A``); commands and replies end in CR::

    A            poll       ->  A +0.49980 +0.50000 N2     flow, set point (L/min), gas
    AS<Q>        set point  ->  the poll line               e.g. AS0.5
    AFS          full scale ->  A 5.000 L/min
    AID          identity   ->  A maker,model,serial,firmware
    error replies:  A ?ERR RANGE (value refused),  A ?ERR CMD (unknown command)

The set point (``flow``) is checked against the full scale (option ``full_scale``)
before it is sent. There is no separate output: ``output(False)`` and the safe state set
the flow to 0; ``ready()`` is true when the flow is within 1 % of full scale of the set
point.
"""

from __future__ import annotations

from typing import Any, ClassVar

from labctl.drivers.base import Instrument, option_quantity, quantity_maker, setting
from labctl.drivers.capabilities import Identity, Reading
from labctl.errors import ConfigError, InstrumentError

_FLOW = quantity_maker("L/min")


class MassFlowController(Instrument):
    capabilities = ("source", "meter")
    measurements: ClassVar[tuple[str, ...]] = ("flow",)
    option_names: ClassVar[frozenset[str]] = frozenset({"address", "full_scale"})

    flow = setting("S{}", None, unit="L/min", limits=(0, None),
                   formatter=lambda v: f"{v:.5f}", doc="flow set point")

    def __init__(self, transport: Any, *, name: str, **options: Any) -> None:
        super().__init__(transport, name=name, **options)
        address = str(self.options.get("address", "A")).upper()
        if len(address) != 1 or not address.isalpha():
            raise ConfigError(f"address {address!r}: one letter A..Z",
                              where=f"instrument {name!r}, option 'address'")
        self.address = address
        self.full_scale = float(option_quantity(name, self.options, "full_scale", "L/min",
                                                "5 L/min").m_as("L/min"))
        self._last_set = 0.0

    def _ask(self, command: str) -> list[str]:
        reply = self.query(self.address + command)
        words = reply.split()
        if not words or words[0] != self.address:
            raise InstrumentError("the reply is not from this unit", instrument=self.name,
                                  command=self.address + command, reply=reply,
                                  hint="check the unit's address")
        if len(words) > 1 and words[1].startswith("?ERR"):
            raise InstrumentError(f"the MFC refused the command ({' '.join(words[1:])})",
                                  instrument=self.name, command=self.address + command,
                                  reply=reply, hint="check the set point against the full scale")
        return words[1:]

    def identify(self) -> Identity:
        words = " ".join(self._ask("ID")).split(",")
        if len(words) < 3:
            raise InstrumentError("cannot read maker, model and serial", instrument=self.name,
                                  command=self.address + "ID")
        return Identity(*[w.strip() for w in words[:3]],
                        words[3].strip() if len(words) > 3 else "")

    def set_point(self, name: str, value: Any) -> None:
        if name != "flow":
            super().set_point(name, value)
            return
        number = type(self).flow.check(self, value)
        if number > self.full_scale * (1 + 1e-9):
            raise ConfigError(f"{number:g} L/min is above the full scale {self.full_scale:g} "
                              "L/min", where=f"instrument {self.name!r}, setting 'flow'",
                              hint="nothing was sent to the MFC")
        self._ask(f"S{number:.5f}")
        self._last_set = number

    def output(self, on: bool) -> None:
        if not on:
            self._ask("S0")

    def ready(self) -> bool:
        words = self._ask("")
        return abs(float(words[0]) - float(words[1])) <= 0.01 * self.full_scale

    def measure(self, name: str | None = None, *, stable: bool = False,
                timeout: float | None = None) -> Reading:
        if name not in (None, "flow"):
            raise InstrumentError(f"the MFC measures flow, not {name!r}",
                                  instrument=self.name, command="measure")
        words = self._ask("")
        try:
            value = float(words[0])
        except (ValueError, IndexError):
            raise InstrumentError("cannot read the flow from the poll reply",
                                  instrument=self.name, command=self.address) from None
        return Reading(value=_FLOW(value), stable=None, raw=" ".join(words))

    def safe_state(self) -> None:
        self.write(self.address + "S0")
        self.read(self.address + "S0")

    def data_plate(self) -> dict[str, Any]:
        return {"full_scale": f"{self.full_scale:g} L/min"}
