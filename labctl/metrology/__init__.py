"""Metrological tables that more than one layer reads (drivers and analyses alike).

Each module here only loads and looks up the numbers of a data file in ``labctl/data/``
keyed by document and edition; it depends on nothing but ``labctl.units`` and
``labctl.yamlio``, so a driver may use it without importing the analyses.
"""
