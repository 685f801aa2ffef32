"""The gas family's drivers: a gas dilution calibrator (``source`` and ``meter``), a
mass-flow controller (``source`` and ``meter``) and the analyzers under test (``meter``:
combustible-gas and CO detectors, the NDIR CO/CO2 analyzer).
Each module's docstring is the instrument's command set."""
