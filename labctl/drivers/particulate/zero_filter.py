"""Zero-filter valve: a three-way valve that puts a HEPA filter in front of a monitor's
inlet (SCPI; capability ``source``: its setting ``filter`` is 1 with the filter in the
path, 0 without; its output is the same switch).

Command set (commands end in LF, replies in CR LF)::

    *IDN?            ->  maker,model,serial,firmware
    VALV:FILT ON|OFF     filter in / out of the inlet path
    VALV:FILT?       ->  1 or 0

Safe state: filter out (the monitor samples the chamber again).
"""

from __future__ import annotations

from typing import ClassVar

from labctl.drivers.base import Instrument, setting
from labctl.drivers.capabilities import Identity
from labctl.drivers.scpi import check_errors, scpi_identity


def _on_off(value: float) -> str:
    return "ON" if value else "OFF"


class ZeroFilterValve(Instrument):
    capabilities = ("source",)
    option_names: ClassVar[frozenset[str]] = frozenset()
    filter = setting("VALV:FILT", "VALV:FILT?", limits=(0, 1), formatter=_on_off,
                     doc="1: HEPA zero filter in the inlet path")

    def identify(self) -> Identity:
        return scpi_identity(self)

    def after_set(self, name: str) -> None:
        check_errors(self, f"set {name}")

    def output(self, on: bool) -> None:
        self.filter = 1 if on else 0

    def ready(self) -> bool:
        return True

    def safe_state(self) -> None:
        self.write("VALV:FILT OFF")
