"""labctl: calibrations in legal-metrology laboratories.

Importing this package is cheap on purpose: heavy libraries (pint, scipy, pyvisa,
matplotlib, SQLAlchemy) are imported by the modules that use them.
"""

__version__ = "0.1.0"
