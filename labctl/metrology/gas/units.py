"""The gas family's units, defined in labctl's pint registry through the ``labctl.units``
entry points (``labctl.units.load_family_units``).

- ``LEL``: the lower explosive limit of the combustible component, a dimension of its
  own (``[combustible_fraction]``), so ``40 %LEL`` parses as 0.40 LEL and an amount
  fraction (``2000 umol/mol``, ``ppm``) is *not* silently converted to it: the
  conversion needs the component's LEL as an amount fraction (the cylinder's ``lel``).
- ``vol``: the volume fraction of an ideal gas mixture, 1 (so ``2.5 %vol`` is
  0.025 mol/mol, 25000 umol/mol).
"""

from __future__ import annotations

GAS_UNITS: tuple[str, ...] = (
    "lower_explosive_limit = [combustible_fraction] = LEL",
    "volume_fraction = 1 = vol",
)
