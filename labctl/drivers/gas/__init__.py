"""The gas family's drivers: a gas dilution calibrator (``source`` and ``meter``), a
mass-flow controller (``source`` and ``meter``), the analyzers under test (``meter``:
combustible-gas and CO detectors, the NDIR CO/CO2 analyzer in ``ndir``, the
greenhouse-gas analyzer in ``ghg``) and a cylinders' stream selector
(``stream_selector``, in ``selector``). Each module's docstring is the instrument's
command set."""
