"""The cooking-fume (oil-mist) instruments: a fume generator with a duct fan
(``source``), a reference fume instrument (``meter``) and an online fume monitor over
HJ 212-2017 (``meter``).

Fume generator (SCPI; commands end in LF, replies in CR LF)::

    *IDN?              ->  maker,model,serial,firmware
    SOUR:CONC <c>      oil-mist concentration in the duct, mg/m^3 (0 .. 20)
    SOUR:VEL <v>       duct air velocity, m/s (0 .. 15)
    OUTP ON|OFF        mist on / off
    STAT:OPER:COND?    ->  bit 0 set when stable
    SYST:ERR?          ->  checked after every set point and output command

Safe state: mist off (the fan keeps the duct clear).

Reference fume instrument (SCPI): ``MEAS:CONC?`` (mg/m^3), ``MEAS:VEL?`` (m/s).

Online fume monitor: the HJ 212 data logger of ``hj212_monitor`` (poll or listen),
reporting ``fume`` (mg/m^3) and ``velocity`` (m/s). Cooking-fume codes differ between
local platforms: the bench must give ``codes: {fume: <code>}`` (and ``velocity`` if the
logger reports it); ST defaults to 31 (air pollution source).
"""

from __future__ import annotations

from typing import Any, ClassVar

from labctl.drivers.base import Instrument, measurement, setting
from labctl.drivers.capabilities import Identity, Reading
from labctl.drivers.particulate.generator import AerosolGenerator
from labctl.drivers.particulate.hj212_monitor import Hj212PmMonitor
from labctl.drivers.scpi import scpi_identity
from labctl.errors import InstrumentError
from labctl.protocols import hj212


class FumeGenerator(AerosolGenerator):
    concentration = setting("SOUR:CONC", "SOUR:CONC?", unit="mg/m^3", limits=(0, 20),
                            doc="oil-mist concentration set point")
    velocity = setting("SOUR:VEL", "SOUR:VEL?", unit="m/s", limits=(0, 15),
                       doc="duct air velocity (the fan)")


class ReferenceFumeMonitor(Instrument):
    capabilities = ("meter",)
    measurements: ClassVar[tuple[str, ...]] = ("fume", "velocity")
    option_names: ClassVar[frozenset[str]] = frozenset()
    fume = measurement("MEAS:CONC?", unit="mg/m^3")
    velocity = measurement("MEAS:VEL?", unit="m/s")

    @classmethod
    def simulation_entry_params(cls, entry: Any, world: Any) -> dict[str, Any]:
        """True errors within the register certificate's table for ``fume`` (the duct
        model's one size fraction is its ``pm10`` channel)."""
        from labctl.drivers.particulate.reference_monitor import certificate_error_curves

        return certificate_error_curves(entry, world, {"fume": "pm10"})

    def identify(self) -> Identity:
        return scpi_identity(self)

    def measure(self, name: str | None = None, *, stable: bool = False,
                timeout: float | None = None) -> Reading:
        name = name or "fume"
        if name not in self.measurements:
            raise InstrumentError(f"the reference fume instrument measures fume and "
                                  f"velocity, not {name!r}", instrument=self.name,
                                  command="measure")
        value: Any = getattr(self, name)
        return Reading(value=value, stable=None, raw=f"{value.magnitude:g}")


class Hj212FumeMonitor(Hj212PmMonitor):
    measurements: ClassVar[tuple[str, ...]] = ("fume", "velocity")
    option_names: ClassVar[frozenset[str]] = frozenset(
        {"mn", "pw", "st", "mode", "codes", "maker", "model", "resolution", "range"})
    option_units: ClassVar[dict[str, str]] = {"resolution": "mg/m^3", "range": "mg/m^3"}
    default_codes: ClassVar[dict[str, str | None]] = {"fume": None}   # velocity: optional
    units: ClassVar[dict[str, str]] = {"fume": "mg/m^3", "velocity": "m/s"}
    plate_defaults: ClassVar[dict[str, str]] = {"resolution": "0.01 mg/m^3",
                                                "range": "20 mg/m^3"}
    default_st: ClassVar[str] = hj212.ST_AIR_SOURCE
    main_quantity: ClassVar[str] = "fume"
