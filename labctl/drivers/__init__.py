"""Instrument drivers: one module per instrument family.

A driver is a small class derived from ``labctl.drivers.base.Instrument``: it declares
the capabilities it implements (``capabilities = ("scale",)``), its typed settings and
measurements (``setting``, ``measurement``), and reads like the instrument's manual.
Drivers are found by name through the entry-point group ``labctl.drivers``
(``labctl.drivers.registry.driver_class("mtsics-scale")``), so other packages add theirs.

Importing this package is cheap: nothing here imports pint or a driver module.
"""
