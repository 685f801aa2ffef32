"""Reference PM monitor, a transfer standard traceable to the gravimetric method (SCPI;
capability ``meter``).

Command set (commands end in LF, replies in CR LF)::

    *IDN?         ->  maker,model,serial,firmware
    MEAS:PM25?    ->  PM2.5 mass concentration, ug/m^3
    MEAS:PM10?    ->  PM10 mass concentration, ug/m^3
    MEAS:FLOW?    ->  sampling flow, L/min
    MEAS:TEMP?    ->  sample air temperature, degC
    MEAS:PRES?    ->  sample air pressure, kPa
"""

from __future__ import annotations

from typing import Any, ClassVar

from labctl.drivers.base import Instrument, measurement
from labctl.drivers.capabilities import Identity, Reading
from labctl.drivers.scpi import scpi_identity
from labctl.errors import InstrumentError


class ReferencePmMonitor(Instrument):
    capabilities = ("meter",)
    measurements: ClassVar[tuple[str, ...]] = ("pm25", "pm10", "flow", "temperature",
                                               "pressure")
    option_names: ClassVar[frozenset[str]] = frozenset()

    pm25 = measurement("MEAS:PM25?", unit="ug/m^3")
    pm10 = measurement("MEAS:PM10?", unit="ug/m^3")
    flow = measurement("MEAS:FLOW?", unit="L/min")
    temperature = measurement("MEAS:TEMP?", unit="degC")
    pressure = measurement("MEAS:PRES?", unit="kPa")

    @classmethod
    def simulation_entry_params(cls, entry: Any, world: Any) -> dict[str, Any]:
        """The simulated reference's true errors: those of an instrument its register
        certificate (a table of points for pm25 / pm10) could have been issued for, drawn
        within the certificate's u from the world's seed (``error_curve``)."""
        return certificate_error_curves(entry, world, {"pm25": "pm25", "pm10": "pm10"})

    def identify(self) -> Identity:
        return scpi_identity(self)

    def measure(self, name: str | None = None, *, stable: bool = False,
                timeout: float | None = None) -> Reading:
        name = name or "pm25"
        if name not in self.measurements:
            raise InstrumentError(f"the reference monitor measures {', '.join(self.measurements)}"
                                  f", not {name!r}", instrument=self.name, command="measure")
        value: Any = getattr(self, name)
        return Reading(value=value, stable=None, raw=f"{value.magnitude:g}")


def certificate_error_curves(entry: Any, world: Any, fractions: dict[str, str]
                             ) -> dict[str, Any]:
    """``{"error_curve": {fraction: [[nominal, error], ...]}}`` for a simulated monitor
    from its register entry's certificate tables (quantity -> the model's fraction in
    ``fractions``): at each certified nominal, minus the certificate's correction plus a
    seeded draw within its u (``labctl.register.certificate_table.true_errors``)."""
    from labctl.register.certificate_table import true_errors

    curves = {}
    for name, cert in (getattr(entry, "quantities", None) or {}).items():
        table = getattr(cert, "table", None)
        if name in fractions and table is not None:
            rng = world.rng(f"certificate/{entry.id}/{name}")
            curves[fractions[name]] = [
                [f"{x!r} {table.nominal_unit}", f"{e!r} {table.nominal_unit}"]
                for x, e in true_errors(table, rng)]
    return {"error_curve": curves} if curves else {}
